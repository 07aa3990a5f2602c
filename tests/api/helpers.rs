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
    Local(LocalPostgres, tempfile::TempDir),
    /// An existing server (`TEST_DATABASE_URL`).
    External(Box<PgConnectOptions>),
}

static CLUSTER: OnceCell<Cluster> = OnceCell::const_new();

/// Stops the private cluster and deletes its directory when the test binary
/// exits: statics are never dropped, so the `TempDir` alone would leave a
/// cluster of every test's database (about a gigabyte) behind on each run.
extern "C" fn stop_cluster_at_exit() {
    if let Some(Cluster::Local(pg, dir)) = CLUSTER.get() {
        let _ = pg.stop_immediate();
        let _ = std::fs::remove_dir_all(dir.path());
    }
}

async fn cluster() -> &'static Cluster {
    CLUSTER
        .get_or_init(|| async {
            if let Ok(url) = std::env::var("TEST_DATABASE_URL") {
                let options =
                    PgConnectOptions::from_str(&url).expect("TEST_DATABASE_URL is not a valid URL");
                return Cluster::External(Box::new(options));
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
            Cluster::External(o) => o.as_ref().clone().database(db),
        }
    }
}

/// Creates an empty, migrated database and returns a pool on it.
pub(crate) async fn fresh_database() -> (Store, String) {
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
pub(crate) struct TestApp {
    /// Where the server listens.
    pub(crate) addr: SocketAddr,
    /// The store (for direct checks of what is stored).
    pub(crate) store: Store,
    /// Claim service client.
    pub(crate) claims: ClaimServiceClient<Channel>,
    /// Entity service client.
    pub(crate) entities: EntityServiceClient<Channel>,
    /// Article service client.
    pub(crate) articles: ArticleServiceClient<Channel>,
    shutdown: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<anyhow::Result<()>>>,
}

impl TestApp {
    /// Starts a server on a fresh database.
    pub(crate) async fn spawn() -> Self {
        let (store, _) = fresh_database().await;
        Self::spawn_on(store).await
    }

    /// Starts a server on an existing store.
    pub(crate) async fn spawn_on(store: Store) -> Self {
        Self::spawn_with(store, 1024).await
    }

    /// Starts a server on a fresh database with a given watch buffer.
    pub(crate) async fn spawn_with_watch_buffer(events: usize) -> Self {
        let (store, _) = fresh_database().await;
        Self::spawn_with(store, events).await
    }

    async fn spawn_with(store: Store, watch_buffer: usize) -> Self {
        // Server logs go to stderr; `RUST_LOG` turns them up (default: warnings).
        if std::env::var_os("RUST_LOG").is_none() {
            std::env::set_var("RUST_LOG", "warn");
        }
        claimdb::telemetry::init(claimdb::config::LogFormat::Text);
        let mut app =
            Application::with_store("127.0.0.1:0".parse().unwrap(), store.clone(), 64 << 20)
                .await
                .expect("binding the server");
        app.set_watch_buffer(watch_buffer);
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

    /// Stops the server and waits for it (at most 15 s); true when it
    /// stopped in time.
    pub(crate) async fn stop(mut self) -> bool {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        match self.server.take() {
            Some(s) => tokio::time::timeout(Duration::from_secs(15), s)
                .await
                .is_ok(),
            None => true,
        }
    }

    /// Ingests a request, panicking on error.
    pub(crate) async fn ingest(
        &mut self,
        req: pb::IngestArticleRequest,
    ) -> pb::IngestArticleResponse {
        self.claims
            .ingest_article(req)
            .await
            .expect("ingest failed")
            .into_inner()
    }

    /// Counts rows in a table (for "nothing was written" checks).
    pub(crate) async fn count(&self, table: &str) -> i64 {
        let sql = format!("SELECT count(*) FROM {table}");
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_one(self.store.pool())
            .await
            .expect("counting rows")
    }

    /// Asserts that every speaker and subject link row carries its claim's
    /// current revision, state and snapshot digest (migration 0036), and
    /// that there are link rows to check. A history page reads those
    /// columns instead of the claim's rows: a stale digest would serve an
    /// old version from the server's memory, a stale state would show a
    /// retracted claim.
    pub(crate) async fn assert_links_current(&self) {
        assert!(self.count("claim_speakers").await > 0, "no link rows");
        for table in ["claim_speakers", "claim_subjects"] {
            let sql = format!(
                "SELECT d.claim_id, d.revision, c.revision FROM {table} d \
                 JOIN claims c ON c.id = d.claim_id \
                 JOIN claim_revisions r ON r.claim_id = c.id AND r.revision = c.revision \
                 WHERE (d.revision, d.state, d.snapshot_digest) \
                   IS DISTINCT FROM (c.revision, c.state, r.snapshot_digest)"
            );
            let stale: Vec<(uuid::Uuid, i64, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_all(self.store.pool())
                .await
                .expect("reading link rows");
            assert!(stale.is_empty(), "{table}: stale link rows {stale:?}");
        }
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
pub(crate) fn worked_example() -> pb::IngestArticleRequest {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("examples/worked_example.json");
    let json = std::fs::read_to_string(path).expect("reading the worked example");
    request_from_json(&json)
}

/// Parses an `IngestArticleRequest` from proto3 JSON (the mapping grpcurl
/// uses), through the API's descriptors.
pub(crate) fn request_from_json(json: &str) -> pb::IngestArticleRequest {
    claimdb::cli::json::from_json("claimdb.v1.IngestArticleRequest", json).expect("a valid request")
}

/// A by-name entity reference.
pub(crate) fn person(name: &str) -> pb::EntityRef {
    pb::EntityRef {
        name: name.into(),
        kind: pb::EntityKind::Person as i32,
        ..Default::default()
    }
}

/// An organization reference by name.
pub(crate) fn org(name: &str) -> pb::EntityRef {
    pb::EntityRef {
        name: name.into(),
        kind: pb::EntityKind::Organization as i32,
        ..Default::default()
    }
}

/// A timestamp for a day in 2025 (month, day).
pub(crate) fn day(month: u32, d: u32) -> prost_types::Timestamp {
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
pub(crate) fn article(
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
        extract: false,
    }
}

/// The field paths of a status's BadRequest violations.
pub(crate) fn bad_fields(status: &tonic::Status) -> Vec<String> {
    use tonic_types::StatusExt;
    status
        .get_error_details()
        .bad_request()
        .map(|b| b.field_violations.iter().map(|v| v.field.clone()).collect())
        .unwrap_or_default()
}

/// Waits until `check` returns true, polling every 100 ms, for at most
/// `limit`; panics with `what` on time-out. (No fixed sleeps in tests.)
pub(crate) async fn wait_for<F, Fut>(limit: Duration, what: &str, mut check: F)
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

/// A `postgres://` URL for the test database behind `store`.
pub(crate) fn database_url(store: &Store) -> String {
    let o = store.pool().connect_options();
    let db = o.get_database().unwrap_or("postgres");
    if let Ok(base) = std::env::var("TEST_DATABASE_URL") {
        let mut url = url::Url::parse(&base).unwrap();
        url.set_path(db);
        return url.to_string();
    }
    let host = o
        .get_socket()
        .map(|s| s.display().to_string())
        .unwrap_or_else(|| o.get_host().to_string());
    format!(
        "postgres://{}@localhost:{}/{db}?host={host}",
        o.get_username(),
        o.get_port()
    )
}

/// Starts the `claimdb serve` binary with `args` (which include its
/// `--listen`), without `DATABASE_URL` from the environment; waits (90 s at
/// most) for its "listening" line and keeps draining its log. Returns the
/// process (killed on drop) and its address.
pub(crate) async fn serve_process<I, S>(args: I) -> (tokio::process::Child, SocketAddr)
where
    I: IntoIterator<Item = S>,
    S: AsRef<std::ffi::OsStr>,
{
    use tokio::io::{AsyncBufReadExt, BufReader};
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_claimdb"))
        .arg("serve")
        .args(args)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "info")
        .env("NO_COLOR", "1")
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("starting claimdb serve");
    let mut lines = BufReader::new(child.stderr.take().expect("piped stderr")).lines();
    let addr = tokio::time::timeout(Duration::from_secs(90), async {
        while let Ok(Some(line)) = lines.next_line().await {
            if line.contains("listening") {
                if let Some(rest) = line.split("addr=").nth(1) {
                    return rest
                        .split_whitespace()
                        .next()
                        .unwrap_or_default()
                        .to_string();
                }
            }
        }
        panic!("the server exited before listening");
    })
    .await
    .expect("the server starts");
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (child, addr.parse().expect("a socket address"))
}

/// A call running in the background, as `tokio::spawn` returns it.
pub(crate) type Call<T> = tokio::task::JoinHandle<Result<tonic::Response<T>, tonic::Status>>;

/// Releases every advisory lock `holder` holds, then waits (20 s at most)
/// for `call`, which was waiting on one of them, and returns its response.
pub(crate) async fn release_then_join<T>(holder: &mut sqlx::PgConnection, call: Call<T>) -> T {
    sqlx::query("SELECT pg_advisory_unlock_all()")
        .execute(&mut *holder)
        .await
        .expect("releasing the held locks");
    tokio::time::timeout(Duration::from_secs(20), call)
        .await
        .expect("released, the call completes")
        .expect("the call's task")
        .expect("the call")
        .into_inner()
}
