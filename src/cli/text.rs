//! Article text files: a `YYYY-MM-DD Publisher` dateline, a title line, then
//! the body — turned into an ingest request whose claims the server extracts.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::extract::parse_article_file;
use crate::pb::v1 as pb;

/// The URL given to an article that came from a file: derived from its body,
/// so the same text ingested twice (even renamed) is one article. `.invalid`
/// is reserved (RFC 2606): it can never clash with a real article's URL.
pub fn file_url(body: &str) -> String {
    let digest = hex::encode(&Sha256::digest(body.as_bytes())[..16]);
    format!("https://claimdb.invalid/articles/{digest}")
}

/// An ingest request (with `extract = true`) for an article text file.
pub fn request_from_article_file(
    path: &Path,
    contents: &str,
) -> anyhow::Result<pb::IngestArticleRequest> {
    let file = parse_article_file(contents);
    if file.body.trim().is_empty() {
        anyhow::bail!("{} has no article text", path.display());
    }
    let published_time = file
        .published
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| crate::api::convert::timestamp(t.and_utc()));
    Ok(pb::IngestArticleRequest {
        article: Some(pb::ArticleInput {
            url: file_url(&file.body),
            title: file.title.clone().unwrap_or_default(),
            publisher: file.publisher.as_ref().map(|p| pb::EntityRef {
                name: p.clone(),
                kind: pb::EntityKind::Organization as i32,
                ..Default::default()
            }),
            published_time,
            language: "en".into(),
            body: file.body.clone(),
        }),
        claims: Vec::new(),
        extract: true,
    })
}
