//! `claimdb keys`: create, list and revoke API keys. It talks to the
//! database directly (not to a server), so the first admin key can be made
//! before any key exists: `--database-url`/`DATABASE_URL`, or the private
//! PostgreSQL under `--data-dir` exactly as `claimdb serve` would use it.

use std::path::PathBuf;
use std::str::FromStr;

use anyhow::Context;
use clap::{Args, Subcommand};

use crate::auth::{generate_key, hash_key, Role};
use crate::pg_local::{LocalOptions, LocalPostgres};
use crate::store::{PoolConfig, Store};

/// Arguments of `claimdb keys`.
#[derive(Debug, Args)]
pub struct KeysArgs {
    /// What to do with keys.
    #[command(subcommand)]
    pub command: KeysCommand,
    /// PostgreSQL URL; without it, the private PostgreSQL under `--data-dir`.
    #[arg(long, env = "DATABASE_URL", global = true)]
    pub database_url: Option<String>,
    /// The data directory of the private PostgreSQL (as for `claimdb serve`).
    #[arg(long, env = "CLAIMDB_DATA_DIR", global = true)]
    pub data_dir: Option<PathBuf>,
}

/// The `claimdb keys` subcommands.
#[derive(Debug, Subcommand)]
pub enum KeysCommand {
    /// Create a key and print it (once: only its hash is stored).
    Create {
        /// The key's name, recorded as the actor of every change made with it.
        #[arg(long)]
        name: String,
        /// `reader` (read RPCs), `writer` (reads and writes) or `admin`.
        #[arg(long, value_parser = ["reader", "writer", "admin"])]
        role: String,
    },
    /// List keys (names, roles, dates; never the keys).
    List,
    /// Revoke the active key with this name (running servers stop accepting
    /// it within their cache time, 30 s by default).
    Revoke {
        /// The key's name.
        name: String,
    },
}

/// Runs `claimdb keys`.
pub async fn run(args: KeysArgs) -> anyhow::Result<()> {
    let (store, pg) = connect(&args).await?;
    let result = execute(&store, &args.command).await;
    store.close().await;
    if let Some(pg) = pg {
        // Stops it only if we started it (a running server's stays up).
        let _ = tokio::task::spawn_blocking(move || pg.stop()).await;
    }
    result
}

async fn execute(store: &Store, command: &KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Create { name, role } => {
            let role = Role::parse(role).context("unknown role")?;
            let key = generate_key()?;
            store
                .create_api_key(name, role.as_str(), &hash_key(&key))
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            eprintln!(
                "created the {} key {name:?}; it is shown once, below. Send it as \
                 `authorization: Bearer <key>`.",
                role.as_str()
            );
            println!("{key}");
        }
        KeysCommand::List => {
            let keys = store.list_api_keys().await?;
            println!("{:<30} {:<7} {:<25} revoked", "name", "role", "created");
            for k in keys {
                let revoked = k.revoke_time.map(|t| t.to_rfc3339()).unwrap_or_default();
                println!(
                    "{:<30} {:<7} {:<25} {revoked}",
                    k.name,
                    k.role,
                    k.create_time.to_rfc3339()
                );
            }
        }
        KeysCommand::Revoke { name } => {
            if !store.revoke_api_key(name).await? {
                anyhow::bail!("no active key named {name:?}");
            }
            eprintln!("revoked {name:?} (servers refuse it within their auth cache time)");
        }
    }
    Ok(())
}

/// Connects like `claimdb serve` does, and applies migrations (the keys
/// table may not exist yet on a fresh database).
async fn connect(args: &KeysArgs) -> anyhow::Result<(Store, Option<LocalPostgres>)> {
    let config = PoolConfig {
        max_connections: 2,
        ..PoolConfig::default()
    };
    let (options, pg) = match &args.database_url {
        Some(url) => (
            sqlx::postgres::PgConnectOptions::from_str(url)
                .context("DATABASE_URL is not a valid PostgreSQL URL")?,
            None,
        ),
        None => {
            let dir = args
                .data_dir
                .clone()
                .unwrap_or_else(crate::config::default_data_dir);
            let pg = LocalPostgres::start(&dir, &LocalOptions::default()).await?;
            (pg.connect_options("claimdb"), Some(pg))
        }
    };
    let store = Store::connect_lazy(options, &config);
    store
        .migrate()
        .await
        .context("applying database migrations (is the database reachable?)")?;
    Ok((store, pg))
}
