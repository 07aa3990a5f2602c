//! Articles: URL normalization and the validated new-article type.

use chrono::{DateTime, Utc};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::entity::EntityRef;
use super::error::{check_len, Violations};

/// Largest accepted article body, in characters.
pub const MAX_BODY_LEN: usize = 5_000_000;

/// Query parameters that only track the reader and never change the
/// document: dropped so that shared links deduplicate.
fn is_tracking_param(key: &str) -> bool {
    let k = key.to_ascii_lowercase();
    k.starts_with("utm_")
        || matches!(
            k.as_str(),
            "fbclid"
                | "gclid"
                | "dclid"
                | "msclkid"
                | "mc_cid"
                | "mc_eid"
                | "igshid"
                | "_ga"
                | "yclid"
        )
}

/// Normalizes an article URL so the same document has one key: http(s)
/// only; lower-case scheme and host (the `url` crate does both, and drops a
/// default port); no fragment; no tracking parameters; no trailing slash.
pub fn normalize_url(raw: &str) -> Result<String, String> {
    let parsed = url::Url::parse(raw.trim()).map_err(|e| format!("is not a valid URL ({e})"))?;
    if !matches!(parsed.scheme(), "http" | "https") {
        return Err("must be an http or https URL".into());
    }
    let host = parsed
        .host_str()
        .ok_or_else(|| "must have a host".to_string())?;
    let mut out = format!("{}://{}", parsed.scheme(), host);
    if let Some(port) = parsed.port() {
        out.push_str(&format!(":{port}"));
    }
    out.push_str(parsed.path().trim_end_matches('/'));
    let kept: Vec<String> = parsed
        .query()
        .unwrap_or("")
        .split('&')
        .filter(|p| !p.is_empty())
        .filter(|p| !is_tracking_param(p.split('=').next().unwrap_or("")))
        .map(str::to_string)
        .collect();
    if !kept.is_empty() {
        out.push('?');
        out.push_str(&kept.join("&"));
    }
    Ok(out)
}

/// Hex SHA-256 of a body, empty for an empty body.
pub fn body_sha256(body: &str) -> String {
    if body.is_empty() {
        return String::new();
    }
    hex::encode(Sha256::digest(body.as_bytes()))
}

/// A validated article from an ingest request.
#[derive(Debug, Clone, PartialEq)]
pub struct NewArticle {
    /// Normalized URL.
    pub url: String,
    /// Headline.
    pub title: String,
    /// Publisher reference.
    pub publisher: Option<EntityRef>,
    /// Publication time.
    pub published_time: Option<DateTime<Utc>>,
    /// BCP 47 language tag.
    pub language: String,
    /// Full text ("" when not given).
    pub body: String,
}

impl NewArticle {
    /// Validates the non-reference parts of an article (the publisher
    /// reference is parsed by the caller, into the same `v`).
    pub fn parse(
        v: &mut Violations,
        url: &str,
        title: &str,
        publisher: Option<EntityRef>,
        published_time: Option<DateTime<Utc>>,
        language: &str,
        body: &str,
    ) -> Option<Self> {
        let url = match url.trim() {
            "" => {
                v.push("article.url", "is required");
                None
            }
            u => normalize_url(u).map_err(|e| v.push("article.url", e)).ok(),
        };
        check_len(v, "article.title", title, 2000);
        check_len(v, "article.body", body, MAX_BODY_LEN);
        let language = match language.trim() {
            "" => "en".to_string(),
            l if l.len() <= 35 && l.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') => {
                l.to_string()
            }
            _ => {
                v.push(
                    "article.language",
                    "must be a BCP 47 tag such as `en` or `pt-BR`",
                );
                String::new()
            }
        };
        Some(Self {
            url: url?,
            title: title.trim().to_string(),
            publisher,
            published_time,
            language,
            body: body.to_string(),
        })
    }
}

/// A stored article.
#[derive(Debug, Clone, PartialEq)]
pub struct Article {
    /// Its id.
    pub id: Uuid,
    /// Normalized URL.
    pub url: String,
    /// Headline.
    pub title: String,
    /// Publisher's id.
    pub publisher_id: Option<Uuid>,
    /// Publication time.
    pub published_time: Option<DateTime<Utc>>,
    /// Language tag.
    pub language: String,
    /// Body ("" when not stored or not loaded).
    pub body: String,
    /// Hex SHA-256 of the body.
    pub body_sha256: String,
    /// Claims recorded from it.
    pub claim_count: i64,
    /// First recorded.
    pub create_time: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_normalize_to_one_key() {
        let same = [
            "https://Example.COM/news/a/",
            "HTTPS://example.com:443/news/a?utm_source=x&utm_medium=y",
            "https://example.com/news/a#comments",
            "https://example.com/news/a/?fbclid=abc",
        ];
        for u in same {
            assert_eq!(
                normalize_url(u).unwrap(),
                "https://example.com/news/a",
                "{u}"
            );
        }
        assert_eq!(
            normalize_url("http://example.com/?id=3&utm_campaign=z").unwrap(),
            "http://example.com?id=3"
        );
    }

    #[test]
    fn non_web_urls_are_rejected() {
        for u in ["ftp://example.com/a", "not a url", "mailto:a@b.c"] {
            assert!(normalize_url(u).is_err(), "{u}");
        }
    }
}
