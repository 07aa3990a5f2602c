//! The order of a run: PostgreSQL, the dataset and its ids, the server on
//! the dataset, the duration-bound workloads, clean-up, the import workload
//! (fresh databases), report. Every resource it starts (server processes,
//! the private cluster) is stopped on the way out, errors included.

use std::collections::BTreeMap;
use std::sync::Arc;

use anyhow::Context as _;
use chrono::Utc;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection};

use crate::args::Settings;
use crate::cluster::Cluster;
use crate::copy;
use crate::dataset::{self, DatasetInfo};
use crate::gen::{GenParams, World};
use crate::report::{self, Machine, Report, SettingsOut};
use crate::server::{self, Memory, Server};
use crate::workloads::{self, Context, ImportResult, Workload, WorkloadResult};

/// Runs the suite; `Ok(false)` when a workload had errors.
pub(crate) async fn run(settings: Settings) -> anyhow::Result<bool> {
    let server_bin = server::locate(settings.server_bin.as_deref())?;
    std::fs::create_dir_all(&settings.data_dir)
        .with_context(|| format!("creating {}", settings.data_dir.display()))?;
    let world = Arc::new(World::new(GenParams::for_claims(
        settings.claims,
        settings.seed,
    )));
    let c = settings.concurrency as u32;
    let cluster = match &settings.database_url {
        Some(url) => Cluster::existing(url).await?,
        None => {
            Cluster::private(&settings.data_dir, settings.claims, (4 * c + 40).max(100)).await?
        }
    };
    let result = run_on(&settings, &cluster, &world, &server_bin).await;
    cluster.stop().await;
    let report = result?;
    print!("{}", report::render(&report));
    report::write_json(&report, &settings.out)?;
    eprintln!("bench: results written to {}", settings.out.display());
    Ok(!report.failed)
}

/// Everything after PostgreSQL is up.
async fn run_on(
    settings: &Settings,
    cluster: &Cluster,
    world: &Arc<World>,
    server_bin: &std::path::Path,
) -> anyhow::Result<Report> {
    let machine = Machine::detect();
    let postgres = cluster.info().await?;
    let log_dir = &settings.data_dir;
    let db_connections = (2 * settings.concurrency as u32).max(16);
    let postmaster = cluster.postmaster().await;
    let others: Vec<Workload> = settings
        .workloads
        .iter()
        .copied()
        .filter(|w| *w != Workload::Import)
        .collect();
    let mut dataset_info: Option<DatasetInfo> = None;
    let mut results: Vec<WorkloadResult> = Vec::new();
    let mut server_memory: Option<Memory> = None;
    let mut plans = BTreeMap::new();
    let mut cleanup = 0;
    if !others.is_empty() {
        dataset_info = Some(dataset::ensure(cluster, world, settings.reload).await?);
        let db = dataset::database_name(world);
        let options = cluster.options(&db);
        let mut conn = PgConnection::connect_with(&options).await?;
        delete_live(&mut conn).await?;
        let targets = dataset::targets(&mut conn, world).await?;
        let ctx = Arc::new(Context {
            world: world.clone(),
            targets: Arc::new(targets),
            run_token: format!(
                "{:x}-{:x}",
                std::process::id(),
                Utc::now().timestamp_millis()
            ),
            decode: settings.decode,
        });
        if settings.explain {
            plans = workloads::explain_all(&ctx, &mut conn, &others).await?;
        }
        let pool = PgPoolOptions::new()
            .max_connections(settings.concurrency as u32)
            .connect_with(options)
            .await?;
        let mut server = Server::start(
            server_bin,
            &cluster.url(&db),
            &log_dir.join("server.log"),
            db_connections,
        )
        .await?;
        let outcome: anyhow::Result<()> = async {
            for w in &others {
                eprintln!("bench: {} ...", w.name());
                let r =
                    workloads::run_one(*w, settings, &ctx, &mut server, &pool, postmaster).await?;
                eprintln!(
                    "bench: {}: service {:.1} req/s{}",
                    w.name(),
                    r.service.requests_per_sec,
                    r.direct
                        .as_ref()
                        .map(|d| format!(", direct {:.1} req/s", d.requests_per_sec))
                        .unwrap_or_default()
                );
                results.push(r);
            }
            Ok(())
        }
        .await;
        let stopped = server.stop().await;
        pool.close().await;
        let cleaned = delete_live(&mut conn).await;
        conn.close().await.ok();
        outcome?;
        server_memory = Some(stopped?);
        cleanup = cleaned?;
    }
    // The bulk load runs last: it fills fresh databases, which pushed the
    // dataset out of the caches, and the read that came next ran cold on
    // its service side (session 8: 1.64 cores busy, PostgreSQL CPU per
    // speaker-history page 1,713 µs against 919 warm).
    let mut import: Option<ImportResult> = None;
    if settings.workloads.contains(&Workload::Import) {
        import = Some(
            workloads::run_import(
                settings,
                cluster,
                world,
                server_bin,
                log_dir,
                db_connections,
                postmaster,
            )
            .await?,
        );
    }
    let ingest_one = results
        .iter()
        .find(|r| r.name == Workload::IngestOne.name())
        .map(|r| r.service.rows_per_sec);
    let import_over_ingest_one = match (&import, ingest_one) {
        (Some(i), Some(x)) if x > 0.0 => Some(i.service_claims_per_sec / x),
        _ => None,
    };
    let failed = import.as_ref().is_some_and(|i| i.failed) || results.iter().any(|r| r.failed);
    Ok(Report {
        generated_at: Utc::now().to_rfc3339(),
        command: std::env::args().collect(),
        settings: SettingsOut {
            claims: settings.claims,
            bulk_claims: settings.bulk_claims,
            concurrency: settings.concurrency,
            duration_secs: settings.duration.as_secs_f64(),
            warmup_secs: settings.warmup.as_secs_f64(),
            smoke: settings.smoke,
            workloads: settings
                .workloads
                .iter()
                .map(|w| w.name().to_string())
                .collect(),
            server_bin: server_bin.display().to_string(),
        },
        generator: world.params.clone(),
        machine,
        postgres,
        dataset: dataset_info,
        import,
        ceilings: crate::report::ceilings(&results),
        workloads: results,
        ingest_one_claims_per_sec: ingest_one,
        import_over_ingest_one,
        server_memory,
        cleanup_claims_deleted: cleanup,
        plans,
        notes: report::notes(settings.decode, settings.direct_first),
        failed,
    })
}

/// Removes what write workloads stored in the dataset (this run's, or a
/// crashed run's), in one transaction, then vacuums: dead rows at the new
/// end of the time indexes would otherwise slow the next run's reads.
async fn delete_live(conn: &mut PgConnection) -> anyhow::Result<u64> {
    let mut tx = conn.begin().await?;
    let n = copy::delete_live_rows(&mut tx).await?;
    tx.commit().await?;
    if n > 0 {
        eprintln!("bench: deleted {n} claims written by write workloads; VACUUM ANALYZE");
        sqlx::query("VACUUM (ANALYZE)").execute(&mut *conn).await?;
    }
    Ok(n)
}
