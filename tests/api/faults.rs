//! Proof that nothing acknowledged is lost: several clients write while
//! PostgreSQL is stopped and started, the server is SIGKILLed and restarted
//! on the same data directory, and finally SIGTERMed; then what is stored
//! is compared with what was acknowledged. Also: load shedding, deadlines,
//! metrics and request ids.
//!
//! `CLAIMDB_SOAK_SECS` (default: one fault cycle) and `CLAIMDB_SOAK_WRITERS`
//! (default 4) turn the proof into a soak; `scripts/soak.sh` runs it.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use claimdb::app::Application;
use claimdb::limits::Limits;
use claimdb::pb::v1 as pb;
use claimdb::pb::v1::claim_service_client::ClaimServiceClient;
use claimdb::pg_local::{LocalOptions, LocalPostgres};
use claimdb::store::{PoolConfig, Store};
use sqlx::postgres::PgConnectOptions;
use sqlx::Connection as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::Child;
use tonic::transport::Channel;
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::auth::with_key;
use crate::helpers::{article, day, fresh_database, person, wait_for};

/// Runs `claimdb keys create` on a data directory; returns the key.
async fn create_key(dir: &Path) -> String {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_claimdb"))
        .args([
            "keys",
            "create",
            "--name",
            "load",
            "--role",
            "writer",
            "--data-dir",
        ])
        .arg(dir)
        .env_remove("DATABASE_URL")
        .env("RUST_LOG", "warn")
        .output()
        .await
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap().trim().to_string()
}

/// Starts `claimdb serve` on `dir` (port 0 = any); returns it and its address.
async fn start_server(dir: &Path, port: u16) -> (Child, SocketAddr) {
    let listen = format!("127.0.0.1:{port}");
    crate::helpers::serve_process([
        "--listen".as_ref(),
        listen.as_ref(),
        "--data-dir".as_ref(),
        dir.as_os_str(),
        "--shutdown-grace-secs".as_ref(),
        "5".as_ref(),
        "--request-timeout-secs".as_ref(),
        "10".as_ref(),
    ])
    .await
}

async fn health(addr: SocketAddr) -> Option<i32> {
    let channel = Channel::from_shared(format!("http://{addr}"))
        .ok()?
        .connect_timeout(Duration::from_secs(1))
        .connect()
        .await
        .ok()?;
    let resp = tokio::time::timeout(
        Duration::from_secs(2),
        HealthClient::new(channel).check(HealthCheckRequest {
            service: "claimdb.v1.ClaimService".into(),
        }),
    )
    .await
    .ok()?
    .ok()?;
    Some(resp.into_inner().status)
}

/// What the writers saw.
#[derive(Default)]
struct Ledger {
    /// Every URL sent, with its number of claims.
    sent: HashMap<String, usize>,
    /// URLs whose write was acknowledged.
    acked: Vec<String>,
    /// Failed writes by status code.
    failed: HashMap<String, usize>,
    /// When the last write was acknowledged.
    last_ack: Option<Instant>,
}

fn spawn_writers(
    addr: SocketAddr,
    key: &str,
    writers: usize,
    stop: Arc<AtomicBool>,
    ledger: Arc<Mutex<Ledger>>,
) -> Vec<tokio::task::JoinHandle<()>> {
    (0..writers)
        .map(|w| {
            let (stop, ledger, key) = (stop.clone(), ledger.clone(), key.to_string());
            tokio::spawn(async move {
                let channel = Channel::from_shared(format!("http://{addr}"))
                    .unwrap()
                    .connect_timeout(Duration::from_secs(1))
                    .timeout(Duration::from_secs(15))
                    .connect_lazy();
                let mut client = ClaimServiceClient::new(channel);
                let mut i = 0usize;
                while !stop.load(Ordering::Relaxed) {
                    i += 1;
                    let url = format!("https://load.test/w{w}/a{i}");
                    let n = 1 + i % 3;
                    let texts: Vec<String> =
                        (0..n).map(|k| format!("claim {k} of {url}")).collect();
                    let claims: Vec<_> = texts
                        .iter()
                        .map(|t| ("Load Writer", t.as_str(), day(1, 1 + (i % 28) as u32)))
                        .collect();
                    ledger.lock().unwrap().sent.insert(url.clone(), n);
                    let result = client
                        .ingest_article(with_key(article(&url, &claims), Some(&key)))
                        .await;
                    let failed = {
                        let mut l = ledger.lock().unwrap();
                        match result {
                            Ok(_) => {
                                l.acked.push(url);
                                l.last_ack = Some(Instant::now());
                                false
                            }
                            Err(e) => {
                                *l.failed.entry(format!("{:?}", e.code())).or_default() += 1;
                                true
                            }
                        }
                    };
                    if failed {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                }
            })
        })
        .collect()
}

/// Waits for `more` acknowledgements after now; returns how long it took.
async fn acks_resume(ledger: &Arc<Mutex<Ledger>>, more: usize, limit: Duration) -> Duration {
    let started = Instant::now();
    let target = ledger.lock().unwrap().acked.len() + more;
    wait_for(limit, "writes to be acknowledged again", || async {
        ledger.lock().unwrap().acked.len() >= target
    })
    .await;
    started.elapsed()
}

fn sigkill(child: &Child) {
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id().unwrap() as i32, libc::SIGKILL) };
}

