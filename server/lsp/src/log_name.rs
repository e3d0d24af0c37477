//! Naming documents in logs without writing their URIs.

use std::fmt;

use tower_lsp::lsp_types::Url;

/// How logs name a document: never by its URI, which can hold anything (a token, a
/// customer's name), but by a short hash of it and its extension, enough to follow one
/// document through a log and to tell the kinds of files apart.
pub struct LogName<'a>(pub &'a Url);

impl fmt::Display for LogName<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hash = jwtlens_jose::fingerprint(self.0.as_str().as_bytes());
        write!(f, "#{}", &hash[..8])?;
        let name = self.0.path().rsplit('/').next().unwrap_or("");
        match name.rsplit_once('.') {
            Some((_, extension))
                if (1..=8).contains(&extension.len())
                    && extension.bytes().all(|b| b.is_ascii_alphanumeric()) =>
            {
                write!(f, ".{extension}")
            }
            _ => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(uri: &str) -> String {
        LogName(&Url::parse(uri).unwrap()).to_string()
    }

    #[test]
    fn a_hash_and_the_extension_and_nothing_of_the_uri() {
        let token = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl";
        let named = name(&format!("file:///home/ada/{token}.ts"));
        assert_eq!(named.len(), "#12345678.ts".len(), "{named}");
        assert!(named.starts_with('#') && named.ends_with(".ts"), "{named}");
        // A token's last segment is no extension; a name without a dot has none.
        let unnamed = name(&format!("untitled:{token}"));
        assert_eq!(unnamed.len(), "#12345678".len(), "{unnamed}");
        assert_eq!(name("file:///a/Makefile").len(), "#12345678".len());
        // Different documents, different names; the same one, the same name.
        assert_ne!(name("file:///a/x.ts"), name("file:///b/x.ts"));
        assert_eq!(name("file:///a/x.ts"), name("file:///a/x.ts"));
    }
}
