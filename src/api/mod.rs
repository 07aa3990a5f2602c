//! The gRPC services: one file per service. Handlers parse the request into
//! domain types (all bad fields at once), call the store, and convert the
//! result back; errors map to statuses in [`error`].

pub mod articles;
pub mod claimreview;
pub mod claims;
pub mod convert;
pub mod entities;
pub mod error;
pub mod extract;
pub mod import;
pub mod reviews;
pub mod statements;
pub mod watch;
pub mod wire;

use tonic::Request;

use crate::domain::page::{decode_token, encode_token, filter_hash, Cursor, PageSize};
use crate::domain::Violations;

/// Request header naming who makes a change; recorded in revisions.
pub const ACTOR_HEADER: &str = "claimdb-actor";

/// The actor of a request: the name of the API key it was authenticated
/// with (see [`crate::auth`]); without authentication, the `claimdb-actor`
/// header (trimmed, at most 200 characters), or "anonymous".
pub fn actor<T>(req: &Request<T>) -> String {
    if let Some(p) = req.extensions().get::<crate::auth::Principal>() {
        return p.name.clone();
    }
    req.metadata()
        .get(ACTOR_HEADER)
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(|s| s.chars().take(200).collect())
        .unwrap_or_else(|| "anonymous".to_string())
}

/// The paging part of a list request, parsed.
pub struct Paging {
    /// Rows per page.
    pub size: PageSize,
    /// Where the page starts.
    pub after: Option<Cursor>,
    /// The hash the filter's tokens are bound to.
    pub hash: String,
}

impl Paging {
    /// Parses page size and token for a filter.
    pub fn parse<F: serde::Serialize>(
        v: &mut Violations,
        filter: &F,
        page_size: i32,
        page_token: &str,
    ) -> Self {
        let hash = filter_hash(filter);
        let size = PageSize::parse(v, page_size);
        let after = decode_token(v, page_token, &hash);
        Self { size, after, hash }
    }

    /// The token for the page after `next` ("" on the last page).
    pub fn token(&self, next: Option<Cursor>) -> String {
        next.map(|c| encode_token(&self.hash, c))
            .unwrap_or_default()
    }
}
