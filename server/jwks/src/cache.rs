//! How long a fetched document may be reused, and the per-URL store that reuses it.

use std::collections::HashMap;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// At most this many URLs are remembered per store; the entries closest to expiry go
/// first. A workspace sees a handful of issuers, so this is a leak guard, not a tuning knob.
const MAX_ENTRIES: usize = 64;

/// How long a response may be reused, from its `Cache-Control` and `Age` headers:
/// `no-store` or `no-cache` → zero (used for the current request only); `max-age=N` → N
/// seconds less `Age`, at most `cap`; otherwise `default_ttl` (also at most `cap`).
pub(crate) fn freshness(
    cache_control: Option<&str>,
    age: Option<&str>,
    default_ttl: Duration,
    cap: Duration,
) -> Duration {
    let mut max_age = None;
    for directive in cache_control.unwrap_or("").split(',') {
        let (name, value) = match directive.split_once('=') {
            Some((name, value)) => (name.trim(), Some(value.trim().trim_matches('"'))),
            None => (directive.trim(), None),
        };
        if name.eq_ignore_ascii_case("no-store") || name.eq_ignore_ascii_case("no-cache") {
            return Duration::ZERO;
        }
        if name.eq_ignore_ascii_case("max-age") {
            // A malformed max-age makes the response stale; one too large for the
            // integer type means "very long" (RFC 9111 §1.2.2, §4.2.1).
            let seconds = value
                .filter(|v| !v.is_empty() && v.bytes().all(|b| b.is_ascii_digit()))
                .map_or(0, |v| v.parse::<u64>().unwrap_or(u64::MAX));
            max_age = Some(max_age.map_or(seconds, |m: u64| m.min(seconds)));
        }
    }
    let Some(max_age) = max_age else {
        return default_ttl.min(cap);
    };
    let age = age.and_then(|a| a.trim().parse::<u64>().ok()).unwrap_or(0);
    Duration::from_secs(max_age.saturating_sub(age)).min(cap)
}

/// A value remembered until `expires`, with when it was fetched.
#[derive(Debug, Clone)]
pub(crate) struct Entry<V> {
    pub value: V,
    pub fetched: Instant,
    pub expires: Instant,
}

/// Remembered values per key, plus one async lock per key so that concurrent requests for
/// the same URL share one fetch.
#[derive(Debug)]
pub(crate) struct Store<K, V> {
    entries: Mutex<HashMap<K, Entry<V>>>,
    locks: Mutex<HashMap<K, Arc<tokio::sync::Mutex<()>>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Store<K, V> {
    pub fn new() -> Self {
        Store {
            entries: Mutex::new(HashMap::new()),
            locks: Mutex::new(HashMap::new()),
        }
    }

    /// The entry for `key` if it has not expired.
    pub fn fresh(&self, key: &K, now: Instant) -> Option<Entry<V>> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        entries.get(key).filter(|e| e.expires > now).cloned()
    }

