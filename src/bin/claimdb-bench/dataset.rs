//! The stored dataset the read workloads run on: loaded once per parameter
//! set with the COPY writer (the service's ImportArticles would take hours
//! for a million claims), recorded in `bench_meta`, reused while the
//! parameters and the schema stay the same; and the ids the workloads ask
//! for, picked from it once before the runs.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use anyhow::{anyhow, bail, Context};
use chrono::{DateTime, Duration, Utc};
use claimdb::domain::EntityKind;
use claimdb::pb::v1 as pb;
use claimdb::store::MIGRATOR;
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;
use sqlx::{Connection, PgConnection, PgPool};
use uuid::Uuid;

use crate::cluster::Cluster;
use crate::copy::{self, EntityBook, IdGen, RowBuilder};
use crate::cpu::cpus;
use crate::gen::{Available, World, RECENT_REMARKS};
use crate::rng::Rng;

/// Claims per load transaction.
const CHUNK_CLAIMS: usize = 25_000;

/// What the report says about the dataset.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct DatasetInfo {
    /// The database holding it.
    pub(crate) database: String,
    /// Whether this run loaded it (false: reused).
    pub(crate) loaded_now: bool,
    /// Seconds the load took (this run, or when it was loaded).
    pub(crate) load_seconds: f64,
    /// Rows per table.
    pub(crate) rows: Vec<(String, i64)>,
    /// `pg_database_size`, bytes.
    pub(crate) database_bytes: i64,
    /// Claims matching each planted term (must equal the planted counts).
    pub(crate) term_matches: Vec<(String, i64)>,
}

/// The name of the dataset's database: one per size and seed, so a smoke
/// run does not evict a full dataset.
pub(crate) fn database_name(world: &World) -> String {
    format!(
        "claimdb_bench_d{}_s{}",
        world.params.claims, world.params.seed
    )
}

/// What `bench_meta` records: the generator parameters and the schema.
fn meta(world: &World) -> anyhow::Result<String> {
    let schema = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    Ok(serde_json::to_string(&serde_json::json!({
        "params": world.params,
        "schema_version": schema,
    }))?)
}

/// Makes sure the dataset database holds exactly the dataset of `world`:
/// reuses it when `bench_meta` matches (and `reload` is off), else drops,
/// migrates and loads it. Then checks the planted terms.
pub(crate) async fn ensure(
    cluster: &Cluster,
    world: &Arc<World>,
    reload: bool,
) -> anyhow::Result<DatasetInfo> {
    let db = database_name(world);
    let want = meta(world)?;
    let mut info = DatasetInfo {
        database: db.clone(),
        ..DatasetInfo::default()
    };
    let stored = if !reload && cluster.exists(&db).await? {
        stored_meta(cluster, &db).await?
    } else {
        None
    };
    match stored {
        Some((have, secs)) if have == want => {
            eprintln!(
                "bench: reusing dataset {db} ({} claims)",
                world.params.claims
            );
            info.load_seconds = secs;
        }
        _ => {
            eprintln!(
                "bench: loading dataset {db} ({} claims) with COPY",
                world.params.claims
            );
            cluster.recreate(&db).await?;
            let pool = PgPoolOptions::new()
                .max_connections(cpus() as u32 + 1)
                .connect_with(cluster.options(&db))
                .await?;
            MIGRATOR
                .run(&pool)
                .await
                .context("migrating the dataset database")?;
            check_terms(&pool, world).await?;
            let started = Instant::now();
            load(&pool, world).await?;
            info.load_seconds = started.elapsed().as_secs_f64();
            let mut conn = pool.acquire().await?;
            sqlx::query(
                "CREATE TABLE bench_meta (meta text NOT NULL, load_seconds float8 NOT NULL)",
            )
            .execute(&mut *conn)
            .await?;
            sqlx::query("INSERT INTO bench_meta VALUES ($1, $2)")
                .bind(&want)
                .bind(info.load_seconds)
                .execute(&mut *conn)
                .await?;
            eprintln!("bench: VACUUM ANALYZE");
            sqlx::query("VACUUM (ANALYZE)").execute(&mut *conn).await?;
            sqlx::query("CHECKPOINT").execute(&mut *conn).await?;
            drop(conn);
            pool.close().await;
            info.loaded_now = true;
        }
    }
    let mut conn = PgConnection::connect_with(&cluster.options(&db)).await?;
    info.rows = copy::row_counts(&mut conn).await?;
    info.database_bytes = sqlx::query_scalar("SELECT pg_database_size(current_database())")
        .fetch_one(&mut conn)
        .await?;
    for term in &world.params.terms {
        let n: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM claims WHERE search @@ websearch_to_tsquery('english', $1)",
        )
        .bind(&term.word)
        .fetch_one(&mut conn)
        .await?;
        if u64::try_from(n).ok() != Some(term.claims) {
            bail!(
                "dataset {db}: {n} claims match {:?}, {} were planted; reload with --reload",
                term.word,
                term.claims
            );
        }
        info.term_matches.push((term.word.clone(), n));
    }
    conn.close().await.ok();
    Ok(info)
}

