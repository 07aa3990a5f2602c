//! `TestApp`: a server on a fresh database, with clients, for one test.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use claimdb::app::Application;
use claimdb::pb::v1 as pb;
use claimdb::pb::v1::article_service_client::ArticleServiceClient;
use claimdb::pb::v1::claim_service_client::ClaimServiceClient;
use claimdb::pb::v1::entity_service_client::EntityServiceClient;
use claimdb::pg_local::{LocalOptions, LocalPostgres};
use claimdb::store::Store;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Executor};
use tokio::sync::{oneshot, OnceCell};
use tonic::transport::Channel;

/// Where test databases are created.
enum Cluster {
    /// A private cluster in a temporary directory.
    Local(LocalPostgres, #[allow(dead_code)] tempfile::TempDir),
    /// An existing server (`TEST_DATABASE_URL`).
    External(PgConnectOptions),
}

static CLUSTER: OnceCell<Cluster> = OnceCell::const_new();

extern "C" fn stop_cluster_at_exit() {
    if let Some(Cluster::Local(pg, _)) = CLUSTER.get() {
        let _ = pg.stop_immediate();
    }
}

async fn cluster() -> &'static Cluster {
    CLUSTER
        .get_or_init(|| async {
            if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
                let options =
                    PgConnectOptions::from_str(&url).expect("TEST_DATABASE_URL is not a valid URL");
                return Cluster::External(options);
            }
            // /tmp is reachable by the unprivileged user PostgreSQL runs as.
            let dir = tempfile::Builder::new()
                .prefix("claimdb-test-")
                .tempdir_in("/tmp")
                .expect("creating a temporary directory");
            let options = LocalOptions {
                max_connections: 500,
                unsafe_fast: true,
            };
            let pg = LocalPostgres::start(dir.path(), &options)
                .await
                .expect("starting the test PostgreSQL (are PostgreSQL binaries installed?)");
            // SAFETY: registering a plain extern "C" function with no captured state.
            unsafe { libc::atexit(stop_cluster_at_exit) };
            Cluster::Local(pg, dir)
        })
        .await
}

impl Cluster {
    fn options(&self, db: &str) -> PgConnectOptions {
        match self {
            Cluster::Local(pg, _) => pg.connect_options(db),
            Cluster::External(o) => o.clone().database(db),
        }
    }
}

/// Creates an empty, migrated database and returns a pool on it.
pub async fn fresh_database() -> (Store, String) {
    let cluster = cluster().await;
    let name = format!("claimdb_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = cluster
        .options("postgres")
        .connect()
        .await
        .expect("connecting to the test cluster");
    admin
        .execute(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .await
        .expect("creating the test database");
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect_with(cluster.options(&name))
        .await
        .expect("connecting to the test database");
    let store = Store::from_pool(pool);
    store.migrate().await.expect("migrating the test database");
    (store, name)
}

/// A running server on a fresh database, and clients for it.
pub struct TestApp {
    /// Where the server listens.
    pub addr: SocketAddr,
    /// The store (for direct checks of what is stored).
    pub store: Store,
    /// Claim service client.
    pub claims: ClaimServiceClient<Channel>,
    /// Entity service client.
    pub entities: EntityServiceClient<Channel>,
    /// Article service client.
    pub articles: ArticleServiceClient<Channel>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// Starts a server on a fresh database.
    pub async fn spawn() -> Self {
        let (store, _) = fresh_database().await;
        Self::spawn_on(store).await
    }

    /// Starts a server on an existing store.
    pub async fn spawn_on(store: Store) -> Self {
        // Server logs go to stderr; `RUST_LOG` turns them up (default: warnings).
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", "warn");
        }
        claimdb::telemetry::init(claimdb::config::LogFormat::Text);
        let app = Application::with_store("127.0.0.1:0".parse().unwrap(), store.clone(), 64 << 20)
            .await
            .expect("binding the server");
        let addr = app.local_addr().expect("reading the bound address");
        let (tx, rx) = oneshot::channel::<()>();
        let server = tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        let channel = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect_timeout(Duration::from_secs(5))
            .connect()
            .await
            .expect("connecting to the server");
        Self {
            addr,
            store,
            claims: ClaimServiceClient::new(channel.clone()).max_decoding_message_size(64 << 20),
            entities: EntityServiceClient::new(channel.clone()),
            articles: ArticleServiceClient::new(channel),
            shutdown: Some(tx),
            server: Some(server),
        }
    }

    /// Stops the server and waits for it.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        if let Some(s) = self.server.take() {
            let _ = tokio::time::timeout(Duration::from_secs(15), s).await;
        }
    }

    /// Ingests a request, panicking on error.
    pub async fn ingest(&mut self, req: pb::IngestArticleRequest) -> pb::IngestArticleResponse {
        self.claims
            .ingest_article(req)
            .await
            .expect("ingest failed")
            .into_inner()
    }

    /// Counts rows in a table (for "nothing was written" checks).
    pub async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT count(*) FROM {table}");
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(self.store.pool())
            .await
            .expect("counting rows")
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}

/// The worked example shipped in `examples/`.
pub fn worked_example() -> pb::IngestArticleRequest {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/worked_example.json");
    let json = std::fs::read_to_string(path).expect("reading the worked example");
    request_from_json(&json)
}

/// Parses an `IngestArticleRequest` from proto3 JSON, via the same mapping
/// grpcurl uses (the server's reflection descriptors).
pub fn request_from_json(json: &str) -> pb::IngestArticleRequest {
    let value: serde_json::Value = serde_json::from_str(json).expect("valid JSON");
    json_to_request(&value)
}

