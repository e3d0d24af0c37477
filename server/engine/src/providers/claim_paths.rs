//! Claim paths and value normalisation: how a provider profile's `o.id` or
//! `resource_access.*.roles` reaches into a token's claims, and how whatever it reaches
//! becomes plain strings.
//!
//! A path is matched against a JSON object (the claims, the header, or one membership
//! entry) like this:
//!
//! - the whole path is first tried as a key, so claim names that contain dots or colons
//!   (`https://acme.com/tenant`, `cognito:groups`, `urn:zitadel:iam:org:id`) work as is;
//! - otherwise the shortest prefix that ends before a `.` and is a key is taken, and the
//!   rest of the path is matched inside that value the same way (`app_metadata.tenant_id`);
//! - a `*` segment after the first stands for every value of an object or every element
//!   of an array (`resource_access.*.roles`); a trailing `*` on an object yields its keys
//!   instead (`urn:zitadel:iam:org:project:roles.*` gives the role names).
//!
//! `null` counts as absent everywhere. Lookups borrow from the token and allocate
//! nothing, except to turn a number into text; only the strings handed out are owned.

use std::borrow::Cow;

use serde_json::{Map, Value};

use crate::decode::LINEAR_SCAN;

/// Something a claim path reached.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Found<'a> {
    Value(&'a Value),
    /// An object key, reached through a trailing `*`.
    Key(&'a str),
}

/// How a string value turns into list entries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Split {
    /// One string is one entry (roles, tenant ids: a role name may contain a space).
    Whole,
    /// Split a string on whitespace and commas: OAuth `scope`, Entra `scp`, comma-separated
    /// lists. Entries of a JSON array stay whole.
    Delimited,
}

/// Calls `emit` for everything `path` reaches in `object` and returns the name of the
/// top-level key the path went through, or `None` when it reached nothing.
pub fn resolve<'a>(
    object: &'a Map<String, Value>,
    path: &str,
    emit: &mut impl FnMut(Found<'a>),
) -> Option<&'a str> {
    let (key, value, rest) = enter(object, path)?;
    walk(value, rest, emit).then_some(key)
}

/// Whether `path` reaches anything in `object`.
pub fn is_present(object: &Map<String, Value>, path: &str) -> bool {
    resolve(object, path, &mut |_| {}).is_some()
}

/// The first thing `path` reaches in `object`, with the top-level key it went through.
pub fn first<'a>(object: &'a Map<String, Value>, path: &str) -> Option<(&'a str, Found<'a>)> {
    let mut first = None;
    let key = resolve(object, path, &mut |found| {
        first.get_or_insert(found);
    })?;
    first.map(|found| (key, found))
}

/// Appends the scalars `path` reaches to `out` as strings (arrays flattened, objects
/// skipped), split per `split`, leaving out empty entries and ones already in `out`.
/// Returns the top-level key the path went through if it reached any scalar.
pub fn collect<'a>(
    object: &'a Map<String, Value>,
    path: &str,
    split: Split,
    out: &mut Vec<String>,
) -> Option<&'a str> {
    let mut reached = false;
    let key = resolve(object, path, &mut |found| {
        // A list already delimits its entries: `["User Admin"]` is one permission.
        let split = match found {
            Found::Value(Value::Array(_)) => Split::Whole,
            _ => split,
        };
        for_each_scalar(found, &mut |s| {
            reached = true;
            match split {
                Split::Whole => push_unique(out, s),
                Split::Delimited => s
                    .split(|c: char| c.is_whitespace() || c == ',')
                    .for_each(|part| push_unique(out, Cow::Borrowed(part))),
            }
        });
    })?;
    reached.then_some(key)
}

