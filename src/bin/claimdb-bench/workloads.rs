//! The workloads: what each one asks, how the service side (gRPC over TCP
//! to the server process) and the direct side (SQL or COPY on the same
//! PostgreSQL) make the same request, and the order they run in.
//!
//! Reads run before writes so they see the dataset as loaded; rows written
//! by `ingest_one` and `mixed` are deleted afterwards (see
//! `copy::delete_live_rows`) so the kept dataset stays the same run to run.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;
use chrono::{DateTime, Duration, Utc};
use claimdb::pb::v1 as pb;
use claimdb::pb::v1::claim_service_client::ClaimServiceClient;
use claimdb::store::MIGRATOR;
use serde::Serialize;
use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgPoolOptions, Postgres};
use sqlx::{Connection, PgConnection};
use tonic::transport::Channel;
use tonic::Request;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::args::Settings;
use crate::cluster::Cluster;
use crate::copy::{self, EntityBook, IdGen, RowBuilder, ACTOR, LIVE_URL_PREFIX};
use crate::cpu::{Probe, Split};
use crate::dataset::Targets;
use crate::direct::{self, ReadParams, HISTORY_PAGE, TEXT_PAGE};
use crate::gen::{self, GenArticle, World};
use crate::load::{self, Caller, Outcome, Spec, Stats};
use crate::raw::RawClaims;
use crate::rng::Rng;
use crate::server::{Memory, Server};

/// One workload of the suite.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub(crate) enum Workload {
    /// Bulk ingest through `ImportArticles` into a fresh database, against
    /// raw COPY of the same rows.
    Import,
    /// A speaker's history, newest first.
    SpeakerHistory,
    /// A subject's history, newest first.
    SubjectHistory,
    /// A speaker's claims about a subject in a two-year window.
    SpeakerSubjectWindow,
    /// Full-text query for the rare planted term.
    FtsRare,
    /// Full-text query for the medium planted term.
    FtsMedium,
    /// Full-text query for the common planted term.
    FtsCommon,
    /// One claim by id.
    GetClaim,
    /// `IngestArticle`, one new article per call.
    IngestOne,
    /// 90% reads (rotating over the read workloads), 10% `IngestArticle`.
    Mixed,
    /// A request that does no work: gRPC health `Check` against `SELECT 1`.
    /// It is the floor under every other row: what one call costs through
    /// HTTP/2, tonic and claimdb's layers, and one PostgreSQL round trip.
    /// (Declared last so the other workloads keep their random streams.)
    Ping,
}

impl Workload {
    /// Every workload, in run order (reads before writes).
    pub(crate) const ALL: [Workload; 11] = [
        Self::Import,
        Self::SpeakerHistory,
        Self::SubjectHistory,
        Self::SpeakerSubjectWindow,
        Self::FtsRare,
        Self::FtsMedium,
        Self::FtsCommon,
        Self::GetClaim,
        Self::Ping,
        Self::IngestOne,
        Self::Mixed,
    ];

    /// The reads `mixed` rotates over.
    const READS: [Workload; 7] = [
        Self::SpeakerHistory,
        Self::SubjectHistory,
        Self::SpeakerSubjectWindow,
        Self::FtsRare,
        Self::FtsMedium,
        Self::FtsCommon,
        Self::GetClaim,
    ];

    /// Its name on the command line and in the report.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Self::Import => "import",
            Self::SpeakerHistory => "speaker_history",
            Self::SubjectHistory => "subject_history",
            Self::SpeakerSubjectWindow => "speaker_subject_window",
            Self::FtsRare => "fts_rare",
            Self::FtsMedium => "fts_medium",
            Self::FtsCommon => "fts_common",
            Self::GetClaim => "get_claim",
            Self::IngestOne => "ingest_one",
            Self::Mixed => "mixed",
            Self::Ping => "ping",
        }
    }

    /// The workload of a name.
    pub(crate) fn parse(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|w| w.name() == name)
    }

    /// Whether it is one of the plain reads.
    pub(crate) fn is_read(self) -> bool {
        Self::READS.contains(&self)
    }
}

