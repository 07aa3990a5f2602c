//! Store errors: what went wrong in terms the API layer maps to codes.

use uuid::Uuid;

use crate::domain::Violations;

/// An error from the store. Constraint violations are recognised by the
/// constraint's *name* (never its message), so renaming a constraint in a
/// migration is the only way to change a mapping.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The request is invalid in a way only the stored data can show (e.g.
    /// spans that do not fit the stored body).
    #[error("invalid request: {0}")]
    Invalid(Violations),
    /// Something the request names does not exist.
    #[error("{field}: {message}")]
    NotFound {
        /// The request field that named it.
        field: String,
        /// What was not found.
        message: String,
    },
    /// A name matched several entities.
    #[error("{field}: {name:?} is ambiguous")]
    Ambiguous {
        /// The request field that named it.
        field: String,
        /// The name as given.
        name: String,
        /// Ids of the entities it matched.
        candidates: Vec<Uuid>,
    },
    /// A unique value is taken.
    #[error("{0}")]
    AlreadyExists(String),
    /// The record moved on since the caller read it.
    #[error("expected revision {expected}, current is {actual}")]
    RevisionMismatch {
        /// What the caller expected.
        expected: i64,
        /// What is stored.
        actual: i64,
    },
    /// The request conflicts with the stored state in another way.
    #[error("{field}: {message}")]
    Precondition {
        /// The request field concerned.
        field: String,
        /// What is wrong.
        message: String,
    },
    /// The database cannot be reached (down, restarting, pool exhausted).
    #[error("database unavailable: {0}")]
    Unavailable(#[source] sqlx::Error),
    /// Any other database error: a bug or an unexpected state.
    #[error("database error: {0}")]
    Database(#[source] sqlx::Error),
    /// A stored snapshot could not be read back.
    #[error("corrupt snapshot: {0}")]
    Corrupt(String),
}

impl StoreError {
    /// A NOT_FOUND for `field`.
    pub fn not_found(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::NotFound {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<Violations> for StoreError {
    fn from(v: Violations) -> Self {
        Self::Invalid(v)
    }
}

impl From<serde_json::Error> for StoreError {
    fn from(e: serde_json::Error) -> Self {
        Self::Corrupt(e.to_string())
    }
}

/// SQLSTATE classes that mean "the server is going away or unreachable".
fn is_unavailable_code(code: &str) -> bool {
    code.starts_with("08") // connection exception
        || code.starts_with("57P") // operator intervention: shutdown, crash, cannot connect now
        || code == "53300" // too many connections
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::Io(_)
            | sqlx::Error::Tls(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::WorkerCrashed => Self::Unavailable(e),
            sqlx::Error::Database(db) => {
                if let Some(msg) = constraint_message(db.constraint()) {
                    return Self::AlreadyExists(msg.to_string());
                }
                match db.code() {
                    Some(code) if is_unavailable_code(&code) => Self::Unavailable(e),
                    _ => Self::Database(e),
                }
            }
            _ => Self::Database(e),
        }
    }
}

/// The caller-facing message for a unique constraint, by name.
fn constraint_message(name: Option<&str>) -> Option<&'static str> {
    Some(match name? {
        "entity_external_ids_pkey" => "an external id is already used by another entity",
        "entity_names_pkey" => "the entity already has that name or alias",
        "claims_article_fingerprint_key" => {
            "an identical claim (same kind, text, spans and speakers) exists in this article"
        }
        "articles_url_key" => "an article with this URL exists",
        _ => return None,
    })
}