#[tokio::test]
async fn acknowledged_writes_survive_postgres_restarts_sigkill_and_sigterm() {
    let soak = Duration::from_secs(
        std::env::var("CLAIMDB_SOAK_SECS")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(0),
    );
    let writers: usize = std::env::var("CLAIMDB_SOAK_WRITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(4);
    let dir = tempfile::Builder::new()
        .prefix("claimdb-faults-")
        .tempdir_in("/tmp")
        .unwrap();
    let key = create_key(dir.path()).await;
    let (mut child, addr) = start_server(dir.path(), 0).await;
    let serving = ServingStatus::Serving as i32;
    let not_serving = ServingStatus::NotServing as i32;
    wait_for(Duration::from_secs(30), "SERVING", || async {
        health(addr).await == Some(serving)
    })
    .await;

    let stop = Arc::new(AtomicBool::new(false));
    let ledger = Arc::new(Mutex::new(Ledger::default()));
    let tasks = spawn_writers(addr, &key, writers, stop.clone(), ledger.clone());
    let started = Instant::now();
    acks_resume(&ledger, 20, Duration::from_secs(60)).await;

    let (mut pg_outages, mut kills) = (0, 0);
    // (time to UNAVAILABLE, time to writes again) per PostgreSQL outage,
    // and time to writes again per server kill.
    let (mut outages, mut restarts) = (Vec::new(), Vec::new());
    loop {
        // Fault: PostgreSQL stops (immediate mode: like a crash) under load.
        let pg = LocalPostgres::start(dir.path(), &LocalOptions::default())
            .await
            .unwrap();
        pg.stop_immediate().unwrap();
        pg_outages += 1;
        let down = Instant::now();
        wait_for(
            Duration::from_secs(20),
            "NOT_SERVING under load",
            || async { health(addr).await == Some(not_serving) },
        )
        .await;
        wait_for(
            Duration::from_secs(20),
            "writes to fail with UNAVAILABLE",
            || async { ledger.lock().unwrap().failed.contains_key("Unavailable") },
        )
        .await;
        let fail_fast = down.elapsed();
        pg.restart().unwrap();
        let back = acks_resume(&ledger, 5, Duration::from_secs(60)).await;
        outages.push((fail_fast, back));
        wait_for(Duration::from_secs(20), "SERVING again", || async {
            health(addr).await == Some(serving)
        })
        .await;

        // Fault: the server is SIGKILLed mid-write and restarted on the same
        // data directory and port.
        sigkill(&child);
        let _ = child.wait().await;
        kills += 1;
        (child, _) = start_server(dir.path(), addr.port()).await;
        let back = acks_resume(&ledger, 5, Duration::from_secs(90)).await;
        restarts.push(back);

        if started.elapsed() >= soak {
            break;
        }
        tokio::time::sleep(Duration::from_secs(2)).await;
    }

    // Fault: SIGTERM under load — in-flight writes finish, the server exits
    // within its grace period.
    // SAFETY: signalling our own child process.
    unsafe { libc::kill(child.id().unwrap() as i32, libc::SIGTERM) };
    let exit = tokio::time::timeout(Duration::from_secs(20), child.wait())
        .await
        .expect("exits within the grace period")
        .unwrap();
    assert!(exit.success(), "{exit}");
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        let _ = t.await;
    }
    let elapsed = started.elapsed();

    // What is stored, against what was acknowledged.
    let mut pg = LocalPostgres::start(dir.path(), &LocalOptions::default())
        .await
        .unwrap();
    pg.take_ownership();
    let store = Store::connect_lazy(pg.connect_options("claimdb"), &PoolConfig::default());
    let rows: Vec<(String, i64)> = sqlx::query_as(
        "SELECT a.url, count(c.id) FROM articles a LEFT JOIN claims c ON c.article_id = a.id \
         GROUP BY a.url",
    )
    .fetch_all(store.pool())
    .await
    .unwrap();
    store.close().await;
    let _ = tokio::task::spawn_blocking(move || pg.stop()).await;
    let stored: HashMap<String, i64> = rows.into_iter().collect();
    let l = ledger.lock().unwrap();
    let mut missing = Vec::new();
    for url in &l.acked {
        if !stored.contains_key(url) {
            missing.push(url.clone());
        }
    }
    let mut half = Vec::new();
    for (url, n) in &stored {
        match l.sent.get(url) {
            Some(sent) if *sent as i64 == *n => {}
            other => half.push((url.clone(), *n, other.copied())),
        }
    }
    let failed: usize = l.failed.values().sum();
    let acked_set: std::collections::HashSet<_> = l.acked.iter().collect();
    let failed_but_stored = stored.keys().filter(|u| !acked_set.contains(u)).count();
    eprintln!(
        "RELIABILITY: {writers} writers for {elapsed:.1?}; faults: {pg_outages} PostgreSQL \
         stop/start, {kills} server SIGKILL+restart, 1 SIGTERM; writes sent {}, acknowledged {}, \
         acknowledged found {}, failed {failed} {:?}, failed-but-stored {failed_but_stored}, \
         half-stored {}; PostgreSQL down: UNAVAILABLE after {}, writes again {} after its return; \
         server killed: writes again {} after the restart began (median / max)",
        l.sent.len(),
        l.acked.len(),
        l.acked.len() - missing.len(),
        l.failed,
        half.len(),
        spread(outages.iter().map(|o| o.0)),
        spread(outages.iter().map(|o| o.1)),
        spread(restarts.iter().copied()),
    );
    assert!(missing.is_empty(), "acknowledged but missing: {missing:?}");
    assert!(half.is_empty(), "half-stored articles: {half:?}");
    assert!(l.acked.len() >= 30, "the load ran");
}

