//! Keyset pagination: page sizes and opaque page tokens bound to a filter.
//!
//! A token is base64url JSON `{ "f": <filter hash>, "c": <cursor> }`. The
//! filter hash makes a token used with a different filter (or order) an
//! error instead of a silently wrong page; the cursor is the sort key of the
//! last row served, so the next page starts strictly after it and rows
//! inserted meanwhile neither shift nor repeat what follows.

use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::error::Violations;

/// Page size when the request gives none.
pub const DEFAULT_PAGE_SIZE: usize = 50;
/// Largest page served; larger requests are capped (AIP-158).
pub const MAX_PAGE_SIZE: usize = 1000;

/// A validated page size.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageSize(usize);

impl PageSize {
    /// 0 → the default; above the maximum → the maximum; negative → error.
    pub fn parse(v: &mut Violations, raw: i32) -> Self {
        match raw {
            r if r < 0 => {
                v.push("page_size", "must not be negative");
                Self(DEFAULT_PAGE_SIZE)
            }
            0 => Self(DEFAULT_PAGE_SIZE),
            r => Self((r as usize).min(MAX_PAGE_SIZE)),
        }
    }

    /// The number of rows to serve.
    pub fn get(self) -> usize {
        self.0
    }
}

/// The position after the last row of a page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Cursor {
    /// Time sort key, for time-ordered lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub time: Option<DateTime<Utc>>,
    /// Text sort key, for name-ordered lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub text: Option<String>,
    /// Score sort key, for relevance-ordered lists.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub score: Option<f64>,
    /// Integer sort key (revision numbers).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub number: Option<i64>,
    /// The last row's id: the tie-breaker of every order.
    pub id: Uuid,
}

impl Cursor {
    /// After row `id` of a list ordered by id alone.
    pub fn at_id(id: Uuid) -> Self {
        Self {
            time: None,
            text: None,
            score: None,
            number: None,
            id,
        }
    }

    /// After row `id`, at time `time`, of a time-ordered list.
    pub fn at_time(time: DateTime<Utc>, id: Uuid) -> Self {
        Self {
            time: Some(time),
            ..Self::at_id(id)
        }
    }

    /// After row `id`, at number `number`, of a number-ordered list.
    pub fn at_number(number: i64, id: Uuid) -> Self {
        Self {
            number: Some(number),
            ..Self::at_id(id)
        }
    }
}

#[derive(Serialize, Deserialize)]
struct Token {
    f: String,
    c: Cursor,
}

/// A short hash of a filter's canonical JSON: what a token is bound to.
pub fn filter_hash<T: Serialize>(filter: &T) -> String {
    let json = serde_json::to_string(filter).unwrap_or_default();
    hex::encode(&Sha256::digest(json.as_bytes())[..12])
}

/// Encodes a cursor for the filter with hash `hash`.
pub fn encode_token(hash: &str, cursor: Cursor) -> String {
    let token = Token {
        f: hash.to_string(),
        c: cursor,
    };
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(&token).unwrap_or_default())
}

/// Decodes a page token; `None` for an empty token (the first page). A
/// token that is malformed or was made for another filter is a violation
/// of `page_token`.
pub fn decode_token(v: &mut Violations, raw: &str, hash: &str) -> Option<Cursor> {
    if raw.is_empty() {
        return None;
    }
    let token: Option<Token> = URL_SAFE_NO_PAD
        .decode(raw.trim())
        .ok()
        .and_then(|bytes| serde_json::from_slice(&bytes).ok());
    match token {
        None => {
            v.push("page_token", "is not a page token from this API");
            None
        }
        Some(t) if t.f != hash => {
            v.push(
                "page_token",
                "was issued for a different filter or order; use the same filter as the first page",
            );
            None
        }
        Some(t) => Some(t.c),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_token_only_works_with_its_own_filter() {
        let c = Cursor::at_time(Utc::now(), Uuid::now_v7());
        let t = encode_token("abc", c.clone());
        let mut v = Violations::new();
        assert_eq!(decode_token(&mut v, &t, "abc"), Some(c));
        assert!(v.is_empty());
        assert_eq!(decode_token(&mut v, &t, "xyz"), None);
        assert_eq!(decode_token(&mut v, "garbage!!", "abc"), None);
        assert_eq!(v.list().len(), 2);
    }

    #[test]
    fn page_sizes_default_and_cap() {
        let mut v = Violations::new();
        assert_eq!(PageSize::parse(&mut v, 0).get(), 50);
        assert_eq!(PageSize::parse(&mut v, 5000).get(), 1000);
        assert!(v.is_empty());
        PageSize::parse(&mut v, -1);
        assert!(!v.is_empty());
    }
}
