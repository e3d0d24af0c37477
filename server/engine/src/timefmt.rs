//! Dates and durations for people: "2026-11-22 09:14:03 UTC", "expired 3 days ago".

use chrono::{DateTime, Utc};

/// A NumericDate as a UTC date, or a note when it is out of range.
pub fn utc_date(seconds: i64) -> String {
    match DateTime::<Utc>::from_timestamp(seconds, 0) {
        Some(date) => date.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        None => format!("{seconds} (out of range)"),
    }
}

/// A duration in the largest unit that keeps it readable: `47 s`, `2 h`, `3 days`.
pub fn duration(seconds: u64) -> String {
    let (value, unit) = largest_unit(seconds);
    let name = match (unit, value) {
        (Unit::Day, 1) => "day",
        (Unit::Day, _) => "days",
        (Unit::Year, 1) => "year",
        (Unit::Year, _) => "years",
        (unit, _) => unit.short(),
    };
    format!("{value} {name}")
}

/// The same, shortest: `47 s`, `2 h`, `3 d`, `5 y` (for inlay hints).
pub fn short_duration(seconds: u64) -> String {
    let (value, unit) = largest_unit(seconds);
    format!("{value} {}", unit.short())
}

#[derive(Clone, Copy)]
enum Unit {
    Second,
    Minute,
    Hour,
    Day,
    Year,
}

impl Unit {
    fn short(self) -> &'static str {
        match self {
            Unit::Second => "s",
            Unit::Minute => "min",
            Unit::Hour => "h",
            Unit::Day => "d",
            Unit::Year => "y",
        }
    }
}

fn largest_unit(seconds: u64) -> (u64, Unit) {
    const MINUTE: u64 = 60;
    const HOUR: u64 = 60 * MINUTE;
    const DAY: u64 = 24 * HOUR;
    const YEAR: u64 = 365 * DAY;
    match seconds {
        s if s < MINUTE => (s, Unit::Second),
        s if s < HOUR => (s / MINUTE, Unit::Minute),
        s if s < DAY => (s / HOUR, Unit::Hour),
        s if s < 2 * YEAR => (s / DAY, Unit::Day),
        s => (s / YEAR, Unit::Year),
    }
}

/// `at` relative to `now`: "in 2 h" or "3 days ago".
pub fn relative(at: i64, now: i64) -> String {
    let delta = at.saturating_sub(now);
    if delta >= 0 {
        format!("in {}", duration(delta.unsigned_abs()))
    } else {
        format!("{} ago", duration(delta.unsigned_abs()))
    }
}

/// The smallest NumericDate read as milliseconds: 10^11. In seconds it is 5138-11-16, a
/// date no issuer writes on purpose; in milliseconds it is 1973-03-03, before any JWT.
pub const MILLISECONDS_FROM: i64 = 100_000_000_000;
/// The first value no longer read as milliseconds: 10^14, which in milliseconds is 5138 again
/// (larger values are microseconds or garbage, and stay plain far-future seconds).
const MILLISECONDS_BELOW: i64 = 100_000_000_000_000;

/// The NumericDate `value` in seconds when it looks like milliseconds (`Date.now()` where
/// seconds belong): [`MILLISECONDS_FROM`] ≤ value < 10^14, years 1973–5138 in milliseconds.
pub fn from_milliseconds(value: i64) -> Option<i64> {
    (MILLISECONDS_FROM..MILLISECONDS_BELOW)
        .contains(&value)
        .then_some(value / 1000)
}

/// Seconds since the Unix epoch, now.
pub fn now() -> i64 {
    Utc::now().timestamp()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_render_in_utc() {
        assert_eq!(utc_date(1_300_819_380), "2011-03-22 18:43:00 UTC");
        assert_eq!(utc_date(i64::MAX), format!("{} (out of range)", i64::MAX));
    }

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(duration(47), "47 s");
        assert_eq!(duration(60), "1 min");
        assert_eq!(duration(7_200), "2 h");
        assert_eq!(duration(86_400), "1 day");
        assert_eq!(duration(3 * 86_400 + 5), "3 days");
        assert_eq!(duration(10 * 365 * 86_400), "10 years");
        assert_eq!(short_duration(3 * 86_400 + 5), "3 d");
        assert_eq!(short_duration(7_200), "2 h");
        assert_eq!(short_duration(5 * 365 * 86_400), "5 y");
    }

    #[test]
    fn milliseconds_are_told_from_seconds_by_magnitude() {
        // kinde-go's test token: exp 1168335720000 is 2007-01-09 in milliseconds.
        assert_eq!(from_milliseconds(1_168_335_720_000), Some(1_168_335_720));
        assert_eq!(utc_date(MILLISECONDS_FROM), "5138-11-16 09:46:40 UTC");
        assert_eq!(
            utc_date(MILLISECONDS_FROM / 1000),
            "1973-03-03 09:46:40 UTC"
        );
        // Seconds up to year 5138 stay seconds; microseconds are not milliseconds.
        assert_eq!(from_milliseconds(MILLISECONDS_FROM - 1), None);
        assert_eq!(from_milliseconds(1_764_000_000), None);
        assert_eq!(from_milliseconds(1_764_000_000_000_000), None);
        assert_eq!(from_milliseconds(-1_764_000_000_000), None);
    }

    #[test]
    fn relative_times_read_both_ways() {
        assert_eq!(relative(1_047, 1_000), "in 47 s");
        assert_eq!(relative(1_000 - 3 * 86_400, 1_000), "3 days ago");
        assert!(relative(i64::MIN, i64::MAX).ends_with("years ago"));
    }
}
