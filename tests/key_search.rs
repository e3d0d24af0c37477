//! Keys are tried by `kid` first and at most `MAX_KEYS_PER_TOKEN` per token: a workspace
//! with a 3,000-key JWKS and 20,000 literal secrets analyses a 200-token document with a
//! bounded number of signature checks (counted by the key ring), and says where it stopped.

use std::path::Path;

use jwtlens_engine::analysis::{analyse, DocumentContext, TokenReport};
use jwtlens_engine::config::Config;
use jwtlens_keys::key::MAX_KEYS_PER_TOKEN;
use jwtlens_settings::Trust;
use jwtlens_test_support::crowded;
use jwtlens_test_support::workspace::TempWorkspace;

fn messages<'a>(report: &'a TokenReport, code: &str) -> Vec<&'a str> {
    report
        .findings
        .iter()
        .filter(|finding| finding.rule.code == code)
        .map(|finding| finding.message.as_str())
        .collect()
}

#[test]
fn a_crowded_workspace_costs_a_bounded_number_of_signature_checks() {
    let dir = TempWorkspace::new();
    crowded::write_workspace(dir.path());
    let config = Config::load(Some(dir.path()), None, Trust::Trusted).unwrap();
    assert_eq!(
        config.keys.keys().len(),
        crowded::JWKS_KEYS + crowded::SECRETS,
        "{:?}",
        config.keys.problems
    );
    let text = crowded::document();
    let document = DocumentContext {
        path: Some(Path::new("src/tokens.ts")),
        config: &config,
        now: 1_800_000_000,
        remote: None,
    };
    let reports = analyse(text.as_bytes(), &document);
    assert_eq!(reports.len(), crowded::TOKENS);

    // Per token: at most MAX_KEYS_PER_TOKEN signature checks, one for the key that claims
    // it, and MAX_KEYS_PER_TOKEN public keys (one HMAC each: a JWK's text has no
    // surrounding whitespace) for the RS→HS confusion check. Trying every key would be
    // 23,000 checks per token, 4.6 million in all.
    let bound = (crowded::TOKENS * (2 * MAX_KEYS_PER_TOKEN + 1)) as u64;
    let checks = config.keys.signature_checks();
    assert!(checks <= bound, "{checks} signature checks, over {bound}");
    assert!(
        checks >= crowded::TOKENS as u64,
        "every token was checked: {checks}"
    );

    for (i, chunk) in reports.chunks(4).enumerate() {
        let [by_oct_kid, by_rsa_kid, without_kid, unknown_kid] = chunk else {
            panic!("four tokens per line group");
        };
        // Found by kid at once: the JWKS secret is in the workspace (JWT102), the RSA key
        // verifies (no JWT111), and neither search was capped.
        assert_eq!(
            messages(by_oct_kid, "JWT102"),
            ["verifies with the HMAC secret in keys.json: anyone who can read the repository can forge tokens"],
            "token {i}"
        );
        assert_eq!(
            by_rsa_kid.signature.as_deref(),
            Some("verified with keys.json")
        );
        for found in [by_oct_kid, by_rsa_kid] {
            assert!(messages(found, "JWT113").is_empty(), "token {i}");
            assert!(messages(found, "JWT111").is_empty(), "token {i}");
        }
        // Not found within the cap: said so, not silently.
        assert_eq!(
            messages(without_kid, "JWT113"),
            ["stopped after 32 of 22,990 workspace keys that could verify HS256, and none verified it; give the token a kid or narrow keys.*"],
            "token {i}"
        );
        assert_eq!(
            messages(unknown_kid, "JWT113"),
            ["stopped after 32 of 20,000 workspace keys that could verify HS256, and none verified it; give the token a kid or narrow keys.*"],
            "token {i}"
        );
        assert!(
            messages(unknown_kid, "JWT102").is_empty(),
            "the 20,000th secret is past the cap"
        );
    }

    // The verdicts are cached: a second analysis checks nothing again.
    analyse(text.as_bytes(), &document);
    assert_eq!(config.keys.signature_checks(), checks);
}
