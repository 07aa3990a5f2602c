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
mod page_memo;
mod read_pool;
mod resolve;
mod reviews;
mod snapshot;
mod statement_assign;
mod statements;

use std::sync::atomic::AtomicI64;
use std::sync::Arc;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};

pub use claims::RevisionEntry;
pub use error::StoreError;
pub use events::{EventFilter, EventListener, PendingEvent, Settled, StoredEvent, APPEND_LOCK};
pub use facade::{ClaimPage, Directory, Ingested, Page};
pub use facade_statements::{ExportedStatement, ImportOutcome, StatementView};
pub use import::ItemOutcome;
pub use keys::ApiKeyRow;
pub use snapshot::{digest as snapshot_digest, reads as snapshot_reads, SnapshotReads};
pub use statements::SIMILARITY_SETTING;

/// The embedded migrations (`migrations/`), applied at start-up. sqlx takes
/// an advisory lock while migrating, so servers starting together are safe.
pub static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("./migrations");

/// Handle to the database; cheap to clone.
#[derive(Clone, Debug)]
pub struct Store {
    pool: PgPool,
    /// The hot reads' own connections (see [`read_pool`]).
    reads: read_pool::ReadPool,
    /// The event log's position below which every hole is known to be for
    /// good (see [`events`]); only grows.
    events_settled: Arc<AtomicI64>,
}

/// Pool settings.
#[derive(Clone, Debug)]
pub struct PoolConfig {
    /// Most connections held open: half of them (rounded down, at least
    /// one) for the claim reads, the rest for everything else, and at least
    /// two there (the event listener keeps one), so a maximum under four is
    /// exceeded by one.
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
        let reads = (config.max_connections / 2).max(1);
        let rest = config.max_connections.saturating_sub(reads).max(2);
        let read_pool = read_pool::ReadPool::new(options.clone(), reads, config.acquire_timeout);
        let pool = PgPoolOptions::new()
            .max_connections(rest)
            .acquire_timeout(config.acquire_timeout)
            // No ping before every acquire: it doubled the round trips of a
            // GetClaim. A connection that died with the database fails its
            // next query (UNAVAILABLE) and is dropped; see `StoreError`.
            .test_before_acquire(false)
            .connect_lazy_with(options);
        Self {
            pool,
            reads: read_pool,
            events_settled: Arc::default(),
        }
    }

    /// Wraps an existing pool; the claim reads get their own connections
    /// with the same options, half as many as the pool's maximum.
    pub fn from_pool(pool: PgPool) -> Self {
        let options = pool.options();
        let reads = read_pool::ReadPool::new(
            PgConnectOptions::clone(&pool.connect_options()),
            (options.get_max_connections() / 2).max(1),
            options.get_acquire_timeout(),
        );
        Self {
            pool,
            reads,
            events_settled: Arc::default(),
        }
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
        self.reads.close().await;
        self.pool.close().await;
    }
}