/// Everything a caller needs to make requests, shared by all callers.
#[derive(Debug)]
pub(crate) struct Context {
    /// The generator's world (Zipf tables, names).
    pub(crate) world: Arc<World>,
    /// The ids to ask for.
    pub(crate) targets: Arc<Targets>,
    /// Marks this run's written articles (URL path segment).
    pub(crate) run_token: String,
    /// Whether clients decode what they read (`--decode`).
    pub(crate) decode: bool,
}

impl Context {
    /// The parameters of one read of kind `w`: entities by the same Zipf
    /// law as the data (hot speakers dominate), pairs and claims uniformly
    /// from the samples, the planted terms.
    pub(crate) fn draw(&self, w: Workload, rng: &mut Rng) -> ReadParams {
        let t = &self.targets;
        match w {
            Workload::SubjectHistory => {
                ReadParams::Subject(zipf_pick(&self.world.subject_zipf, &t.subjects, rng))
            }
            Workload::SpeakerSubjectWindow => {
                let p = &t.pairs[rng.index(t.pairs.len())];
                ReadParams::Window {
                    speaker: p.speaker,
                    subject: p.subject,
                    after: p.after,
                    before: p.before,
                }
            }
            Workload::FtsRare => ReadParams::Text(self.term(0)),
            Workload::FtsMedium => ReadParams::Text(self.term(1)),
            Workload::FtsCommon => ReadParams::Text(self.term(2)),
            Workload::GetClaim => ReadParams::Get(t.claims[rng.index(t.claims.len())]),
            Workload::Ping => ReadParams::Ping,
            _ => ReadParams::Speaker(zipf_pick(&self.world.speaker_zipf, &t.speakers, rng)),
        }
    }

    fn term(&self, i: usize) -> String {
        self.world
            .params
            .terms
            .get(i)
            .map(|t| t.word.clone())
            .unwrap_or_default()
    }

    /// A new article for a write: fresh remarks by entities that exist,
    /// under this run's URL prefix, published after the archive.
    fn fresh(
        &self,
        rng: &mut Rng,
        workload: Workload,
        side: &str,
        caller: usize,
        serial: u64,
    ) -> GenArticle {
        let url = format!(
            "{LIVE_URL_PREFIX}{}/{}/{side}/{caller}/{serial}",
            self.run_token,
            workload.name()
        );
        let published = self.world.archive_end()
            + Duration::minutes(serial as i64)
            + Duration::seconds(caller as i64);
        let remark_base = (1u64 << 62) | ((caller as u64) << 40) | (serial << 4);
        self.world
            .fresh_article(rng, url, published, remark_base, self.targets.as_ref())
    }
}

/// An id by Zipf rank among the ranks present (the hottest present one
/// after 64 misses).
fn zipf_pick(z: &crate::rng::Zipf, ids: &[Option<uuid::Uuid>], rng: &mut Rng) -> uuid::Uuid {
    for _ in 0..64 {
        if let Some(Some(id)) = ids.get(z.sample(rng)) {
            return *id;
        }
    }
    ids.iter().flatten().next().copied().unwrap_or_default()
}

/// A request carrying the bench's actor header.
fn request<T>(msg: T) -> Request<T> {
    let mut r = Request::new(msg);
    r.metadata_mut().insert(
        "claimdb-actor",
        tonic::metadata::MetadataValue::from_static(ACTOR),
    );
    r
}

/// The gRPC status code name of an error.
fn status_code(s: &tonic::Status) -> String {
    format!("{:?}", s.code())
}

/// A failed call's outcome from its status.
fn failed(s: &tonic::Status) -> Outcome {
    Outcome::err(status_code(s), s.message())
}

/// What a service-side caller does.
#[derive(Debug, Clone, Copy)]
enum ServiceJob {
    Read(Workload),
    Ingest,
    Mixed,
}

