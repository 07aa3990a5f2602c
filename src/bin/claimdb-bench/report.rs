//! The results: one table on stdout (and the bulk figures, memory, dataset,
//! machine), and the same in JSON for `--out`, which docs/PERFORMANCE.md
//! and later runs can be compared against.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context;
use serde::Serialize;

use crate::cluster::PgInfo;
use crate::dataset::DatasetInfo;
use crate::gen::GenParams;
use crate::load::Stats;
use crate::server::Memory;
use crate::workloads::{ImportResult, WorkloadResult};

/// The run's settings as reported.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct SettingsOut {
    /// Dataset claims.
    pub(crate) claims: u64,
    /// Import workload claims.
    pub(crate) bulk_claims: u64,
    /// Callers per workload.
    pub(crate) concurrency: usize,
    /// Measurement window, seconds.
    pub(crate) duration_secs: f64,
    /// Warm-up, seconds.
    pub(crate) warmup_secs: f64,
    /// Smoke mode.
    pub(crate) smoke: bool,
    /// Workloads run.
    pub(crate) workloads: Vec<String>,
    /// Whether the server binary is a release build (by its path).
    pub(crate) server_bin: String,
}

/// The machine the figures come from.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct Machine {
    /// Logical CPUs available.
    pub(crate) nproc: usize,
    /// CPU model (`/proc/cpuinfo`).
    pub(crate) cpu: String,
    /// Memory, bytes (`/proc/meminfo`).
    pub(crate) ram_bytes: u64,
    /// Kernel release.
    pub(crate) kernel: String,
    /// `/proc/loadavg` when the run started: other work on the machine
    /// skews every figure.
    pub(crate) loadavg_at_start: String,
}

impl Machine {
    /// Reads the machine's description from /proc.
    pub(crate) fn detect() -> Self {
        let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
        let cpu = cpuinfo
            .lines()
            .find_map(|l| l.strip_prefix("model name"))
            .and_then(|r| r.split_once(':'))
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_else(|| "unknown".into());
        let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
        let ram_kib: u64 = meminfo
            .lines()
            .find_map(|l| l.strip_prefix("MemTotal:"))
            .and_then(|r| r.split_whitespace().next())
            .and_then(|v| v.parse().ok())
            .unwrap_or(0);
        Self {
            nproc: crate::cpu::cpus(),
            cpu,
            ram_bytes: ram_kib * 1024,
            kernel: std::fs::read_to_string("/proc/sys/kernel/osrelease")
                .map(|s| s.trim().to_string())
                .unwrap_or_default(),
            loadavg_at_start: std::fs::read_to_string("/proc/loadavg")
                .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
                .unwrap_or_default(),
        }
    }
}

/// Everything a run produced.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Report {
    /// When the run ended (UTC, RFC 3339).
    pub(crate) generated_at: String,
    /// The command line.
    pub(crate) command: Vec<String>,
    /// Settings.
    pub(crate) settings: SettingsOut,
    /// Generator parameters.
    pub(crate) generator: GenParams,
    /// Machine.
    pub(crate) machine: Machine,
    /// PostgreSQL.
    pub(crate) postgres: PgInfo,
    /// The read dataset (absent when only `import` ran).
    pub(crate) dataset: Option<DatasetInfo>,
    /// The import workload.
    pub(crate) import: Option<ImportResult>,
    /// The duration-bound workloads.
    pub(crate) workloads: Vec<WorkloadResult>,
    /// What each read could reach through gRPC at best (when `ping` ran).
    pub(crate) ceilings: Vec<Ceiling>,
    /// `ingest_one` claims per second.
    pub(crate) ingest_one_claims_per_sec: Option<f64>,
    /// Import claims/s ÷ ingest_one claims/s.
    pub(crate) import_over_ingest_one: Option<f64>,
    /// The main server's memory at the end (VmRSS) and its peak (VmHWM).
    pub(crate) server_memory: Option<Memory>,
    /// Claims written by the write workloads and deleted afterwards.
    pub(crate) cleanup_claims_deleted: u64,
    /// EXPLAIN (ANALYZE, BUFFERS) of each read's direct SQL (`--explain`).
    pub(crate) plans: BTreeMap<String, String>,
    /// How to read the figures.
    pub(crate) notes: Vec<String>,
    /// True when any workload had an error: not a result.
    pub(crate) failed: bool,
}

