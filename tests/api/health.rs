//! Health follows the database: NOT_SERVING while PostgreSQL is down,
//! requests fail fast with UNAVAILABLE, and both recover by themselves.

use std::time::Duration;

use claimdb::pg_local::{LocalOptions, LocalPostgres};
use claimdb::store::{PoolConfig, Store};
use tonic::Code;
use tonic_health::pb::health_check_response::ServingStatus;
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::helpers::{article, day, wait_for, TestApp};

/// Stops the private cluster even when an assertion fails.
struct StopOnDrop<'a>(&'a LocalPostgres);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        let _ = self.0.stop_immediate();
    }
}

async fn status(addr: std::net::SocketAddr, service: &str) -> Option<i32> {
    let channel = tonic::transport::Channel::from_shared(format!("http://{addr}"))
        .ok()?
        .connect()
        .await
        .ok()?;
    let mut client = HealthClient::new(channel);
    let resp = client
        .check(HealthCheckRequest {
            service: service.into(),
        })
        .await
        .ok()?;
    Some(resp.into_inner().status)
}

#[tokio::test]
async fn health_turns_not_serving_while_postgres_is_down_and_recovers() {
    // This test stops its database, so it runs its own private cluster.
    let dir = tempfile::Builder::new()
        .prefix("claimdb-health-")
        .tempdir_in("/tmp")
        .unwrap();
    let pg = LocalPostgres::start(
        dir.path(),
        &LocalOptions {
            max_connections: 50,
            unsafe_fast: false,
        },
    )
    .await
    .expect("starting a private PostgreSQL");
    let _guard = StopOnDrop(&pg);
    let config = PoolConfig {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(1),
    };
    let store = Store::connect_lazy(pg.connect_options("claimdb"), &config);
    store.migrate().await.unwrap();
    let mut app = TestApp::spawn_on(store).await;
    let addr = app.addr;
    let serving = ServingStatus::Serving as i32;
    let not_serving = ServingStatus::NotServing as i32;
    wait_for(Duration::from_secs(20), "SERVING", || async {
        status(addr, "claimdb.v1.ClaimService").await == Some(serving)
    })
    .await;

    pg.stop_immediate().unwrap();
    wait_for(Duration::from_secs(20), "NOT_SERVING", || async {
        status(addr, "claimdb.v1.ClaimService").await == Some(not_serving)
    })
    .await;
    assert_eq!(status(addr, "").await, Some(not_serving));
    let started = std::time::Instant::now();
    let err = app
        .claims
        .ingest_article(article("https://e.com/down", &[("A B", "x", day(1, 1))]))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unavailable, "{err:?}");
    assert!(
        !err.message().contains("sqlx"),
        "no internal text: {}",
        err.message()
    );
    assert!(started.elapsed() < Duration::from_secs(10), "fails fast");

    pg.restart().unwrap();
    wait_for(Duration::from_secs(30), "SERVING again", || async {
        status(addr, "claimdb.v1.ClaimService").await == Some(serving)
    })
    .await;
    let out = app
        .ingest(article("https://e.com/up", &[("A B", "x", day(1, 1))]))
        .await;
    assert!(out.created);
    app.stop().await;
}
