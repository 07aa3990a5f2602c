//! The store: the only code that speaks SQL.
//!
//! Small functions over a connection (`&mut PgConnection`, so they run the
//! same inside a transaction or on a pooled connection) grouped by table,
//! behind the [`Store`] facade the API layer calls. Every write runs in one
//! transaction and commits before it returns: a request either changes
//! everything it asked for or nothing.

mod articles;
mod bulk;
mod claim_list;
mod claims;
mod entities;
mod entity_cache;
mod error;
mod events;
mod facade;
mod facade_keys;
mod facade_statements;
mod import;
mod keys;
mod merge;
mod resolve;
mod reviews;
mod snapshot;
mod statement_assign;
mod statements;

use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

pub use claims::RevisionEntry;
pub use error::StoreError;
pub use events::{EventFilter, EventListener, PendingEvent, StoredEvent};
pub use facade::{Directory, Ingested, Page};
pub use facade_statements::{ExportedStatement, ImportOutcome, StatementView};
pub use import::ItemOutcome;
pub use keys::ApiKeyRow;
pub use statements::SIMILARITY_SETTING;

/// The embedded migrations (`migrations/`), applied at start-up. sqlx takes
/// an advisory lock while migrating, so servers starting together are safe.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: PgPool,
}

/// Pool settings.
#[derive(Clone, Debug)]
pub struct PoolConfig {
    /// Most connections held open.
    pub max_connections: u32,
    /// How long a request waits for a connection before failing with
    /// UNAVAILABLE: short, so that a database outage fails fast.
    pub acquire_timeout: Duration,
}

impl Default for PoolConfig {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(3),
        }
    }
}

impl Store {
    /// Opens a pool lazily: the server starts (and reports NOT_SERVING)
    /// even while the database is down, and connects when it comes back.
    pub fn connect_lazy(options: PgConnectOptions, config: &PoolConfig) -> Self {
        let pool = PgPoolOptions::new()
            .max_connections(config.max_connections)
            .acquire_timeout(config.acquire_timeout)
            // No ping before every acquire: it doubled the round trips of a
            // GetClaim. A connection that died with the database fails its
            // next query (UNAVAILABLE) and is dropped; see `StoreError`.
            .test_before_acquire(false)
            .connect_lazy_with(options);
        Self { pool }
    }

    /// Wraps an existing pool.
    pub fn from_pool(pool: PgPool) -> Self {
        Self { pool }
    }

    /// The underlying pool (for tests and tools).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// Applies pending migrations, then fills what a migration could not
    /// compute in SQL (the statement sketches of rows stored before them).
    pub async fn migrate(&self) -> Result<(), sqlx::migrate::MigrateError> {
        MIGRATOR.run(&self.pool).await?;
        statements::backfill_sketches(&self.pool)
            .await
            .map_err(|e| sqlx::migrate::MigrateError::Execute(sqlx::Error::Protocol(e.to_string())))
    }

    /// Checks that the database answers (health checks).
    pub async fn ping(&self) -> Result<(), StoreError> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    /// Closes every connection.
    pub async fn close(&self) {
        self.pool.close().await;
    }
}