/// The best a read could do through the service on this machine, by a
/// simple model: the server, PostgreSQL and both clients share the CPU, so
/// a call through the service costs at least a call that does nothing
/// (`ping`, through the same client, transport and layers) plus the direct
/// query's whole cost. Rates add as reciprocals.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct Ceiling {
    /// Workload name.
    pub(crate) name: String,
    /// `1 / (1/ping + 1/direct)`, requests per second.
    pub(crate) ceiling_per_sec: f64,
    /// The ceiling ÷ direct: the best service ÷ direct ratio reachable.
    pub(crate) ceiling_over_direct: f64,
    /// Service ÷ ceiling: how much of what is reachable the service reaches.
    pub(crate) service_over_ceiling: f64,
}

/// The ceilings of the reads, from the `ping` row's service rate (none when
/// `ping` did not run or failed).
pub(crate) fn ceilings(results: &[WorkloadResult]) -> Vec<Ceiling> {
    let Some(ping) = results
        .iter()
        .find(|w| w.name == "ping" && !w.failed)
        .map(|w| w.service.requests_per_sec)
        .filter(|r| *r > 0.0)
    else {
        return Vec::new();
    };
    results
        .iter()
        .filter(|w| w.name != "ping" && w.name != "mixed" && !w.failed)
        .filter_map(|w| {
            let direct = w.direct.as_ref()?.requests_per_sec;
            if direct <= 0.0 {
                return None;
            }
            let ceiling = 1.0 / (1.0 / ping + 1.0 / direct);
            Some(Ceiling {
                name: w.name.clone(),
                ceiling_per_sec: ceiling,
                ceiling_over_direct: ceiling / direct,
                service_over_ceiling: w.service.requests_per_sec / ceiling,
            })
        })
        .collect()
}

/// The ceilings as text, under the main table.
fn render_ceilings(o: &mut String, r: &Report) {
    if r.ceilings.is_empty() {
        return;
    }
    let _ = writeln!(
        o,
        "
what gRPC leaves (a call costs at least ping plus the direct query):"
    );
    let _ = writeln!(
        o,
        "{:<24} {:>12} {:>15} {:>16}",
        "workload", "ceiling/s", "ceiling/direct", "service/ceiling"
    );
    for c in &r.ceilings {
        let _ = writeln!(
            o,
            "{:<24} {:>12.1} {:>15.2} {:>16.2}",
            c.name, c.ceiling_per_sec, c.ceiling_over_direct, c.service_over_ceiling
        );
    }
}

/// CPU per request by process, both sides, under the main table.
fn render_cpu(o: &mut String, r: &Report) {
    if !r.workloads.iter().any(|w| w.service.cpu.is_some()) {
        return;
    }
    let _ = writeln!(
        o,
        "\nCPU per request, microseconds (server + client + postgres; cores busy):"
    );
    let _ = writeln!(o, "{:<24} {:>36} {:>36}", "workload", "service", "direct");
    let cell = |s: Option<&Stats>| -> String {
        let Some(c) = s.and_then(|s| s.cpu) else {
            return "-".into();
        };
        let pg = c.postgres_us.map_or("?".into(), |p| format!("{p:.0}"));
        format!(
            "{:.0} + {:.0} + {pg} = {:.0}; {:.2}",
            c.server_us,
            c.client_us,
            c.server_us + c.client_us + c.postgres_us.unwrap_or(0.0),
            c.cores
        )
    };
    for w in &r.workloads {
        let _ = writeln!(
            o,
            "{:<24} {:>36} {:>36}",
            w.name,
            cell(Some(&w.service)),
            cell(w.direct.as_ref())
        );
    }
}