/// One gRPC caller with its own channel.
struct ServiceCaller {
    client: ClaimServiceClient<Channel>,
    raw: RawClaims,
    health: HealthClient<Channel>,
    ctx: Arc<Context>,
    rng: Rng,
    job: ServiceJob,
    workload: Workload,
    index: usize,
    serial: u64,
}

impl ServiceCaller {
    async fn read(&mut self, w: Workload) -> Outcome {
        let p = self.ctx.draw(w, &mut self.rng);
        let list =
            |speaker: Option<uuid::Uuid>, subject: Option<uuid::Uuid>| pb::ListClaimsRequest {
                speaker: speaker.map(id_ref),
                subject: subject.map(id_ref),
                order_by: pb::ClaimOrder::SaidTimeDesc as i32,
                page_size: HISTORY_PAGE,
                ..Default::default()
            };
        let req = match p {
            ReadParams::Ping => {
                let check = HealthCheckRequest {
                    service: String::new(),
                };
                return match self.health.check(request(check)).await {
                    Ok(_) => Outcome::Ok {
                        rows: 0,
                        class: "read",
                    },
                    Err(s) => failed(&s),
                };
            }
            ReadParams::Get(id) => {
                let req = request(pb::GetClaimRequest {
                    id: id.to_string(),
                    as_of: None,
                });
                let got = if self.ctx.decode {
                    self.client
                        .get_claim(req)
                        .await
                        .map(|r| r.into_inner().claim.is_some())
                } else {
                    self.raw
                        .get_claim(req)
                        .await
                        .map(|r| r.into_inner().claim.is_some())
                };
                return match got {
                    Ok(found) => Outcome::Ok {
                        rows: u64::from(found),
                        class: "read",
                    },
                    Err(s) => failed(&s),
                };
            }
            ReadParams::Speaker(id) => list(Some(id), None),
            ReadParams::Subject(id) => list(None, Some(id)),
            ReadParams::Window {
                speaker,
                subject,
                after,
                before,
            } => pb::ListClaimsRequest {
                said_after: Some(gen::timestamp(after)),
                said_before: Some(gen::timestamp(before)),
                ..list(Some(speaker), Some(subject))
            },
            ReadParams::Text(q) => pb::ListClaimsRequest {
                query: q,
                order_by: pb::ClaimOrder::SaidTimeDesc as i32,
                page_size: TEXT_PAGE,
                ..Default::default()
            },
        };
        let rows = if self.ctx.decode {
            let r = self.client.list_claims(request(req)).await;
            r.map(|r| r.into_inner().claims.len())
        } else {
            let r = self.raw.list_claims(request(req)).await;
            r.map(|r| r.into_inner().claims.len())
        };
        match rows {
            Ok(n) => Outcome::Ok {
                rows: n as u64,
                class: "read",
            },
            Err(s) => failed(&s),
        }
    }

    async fn ingest(&mut self) -> Outcome {
        self.serial += 1;
        let art = self
            .ctx
            .fresh(&mut self.rng, self.workload, "svc", self.index, self.serial);
        let n = art.claim_count() as u64;
        match self.client.ingest_article(request(art.request)).await {
            Ok(r) if r.get_ref().created => Outcome::Ok {
                rows: n,
                class: "write",
            },
            Ok(_) => Outcome::err("not created", "IngestArticle stored nothing new"),
            Err(s) => failed(&s),
        }
    }
}

impl Caller for ServiceCaller {
    async fn call(&mut self) -> Outcome {
        match self.job {
            ServiceJob::Read(w) => self.read(w).await,
            ServiceJob::Ingest => self.ingest().await,
            ServiceJob::Mixed => {
                if self.rng.chance(0.1) {
                    self.ingest().await
                } else {
                    let w = Workload::READS[self.rng.index(Workload::READS.len())];
                    self.read(w).await
                }
            }
        }
    }
}

/// An entity reference by id.
fn id_ref(id: uuid::Uuid) -> pb::EntityRef {
    pb::EntityRef {
        id: id.to_string(),
        ..Default::default()
    }
}

