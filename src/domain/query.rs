//! Validated filters of the list queries.

use chrono::{DateTime, Utc};
use serde::Serialize;
use uuid::Uuid;

use super::claim::ClaimKind;
use super::entity::{EntityKind, EntityRef};

/// The order of a claim list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Default)]
pub enum ClaimOrder {
    /// Said time, oldest first.
    #[default]
    SaidAsc,
    /// Said time, newest first.
    SaidDesc,
    /// Record time, oldest first.
    RecordAsc,
    /// Record time, newest first.
    RecordDesc,
}

impl ClaimOrder {
    /// True for the newest-first orders.
    pub fn descending(self) -> bool {
        matches!(self, Self::SaidDesc | Self::RecordDesc)
    }

    /// True for the record-time orders.
    pub fn by_record_time(self) -> bool {
        matches!(self, Self::RecordAsc | Self::RecordDesc)
    }
}

/// The filter of `ListClaims`. Serialized, it is what page tokens bind to.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct ClaimFilter {
    /// Said by.
    pub speaker: Option<EntityRef>,
    /// About.
    pub subject: Option<EntityRef>,
    /// In this article.
    pub article_id: Option<Uuid>,
    /// Published by.
    pub publisher: Option<EntityRef>,
    /// Said at or after.
    pub said_after: Option<DateTime<Utc>>,
    /// Said before.
    pub said_before: Option<DateTime<Utc>>,
    /// Only these kinds (empty: all).
    pub kinds: Vec<ClaimKind>,
    /// Full-text query (websearch syntax).
    pub query: Option<String>,
    /// Include retracted claims.
    pub include_retracted: bool,
    /// As the database stood then.
    pub as_of: Option<DateTime<Utc>>,
    /// Order.
    pub order: ClaimOrder,
    /// Reporting this statement. Left out of the token hash when absent, so
    /// tokens issued before the filter existed stay valid.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statement: Option<Uuid>,
}

/// The filter of `ListEntities`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct EntityFilter {
    /// Fuzzy name query (folded).
    pub query: Option<String>,
    /// Only this kind.
    pub kind: Option<EntityKind>,
}

/// The filter of `ListArticles`.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct ArticleFilter {
    /// Published by.
    pub publisher: Option<EntityRef>,
    /// Published at or after.
    pub published_after: Option<DateTime<Utc>>,
    /// Published before.
    pub published_before: Option<DateTime<Utc>>,
    /// Include bodies (not part of the filter's identity, but harmless).
    pub include_body: bool,
}