/// What the figures mean; printed under the table and kept in the JSON.
/// `decode`: whether the clients decoded what they read (`--decode`);
/// `direct_first`: whether each direct side ran before its service side.
pub(crate) fn notes(decode: bool, direct_first: bool) -> Vec<String> {
    let clients = if decode {
        "clients (--decode): the service side decodes every Claim message into its fields, the \
         direct side parses every JSON snapshot into its typed record (claimdb's ClaimRecord), as an \
         application would."
    } else {
        "clients: neither side decodes the claims it reads. The service side keeps each Claim of a \
         response as its encoded bytes (the envelope is decoded), the direct side each row's JSON \
         snapshot as bytes, so the load generator takes as little CPU as it can from the server \
         and PostgreSQL it shares the cores with. --decode has both decode, as an application would."
    };
    let mut notes: Vec<String> = [
        "service: gRPC over loopback TCP to a separate `claimdb serve` process (authentication off); \
         direct: the same query text the store runs, over sqlx with one connection per caller, \
         same concurrency, same drawn parameters, same database, same run. The one difference: a \
         service list query also names the snapshot digests of versions the server already holds \
         in memory, and PostgreSQL sends NULL for those; the direct side fetches every snapshot, \
         as SQL written by hand would.",
        "direct/service: how many times more requests per second the raw SQL sustains; the gap is \
         the service's own cost (gRPC and HTTP/2, request parsing, whatever the store does around \
         the main query, JSON snapshot decoding and Claim encoding).",
        "rows svc/dir: mean rows per request; each caller draws the same parameter sequence on \
         both sides, so they agree up to the difference in how many requests each side made \
         (exactly for fts_* and get_claim).",
        "import: ImportArticles streams into a fresh database; copy: the rows the service writes for \
         the same articles, built in Rust and COPYed in one transaction into a fresh database with \
         the same schema and indexes (row building included in its time). With one stream the \
         two databases hold the same rows; with several, a few more statements on the service \
         side are expected: two trimmed re-reports of a remark can arrive before the remark \
         itself, in different streams, and start separate statements.",
        "ingest_one: IngestArticle, one new article per call, into the kept dataset (rows deleted \
         afterwards); it has no direct baseline, compare it with import.",
        "ping: a call that does no work, gRPC health Check against SELECT 1: the floor under \
         every other row. No read can be faster through the service than ping, so a read whose \
         direct rate is above ping's service rate cannot reach 0.7x direct on this machine.",
        "mixed: 90% reads drawn evenly from the read workloads, 10% IngestArticle of a new article; \
         its direct side writes the same rows with plain multi-row INSERTs in one transaction \
         (no locks, no look-ups, no statement matching).",
        "CPU per request: user + system time from /proc of the server process, this process \
         (the clients) and every PostgreSQL process, over the measurement window, divided by its \
         requests. The three share the cores, so throughput is about cores busy / total; the \
         split shows whose work a gap between the two sides is.",
        "latencies are exact percentiles over every measured call; fsync and synchronous_commit on.",
    ]
    .iter()
    .map(|s| (*s).to_string())
    .collect();
    notes.insert(1, clients.to_string());
    let (first, second) = if direct_first {
        ("direct", "service")
    } else {
        ("service", "direct")
    };
    notes.insert(
        2,
        format!(
            "order: each workload's {first} side ran first, then its {second} side on the same \
             parameters, so the {second} side reads pages the {first} side has just cached. That \
             matters only once the dataset outgrows memory (10M claims here); --direct-first \
             swaps the order."
        ),
    );
    notes
}

/// Writes the JSON report.
pub(crate) fn write_json(report: &Report, path: &Path) -> anyhow::Result<()> {
    let text = serde_json::to_string_pretty(report)?;
    std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))
}

fn mib(kib: u64) -> String {
    format!("{:.1} MiB", kib as f64 / 1024.0)
}