/// One direct-SQL caller with its own pooled connection.
struct DirectCaller {
    conn: PoolConnection<Postgres>,
    ctx: Arc<Context>,
    rng: Rng,
    job: ServiceJob,
    workload: Workload,
    index: usize,
    serial: u64,
    builder: RowBuilder,
}

impl DirectCaller {
    async fn read(&mut self, w: Workload) -> Outcome {
        let p = self.ctx.draw(w, &mut self.rng);
        match direct::read(&mut self.conn, &p, self.ctx.decode).await {
            Ok(rows) => Outcome::Ok {
                rows,
                class: "read",
            },
            Err(e) => Outcome::err(direct::error_code(&e), e.to_string()),
        }
    }

    /// The direct write: the rows the service would write for a new article
    /// (built in Rust, entities already known), as multi-row INSERTs in one
    /// transaction. No locks, no look-ups, no statement matching: the raw
    /// cost of storing those rows durably.
    async fn write(&mut self) -> Outcome {
        self.serial += 1;
        let art = self
            .ctx
            .fresh(&mut self.rng, self.workload, "sql", self.index, self.serial);
        let ts = now_micros();
        let n = match self.builder.add(&art, ts) {
            Ok(n) => n as u64,
            Err(e) => return Outcome::err("build", e.to_string()),
        };
        let mut rows = self.builder.take();
        self.builder.forget_before(u64::MAX);
        let result = async {
            let mut tx = self.conn.begin().await?;
            copy::insert_rows(&mut tx, &mut rows).await?;
            tx.commit().await
        }
        .await;
        match result {
            Ok(()) => Outcome::Ok {
                rows: n,
                class: "write",
            },
            Err(e) => Outcome::err(direct::error_code(&e), e.to_string()),
        }
    }
}

impl Caller for DirectCaller {
    async fn call(&mut self) -> Outcome {
        match self.job {
            ServiceJob::Read(w) => self.read(w).await,
            ServiceJob::Ingest => self.write().await,
            ServiceJob::Mixed => {
                if self.rng.chance(0.1) {
                    self.write().await
                } else {
                    let w = Workload::READS[self.rng.index(Workload::READS.len())];
                    self.read(w).await
                }
            }
        }
    }
}

/// The clock, truncated to PostgreSQL's microseconds (the service's record
/// times come from `now()` in the database).
pub(crate) fn now_micros() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_micros(now.timestamp_micros()).unwrap_or(now)
}

/// The result of one duration-bound workload.
#[derive(Debug, Clone, Serialize)]
pub(crate) struct WorkloadResult {
    /// Workload name.
    pub(crate) name: String,
    /// Through the server.
    pub(crate) service: Stats,
    /// Direct SQL on the same database (none for `ingest_one`).
    pub(crate) direct: Option<Stats>,
    /// Direct requests/s ÷ service requests/s.
    pub(crate) direct_over_service: Option<f64>,
    /// Highest server VmRSS sampled during the service side, KiB.
    pub(crate) server_rss_peak_kib: u64,
    /// Server VmRSS right after the service side, KiB.
    pub(crate) server_rss_after_kib: u64,
    /// True when either side had an error.
    pub(crate) failed: bool,
}

