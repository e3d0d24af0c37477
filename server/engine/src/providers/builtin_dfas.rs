//! The built-in patterns the build script compiled into dense DFAs (`build.rs`), read in
//! place from the binary: the issuer patterns, in `providers.toml` order, and every
//! condition pattern, sorted.

use std::sync::OnceLock;

use regex_automata::dfa::dense::DFA;
use regex_automata::dfa::Automaton;
use regex_automata::{Anchored, Input};

/// A built-in pattern's DFA, read in place.
type BuiltinDfa = DFA<&'static [u32]>;

/// A DFA once read, or why it could not be.
type Read = OnceLock<Result<BuiltinDfa, String>>;

/// Bytes aligned for [`DFA::from_bytes`], which reads `u32`s in place.
#[repr(C, align(8))]
struct Aligned<B: ?Sized> {
    _align: [u64; 0],
    bytes: B,
}

/// Serialised DFAs, one after the other, each read the first time a value reaches it:
/// reading checks the whole transition table, and reading all of them was 12 % of the
/// instructions of `jwtlens check` on one small file.
pub(super) struct BuiltinDfas {
    /// What the patterns are, for errors.
    what: &'static str,
    bytes: &'static Aligned<[u8]>,
    /// Where each DFA starts (each a multiple of 8), and where the last ends.
    offsets: &'static [usize],
    read: OnceLock<Box<[Read]>>,
}

/// The table the build script wrote as `$table.dfa` and `$table_offsets.rs`.
macro_rules! builtin_dfas {
    ($table:literal, $what:literal) => {
        BuiltinDfas {
            what: $what,
            bytes: &Aligned {
                _align: [],
                bytes: *include_bytes!(concat!(env!("OUT_DIR"), "/", $table, ".dfa")),
            },
            offsets: include!(concat!(env!("OUT_DIR"), "/", $table, "_offsets.rs")),
            read: OnceLock::new(),
        }
    };
}

/// The issuer patterns, in `providers.toml` order.
pub(super) static ISSUERS: BuiltinDfas = builtin_dfas!("issuers", "issuer pattern");

/// The `match` and `header` patterns of every condition, anchored, in the order of
/// [`CONDITION_PATTERNS`].
pub(super) static CONDITIONS: BuiltinDfas = builtin_dfas!("conditions", "condition pattern");

/// The anchored issuer patterns [`ISSUERS`] was built from, in order.
#[cfg(test)]
pub(super) const ISSUER_PATTERNS: &[&str] = include!(concat!(env!("OUT_DIR"), "/issuers.rs"));

/// The anchored condition patterns [`CONDITIONS`] was built from, sorted.
pub(super) const CONDITION_PATTERNS: &[&str] = include!(concat!(env!("OUT_DIR"), "/conditions.rs"));

impl BuiltinDfas {
    /// How many patterns there are.
    pub fn len(&self) -> usize {
        self.offsets.len() - 1
    }

    /// The DFA of pattern `index`, read the first time it is asked for.
    pub fn dfa(&self, index: usize) -> Result<&BuiltinDfa, String> {
        let read = self
            .read
            .get_or_init(|| (0..self.len()).map(|_| OnceLock::new()).collect());
        read[index]
            .get_or_init(|| {
                let bytes = &self.bytes.bytes[self.offsets[index]..self.offsets[index + 1]];
                DFA::from_bytes(bytes)
                    .map(|(dfa, _)| dfa)
                    .map_err(|e| format!("built-in {} {}: {e}", self.what, index + 1))
            })
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Whether pattern `index` (anchored at both ends) matches the whole of `value`.
    pub fn is_match(&self, index: usize, value: &str) -> bool {
        // A unit test reads every built-in DFA; a DFA gives up only on Unicode word
        // boundaries, which no built-in pattern has (the build would fail).
        self.dfa(index).is_ok_and(|dfa| {
            let input = Input::new(value).anchored(Anchored::Yes);
            matches!(dfa.try_search_fwd(&input), Ok(Some(_)))
        })
    }
}

#[cfg(test)]
mod tests {
    use regex::Regex;

    use super::*;

    /// Values a condition looks at, near misses and Unicode case variants.
    fn samples() -> Vec<String> {
        let mut base: Vec<String> = [
            "",
            "/",
            "ü",
            "application/at+jwt",
            "B2C_1_signin",
            "b2c_1a_x",
            "B2C_1A_",
            "https://acme.okta.com/oauth2/default",
            "https://x.example/projects-anonymous-users/p1",
            "https://acme.okta.com",
            "https://acme.okta.com/",
            "DSX",
            "auth0|65f0c1",
            "auth0|",
            "http://127.0.0.1:54321/auth/v1",
            "ins_2vB8examples",
            "sess_2vC1Pending",
            "user_2vC1Test",
            // 26 characters of Crockford's base 32 (no I, L, O or U).
            "session_01JEXAMPPPPPPPPPPPPPPPPPPP",
            "user_01JEXAMPPPPPPPPPPPPPPPPPPP",
            "https://sso.acme.com/auth/realms/acme",
            "https://sso.ächme.com/auth/realms/ü",
            "https://identitytoolkit.googleapis.com/v1",
            "https://session.firebase.google.com/acme",
        ]
        .map(String::from)
        .to_vec();
        // Each pattern with its syntax taken out: the literal patterns' own values.
        base.extend(CONDITION_PATTERNS.iter().map(|pattern| {
            pattern[4..pattern.len() - 2]
                .replace("(?i)", "")
                .replace(['\\', '(', ')', '?', '*', '+', '[', ']', '^'], "")
        }));
        let mut samples = Vec::new();
        for value in base {
            samples.extend([
                value.to_uppercase(),
                value.to_lowercase(),
                // KELVIN SIGN and LONG S: Unicode case variants of `k` and `s`.
                value.replace('k', "\u{212A}").replace('s', "\u{17F}"),
                format!("{value}\n"),
                format!("x{value}"),
                format!("{value}x"),
                value,
            ]);
        }
        samples.push(format!("auth0|{}", "a".repeat(10_000)));
        samples
    }

    /// Every condition DFA reads, and answers what the regex crate answers for the same
    /// pattern; each one matches some sample, so both answers are exercised.
    #[test]
    fn condition_dfas_agree_with_their_regexes() {
        assert_eq!(CONDITIONS.len(), CONDITION_PATTERNS.len());
        assert!(CONDITION_PATTERNS.windows(2).all(|pair| pair[0] < pair[1]));
        let samples = samples();
        for (index, pattern) in CONDITION_PATTERNS.iter().enumerate() {
            CONDITIONS.dfa(index).unwrap();
            let regex = Regex::new(pattern).unwrap();
            let mut matched = false;
            for sample in &samples {
                let expected = regex.is_match(sample);
                assert_eq!(
                    CONDITIONS.is_match(index, sample),
                    expected,
                    "{pattern} on {sample:?}"
                );
                matched |= expected;
            }
            assert!(matched, "no sample matches {pattern}");
        }
    }
}