/// The stored `bench_meta`, if the dataset finished loading.
async fn stored_meta(cluster: &Cluster, db: &str) -> anyhow::Result<Option<(String, f64)>> {
    let mut conn = PgConnection::connect_with(&cluster.options(db)).await?;
    let exists: bool = sqlx::query_scalar("SELECT to_regclass('bench_meta') IS NOT NULL")
        .fetch_one(&mut conn)
        .await?;
    let row = if exists {
        sqlx::query_as("SELECT meta, load_seconds FROM bench_meta LIMIT 1")
            .fetch_optional(&mut conn)
            .await?
    } else {
        None
    };
    conn.close().await.ok();
    Ok(row)
}

/// Each planted term must be one lexeme that its own query matches, and no
/// vocabulary word may match it; otherwise the full-text workloads would
/// not return the planted counts.
pub(crate) async fn check_terms(pool: &PgPool, world: &World) -> anyhow::Result<()> {
    for term in &world.params.terms {
        let (vector, query): (String, String) = sqlx::query_as(
            "SELECT to_tsvector('english', $1)::text, websearch_to_tsquery('english', $1)::text",
        )
        .bind(&term.word)
        .fetch_one(pool)
        .await?;
        if vector != format!("{query}:1") {
            bail!(
                "planted term {:?} is not one lexeme equal to its query: {vector} vs {query}",
                term.word
            );
        }
        let clashes: Vec<String> = sqlx::query_scalar(
            "SELECT w FROM unnest($1::text[]) w \
             WHERE to_tsvector('english', w) @@ websearch_to_tsquery('english', $2) LIMIT 5",
        )
        .bind(&world.vocabulary)
        .bind(&term.word)
        .fetch_all(pool)
        .await?;
        if !clashes.is_empty() {
            bail!(
                "vocabulary words {clashes:?} share the lexeme of planted term {:?}",
                term.word
            );
        }
    }
    Ok(())
}

/// The record time of a dataset article: an hour after publication, as if
/// it had been ingested live (deterministic, unlike the clock).
fn record_time(published: DateTime<Utc>) -> DateTime<Utc> {
    published + Duration::hours(1)
}