    /// Remembers `value` for `ttl`; a zero `ttl` forgets any older entry instead.
    pub fn put(&self, key: K, value: V, fetched: Instant, ttl: Duration) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if ttl.is_zero() {
            entries.remove(&key);
            return;
        }
        if entries.len() >= MAX_ENTRIES && !entries.contains_key(&key) {
            entries.retain(|_, e| e.expires > fetched);
            if entries.len() >= MAX_ENTRIES {
                if let Some(oldest) = entries
                    .iter()
                    .min_by_key(|(_, e)| e.expires)
                    .map(|(k, _)| k.clone())
                {
                    entries.remove(&oldest);
                }
            }
        }
        entries.insert(
            key,
            Entry {
                value,
                fetched,
                expires: fetched + ttl,
            },
        );
    }

    /// Forgets every entry.
    pub fn clear(&self) {
        self.entries
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clear();
    }

    /// The lock that serialises fetches of `key`.
    pub fn lock_for(&self, key: &K) -> Arc<tokio::sync::Mutex<()>> {
        let mut locks = self.locks.lock().unwrap_or_else(|e| e.into_inner());
        if locks.len() >= MAX_ENTRIES {
            // Nobody else holds these: forget them.
            locks.retain(|_, lock| Arc::strong_count(lock) > 1);
        }
        locks.entry(key.clone()).or_default().clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DEFAULT: Duration = Duration::from_secs(300);
    const CAP: Duration = Duration::from_secs(3600);

    fn ttl(cache_control: Option<&str>, age: Option<&str>) -> Duration {
        freshness(cache_control, age, DEFAULT, CAP)
    }

    #[test]
    fn max_age_is_respected_up_to_the_cap() {
        assert_eq!(ttl(Some("max-age=120"), None), Duration::from_secs(120));
        assert_eq!(
            ttl(Some("public, max-age=600, must-revalidate"), None),
            Duration::from_secs(600)
        );
        assert_eq!(ttl(Some("MAX-AGE=\"60\""), None), Duration::from_secs(60));
        assert_eq!(ttl(Some("max-age=86400"), None), CAP);
        assert_eq!(ttl(Some("max-age=99999999999999999999"), None), CAP);
    }

    #[test]
    fn age_is_subtracted() {
        assert_eq!(
            ttl(Some("max-age=600"), Some("100")),
            Duration::from_secs(500)
        );
        assert_eq!(ttl(Some("max-age=600"), Some("900")), Duration::ZERO);
        assert_eq!(
            ttl(Some("max-age=600"), Some("junk")),
            Duration::from_secs(600)
        );
    }

    #[test]
    fn no_store_and_no_cache_mean_this_request_only() {
        assert_eq!(ttl(Some("no-store"), None), Duration::ZERO);
        assert_eq!(ttl(Some("max-age=600, no-cache"), None), Duration::ZERO);
        assert_eq!(ttl(Some("No-Cache=\"Set-Cookie\""), None), Duration::ZERO);
        assert_eq!(ttl(Some("max-age=0"), None), Duration::ZERO);
        assert_eq!(ttl(Some("max-age=abc"), None), Duration::ZERO);
    }

    #[test]
    fn without_max_age_the_default_applies() {
        assert_eq!(ttl(None, None), DEFAULT);
        assert_eq!(ttl(Some("public"), None), DEFAULT);
        assert_eq!(ttl(Some(""), Some("10")), DEFAULT);
        assert_eq!(
            freshness(None, None, Duration::from_secs(7200), CAP),
            CAP,
            "the default is capped too"
        );
    }

    #[test]
    fn the_smallest_max_age_wins() {
        assert_eq!(
            ttl(Some("max-age=600, max-age=60"), None),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn store_expires_and_forgets() {
        let store: Store<String, u32> = Store::new();
        let now = Instant::now();
        store.put("a".into(), 1, now, Duration::from_secs(10));
        assert_eq!(store.fresh(&"a".into(), now).unwrap().value, 1);
        assert!(store
            .fresh(&"a".into(), now + Duration::from_secs(10))
            .is_none());
        store.put("a".into(), 2, now, Duration::ZERO);
        assert!(store.fresh(&"a".into(), now).is_none());
    }

    #[test]
    fn store_is_bounded() {
        let store: Store<usize, usize> = Store::new();
        let now = Instant::now();
        for i in 0..MAX_ENTRIES + 10 {
            store.put(i, i, now, Duration::from_secs(100 + i as u64));
        }
        let kept = (0..MAX_ENTRIES + 10)
            .filter(|i| store.fresh(i, now).is_some())
            .count();
        assert_eq!(kept, MAX_ENTRIES);
        assert!(
            store.fresh(&0, now).is_none(),
            "the soonest to expire went first"
        );
        assert!(store.fresh(&(MAX_ENTRIES + 9), now).is_some());
    }
}
