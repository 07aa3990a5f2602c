//! Reading the timestamps of stored snapshots without chrono's general
//! parser.
//!
//! Every claim snapshot holds four timestamps, and a history page decodes
//! the snapshots the server does not hold yet. chrono reads a
//! `DateTime<Utc>` through its format-item parser, which is built for any
//! format: `perf` on 10,000 snapshots of the 1M bench data put about a
//! third of the whole JSON decoding in it. The snapshots are written by
//! chrono's own serializer, which always prints
//! `YYYY-MM-DDTHH:MM:SS[.fraction]Z`; [`parse_utc`] reads exactly that
//! shape and hands anything else (another offset, a leap second, a space
//! for the `T`, a bad date) to chrono, so what is accepted, and every
//! error, stays chrono's.

use std::fmt;

use chrono::{DateTime, NaiveDate, Utc};
use serde::de::{Deserializer, Error, Visitor};

/// The time `s` names: the fast path for chrono's own output, else chrono.
pub fn parse_utc(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
    match fast(s.as_bytes()) {
        Some(t) => Ok(t),
        None => s.parse(),
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.f{1,9}]Z`, or `None` for anything else.
fn fast(b: &[u8]) -> Option<DateTime<Utc>> {
    if b.len() < 20 || b[4] != b'-' || b[7] != b'-' || b[10] != b'T' {
        return None;
    }
    if b[13] != b':' || b[16] != b':' || b[b.len() - 1] != b'Z' {
        return None;
    }
    let year = digits(&b[0..4])?;
    let month = digits(&b[5..7])?;
    let day = digits(&b[8..10])?;
    let hour = digits(&b[11..13])?;
    let minute = digits(&b[14..16])?;
    let second = digits(&b[17..19])?;
    let nanos = fraction(&b[19..b.len() - 1])?;
    let date = NaiveDate::from_ymd_opt(year as i32, month, day)?;
    Some(
        date.and_hms_nano_opt(hour, minute, second, nanos)?
            .and_utc(),
    )
}

/// The value of a run of ASCII digits, or `None` if any is not one.
fn digits(b: &[u8]) -> Option<u32> {
    b.iter().try_fold(0u32, |n, c| {
        c.is_ascii_digit().then(|| n * 10 + u32::from(c - b'0'))
    })
}

/// Nanoseconds of an empty suffix or of `.` and 1 to 9 digits.
fn fraction(b: &[u8]) -> Option<u32> {
    match b {
        [] => Some(0),
        [b'.', rest @ ..] if (1..=9).contains(&rest.len()) => {
            Some(digits(rest)? * 10u32.pow(9 - rest.len() as u32))
        }
        _ => None,
    }
}

/// For `#[serde(deserialize_with)]` on a `DateTime<Utc>`.
pub fn utc<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
    d.deserialize_str(UtcVisitor)
}

/// For `#[serde(default, deserialize_with)]` on an `Option<DateTime<Utc>>`
/// (`default` keeps a missing field `None`, as without the attribute).
pub fn opt_utc<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
    d.deserialize_option(OptUtcVisitor)
}

struct UtcVisitor;

impl Visitor<'_> for UtcVisitor {
    type Value = DateTime<Utc>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 timestamp")
    }

    fn visit_str<E: Error>(self, s: &str) -> Result<Self::Value, E> {
        parse_utc(s).map_err(E::custom)
    }
}

struct OptUtcVisitor;

impl<'de> Visitor<'de> for OptUtcVisitor {
    type Value = Option<DateTime<Utc>>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an RFC 3339 timestamp or null")
    }

    fn visit_none<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_unit<E: Error>(self) -> Result<Self::Value, E> {
        Ok(None)
    }

    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        utc(d).map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{SecondsFormat, TimeZone};

    /// What chrono itself makes of `s`.
    fn chrono(s: &str) -> Result<DateTime<Utc>, chrono::ParseError> {
        s.parse()
    }

    #[test]
    fn chronos_own_output_reads_back_the_same_on_the_fast_path() {
        // A fixed generator: times from year 1 to 9999, with every
        // fraction width chrono prints.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for i in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let secs = (x % 315_000_000_000) as i64 - 62_000_000_000;
            let nanos = match i % 4 {
                0 => 0,
                1 => (x % 1000) as u32 * 1_000_000,
                2 => (x % 1_000_000) as u32 * 1000,
                _ => (x % 1_000_000_000) as u32,
            };
            let Some(t) = Utc.timestamp_opt(secs, nanos).single() else {
                continue;
            };
            let text = serde_json::to_string(&t).unwrap_or_else(|e| panic!("{e}"));
            let text = text.trim_matches('"');
            if t.format("%Y").to_string().len() == 4 {
                assert_eq!(fast(text.as_bytes()), Some(t), "{text}");
            }
            assert_eq!(parse_utc(text), Ok(t), "{text}");
            let secs_only = t.to_rfc3339_opts(SecondsFormat::Secs, true);
            assert_eq!(parse_utc(&secs_only), chrono(&secs_only), "{secs_only}");
        }
    }

    #[test]
    fn every_other_shape_gets_chronos_answer() {
        for s in [
            "2024-03-01T10:00:00.5Z",
            "2024-03-01T10:00:00.123456789Z",
            "2024-03-01T10:00:00.1234567890Z",
            "2024-03-01T10:00:00.Z",
            "2024-03-01T10:00:00+00:00",
            "2024-03-01T10:00:00+02:00",
            "2024-03-01t10:00:00z",
            "2024-03-01 10:00:00Z",
            "2016-12-31T23:59:60Z",
            "2024-02-30T00:00:00Z",
            "2024-13-01T00:00:00Z",
            "2024-03-01T24:00:00Z",
            "2024-03-01T10:60:00Z",
            "2024-03-01T1a:00:00Z",
            "+2024-03-01T10:00:00Z",
            "2024-03-01",
            "",
            "not a time at all, but long",
        ] {
            assert_eq!(parse_utc(s), chrono(s), "{s:?}");
        }
    }

    #[derive(Debug, serde::Deserialize, PartialEq)]
    struct Times {
        #[serde(deserialize_with = "utc")]
        at: DateTime<Utc>,
        #[serde(default, deserialize_with = "opt_utc")]
        maybe: Option<DateTime<Utc>>,
    }

    #[test]
    fn the_serde_helpers_read_values_nulls_and_missing_fields() {
        let at = Utc
            .with_ymd_and_hms(2024, 3, 1, 10, 0, 0)
            .single()
            .unwrap_or_else(|| panic!("a valid time"));
        let read = |j: &str| serde_json::from_str::<Times>(j).map_err(|e| e.to_string());
        let both = read(r#"{"at": "2024-03-01T10:00:00Z", "maybe": "2024-03-01T10:00:00Z"}"#);
        assert_eq!(
            both,
            Ok(Times {
                at,
                maybe: Some(at)
            })
        );
        let none = Ok(Times { at, maybe: None });
        assert_eq!(
            read(r#"{"at": "2024-03-01T10:00:00Z", "maybe": null}"#),
            none
        );
        assert_eq!(read(r#"{"at": "2024-03-01T10:00:00Z"}"#), none);
        let bad = read(r#"{"at": "2024-02-30T10:00:00Z"}"#);
        assert!(
            bad.as_ref().is_err_and(|e| e.contains("out of range")),
            "{bad:?}"
        );
    }
}
