//! Bulk ingest throughput: `ImportArticles` (one stream, batched savepoint
//! transactions) against `IngestArticle` called once per article, on the same
//! server and database, in the same run.
//!
//! `cargo bench --bench ingest` (release). Starts its own PostgreSQL from the
//! machine's binaries (durable settings: fsync on) and an in-process server
//! on a loopback port. `INGEST_BENCH_ARTICLES` sets the articles per mode
//! (default 2000, 5 claims each).

use std::time::Instant;

use claimdb::app::Application;
use claimdb::pb::v1 as pb;
use claimdb::pb::v1::claim_service_client::ClaimServiceClient;
use claimdb::pg_local::{LocalOptions, LocalPostgres};
use claimdb::store::{PoolConfig, Store};

const CLAIMS_PER_ARTICLE: usize = 5;
const SPEAKERS: usize = 500;

/// A deterministic article: `CLAIMS_PER_ARTICLE` direct quotes by speakers
/// drawn from a fixed pool, with their spans into the body.
fn article(mode: &str, i: usize) -> pb::IngestArticleRequest {
    let mut body = String::new();
    let mut claims = Vec::new();
    for j in 0..CLAIMS_PER_ARTICLE {
        let speaker = format!("Speaker {}", (i * 7 + j * 13) % SPEAKERS);
        let quote = format!(
            "The {mode} figures for quarter {j} of item {i} show the port traffic rising again, and we expect more",
        );
        let prefix = format!("{speaker} said: “");
        let start = body.chars().count() + prefix.chars().count();
        body.push_str(&prefix);
        body.push_str(&quote);
        body.push_str("”\n");
        claims.push(pb::ClaimInput {
            speakers: vec![pb::EntityRef {
                name: speaker,
                kind: pb::EntityKind::Person as i32,
                ..Default::default()
            }],
            kind: pb::ClaimKind::Direct as i32,
            spans: vec![pb::Span {
                start: start as i32,
                end: (start + quote.chars().count()) as i32,
            }],
            text: quote,
            cue: "said".into(),
            subjects: vec![pb::SubjectInput {
                entity: Some(pb::EntityRef {
                    name: format!("Place {}", i % 50),
                    kind: pb::EntityKind::Place as i32,
                    ..Default::default()
                }),
                role: "topic".into(),
            }],
            ..Default::default()
        });
    }
    pb::IngestArticleRequest {
        article: Some(pb::ArticleInput {
            url: format!("https://bench.example/{mode}/{i}"),
            title: format!("Article {i}"),
            publisher: Some(pb::EntityRef {
                name: format!("Outlet {}", i % 20),
                kind: pb::EntityKind::Organization as i32,
                ..Default::default()
            }),
            body,
            ..Default::default()
        }),
        claims,
        extract: false,
    }
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let n: usize = std::env::var("INGEST_BENCH_ARTICLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let dir = tempfile::Builder::new()
        .prefix("claimdb-bench-")
        .tempdir_in("/tmp")?;
    let pg = LocalPostgres::start(dir.path(), &LocalOptions::default()).await?;
    let store = Store::connect_lazy(pg.connect_options("claimdb"), &PoolConfig::default());
    store.migrate().await?;
    let app = Application::with_store("127.0.0.1:0".parse()?, store, 64 << 20).await?;
    let addr = app.local_addr()?;
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(app.run_until(async {
        let _ = stopped.await;
    }));
    let mut client = ClaimServiceClient::connect(format!("http://{addr}")).await?;

    let one: Vec<_> = (0..n).map(|i| article("single", i)).collect();
    let started = Instant::now();
    for req in one {
        client.ingest_article(req).await?;
    }
    let single = started.elapsed();

    let many: Vec<_> = (0..n)
        .map(|i| pb::ImportArticlesRequest {
            article: Some(article("import", i)),
        })
        .collect();
    let started = Instant::now();
    let summary = client
        .import_articles(tokio_stream::iter(many))
        .await?
        .into_inner();
    let import = started.elapsed();
    anyhow::ensure!(
        summary.failed == 0,
        "import failed items: {:?}",
        summary.errors.first()
    );

    let claims = (n * CLAIMS_PER_ARTICLE) as f64;
    let single_rate = claims / single.as_secs_f64();
    let import_rate = claims / import.as_secs_f64();
    println!(
        "articles per mode: {n} ({} claims, {CLAIMS_PER_ARTICLE} per article)",
        n * CLAIMS_PER_ARTICLE
    );
    println!(
        "IngestArticle one by one: {:>8.0} claims/s ({:.2} s)",
        single_rate,
        single.as_secs_f64()
    );
    println!(
        "ImportArticles stream:    {:>8.0} claims/s ({:.2} s)",
        import_rate,
        import.as_secs_f64()
    );
    println!("ratio: {:.1}x", import_rate / single_rate);
    let _ = stop.send(());
    let _ = server.await;
    pg.stop();
    Ok(())
}