/// Runs one duration-bound workload: the service side, then the direct
/// side, with the same concurrency and seeds.
pub(crate) async fn run_one(
    w: Workload,
    settings: &Settings,
    ctx: &Arc<Context>,
    server: &mut Server,
    pool: &sqlx::PgPool,
    postmaster: Option<u32>,
) -> anyhow::Result<WorkloadResult> {
    let spec = Spec {
        warmup: settings.warmup,
        duration: settings.duration,
    };
    let job = match w {
        Workload::IngestOne => ServiceJob::Ingest,
        Workload::Mixed => ServiceJob::Mixed,
        other => ServiceJob::Read(other),
    };
    let stream = |side: u64, i: usize| {
        Rng::derive(
            ctx.world.params.seed,
            1000 + side * 100 + i as u64 + (w as u64) * 10_000,
        )
    };
    let mut callers = Vec::with_capacity(settings.concurrency);
    for i in 0..settings.concurrency {
        let channel = server.channel().await?;
        callers.push(ServiceCaller {
            client: ClaimServiceClient::new(channel.clone()).max_decoding_message_size(64 << 20),
            raw: RawClaims::new(channel.clone()),
            health: HealthClient::new(channel),
            ctx: ctx.clone(),
            rng: stream(1, i),
            job,
            workload: w,
            index: i,
            serial: 0,
        });
    }
    let probe = Some(Probe {
        server: Some(server.pid()),
        postmaster,
    });
    // The server stays up but idle while the direct side runs: its figure
    // shows what it costs doing nothing (health checks, the event listener).
    let mut direct = None;
    if settings.direct_first {
        direct = run_direct(settings, ctx, pool, job, w, &stream, spec, probe).await?;
    }
    server.reset_window();
    let service = load::run(spec, callers, probe).await?;
    server.check_alive()?;
    let server_rss_peak_kib = server.window_peak_kib();
    let server_rss_after_kib = server.memory().map(|m| m.rss_kib).unwrap_or(0);
    if !settings.direct_first {
        direct = run_direct(settings, ctx, pool, job, w, &stream, spec, probe).await?;
    }
    let failed = service.error_count() > 0 || direct.as_ref().is_some_and(|d| d.error_count() > 0);
    let direct_over_service = direct
        .as_ref()
        .filter(|_| service.requests_per_sec > 0.0)
        .map(|d| d.requests_per_sec / service.requests_per_sec);
    Ok(WorkloadResult {
        name: w.name().to_string(),
        service,
        direct,
        direct_over_service,
        server_rss_peak_kib,
        server_rss_after_kib,
        failed,
    })
}

/// Measures the direct side of `w` (none for IngestArticle, which has no
/// direct baseline): one pooled connection per caller, drawing the same
/// parameter streams as the service side's.
#[allow(clippy::too_many_arguments)]
async fn run_direct(
    settings: &Settings,
    ctx: &Arc<Context>,
    pool: &sqlx::PgPool,
    job: ServiceJob,
    w: Workload,
    stream: &impl Fn(u64, usize) -> Rng,
    spec: Spec,
    probe: Option<Probe>,
) -> anyhow::Result<Option<Stats>> {
    if w == Workload::IngestOne {
        return Ok(None);
    }
    let mut callers = Vec::with_capacity(settings.concurrency);
    for i in 0..settings.concurrency {
        callers.push(DirectCaller {
            conn: pool.acquire().await?,
            ctx: ctx.clone(),
            rng: stream(1, i),
            job,
            workload: w,
            index: i,
            serial: 0,
            builder: RowBuilder::new(IdGen::Now, ctx.targets.book.clone()),
        });
    }
    Ok(Some(load::run(spec, callers, probe).await?))
}

/// The EXPLAIN (ANALYZE, BUFFERS) plan of each read workload's direct SQL
/// for one drawn request.
pub(crate) async fn explain_all(
    ctx: &Context,
    conn: &mut PgConnection,
    workloads: &[Workload],
) -> anyhow::Result<BTreeMap<String, String>> {
    let mut out = BTreeMap::new();
    for w in workloads.iter().filter(|w| w.is_read()) {
        let mut rng = Rng::derive(ctx.world.params.seed, 77);
        let p = ctx.draw(*w, &mut rng);
        let plan = direct::explain(conn, &p)
            .await
            .with_context(|| format!("EXPLAIN of {}", w.name()))?;
        out.insert(w.name().to_string(), format!("-- {p:?}\n{plan}"));
    }
    Ok(out)
}

