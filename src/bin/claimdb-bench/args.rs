//! Command-line flags and the settings they resolve to (`--smoke` changes
//! the defaults, explicit flags still win).

use std::path::PathBuf;
use std::time::Duration;

use anyhow::bail;
use clap::Parser;

use crate::workloads::Workload;

/// Benchmarks the claimdb server against the raw-PostgreSQL limit: the same
/// requests through gRPC and as direct SQL (or COPY) on the same database,
/// in the same run.
///
/// Run `cargo build --release --bins && target/release/claimdb-bench`.
#[derive(Debug, Parser)]
#[command(name = "claimdb-bench", version, about, long_about)]
pub(crate) struct Args {
    /// Claims in the stored dataset the read workloads run on.
    #[arg(long)]
    pub(crate) claims: Option<u64>,
    /// Claims the `import` workload ingests (and COPY writes) into a fresh
    /// database.
    #[arg(long)]
    pub(crate) bulk_claims: Option<u64>,
    /// Concurrent callers per workload (each with its own connection).
    #[arg(long)]
    pub(crate) concurrency: Option<usize>,
    /// Seconds each workload is measured.
    #[arg(long)]
    pub(crate) duration: Option<f64>,
    /// Seconds of warm-up before each measurement (discarded).
    #[arg(long)]
    pub(crate) warmup: Option<f64>,
    /// Where the private PostgreSQL cluster lives (kept between runs, so the
    /// dataset is loaded once).
    #[arg(long, default_value = "/var/tmp/claimdb-bench")]
    pub(crate) data_dir: PathBuf,
    /// Use this PostgreSQL server instead of a private cluster; the bench
    /// creates its own databases (`claimdb_bench_*`) in it.
    #[arg(long)]
    pub(crate) database_url: Option<String>,
    /// Reload the dataset even when the stored one matches the parameters.
    #[arg(long)]
    pub(crate) reload: bool,
    /// Run only these workloads (comma-separated): import, ingest_one,
    /// speaker_history, subject_history, speaker_subject_window, fts_rare,
    /// fts_medium, fts_common, get_claim, ping, mixed.
    #[arg(long, value_delimiter = ',')]
    pub(crate) workloads: Vec<String>,
    /// Where to write the results as JSON.
    #[arg(long, default_value = "bench-results.json")]
    pub(crate) out: PathBuf,
    /// The claimdb server binary (default: `claimdb` next to this one).
    #[arg(long)]
    pub(crate) server_bin: Option<PathBuf>,
    /// A quick run for CI: 3,000 claims, 2,000 bulk claims, 1 s per
    /// workload after 0.5 s of warm-up, 4 callers.
    #[arg(long)]
    pub(crate) smoke: bool,
    /// Print EXPLAIN (ANALYZE, BUFFERS) of each read workload's SQL once.
    #[arg(long)]
    pub(crate) explain: bool,
    /// Have both sides' clients decode what they read, as an application
    /// would: the service side every `Claim` message into its fields, the
    /// direct side every JSON snapshot into its typed record. By
    /// default neither does: the service side keeps each claim as its
    /// encoded bytes, as the direct side keeps each snapshot, so the load
    /// generator takes as little CPU from the server and PostgreSQL as it
    /// can on both sides.
    #[arg(long)]
    pub(crate) decode: bool,
    /// Measure each workload's direct side before its service side. Both
    /// draw the same parameters, so the second reads what the first has
    /// just brought into memory: harmless while the dataset fits in RAM,
    /// a head start for the second side past it (10M claims here). Run
    /// both orders there and compare.
    #[arg(long)]
    pub(crate) direct_first: bool,
    /// Seed of the data generator.
    #[arg(long, default_value_t = 42)]
    pub(crate) seed: u64,
}

/// The resolved settings of a run.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    /// Dataset claims.
    pub(crate) claims: u64,
    /// Import workload claims.
    pub(crate) bulk_claims: u64,
    /// Callers per workload.
    pub(crate) concurrency: usize,
    /// Measurement window.
    pub(crate) duration: Duration,
    /// Warm-up.
    pub(crate) warmup: Duration,
    /// Private cluster directory.
    pub(crate) data_dir: PathBuf,
    /// Existing server, if any.
    pub(crate) database_url: Option<String>,
    /// Force a reload.
    pub(crate) reload: bool,
    /// The workloads to run, in run order.
    pub(crate) workloads: Vec<Workload>,
    /// JSON output path.
    pub(crate) out: PathBuf,
    /// Server binary, if given.
    pub(crate) server_bin: Option<PathBuf>,
    /// Smoke mode.
    pub(crate) smoke: bool,
    /// Print plans.
    pub(crate) explain: bool,
    /// Clients decode what they read.
    pub(crate) decode: bool,
    /// The direct side runs before the service side.
    pub(crate) direct_first: bool,
    /// Generator seed.
    pub(crate) seed: u64,
}

impl Args {
    /// Applies the defaults (smoke or full) and checks the values.
    pub(crate) fn settings(self) -> anyhow::Result<Settings> {
        let smoke = self.smoke;
        let pick = |given: Option<f64>, full: f64, quick: f64| {
            given.unwrap_or(if smoke { quick } else { full })
        };
        let claims = self.claims.unwrap_or(if smoke { 3_000 } else { 1_000_000 });
        let bulk_claims = self
            .bulk_claims
            .unwrap_or(if smoke { 2_000 } else { 100_000 });
        let concurrency = self.concurrency.unwrap_or(if smoke { 4 } else { 8 });
        let duration = pick(self.duration, 10.0, 1.0);
        let warmup = pick(self.warmup, 2.0, 0.5);
        if claims < 100 {
            bail!("--claims must be at least 100");
        }
        if bulk_claims == 0 || concurrency == 0 {
            bail!("--bulk-claims and --concurrency must be positive");
        }
        if !(duration > 0.0 && duration.is_finite() && warmup >= 0.0 && warmup.is_finite()) {
            bail!("--duration must be positive and --warmup not negative");
        }
        let workloads = if self.workloads.is_empty() {
            Workload::ALL.to_vec()
        } else {
            let mut chosen = Vec::new();
            for name in &self.workloads {
                let w = Workload::parse(name.trim()).ok_or_else(|| {
                    let all: Vec<&str> = Workload::ALL.iter().map(|w| w.name()).collect();
                    anyhow::anyhow!("unknown workload {name:?}; choose from {}", all.join(", "))
                })?;
                if !chosen.contains(&w) {
                    chosen.push(w);
                }
            }
            // Always in the canonical order (reads before writes).
            Workload::ALL
                .iter()
                .copied()
                .filter(|w| chosen.contains(w))
                .collect()
        };
        Ok(Settings {
            claims,
            bulk_claims,
            concurrency,
            duration: Duration::from_secs_f64(duration),
            warmup: Duration::from_secs_f64(warmup),
            data_dir: self.data_dir,
            database_url: self.database_url,
            reload: self.reload,
            workloads,
            out: self.out,
            server_bin: self.server_bin,
            smoke,
            explain: self.explain,
            decode: self.decode,
            direct_first: self.direct_first,
            seed: self.seed,
        })
    }
}
