//! The store's API-key operations (a third `impl Store` block), used by the
//! authentication layer and by `claimdb keys`.

use std::time::{Duration, Instant};

use super::keys::{self, ApiKeyRow};
use super::{Store, StoreError};

impl Store {
    /// Stores a new key's hash under `name` with `role`. A name already used
    /// by an active key is `AlreadyExists`.
    pub async fn create_api_key(
        &self,
        name: &str,
        role: &str,
        key_hash: &[u8],
    ) -> Result<(), StoreError> {
        let mut conn = self.pool.acquire().await?;
        match keys::insert(&mut conn, name, role, key_hash).await {
            Err(sqlx::Error::Database(db))
                if db.constraint() == Some("api_keys_active_name_key") =>
            {
                Err(StoreError::AlreadyExists(format!(
                    "an active key named {name:?} exists (revoke it first)"
                )))
            }
            Err(sqlx::Error::Database(db)) if db.constraint() == Some("api_keys_name_check") => {
                Err(StoreError::Precondition {
                    field: "name".into(),
                    message: "a key name is 1-100 letters, digits, '.', '_', '@' or '-', \
                              starting with a letter or digit"
                        .into(),
                })
            }
            other => Ok(other?),
        }
    }

    /// The active key with this hash, if any.
    pub async fn find_api_key(&self, key_hash: &[u8]) -> Result<Option<ApiKeyRow>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(keys::find_active(&mut conn, key_hash).await?)
    }

    /// Whether any key is active (an open bootstrap server checks this).
    pub async fn any_api_key(&self) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(keys::any_active(&mut conn).await?)
    }

    /// Every key, active ones first.
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKeyRow>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(keys::list(&mut conn).await?)
    }

    /// Revokes the active key named `name`; false when there is none.
    pub async fn revoke_api_key(&self, name: &str) -> Result<bool, StoreError> {
        let mut conn = self.pool.acquire().await?;
        Ok(keys::revoke(&mut conn, name).await?)
    }

    /// Pings the database like [`Store::ping`], also returning how long the
    /// wait for a pooled connection took (health checks sample it for the
    /// pool's acquire-wait metric).
    pub async fn ping_timed(&self) -> Result<Duration, StoreError> {
        let started = Instant::now();
        let mut conn = self.pool.acquire().await?;
        let waited = started.elapsed();
        sqlx::query("SELECT 1").execute(&mut *conn).await?;
        Ok(waited)
    }

    /// Connections open in the pool, and how many of them are idle.
    pub fn pool_usage(&self) -> (u32, usize) {
        (self.pool.size(), self.pool.num_idle())
    }
}