/// The string form of a scalar: strings, numbers, booleans and keys. Arrays and objects
/// have none.
pub fn scalar(found: Found<'_>) -> Option<Cow<'_, str>> {
    match found {
        Found::Key(key) => Some(Cow::Borrowed(key)),
        Found::Value(Value::String(s)) => Some(Cow::Borrowed(s)),
        Found::Value(Value::Number(n)) => Some(Cow::Owned(n.to_string())),
        Found::Value(Value::Bool(b)) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        Found::Value(_) => None,
    }
}

/// Calls `f` with every scalar in `found`, looking through arrays (nested ones too).
/// Objects are skipped: their meaning depends on the provider, so a path must name
/// what it wants inside them.
pub fn for_each_scalar<'a>(found: Found<'a>, f: &mut impl FnMut(Cow<'a, str>)) {
    match found {
        Found::Value(Value::Array(items)) => {
            for item in items {
                for_each_scalar(Found::Value(item), f);
            }
        }
        other => {
            if let Some(s) = scalar(other) {
                f(s);
            }
        }
    }
}

/// Appends `s` unless it is empty or already there. Lists here are short (a token's roles
/// or scopes), so a linear scan beats hashing.
pub fn push_unique(out: &mut Vec<String>, s: Cow<'_, str>) {
    if !s.is_empty() && !out.iter().any(|existing| *existing == s) {
        out.push(s.into_owned());
    }
}

/// Splits `path` at the key it names in `object`: the whole path if that is a key, else
/// the shortest prefix ending before a `.` that is one.
fn enter<'a, 'p>(
    object: &'a Map<String, Value>,
    path: &'p str,
) -> Option<(&'a str, &'a Value, &'p str)> {
    // A token has a handful of claims, and profiles' paths are namespaced URLs with many
    // dots: comparing each key costs less than hashing the path and each prefix.
    if object.len() <= LINEAR_SCAN {
        let mut shortest: Option<(&'a str, &'a Value, &'p str)> = None;
        let first = path.as_bytes().first();
        for (key, value) in object {
            // Most keys differ from the path in their first byte: no call to compare them.
            if key.as_bytes().first().is_some_and(|b| Some(b) != first) {
                continue;
            }
            if key == path {
                return Some((key, value, ""));
            }
            let prefix = path
                .strip_prefix(key.as_str())
                .and_then(|rest| rest.strip_prefix('.'));
            if let Some(rest) = prefix {
                if shortest.is_none_or(|(best, _, _)| key.len() < best.len()) {
                    shortest = Some((key, value, rest));
                }
            }
        }
        return shortest;
    }
    if let Some((key, value)) = object.get_key_value(path) {
        return Some((key, value, ""));
    }
    path.match_indices('.').find_map(|(dot, _)| {
        object
            .get_key_value(&path[..dot])
            .map(|(key, value)| (key.as_str(), value, &path[dot + 1..]))
    })
}

/// Emits what the remaining path `rest` reaches from `value`; true if anything was emitted.
fn walk<'a>(value: &'a Value, rest: &str, emit: &mut impl FnMut(Found<'a>)) -> bool {
    if rest.is_empty() {
        if value.is_null() {
            return false;
        }
        emit(Found::Value(value));
        return true;
    }
    let wildcard = match rest.strip_prefix('*') {
        Some("") => Some(None),
        Some(tail) => tail.strip_prefix('.').map(Some),
        None => None,
    };
    match (value, wildcard) {
        // A trailing `*` on an object: its keys.
        (Value::Object(map), Some(None)) => {
            map.keys().for_each(|key| emit(Found::Key(key)));
            !map.is_empty()
        }
        (Value::Object(map), Some(Some(tail))) => {
            map.values().fold(false, |hit, v| walk(v, tail, emit) | hit)
        }
        (Value::Array(items), Some(tail)) => items
            .iter()
            .fold(false, |hit, v| walk(v, tail.unwrap_or(""), emit) | hit),
        (Value::Object(map), None) => match enter(map, rest) {
            Some((_, inner, tail)) => walk(inner, tail, emit),
            None => false,
        },
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn object(value: Value) -> Map<String, Value> {
        match value {
            Value::Object(map) => map,
            other => panic!("not an object: {other}"),
        }
    }

    fn strings(claims: &Map<String, Value>, path: &str, split: Split) -> Vec<String> {
        let mut out = Vec::new();
        collect(claims, path, split, &mut out);
        out
    }

    #[test]
    fn exact_claim_names_win_over_dotted_paths() {
        let claims = object(json!({
            "https://acme.com/tenant": "t_1",
            "cognito:groups": ["admins", "t_1-admins"],
            "urn:zitadel:iam:org:id": "2371",
            "a.b": "literal",
            "a": {"b": "nested"},
        }));
        assert_eq!(
            strings(&claims, "https://acme.com/tenant", Split::Whole),
            ["t_1"]
        );
        assert_eq!(
            strings(&claims, "cognito:groups", Split::Whole),
            ["admins", "t_1-admins"]
        );
        assert_eq!(
            strings(&claims, "urn:zitadel:iam:org:id", Split::Whole),
            ["2371"]
        );
        assert_eq!(strings(&claims, "a.b", Split::Whole), ["literal"]);
    }

    #[test]
    fn small_and_large_objects_split_paths_alike() {
        // Key by key up to LINEAR_SCAN keys, hashed above: the same key wins either way.
        let mut claims = object(json!({
            "a": {"b.c": "shortest prefix", "b": {"c": "deeper"}},
            "a.b": {"c": "longer prefix"},
            "x.y": "whole",
            "x": {"y": "nested"},
        }));
        for padding in 0..2 * LINEAR_SCAN {
            assert_eq!(
                first(&claims, "a.b.c").map(|(key, _)| key),
                Some("a"),
                "{} keys",
                claims.len()
            );
            assert_eq!(strings(&claims, "a.b.c", Split::Whole), ["shortest prefix"]);
            assert_eq!(strings(&claims, "x.y", Split::Whole), ["whole"]);
            assert!(!is_present(&claims, "a.c") && !is_present(&claims, "z"));
            claims.insert(format!("pad{padding}"), json!(padding));
        }
    }

    #[test]
    fn dotted_paths_walk_nested_objects_and_dotted_keys_inside_them() {
        let claims = object(json!({
            "app_metadata": {"tenant_id": "acme", "https://x.io/role": "owner"},
            "o": {"id": "org_1", "rol": "admin"},
        }));
        assert_eq!(
            strings(&claims, "app_metadata.tenant_id", Split::Whole),
            ["acme"]
        );
        assert_eq!(
            strings(&claims, "app_metadata.https://x.io/role", Split::Whole),
            ["owner"]
        );
        assert_eq!(
            first(&claims, "o.id"),
            Some(("o", Found::Value(&json!("org_1"))))
        );
        assert!(!is_present(&claims, "o.per"));
        assert!(!is_present(&claims, "app_metadata.tenant_id.deeper"));
    }

    #[test]
    fn wildcards_reach_every_value_and_trailing_wildcards_yield_keys() {
        let claims = object(json!({
            "resource_access": {
                "account": {"roles": ["view-profile"]},
                "billing": {"roles": ["invoice:read", "view-profile"]},
            },
            "urn:zitadel:iam:org:project:roles": {
                "admin": {"231": "acme.zitadel.cloud"},
                "viewer": {"231": "acme.zitadel.cloud"},
            },
            "roles": [{"key": "admin"}, {"key": "billing"}],
            "organization": ["acme", "globex"],
        }));
        assert_eq!(
            strings(&claims, "resource_access.*.roles", Split::Whole),
            ["view-profile", "invoice:read"]
        );
        assert_eq!(
            strings(&claims, "urn:zitadel:iam:org:project:roles.*", Split::Whole),
            ["admin", "viewer"]
        );
        assert_eq!(
            strings(&claims, "roles.*.key", Split::Whole),
            ["admin", "billing"]
        );
        assert_eq!(
            strings(&claims, "organization.*", Split::Whole),
            ["acme", "globex"]
        );
    }

    #[test]
    fn values_normalise_to_strings_and_objects_are_skipped() {
        let claims = object(json!({
            "scope": "openid  profile,email",
            "perms": ["a b", ["c"], 7, true, {"skip": "me"}, null, ""],
            "obj": {"k": "v"},
            "gone": null,
        }));
        assert_eq!(
            strings(&claims, "scope", Split::Delimited),
            ["openid", "profile", "email"]
        );
        assert_eq!(
            strings(&claims, "scope", Split::Whole),
            ["openid  profile,email"]
        );
        assert_eq!(
            strings(&claims, "perms", Split::Whole),
            ["a b", "c", "7", "true"]
        );
        // List entries stay whole even where a string would be split: Descope permission
        // names such as "User Admin" contain spaces.
        assert_eq!(
            strings(&claims, "perms", Split::Delimited),
            ["a b", "c", "7", "true"]
        );
        assert_eq!(collect(&claims, "obj", Split::Whole, &mut Vec::new()), None);
        let mut seen = vec!["openid  profile,email".to_owned()];
        assert_eq!(
            collect(&claims, "scope", Split::Whole, &mut seen),
            Some("scope"),
            "a duplicate still counts as reached"
        );
        assert!(!is_present(&claims, "gone"));
        assert!(!is_present(&claims, "missing"));
    }
}