/// "median / max" of durations.
fn spread(d: impl Iterator<Item = Duration>) -> String {
    let mut v: Vec<Duration> = d.collect();
    v.sort();
    match (v.get(v.len() / 2), v.last()) {
        (Some(m), Some(x)) => format!("{:.2} s / {:.2} s", m.as_secs_f64(), x.as_secs_f64()),
        _ => "n/a".into(),
    }
}

/// Starts an in-process server with `limits` and metrics on; returns its
/// address, its metrics address and the guard that stops it.
async fn spawn_limited(
    limits: Limits,
) -> (SocketAddr, SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let (store, _) = fresh_database().await;
    let mut app = Application::with_store("127.0.0.1:0".parse().unwrap(), store, 8 << 20)
        .await
        .unwrap();
    app.set_limits(limits);
    let metrics = app
        .bind_metrics("127.0.0.1:0".parse().unwrap())
        .await
        .unwrap();
    let addr = app.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(app.run_until(async {
        let _ = rx.await;
    }));
    (addr, metrics, tx)
}

async fn scrape(addr: SocketAddr) -> String {
    let mut conn = tokio::net::TcpStream::connect(addr).await.unwrap();
    conn.write_all(b"GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let mut out = String::new();
    conn.read_to_string(&mut out).await.unwrap();
    out
}

/// A big article: slow enough to be in flight for a while.
fn heavy(url: &str, n: usize) -> pb::IngestArticleRequest {
    let texts: Vec<String> = (0..n).map(|k| format!("heavy claim number {k}")).collect();
    let claims: Vec<_> = texts
        .iter()
        .map(|t| ("Heavy Speaker", t.as_str(), day(2, 2)))
        .collect();
    article(url, &claims)
}

#[tokio::test]
async fn over_the_concurrency_limit_requests_are_shed_with_resource_exhausted() {
    let (addr, metrics, _stop) = spawn_limited(Limits {
        max_concurrent_requests: 2,
        request_timeout: None,
    })
    .await;
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let calls = (0..12).map(|i| {
        let mut c = ClaimServiceClient::new(channel.clone());
        async move {
            c.ingest_article(heavy(&format!("https://shed.test/{i}"), 400))
                .await
        }
    });
    let results = futures_util::future::join_all(calls).await;
    let shed = results
        .iter()
        .filter(|r| matches!(r, Err(e) if e.code() == Code::ResourceExhausted))
        .count();
    let ok = results.iter().filter(|r| r.is_ok()).count();
    assert!(shed > 0, "some were shed: {results:?}");
    assert!(ok > 0 && ok + shed == 12, "the rest succeeded: {results:?}");
    let text = scrape(metrics).await;
    assert!(text.contains("claimdb_requests_shed_total"), "{text}");
    // Health is never shed.
    let mut health = HealthClient::new(channel);
    health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .unwrap();
}

#[tokio::test]
async fn a_request_over_the_deadline_is_deadline_exceeded_and_rolled_back() {
    let (addr, _metrics, _stop) = spawn_limited(Limits {
        max_concurrent_requests: 0,
        request_timeout: Some(Duration::from_millis(1)),
    })
    .await;
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut c = ClaimServiceClient::new(channel);
    let err = c
        .ingest_article(heavy("https://slow.test/1", 2000))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::DeadlineExceeded, "{err:?}");
    // Nothing half-stored: the article is absent or complete.
    let got = c
        .list_claims(pb::ListClaimsRequest {
            page_size: 1000,
            ..Default::default()
        })
        .await;
    if let Ok(page) = got {
        let n = page.into_inner().claims.len();
        assert!(n == 0 || n >= 1000, "all or nothing, got {n}");
    }
}

