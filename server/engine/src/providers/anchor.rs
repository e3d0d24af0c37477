//! How a profile's pattern is anchored, shared with the build script, which compiles the
//! built-in patterns the same way the registry compiles the others.

/// `pattern` anchored to the whole value.
pub fn anchor(pattern: &str) -> String {
    format!("^(?:{pattern})$")
}