fn errors_text(s: &Stats) -> String {
    s.errors
        .iter()
        .map(|(k, v)| format!("{k}×{v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The first message of each error code of a failed workload.
fn error_samples(o: &mut String, name: &str, side: &str, s: &Stats) {
    for (code, msg) in &s.error_samples {
        let _ = writeln!(o, "  {name} ({side}) {code}: {msg}");
    }
}

/// The report as text: the table first, then the context.
pub(crate) fn render(r: &Report) -> String {
    let mut o = String::new();
    let s = &r.settings;
    let _ = writeln!(
        o,
        "\nclaimdb-bench: {} claims, concurrency {}, {} s per workload after {} s warm-up{}",
        s.claims,
        s.concurrency,
        s.duration_secs,
        s.warmup_secs,
        if s.smoke { " (smoke)" } else { "" }
    );
    if !r.workloads.is_empty() {
        let _ = writeln!(
            o,
            "\n{:<24} {:>12} {:>12} {:>9} {:>17} {:>17} {:>13}  errors",
            "workload",
            "service/s",
            "direct/s",
            "dir/svc",
            "svc p50/p99 ms",
            "dir p50/p99 ms",
            "rows svc/dir"
        );
        for w in &r.workloads {
            let svc = &w.service;
            let (dir_rps, dir_lat, dir_rows) = match &w.direct {
                Some(d) => (
                    format!("{:.1}", d.requests_per_sec),
                    format!("{:.2}/{:.2}", d.latency.p50_ms, d.latency.p99_ms),
                    format!("{:.1}", d.rows_per_request),
                ),
                None => ("-".into(), "-".into(), "-".into()),
            };
            let ratio = match (w.direct_over_service, w.name.as_str()) {
                (Some(x), _) => format!("{x:.2}x"),
                (None, "ingest_one") => r
                    .import_over_ingest_one
                    .map(|x| format!("imp {x:.2}x"))
                    .unwrap_or_else(|| "-".into()),
                _ => "-".into(),
            };
            let mut errs = errors_text(svc);
            if let Some(d) = &w.direct {
                let de = errors_text(d);
                if !de.is_empty() {
                    errs = format!("{errs} direct: {de}");
                }
            }
            let errs = if w.failed {
                format!("FAILED {}", errs.trim())
            } else {
                "0".into()
            };
            let _ = writeln!(
                o,
                "{:<24} {:>12.1} {:>12} {:>9} {:>17} {:>17} {:>13}  {}",
                w.name,
                svc.requests_per_sec,
                dir_rps,
                ratio,
                format!("{:.2}/{:.2}", svc.latency.p50_ms, svc.latency.p99_ms),
                dir_lat,
                format!("{:.1}/{dir_rows}", svc.rows_per_request),
                errs
            );
        }
        if r.workloads.iter().any(|w| w.failed) {
            let _ = writeln!(o, "\nfirst error of each code:");
            for w in r.workloads.iter().filter(|w| w.failed) {
                error_samples(&mut o, &w.name, "service", &w.service);
                if let Some(d) = &w.direct {
                    error_samples(&mut o, &w.name, "direct", d);
                }
            }
        }
        render_ceilings(&mut o, r);
        render_cpu(&mut o, r);
        let _ = writeln!(o, "\nservice latency detail (ms):");
        let _ = writeln!(
            o,
            "{:<24} {:>9} {:>9} {:>9} {:>9} {:>9} {:>9} {:>10}",
            "workload", "p50", "p90", "p99", "p99.9", "max", "mean", "requests"
        );
        for w in &r.workloads {
            let l = &w.service.latency;
            let _ = writeln!(
                o,
                "{:<24} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>10}",
                w.name, l.p50_ms, l.p90_ms, l.p99_ms, l.p999_ms, l.max_ms, l.mean_ms, l.count
            );
            for (class, l) in &w.service.by_class {
                let _ = writeln!(
                    o,
                    "{:<24} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>9.2} {:>10}",
                    format!("  {class}"),
                    l.p50_ms,
                    l.p90_ms,
                    l.p99_ms,
                    l.p999_ms,
                    l.max_ms,
                    l.mean_ms,
                    l.count
                );
            }
        }
    }
    let _ = writeln!(o, "\nbulk:");
    if let Some(i) = &r.import {
        let _ = writeln!(
            o,
            "  import (ImportArticles, {} streams)  {:>10.0} claims/s  ({} claims, {} articles, {:.1} s){}",
            i.streams,
            i.service_claims_per_sec,
            i.claims,
            i.articles,
            i.service_seconds,
            if i.failed {
                format!(
                    "  FAILED {:?} (first: {:?})",
                    i.service_errors, i.service_error_samples
                )
            } else {
                String::new()
            }
        );
        let _ = writeln!(
            o,
            "  copy (COPY, one transaction)       {:>10.0} claims/s  ({:.2} s, of which {:.2} s building rows)",
            i.copy_claims_per_sec, i.copy_seconds, i.copy_build_seconds
        );
        let _ = writeln!(
            o,
            "  copy/import                        {:>10.1}x",
            i.copy_over_service
        );
        for (name, split) in [("import", &i.service_cpu), ("copy", &i.copy_cpu)] {
            if let Some(c) = split {
                let pg = c.postgres_us.map_or("?".into(), |p| format!("{p:.0}"));
                let _ = writeln!(
                    o,
                    "  {name:<6} CPU per claim, us: server {:.0} + client {:.0} + postgres {pg}; {:.2} cores busy",
                    c.server_us, c.client_us, c.cores
                );
            }
        }
        let odd: Vec<String> = i
            .row_counts
            .iter()
            .filter(|(_, s, c)| s != c)
            .map(|(t, s, c)| format!("{t}: service {s}, copy {c}"))
            .collect();
        if !odd.is_empty() {
            let _ = writeln!(o, "  rows differ: {}", odd.join("; "));
        }
    }
    if let Some(x) = r.ingest_one_claims_per_sec {
        let _ = writeln!(o, "  ingest_one (IngestArticle)         {x:>10.0} claims/s");
    }
    if let Some(x) = r.import_over_ingest_one {
        let _ = writeln!(o, "  import/ingest_one                  {x:>10.2}x");
    }
    let _ = writeln!(o, "\nserver memory:");
    if let Some(m) = &r.server_memory {
        let _ = writeln!(
            o,
            "  read/write server: peak (VmHWM) {}, at end (VmRSS) {}",
            mib(m.peak_kib),
            mib(m.rss_kib)
        );
    }
    if let Some(i) = &r.import {
        let _ = writeln!(
            o,
            "  import server:     peak (VmHWM) {}, at end (VmRSS) {}",
            mib(i.server_memory.peak_kib),
            mib(i.server_memory.rss_kib)
        );
    }
    for w in &r.workloads {
        let _ = writeln!(
            o,
            "  {:<24} peak sampled {:>12}, after {:>12}",
            w.name,
            mib(w.server_rss_peak_kib),
            mib(w.server_rss_after_kib)
        );
    }
    if let Some(d) = &r.dataset {
        let rows: Vec<String> = d
            .rows
            .iter()
            .filter(|(t, _)| ["claims", "articles", "entities", "statements"].contains(&t.as_str()))
            .map(|(t, n)| format!("{n} {t}"))
            .collect();
        let _ = writeln!(
            o,
            "\ndataset: {} — {}; {:.2} GiB; {} ({:.0} s)",
            d.database,
            rows.join(", "),
            d.database_bytes as f64 / (1u64 << 30) as f64,
            if d.loaded_now { "loaded now" } else { "reused" },
            d.load_seconds
        );
        let terms: Vec<String> = d
            .term_matches
            .iter()
            .map(|(t, n)| format!("{t}={n}"))
            .collect();
        let _ = writeln!(o, "  planted terms (claims matching): {}", terms.join(", "));
    }
    let g = &r.generator;
    let _ = writeln!(
        o,
        "generator: v{}, seed {}, {} speakers, {} subjects, {} outlets, ~{} claims/article, \
         {} words, Zipf s={}, {:.0}% re-reports, {} years from {}",
        g.generator_version,
        g.seed,
        g.speakers,
        g.subjects,
        g.publishers,
        g.claims_per_article,
        g.vocabulary,
        g.zipf_s,
        g.rereport_rate * 100.0,
        g.years,
        g.start
    );
    let m = &r.machine;
    let _ = writeln!(
        o,
        "machine: {} × {}, {:.1} GiB RAM, Linux {}, load average at start {}",
        m.nproc,
        m.cpu,
        m.ram_bytes as f64 / (1u64 << 30) as f64,
        m.kernel,
        m.loadavg_at_start
    );
    let p = &r.postgres;
    let _ = writeln!(
        o,
        "postgres: {} — {}; shared_buffers {}, fsync {}, synchronous_commit {}, max_wal_size {}",
        p.version.split(" on ").next().unwrap_or(&p.version),
        p.server,
        p.shared_buffers,
        p.fsync,
        p.synchronous_commit,
        p.max_wal_size
    );
    if r.cleanup_claims_deleted > 0 {
        let _ = writeln!(
            o,
            "cleanup: deleted {} claims written by the write workloads",
            r.cleanup_claims_deleted
        );
    }
    for (name, plan) in &r.plans {
        let _ = writeln!(o, "\nEXPLAIN (ANALYZE, BUFFERS) {name}:\n{plan}");
    }
    let _ = writeln!(o, "\nnotes:");
    for n in &r.notes {
        let _ = writeln!(o, "  - {n}");
    }
    if r.failed {
        let _ = writeln!(
            o,
            "\nFAILED: a workload had errors; these figures are not a result."
        );
    }
    o
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(name: &str, service: f64, direct: Option<f64>) -> WorkloadResult {
        let stats = |rps| Stats {
            requests_per_sec: rps,
            ..Stats::default()
        };
        WorkloadResult {
            name: name.into(),
            service: stats(service),
            direct: direct.map(stats),
            direct_over_service: direct.map(|d| d / service),
            server_rss_peak_kib: 0,
            server_rss_after_kib: 0,
            failed: false,
        }
    }

    #[test]
    fn a_ceiling_adds_the_ping_cost_to_the_direct_cost() {
        let results = [
            result("get_claim", 4_000.0, Some(40_000.0)),
            result("ping", 10_000.0, Some(60_000.0)),
            result("mixed", 100.0, Some(100.0)),
        ];
        let c = ceilings(&results);
        assert_eq!(c.len(), 1, "only reads other than ping get a ceiling");
        // 1 / (1/10k + 1/40k) = 8k: the best GetClaim can do is 0.2 of direct.
        assert!((c[0].ceiling_per_sec - 8_000.0).abs() < 1e-6);
        assert!((c[0].ceiling_over_direct - 0.2).abs() < 1e-9);
        assert!((c[0].service_over_ceiling - 0.5).abs() < 1e-9);
    }

    #[test]
    fn no_ceilings_without_a_ping_result() {
        let results = [result("get_claim", 4_000.0, Some(40_000.0))];
        assert!(ceilings(&results).is_empty());
    }
}
