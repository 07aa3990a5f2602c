//! The domain: pure types and rules, free of tonic and sqlx.
//!
//! Every write request becomes one of these types through a parse function
//! that reports *every* bad field at once ([`Violations`]); the store only
//! ever sees values that passed. Stored records ([`ClaimRecord`],
//! [`Entity`], [`Article`]) are plain data that serialize to the JSON
//! snapshots kept in the revision tables.

pub mod article;
pub mod claim;
pub mod entity;
pub mod error;
pub mod page;
pub mod query;
pub mod rfc3339;
pub mod shared;
pub mod statement;
pub mod text;
pub mod view;

pub use article::{normalize_url, Article, NewArticle};
pub use claim::{
    ClaimKind, ClaimPatch, ClaimRecord, ClaimState, NewClaim, Provenance, RevisionChange,
    SaidPrecision, SaidTime, Span, SubjectLink, SubjectRef,
};
pub use entity::{Entity, EntityKind, EntityPatch, EntityRef, EntitySummary, NewEntity};
pub use error::{FieldViolation, Violations};
pub use page::{Cursor, PageSize};
pub use query::{ArticleFilter, ClaimFilter, ClaimOrder, EntityFilter};
pub use shared::{EntityRefs, Form, Names, SharedClaim};
pub use view::ClaimView;