#[tokio::test]
async fn metrics_count_requests_by_rpc_and_code_and_request_ids_come_back() {
    let (addr, metrics, _stop) = spawn_limited(Limits::default()).await;
    let channel = Channel::from_shared(format!("http://{addr}"))
        .unwrap()
        .connect()
        .await
        .unwrap();
    let mut c = ClaimServiceClient::new(channel);
    let resp = c
        .ingest_article(article("https://m.test/1", &[("A B", "x", day(1, 1))]))
        .await
        .unwrap();
    let id = resp
        .metadata()
        .get("x-request-id")
        .expect("a request id")
        .to_str()
        .unwrap();
    assert!(uuid::Uuid::parse_str(id).is_ok(), "{id}");
    // A page read twice: the second read gets its snapshots left out.
    let history = || pb::ListClaimsRequest {
        speaker: Some(person("A B")),
        ..Default::default()
    };
    let first = c.list_claims(history()).await.unwrap().into_inner();
    assert_eq!(c.list_claims(history()).await.unwrap().into_inner(), first);
    let mut req = tonic::Request::new(pb::GetClaimRequest {
        id: "bad".into(),
        as_of: None,
    });
    req.metadata_mut()
        .insert("x-request-id", "caller-id-42".parse().unwrap());
    let err = c.get_claim(req).await.unwrap_err();
    assert_eq!(err.metadata().get("x-request-id").unwrap(), "caller-id-42");
    let text = scrape(metrics).await;
    for needle in [
        "claimdb_requests_total{rpc=\"claimdb.v1.ClaimService/IngestArticle\",code=\"Ok\"}",
        "claimdb_requests_total{rpc=\"claimdb.v1.ClaimService/GetClaim\",code=\"InvalidArgument\"}",
        "claimdb_request_duration_seconds_bucket{rpc=\"claimdb.v1.ClaimService/IngestArticle\"",
        "claimdb_ingest_articles_total",
        "claimdb_db_pool_connections",
        "claimdb_db_acquire_wait_seconds",
        "claimdb_snapshot_reads_total{source=\"left_out\"}",
        "claimdb_snapshot_reads_total{source=\"decoded\"}",
        "claimdb_snapshot_reads_total{source=\"remembered\"}",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
    let left_out: f64 = text
        .lines()
        .find_map(|l| l.strip_prefix("claimdb_snapshot_reads_total{source=\"left_out\"} "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or_default();
    assert!(left_out >= 1.0, "the second read left nothing out:\n{text}");
}

/// The claim reads' pool returns a connection without testing it only when
/// its query ran to the end. A read cancelled while its query waits (the
/// client gave up: HTTP/2 resets the stream and the server drops the call)
/// leaves a reply in flight on that connection; the next reads on it must
/// still get their own answers, not the abandoned one.
#[tokio::test]
async fn reads_after_a_read_cancelled_mid_query_get_their_own_answers() {
    // Every read below reuses the one read connection, whose query was
    // abandoned.
    let (mut app, connect) = spawn_with_one_read_connection().await;
    let stored = app.ingest(crate::helpers::worked_example()).await;
    let ids: Vec<String> = stored.claims.iter().map(|c| c.id.clone()).collect();
    assert!(ids.len() >= 2, "the worked example has several claims");

    // Another session locks the claims table: the next read waits on it.
    let mut holder = sqlx::PgConnection::connect_with(&connect).await.unwrap();
    sqlx::query("BEGIN").execute(&mut holder).await.unwrap();
    sqlx::query("LOCK TABLE claims IN ACCESS EXCLUSIVE MODE")
        .execute(&mut holder)
        .await
        .unwrap();
    let mut client = app.claims.clone();
    let abandoned = tokio::spawn(async move {
        client
            .get_claim(pb::GetClaimRequest {
                id: ids_first(&stored),
                ..Default::default()
            })
            .await
    });
    let waiting = "SELECT count(*) FROM pg_stat_activity \
                   WHERE wait_event_type = 'Lock' AND query LIKE '%claim_revisions%'";
    wait_for(
        Duration::from_secs(20),
        "the read to wait on the lock",
        || {
            let pool = app.store.pool().clone();
            async move {
                sqlx::query_scalar::<_, i64>(waiting)
                    .fetch_one(&pool)
                    .await
                    .map(|n| n > 0)
                    .unwrap_or(false)
            }
        },
    )
    .await;
    // The client gives up; the server drops the call mid-query.
    abandoned.abort();
    let _ = abandoned.await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    sqlx::query("COMMIT").execute(&mut holder).await.unwrap();

    for round in 0..3 {
        for id in ids.iter().rev() {
            let got = app
                .claims
                .get_claim(pb::GetClaimRequest {
                    id: id.clone(),
                    ..Default::default()
                })
                .await
                .unwrap_or_else(|e| panic!("round {round}, GetClaim {id}: {e}"))
                .into_inner();
            assert_eq!(got.claim.map(|c| c.id).as_deref(), Some(id.as_str()));
        }
        let page = app
            .claims
            .list_claims(pb::ListClaimsRequest {
                page_size: 100,
                ..Default::default()
            })
            .await
            .unwrap_or_else(|e| panic!("round {round}, ListClaims: {e}"))
            .into_inner();
        assert_eq!(page.claims.len(), ids.len(), "round {round}");
    }
    // A claim that does not exist is still NOT_FOUND, and the connection
    // goes on serving after it.
    let missing = app
        .claims
        .get_claim(pb::GetClaimRequest {
            id: uuid::Uuid::now_v7().to_string(),
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound, "{missing:?}");
    assert!(app
        .claims
        .get_claim(pb::GetClaimRequest {
            id: ids[0].clone(),
            ..Default::default()
        })
        .await
        .is_ok());
    assert!(app.stop().await, "the server stops");
}

/// Many reads at once through a pool of one read connection all succeed:
/// they queue for it instead of failing.
#[tokio::test]
async fn concurrent_reads_queue_for_the_read_connections() {
    let (mut app, _) = spawn_with_one_read_connection().await;
    let stored = app.ingest(crate::helpers::worked_example()).await;
    let id = ids_first(&stored);
    let calls: Vec<_> = (0..32)
        .map(|_| {
            let mut c = app.claims.clone();
            let id = id.clone();
            tokio::spawn(async move {
                c.get_claim(pb::GetClaimRequest {
                    id,
                    ..Default::default()
                })
                .await
            })
        })
        .collect();
    for call in calls {
        let got = call.await.unwrap().unwrap().into_inner();
        assert_eq!(got.claim.map(|c| c.id), Some(id.clone()));
    }
    assert!(app.stop().await, "the server stops");
}

/// A server on a fresh database whose store may hold two connections: one
/// for the claim reads, one for the rest (plus the listener's); and the
/// database's connect options.
async fn spawn_with_one_read_connection() -> (crate::helpers::TestApp, PgConnectOptions) {
    let (first, _) = fresh_database().await;
    let options = PoolConfig {
        max_connections: 2,
        ..PoolConfig::default()
    };
    let connect = first.pool().connect_options().as_ref().clone();
    let store = Store::connect_lazy(connect.clone(), &options);
    (crate::helpers::TestApp::spawn_on(store).await, connect)
}

fn ids_first(stored: &pb::IngestArticleResponse) -> String {
    stored
        .claims
        .first()
        .map(|c| c.id.clone())
        .unwrap_or_default()
}