/// Loads the dataset: a generator thread builds rows in chunks while this
/// task COPYs the previous chunk; statements that gained members after
/// their row was written are updated at the end.
async fn load(pool: &PgPool, world: &Arc<World>) -> anyhow::Result<()> {
    let loaders = loaders(pool).await?;
    let (tx, rx) = tokio::sync::mpsc::channel::<copy::Rows>(2 * loaders);
    let w = world.clone();
    let builder =
        tokio::task::spawn_blocking(move || -> anyhow::Result<Vec<copy::StatementRow>> {
            let mut b = RowBuilder::new(
                IdGen::Seeded(Rng::derive(w.params.seed, 20)),
                Arc::new(EntityBook::default()),
            );
            let mut in_chunk = 0;
            let mut max_remark = 0u64;
            for art in w.dataset() {
                in_chunk += b.add(&art, record_time(art.published))?;
                max_remark = art.remarks.iter().copied().fold(max_remark, u64::max);
                if in_chunk >= CHUNK_CLAIMS {
                    if tx.blocking_send(b.take()).is_err() {
                        return Err(anyhow!("the loader stopped"));
                    }
                    b.forget_before(max_remark.saturating_sub(4 * RECENT_REMARKS as u64));
                    in_chunk = 0;
                }
            }
            if tx.blocking_send(b.take()).is_err() {
                return Err(anyhow!("the loader stopped"));
            }
            Ok(b.take_updates())
        });
    let started = Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let rx = Arc::new(tokio::sync::Mutex::new(rx));
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..loaders {
        tasks.spawn(load_chunks(
            pool.clone(),
            rx.clone(),
            done.clone(),
            loaders > 1,
        ));
    }
    let mut report = tokio::time::interval(std::time::Duration::from_secs(5));
    report.tick().await;
    loop {
        tokio::select! {
            finished = tasks.join_next() => match finished {
                Some(result) => result??,
                None => break,
            },
            _ = report.tick() => {
                let n = done.load(Ordering::Relaxed);
                let rate = n as f64 / started.elapsed().as_secs_f64();
                eprintln!(
                    "bench: loaded {n} of {} claims ({rate:.0} claims/s)",
                    world.params.claims
                );
            }
        }
    }
    let updates = builder.await??;
    let mut tx = pool.begin().await?;
    copy::update_statements(&mut tx, &updates).await?;
    tx.commit().await?;
    if loaders > 1 {
        check_foreign_keys(pool).await?;
    }
    eprintln!(
        "bench: loaded {} claims in {:.1} s with {loaders} connection(s)",
        done.load(Ordering::Relaxed),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// How many connections load chunks at once: one per CPU where the
/// foreign-key checks can be switched off, else one.
///
/// Chunks refer to rows of earlier chunks (entities, articles, statements),
/// and a foreign-key check does not see rows another transaction has not
/// committed yet, so with the checks on, chunks must commit in order, one
/// at a time: one PostgreSQL backend on one core, with the other idle
/// (10M claims took 53 minutes that way on a fast day, and ran at
/// 1,100–1,650 claims/s, past 100 minutes, on a slow one). The generated
/// rows are consistent by construction (the same rows load with the checks
/// on, one connection at a time), so `session_replication_role = replica`,
/// which skips the checks' triggers and needs a superuser (as the suite's
/// private cluster is), lets chunks load side by side; the keys are checked
/// once at the end instead (`check_foreign_keys`). Generated columns (the
/// text-search vector, the snapshot digest) and every index are still
/// computed and kept as usual.
async fn loaders(pool: &PgPool) -> anyhow::Result<usize> {
    let superuser: String = sqlx::query_scalar("SELECT current_setting('is_superuser')")
        .fetch_one(pool)
        .await?;
    Ok(if superuser == "on" { cpus() } else { 1 })
}

/// Checks every foreign key after a load that skipped the checks: one
/// anti-join per key, each counting the rows whose reference is missing
/// (6.5 s for the 21 keys at 1M claims). A generator bug then fails the
/// load instead of leaving a dataset no real writer could have made.
async fn check_foreign_keys(pool: &PgPool) -> anyhow::Result<()> {
    let composite: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_constraint WHERE contype = 'f' AND cardinality(conkey) <> 1",
    )
    .fetch_one(pool)
    .await?;
    if composite > 0 {
        bail!("{composite} foreign keys span several columns; the load's check covers single columns only");
    }
    let checks: Vec<(String, String)> = sqlx::query_as(
        "SELECT k.conname::text, format('SELECT count(*) FROM %s c WHERE c.%I IS NOT NULL \
           AND NOT EXISTS (SELECT 1 FROM %s p WHERE p.%I = c.%I)', \
           k.conrelid::regclass, a.attname, k.confrelid::regclass, pa.attname, a.attname) \
         FROM pg_constraint k \
         JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = k.conkey[1] \
         JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1] \
         WHERE k.contype = 'f' ORDER BY 1",
    )
    .fetch_all(pool)
    .await?;
    let started = Instant::now();
    for (name, sql) in &checks {
        // Built by PostgreSQL's format() from catalog names, quoted with %I.
        let missing: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
            .fetch_one(pool)
            .await?;
        if missing > 0 {
            bail!("the loaded dataset breaks foreign key {name}: {missing} rows refer to nothing");
        }
    }
    eprintln!(
        "bench: {} foreign keys checked in {:.1} s",
        checks.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// One loading connection: takes chunks until there are none, each in its
/// own transaction.
async fn load_chunks(
    pool: PgPool,
    rx: Arc<tokio::sync::Mutex<tokio::sync::mpsc::Receiver<copy::Rows>>>,
    done: Arc<AtomicUsize>,
    unchecked: bool,
) -> anyhow::Result<()> {
    let mut conn = pool.acquire().await?;
    if unchecked {
        sqlx::query("SET session_replication_role = replica")
            .execute(&mut *conn)
            .await?;
    }
    loop {
        let next = rx.lock().await.recv().await;
        let Some(mut rows) = next else { break };
        let mut tx = conn.begin().await?;
        copy::copy_rows(&mut tx, &mut rows).await?;
        tx.commit().await?;
        done.fetch_add(rows.claim_count(), Ordering::Relaxed);
    }
    if unchecked {
        sqlx::query("RESET session_replication_role")
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A speaker and a subject that co-occur, with a two-year window around
/// one of their claims.
#[derive(Debug, Clone)]
pub(crate) struct Pair {
    /// The speaker.
    pub(crate) speaker: Uuid,
    /// The subject.
    pub(crate) subject: Uuid,
    /// Window start (inclusive).
    pub(crate) after: DateTime<Utc>,
    /// Window end (exclusive).
    pub(crate) before: DateTime<Utc>,
}

/// The ids the workloads ask for, read from the dataset once.
#[derive(Debug)]
pub(crate) struct Targets {
    /// Speaker ids by Zipf rank (`None`: that speaker has no claim).
    pub(crate) speakers: Vec<Option<Uuid>>,
    /// Subject ids by Zipf rank.
    pub(crate) subjects: Vec<Option<Uuid>>,
    /// Outlets present, by rank.
    pub(crate) publishers: Vec<bool>,
    /// Co-occurring speaker/subject pairs with windows.
    pub(crate) pairs: Vec<Pair>,
    /// A sample of claim ids.
    pub(crate) claims: Vec<Uuid>,
    /// Every entity by name, for the direct writer.
    pub(crate) book: Arc<EntityBook>,
}

impl Available for Targets {
    fn speaker(&self, rank: usize) -> bool {
        self.speakers.get(rank).is_some_and(Option::is_some)
    }
    fn subject(&self, rank: usize) -> bool {
        self.subjects.get(rank).is_some_and(Option::is_some)
    }
    fn publisher(&self, rank: usize) -> bool {
        self.publishers.get(rank).copied().unwrap_or(false)
    }
}

/// The domain kind of a wire kind.
fn domain_kind(k: pb::EntityKind) -> EntityKind {
    match k {
        pb::EntityKind::Person => EntityKind::Person,
        pb::EntityKind::Organization => EntityKind::Organization,
        pb::EntityKind::Place => EntityKind::Place,
        pb::EntityKind::Group => EntityKind::Group,
        _ => EntityKind::Other,
    }
}

/// Reads the targets: entity ids by generator rank, a sample of claim ids
/// (about 100,000) and of co-occurring pairs (about 2,000 claims' worth),
/// both with `TABLESAMPLE ... REPEATABLE` so a given dataset gives the same
/// sample every run.
pub(crate) async fn targets(conn: &mut PgConnection, world: &World) -> anyhow::Result<Targets> {
    let book = EntityBook::load(conn).await?;
    let speakers = world
        .speakers
        .iter()
        .map(|s| book.find(EntityKind::Person, &s.name))
        .collect();
    let subjects = world
        .subjects
        .iter()
        .map(|s| book.find(domain_kind(s.kind), &s.name))
        .collect();
    let publishers = world
        .publishers
        .iter()
        .map(|p| book.find(EntityKind::Organization, &p.name).is_some())
        .collect();
    let n = world.params.claims as f64;
    let p_claims = (100.0 * 100_000.0 / n).min(100.0);
    let claims: Vec<Uuid> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT id FROM claims TABLESAMPLE BERNOULLI ({p_claims:.6}) REPEATABLE (7) ORDER BY id"
    )))
    .fetch_all(&mut *conn)
    .await?;
    let p_pairs = (100.0 * 2_000.0 / n).min(100.0);
    let rows: Vec<(Uuid, Uuid, DateTime<Utc>)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
        "SELECT sp.entity_id, su.entity_id, c.sort_time FROM \
           (SELECT id, sort_time FROM claims TABLESAMPLE BERNOULLI ({p_pairs:.6}) REPEATABLE (11)) c \
         JOIN claim_speakers sp ON sp.claim_id = c.id JOIN claim_subjects su ON su.claim_id = c.id \
         ORDER BY c.sort_time, sp.entity_id, su.entity_id"
    )))
    .fetch_all(&mut *conn)
    .await?;
    let mut rng = Rng::derive(world.params.seed, 30);
    let two_years = Duration::days(730);
    let pairs = rows
        .into_iter()
        .map(|(speaker, subject, t)| {
            let after = t - Duration::days(rng.range(0, 729) as i64);
            Pair {
                speaker,
                subject,
                after,
                before: after + two_years,
            }
        })
        .collect::<Vec<_>>();
    if claims.is_empty() || pairs.is_empty() {
        bail!("the dataset has no claims to sample; reload it with --reload");
    }
    Ok(Targets {
        speakers,
        subjects,
        publishers,
        pairs,
        claims,
        book: Arc::new(book),
    })
}
