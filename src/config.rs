//! Configuration: one typed struct per command, from flags and environment
//! variables (clap). Every field is listed in the README.

use std::net::SocketAddr;
use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// claimdb: who said what, when, about whom, and where it was reported.
#[derive(Debug, Parser)]
#[command(name = "claimdb", version, about)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
    /// Log format: human-readable text or one JSON object per line.
    #[arg(long, global = true, env = "CLAIMDB_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
}

/// The log output format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LogFormat {
    /// Human-readable lines.
    Text,
    /// One JSON object per line.
    Json,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the gRPC server.
    Serve(ServeConfig),
    /// Load articles (JSON/JSONL ingest requests, or article text files) into a server.
    Ingest(crate::cli::ingest::IngestArgs),
    /// Print a claim history: a speaker's claims, claims about someone, ...
    Claims(crate::cli::claims::ClaimsArgs),
    /// Print claim events as they happen.
    Watch(crate::cli::watch::WatchArgs),
    /// Search entities by name or alias.
    Entities(crate::cli::entities::EntitiesArgs),
    /// Print every revision of a claim.
    Revisions(crate::cli::entities::RevisionsArgs),
    /// Run the built-in claim extractor over article files (no server needed).
    Extract(crate::cli::extract::ExtractArgs),
    /// Export statements and their verdicts as schema.org ClaimReview JSON-LD.
    Export(crate::cli::claimreview::ExportArgs),
    /// Import ClaimReview JSON-LD (the format fact-checkers publish).
    Import(crate::cli::claimreview::ImportArgs),
    /// Create, list and revoke API keys (talks to the database directly).
    Keys(crate::cli::keys::KeysArgs),
}

