//! Results of verifying a token's signature against its issuer's published keys, which
//! only happens when the user asks (the network is touched nowhere else).

use std::collections::HashMap;

/// What an on-request verification found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RemoteOutcome {
    /// A key from `url` verified the signature at `at` (seconds since the epoch).
    Verified {
        kid: Option<String>,
        url: String,
        at: i64,
    },
    /// No key verified it; `reason` says why (no key with this kid, algorithm/key type
    /// mismatch, bad signature, the fetch failed…).
    Failed { reason: String },
}

/// Remote outcomes by token fingerprint ([`crate::decode::fingerprint`]).
pub type RemoteResults = HashMap<String, RemoteOutcome>;
