//! The connections of the hot read RPCs (`GetClaim`, `ListClaims`,
//! `ListClaimRevisions`): a pool that does not test a connection it gets
//! back in good order.
//!
//! sqlx's pool tests every connection returned to it with a round trip (a
//! `Sync` message, answered by `ReadyForQuery`; `Floating::return_to_pool`
//! in sqlx-core 0.9), and has no setting to skip it. For a read that is one
//! query, that test is a second round trip and a second wake-up of the
//! PostgreSQL backend per request: at 100k claims, GetClaim cost PostgreSQL
//! 206 µs of CPU through the service against 110 µs for the same query sent
//! directly (`claimdb-bench`, docs/PERFORMANCE.md change 24).
//!
//! Here the caller says when the connection is in good order
//! ([`ReadConn::release`], after its queries succeeded), and such a
//! connection goes straight back. One dropped without that (the request was
//! cancelled mid-query, or a query failed) gets sqlx's test, on a spawned
//! task, before anyone reuses it, and is closed if the test fails: sqlx's
//! connection would itself read an abandoned reply to its end before its
//! next query (`wait_until_ready`), so this only keeps a broken connection
//! out of the pool. A connection that died with the database while idle is
//! found by its next query, which fails with UNAVAILABLE, as with the main
//! pool (`test_before_acquire(false)` there too).

use std::ops::{Deref, DerefMut};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use sqlx::postgres::{PgConnectOptions, PgConnection};
use sqlx::Connection as _;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::StoreError;

/// How long a connection is used before it is closed and replaced, as
/// sqlx's default `max_lifetime`: a backend's caches only grow.
const MAX_LIFETIME: Duration = Duration::from_secs(30 * 60);

/// An open connection and when it was opened.
struct Idle {
    conn: PgConnection,
    opened: Instant,
}

struct Inner {
    options: PgConnectOptions,
    acquire_timeout: Duration,
    /// One permit per connection that may be open (idle or in use).
    slots: Arc<Semaphore>,
    /// Open connections not in use; the most recently used is taken first,
    /// so a light load keeps few backends warm.
    idle: Mutex<Vec<Idle>>,
    closed: AtomicBool,
}

impl Inner {
    fn idle(&self) -> MutexGuard<'_, Vec<Idle>> {
        // A panic while holding the lock leaves a list of open connections:
        // still usable.
        self.idle.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Puts a connection back unless the pool is closed or it has lived
    /// long enough; dropping a `PgConnection` closes its socket.
    fn put_back(&self, conn: Idle) {
        if !self.closed.load(Ordering::Acquire) && conn.opened.elapsed() < MAX_LIFETIME {
            self.idle().push(conn);
        }
    }
}

/// A bounded pool of PostgreSQL connections for reads; cheap to clone.
#[derive(Clone)]
pub(super) struct ReadPool {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for ReadPool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ReadPool")
            .field("available", &self.inner.slots.available_permits())
            .field("idle", &self.inner.idle().len())
            .finish()
    }
}

impl ReadPool {
    /// A pool of at most `max` connections, opened as needed.
    pub(super) fn new(options: PgConnectOptions, max: u32, acquire_timeout: Duration) -> Self {
        let max = usize::try_from(max.max(1)).unwrap_or(1);
        Self {
            inner: Arc::new(Inner {
                options,
                acquire_timeout,
                slots: Arc::new(Semaphore::new(max)),
                idle: Mutex::new(Vec::with_capacity(max)),
                closed: AtomicBool::new(false),
            }),
        }
    }

    /// A connection: an idle one, or a new one when none is idle and the
    /// pool is not full. Waiting for a slot and connecting together take at
    /// most the acquire timeout (then UNAVAILABLE, like the main pool).
    pub(super) async fn acquire(&self) -> Result<ReadConn, StoreError> {
        let inner = &self.inner;
        let acquire = async {
            let slot = inner
                .slots
                .clone()
                .acquire_owned()
                .await
                .map_err(|_| sqlx::Error::PoolClosed)?;
            if inner.closed.load(Ordering::Acquire) {
                return Err(sqlx::Error::PoolClosed);
            }
            let idle = inner.idle().pop();
            let conn = match idle {
                Some(c) => c,
                None => Idle {
                    conn: PgConnection::connect_with(&inner.options).await?,
                    opened: Instant::now(),
                },
            };
            Ok((conn, slot))
        };
        let (conn, slot) = tokio::time::timeout(inner.acquire_timeout, acquire)
            .await
            .map_err(|_| sqlx::Error::PoolTimedOut)??;
        Ok(ReadConn {
            conn: Some(conn),
            slot: Some(slot),
            pool: inner.clone(),
        })
    }

    /// Closes the idle connections and refuses new acquisitions;
    /// connections in use are closed as they come back.
    pub(super) async fn close(&self) {
        self.inner.closed.store(true, Ordering::Release);
        self.inner.slots.close();
        let idle: Vec<Idle> = std::mem::take(&mut *self.inner.idle());
        for c in idle {
            // A failed goodbye leaves nothing to clean up: the socket closes.
            let _ = c.conn.close().await;
        }
    }
}

/// A connection taken from a [`ReadPool`]. Call [`ReadConn::release`] once
/// its queries have succeeded; dropping it instead has it tested first.
pub(super) struct ReadConn {
    conn: Option<Idle>,
    slot: Option<OwnedSemaphorePermit>,
    pool: Arc<Inner>,
}

impl ReadConn {
    /// Returns the connection as it is: every query on it ran to its end.
    pub(super) fn release(mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.put_back(conn);
        }
    }

    /// Passes `result` on, releasing the connection unless the error came
    /// from the database or from reading its reply (which may have stopped
    /// mid-reply): those are tested on drop.
    pub(super) fn finish<T>(self, result: Result<T, StoreError>) -> Result<T, StoreError> {
        match &result {
            Ok(_)
            | Err(
                StoreError::NotFound { .. }
                | StoreError::Invalid(_)
                | StoreError::Ambiguous { .. }
                | StoreError::Precondition { .. }
                | StoreError::RevisionMismatch { .. },
            ) => self.release(),
            Err(_) => drop(self),
        }
        result
    }
}

impl Deref for ReadConn {
    type Target = PgConnection;

    fn deref(&self) -> &PgConnection {
        match &self.conn {
            Some(c) => &c.conn,
            // `conn` is only taken by `release` (which consumes self) and
            // `drop`.
            None => unreachable!("a ReadConn is used after it was released"),
        }
    }
}

impl DerefMut for ReadConn {
    fn deref_mut(&mut self) -> &mut PgConnection {
        match &mut self.conn {
            Some(c) => &mut c.conn,
            None => unreachable!("a ReadConn is used after it was released"),
        }
    }
}

impl Drop for ReadConn {
    fn drop(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        // Not released: a reply may be half read. Test it as sqlx does
        // (reading up to ReadyForQuery) before anyone reuses it, holding its
        // slot meanwhile so the pool stays within its size. Outside a
        // runtime (shutdown) the connection is simply closed.
        let slot = self.slot.take();
        let pool = self.pool.clone();
        if let Ok(rt) = tokio::runtime::Handle::try_current() {
            rt.spawn(async move {
                if conn.conn.ping().await.is_ok() {
                    pool.put_back(conn);
                }
                drop(slot);
            });
        }
    }
}