fn entity_ref(v: &serde_json::Value) -> Option<pb::EntityRef> {
    if v.is_null() {
        return None;
    }
    Some(pb::EntityRef {
        id: v["id"].as_str().unwrap_or_default().into(),
        external_id: v["external_id"].as_str().unwrap_or_default().into(),
        name: v["name"].as_str().unwrap_or_default().into(),
        kind: pb::EntityKind::from_str_name(v["kind"].as_str().unwrap_or("ENTITY_KIND_UNSPECIFIED"))
            .unwrap_or_default() as i32,
    })
}

fn ts(v: &serde_json::Value) -> Option<prost_types::Timestamp> {
    let s = v.as_str()?;
    let t = chrono::DateTime::parse_from_rfc3339(s).ok()?;
    Some(prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    })
}

fn str_of(v: &serde_json::Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn json_to_request(v: &serde_json::Value) -> pb::IngestArticleRequest {
    let a = &v["article"];
    let article = pb::ArticleInput {
        url: str_of(&a["url"]),
        title: str_of(&a["title"]),
        publisher: entity_ref(&a["publisher"]),
        published_time: ts(&a["published_time"]),
        language: str_of(&a["language"]),
        body: str_of(&a["body"]),
    };
    let claims = v["claims"]
        .as_array()
        .map(|cs| cs.iter().map(json_to_claim).collect())
        .unwrap_or_default();
    pb::IngestArticleRequest {
        article: Some(article),
        claims,
    }
}

fn json_to_claim(c: &serde_json::Value) -> pb::ClaimInput {
    let arr = |k: &str| c[k].as_array().cloned().unwrap_or_default();
    pb::ClaimInput {
        speakers: arr("speakers").iter().filter_map(entity_ref).collect(),
        speaker_role: str_of(&c["speaker_role"]),
        kind: pb::ClaimKind::from_str_name(c["kind"].as_str().unwrap_or("")).unwrap_or_default()
            as i32,
        text: str_of(&c["text"]),
        spans: arr("spans")
            .iter()
            .map(|s| pb::Span {
                start: s["start"].as_i64().unwrap_or(0) as i32,
                end: s["end"].as_i64().unwrap_or(0) as i32,
            })
            .collect(),
        cue: str_of(&c["cue"]),
        venue: str_of(&c["venue"]),
        recipient: entity_ref(&c["recipient"]),
        via: entity_ref(&c["via"]),
        via_text: str_of(&c["via_text"]),
        said_time: ts(&c["said_time"]),
        said_precision: pb::SaidPrecision::from_str_name(c["said_precision"].as_str().unwrap_or(""))
            .unwrap_or_default() as i32,
        said_time_text: str_of(&c["said_time_text"]),
        said_time_inferred: c["said_time_inferred"].as_bool().unwrap_or(false),
        subjects: arr("subjects")
            .iter()
            .map(|s| pb::SubjectInput {
                entity: entity_ref(&s["entity"]),
                role: str_of(&s["role"]),
            })
            .collect(),
        confidence: c["confidence"].as_f64().map(|f| f as f32),
        provenance: Some(pb::Provenance {
            human: str_of(&c["provenance"]["human"]),
            ..Default::default()
        }),
    }
}

/// A by-name entity reference.
pub fn person(name: &str) -> pb::EntityRef {
    pb::EntityRef {
        name: name.into(),
        kind: pb::EntityKind::Person as i32,
        ..Default::default()
    }
}

/// An organization reference by name.
pub fn org(name: &str) -> pb::EntityRef {
    pb::EntityRef {
        name: name.into(),
        kind: pb::EntityKind::Organization as i32,
        ..Default::default()
    }
}

/// A timestamp for a day in 2025 (month, day).
pub fn day(month: u32, d: u32) -> prost_types::Timestamp {
    let t = chrono::NaiveDate::from_ymd_opt(2025, month, d)
        .unwrap()
        .and_hms_opt(0, 0, 0)
        .unwrap()
        .and_utc();
    prost_types::Timestamp {
        seconds: t.timestamp(),
        nanos: 0,
    }
}

/// A small article with one direct claim per (speaker, text, said day).
pub fn article(
    url: &str,
    claims: &[(&str, &str, prost_types::Timestamp)],
) -> pb::IngestArticleRequest {
    let body: String = claims
        .iter()
        .map(|(s, t, _)| format!("{s} said: “{t}”\n"))
        .collect();
    let mut claim_inputs = Vec::new();
    let mut offset = 0usize;
    for (speaker, text, said) in claims {
        let line = format!("{speaker} said: “{text}”\n");
        let start = offset + speaker.chars().count() + 8;
        claim_inputs.push(pb::ClaimInput {
            speakers: vec![person(speaker)],
            kind: pb::ClaimKind::Direct as i32,
            text: text.to_string(),
            spans: vec![pb::Span {
                start: start as i32,
                end: (start + text.chars().count()) as i32,
            }],
            cue: "said".into(),
            said_time: Some(*said),
            said_precision: pb::SaidPrecision::Day as i32,
            ..Default::default()
        });
        offset += line.chars().count();
    }
    pb::IngestArticleRequest {
        article: Some(pb::ArticleInput {
            url: url.into(),
            title: "Test article".into(),
            publisher: Some(org("Test Wire")),
            published_time: claims.last().map(|c| c.2),
            language: "en".into(),
            body,
        }),
        claims: claim_inputs,
    }
}

/// The field paths of a status's BadRequest violations.
pub fn bad_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// Waits until `check` returns true, polling every 100 ms, for at most
/// `limit`; panics with `what` on time-out. (No fixed sleeps in tests.)
pub async fn wait_for<F, Fut>(limit: Duration, what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + limit;
    while !check().await {
        assert!(
            tokio::time::Instant::now() < deadline,
            "timed out waiting for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