/// Settings of `claimdb serve`.
#[derive(Debug, Clone, Args)]
pub struct ServeConfig {
    /// Address to serve gRPC (and gRPC-Web) on.
    #[arg(long, env = "CLAIMDB_LISTEN", default_value = "127.0.0.1:50051")]
    pub listen: SocketAddr,
    /// PostgreSQL URL (`postgres://user@host/db`). When absent, claimdb runs
    /// its own PostgreSQL from the machine's binaries under `--data-dir`.
    #[arg(long, env = "DATABASE_URL")]
    pub database_url: Option<String>,
    /// Where the private PostgreSQL keeps its data (used without
    /// DATABASE_URL). Default: /var/lib/claimdb as root, else
    /// $XDG_DATA_HOME/claimdb (~/.local/share/claimdb).
    #[arg(long, env = "CLAIMDB_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Most database connections the server holds: half for the claim
    /// reads, the rest (at least two) for everything else.
    #[arg(long, env = "CLAIMDB_DB_MAX_CONNECTIONS", default_value_t = 16)]
    pub db_max_connections: u32,
    /// Threads serving requests. Default: twice the CPUs this process
    /// may use, because the server usually shares them with PostgreSQL: a
    /// thread descheduled for a PostgreSQL backend leaves its requests to
    /// the others.
    #[arg(long, env = "CLAIMDB_WORKER_THREADS", value_parser = clap::value_parser!(u16).range(1..))]
    pub worker_threads: Option<u16>,
    /// Largest gRPC message accepted or sent, in bytes.
    #[arg(long, env = "CLAIMDB_MAX_MESSAGE_BYTES", default_value_t = 32 * 1024 * 1024)]
    pub max_message_bytes: usize,
    /// Events buffered per `WatchClaims` stream; a client further behind is
    /// disconnected with RESOURCE_EXHAUSTED (it resumes from its cursor).
    #[arg(long, env = "CLAIMDB_WATCH_BUFFER", default_value_t = 1024)]
    pub watch_buffer: usize,
    /// Seconds that in-flight requests get to finish after SIGINT/SIGTERM.
    #[arg(long, env = "CLAIMDB_SHUTDOWN_GRACE_SECS", default_value_t = 10)]
    pub shutdown_grace_secs: u64,
    /// Trigram similarity (0 to 1] at or above which a new claim joins a
    /// statement of the same speakers (see docs/STATEMENTS.md).
    #[arg(long, env = "CLAIMDB_STATEMENT_SIMILARITY",
          default_value_t = crate::domain::statement::DEFAULT_SIMILARITY,
          value_parser = crate::domain::statement::parse_threshold)]
    pub statement_similarity: f64,
    /// Serve without authentication. Without it, every claimdb RPC needs an
    /// API key (`claimdb keys create`), except on a loopback address while
    /// no key exists yet (see the README's "Security and limits").
    #[arg(long, env = "CLAIMDB_INSECURE_NO_AUTH")]
    pub insecure_no_auth: bool,
    /// Seconds an API key look-up is cached: a revoked key keeps working on
    /// a running server for at most this long.
    #[arg(long, env = "CLAIMDB_AUTH_CACHE_SECS", default_value_t = 30)]
    pub auth_cache_secs: u64,
    /// TLS certificate chain (PEM); serves TLS only, with `--tls-key`.
    #[arg(long, env = "CLAIMDB_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// TLS private key (PEM) of `--tls-cert`.
    #[arg(long, env = "CLAIMDB_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// CA certificates (PEM) that client certificates must chain to: turns
    /// on mutual TLS (clients without such a certificate cannot connect).
    #[arg(long, env = "CLAIMDB_TLS_CLIENT_CA", requires = "tls_cert")]
    pub tls_client_ca: Option<PathBuf>,
    /// Most requests in flight; more are refused at once with
    /// RESOURCE_EXHAUSTED (0: no limit).
    #[arg(long, env = "CLAIMDB_MAX_CONCURRENT_REQUESTS",
          default_value_t = crate::limits::DEFAULT_MAX_CONCURRENT_REQUESTS)]
    pub max_concurrent_requests: usize,
    /// Seconds a request may take before it fails with DEADLINE_EXCEEDED
    /// and its transaction is rolled back (0: no limit; `ImportArticles`
    /// streams are exempt).
    #[arg(long, env = "CLAIMDB_REQUEST_TIMEOUT_SECS",
          default_value_t = crate::limits::DEFAULT_REQUEST_TIMEOUT_SECS)]
    pub request_timeout_secs: u64,
    /// Address for Prometheus metrics (`GET /metrics`); off when absent
    /// (e.g. `127.0.0.1:9464`).
    #[arg(long, env = "CLAIMDB_METRICS_LISTEN")]
    pub metrics_listen: Option<SocketAddr>,
}

impl ServeConfig {
    /// The data directory to use: the flag, else the platform default.
    pub fn data_dir(&self) -> PathBuf {
        match &self.data_dir {
            Some(d) => d.clone(),
            None => default_data_dir(),
        }
    }
}

/// The platform's default data directory: /var/lib/claimdb as root, else
/// $XDG_DATA_HOME/claimdb (~/.local/share/claimdb).
pub fn default_data_dir() -> PathBuf {
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } == 0 {
        return PathBuf::from("/var/lib/claimdb");
    }
    let data_home = std::env::var_os("XDG_DATA_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".local/share")))
        .unwrap_or_else(|| PathBuf::from("."));
    data_home.join("claimdb")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn serve(args: &[&str]) -> Result<ServeConfig, String> {
        let argv = ["claimdb", "serve"].iter().chain(args);
        match Cli::try_parse_from(argv)
            .map_err(|e| e.to_string())?
            .command
        {
            Command::Serve(c) => Ok(c),
            _ => Err("not serve".into()),
        }
    }

    #[test]
    fn worker_threads_are_a_positive_count_or_left_to_the_default() {
        assert_eq!(serve(&[]).map(|c| c.worker_threads), Ok(None));
        assert_eq!(
            serve(&["--worker-threads", "3"]).map(|c| c.worker_threads),
            Ok(Some(3))
        );
        let zero = serve(&["--worker-threads", "0"]).map(|c| c.worker_threads);
        assert!(
            zero.as_ref().is_err_and(|e| e.contains("--worker-threads")),
            "{zero:?}"
        );
    }
}