/// The import workload's figures.
#[derive(Debug, Clone, Serialize, Default)]
pub(crate) struct ImportResult {
    /// Claims sent.
    pub(crate) claims: u64,
    /// Articles sent.
    pub(crate) articles: usize,
    /// Concurrent `ImportArticles` streams.
    pub(crate) streams: usize,
    /// Seconds from the first message to the last summary.
    pub(crate) service_seconds: f64,
    /// Claims the service reported stored.
    pub(crate) service_claims_stored: i64,
    /// Service claims per second.
    pub(crate) service_claims_per_sec: f64,
    /// Errors by gRPC code (failed items and failed streams).
    pub(crate) service_errors: BTreeMap<String, u64>,
    /// The first message of each error code.
    pub(crate) service_error_samples: BTreeMap<String, String>,
    /// Server memory at the end of the import.
    pub(crate) server_memory: Memory,
    /// Seconds of the COPY baseline: building the rows and COPYing them in
    /// one transaction.
    pub(crate) copy_seconds: f64,
    /// Of which building the rows in Rust.
    pub(crate) copy_build_seconds: f64,
    /// COPY claims per second.
    pub(crate) copy_claims_per_sec: f64,
    /// COPY claims/s ÷ service claims/s.
    pub(crate) copy_over_service: f64,
    /// CPU per claim stored through `ImportArticles`, by process.
    pub(crate) service_cpu: Option<Split>,
    /// CPU per claim of the COPY (the client builds the rows).
    pub(crate) copy_cpu: Option<Split>,
    /// Rows per table: (table, service, copy).
    pub(crate) row_counts: Vec<(String, i64, i64)>,
    /// True when the service had errors or stored fewer claims than sent.
    pub(crate) failed: bool,
}

/// The database the import workload ingests into.
const IMPORT_DB: &str = "claimdb_bench_import";
/// The database the COPY baseline writes into.
const COPY_DB: &str = "claimdb_bench_copy";

/// The first articles of the dataset adding up to `claims` claims (the
/// last one cut short).
fn bulk_articles(world: &World, claims: u64) -> Vec<GenArticle> {
    let mut out = Vec::new();
    let mut left = claims as usize;
    for mut a in world.dataset() {
        if left == 0 {
            break;
        }
        if a.claim_count() > left {
            a.request.claims.truncate(left);
            a.remarks.truncate(left);
        }
        left -= a.claim_count();
        out.push(a);
    }
    out
}

/// The import workload: `ImportArticles` over `concurrency / 2` streams
/// into a fresh database (the server started on it applies the
/// migrations), then the COPY baseline of the same articles into another
/// fresh, migrated database.
pub(crate) async fn run_import(
    settings: &Settings,
    cluster: &Cluster,
    world: &World,
    server_bin: &Path,
    log_dir: &Path,
    db_connections: u32,
    postmaster: Option<u32>,
) -> anyhow::Result<ImportResult> {
    // The bulk set is the first claims of the dataset; it needs at most
    // the dataset's own generator, so use one sized for the bulk count when
    // it is larger than the dataset.
    let bulk_world;
    let source = if settings.bulk_claims > world.params.claims {
        bulk_world = World::new(gen::GenParams::for_claims(
            settings.bulk_claims,
            world.params.seed,
        ));
        &bulk_world
    } else {
        world
    };
    let articles = bulk_articles(source, settings.bulk_claims);
    let claims: u64 = articles.iter().map(|a| a.claim_count() as u64).sum();
    let mut result = ImportResult {
        claims,
        articles: articles.len(),
        streams: (settings.concurrency / 2).max(1),
        ..ImportResult::default()
    };
    eprintln!(
        "bench: import: {} articles, {claims} claims over {} streams",
        articles.len(),
        result.streams
    );
    cluster.recreate(IMPORT_DB).await?;
    let server = Server::start(
        server_bin,
        &cluster.url(IMPORT_DB),
        &log_dir.join("server-import.log"),
        db_connections,
    )
    .await?;
    let probe = Probe {
        server: Some(server.pid()),
        postmaster,
    };
    let per = articles.len().div_ceil(result.streams);
    let mut channels = Vec::new();
    for _ in 0..result.streams {
        channels.push(server.channel().await?);
    }
    let started = Instant::now();
    let cpu_before = probe.sample();
    let mut tasks = Vec::new();
    for (share, ch) in articles.chunks(per.max(1)).zip(channels) {
        let items: Vec<pb::ImportArticlesRequest> = share
            .iter()
            .map(|a| pb::ImportArticlesRequest {
                article: Some(a.request.clone()),
            })
            .collect();
        tasks.push(tokio::spawn(async move {
            let mut client = ClaimServiceClient::new(ch);
            client
                .import_articles(request(tokio_stream::iter(items)))
                .await
                .map(tonic::Response::into_inner)
        }));
    }
    for t in tasks {
        match t.await? {
            Ok(summary) => {
                result.service_claims_stored += summary.claims_stored;
                for e in &summary.errors {
                    let code = format!("{:?}", tonic::Code::from_i32(e.code));
                    result
                        .service_error_samples
                        .entry(code.clone())
                        .or_insert_with(|| format!("item {} ({}): {}", e.index, e.url, e.message));
                    *result.service_errors.entry(code).or_default() += 1;
                }
                let listed = summary.errors.len() as i64;
                if summary.failed > listed {
                    *result
                        .service_errors
                        .entry("unlisted item failures".into())
                        .or_default() += (summary.failed - listed) as u64;
                }
            }
            Err(s) => {
                result
                    .service_error_samples
                    .entry(status_code(&s))
                    .or_insert_with(|| s.message().to_string());
                *result.service_errors.entry(status_code(&s)).or_default() += 1;
            }
        }
    }
    result.service_seconds = started.elapsed().as_secs_f64();
    result.service_cpu = probe.split(&cpu_before, &probe.sample(), result.service_seconds, claims);
    result.service_claims_per_sec = result.service_claims_stored as f64 / result.service_seconds;
    result.server_memory = server.stop().await?;
    if result.service_claims_stored != claims as i64 {
        *result
            .service_errors
            .entry("claims not stored".into())
            .or_default() += claims.saturating_sub(result.service_claims_stored.max(0) as u64);
    }
    eprintln!(
        "bench: import: {:.0} claims/s through the service",
        result.service_claims_per_sec
    );

    cluster.recreate(COPY_DB).await?;
    let pool = PgPoolOptions::new()
        .max_connections(1)
        .connect_with(cluster.options(COPY_DB))
        .await?;
    MIGRATOR
        .run(&pool)
        .await
        .context("migrating the COPY database")?;
    let mut conn = pool.acquire().await?;
    let probe = Probe {
        server: None,
        postmaster,
    };
    let started = Instant::now();
    let cpu_before = probe.sample();
    let ts = now_micros();
    let mut builder = RowBuilder::new(IdGen::Now, Arc::new(EntityBook::default()));
    for a in &articles {
        builder.add(a, ts)?;
    }
    let mut rows = builder.take();
    result.copy_build_seconds = started.elapsed().as_secs_f64();
    let mut tx = conn.begin().await?;
    copy::copy_rows(&mut tx, &mut rows).await?;
    tx.commit().await?;
    result.copy_seconds = started.elapsed().as_secs_f64();
    result.copy_cpu = probe.split(&cpu_before, &probe.sample(), result.copy_seconds, claims);
    result.copy_claims_per_sec = claims as f64 / result.copy_seconds;
    if result.service_claims_per_sec > 0.0 {
        result.copy_over_service = result.copy_claims_per_sec / result.service_claims_per_sec;
    }
    let copied = copy::row_counts(&mut conn).await?;
    drop(conn);
    pool.close().await;
    let mut imported_conn = PgConnection::connect_with(&cluster.options(IMPORT_DB)).await?;
    let imported = copy::row_counts(&mut imported_conn).await?;
    imported_conn.close().await.ok();
    result.row_counts = imported
        .into_iter()
        .zip(copied)
        .map(|((t, s), (_, c))| (t, s, c))
        .collect();
    result.failed = !result.service_errors.is_empty();
    Ok(result)
}
