//! The `claimdb` command-line client against a live server.

use std::path::PathBuf;

use claimdb::pb::v1 as pb;

use crate::helpers::{day, person, TestApp};

struct Run {
    ok: bool,
    stdout: String,
    stderr: String,
}

async fn claimdb(app: &TestApp, args: &[&str]) -> Run {
    let out = tokio::process::Command::new(env!("CARGO_BIN_EXE_claimdb"))
        .args(args)
        .env("CLAIMDB_SERVER", app.addr.to_string())
        .env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .await
        .expect("running claimdb");
    Run {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

#[tokio::test]
async fn ingest_is_resumable_and_reports_bad_items_by_file_and_line() {
    let app = TestApp::spawn().await;
    let first = claimdb(&app, &["ingest", "examples/worked_example.json"]).await;
    assert!(first.ok, "{}", first.stderr);
    assert!(
        first
            .stdout
            .contains("1 stored, 0 unchanged, 0 failed (5 new claims)"),
        "{}",
        first.stdout
    );
    let again = claimdb(&app, &["ingest", "examples/worked_example.json"]).await;
    assert!(
        again.stdout.contains("0 stored, 1 unchanged, 0 failed"),
        "{}",
        again.stdout
    );

    let dir = tempfile::tempdir().unwrap();
    let good = crate::helpers::article("https://e.com/cli1", &[("Ana Veloso", "one", day(1, 1))]);
    let good = claimdb::cli::json::to_json("claimdb.v1.IngestArticleRequest", &good).unwrap();
    let mut bad =
        crate::helpers::article("https://e.com/cli2", &[("Ana Veloso", "two", day(1, 2))]);
    bad.claims[0].spans[0].end += 2;
    let bad = claimdb::cli::json::to_json("claimdb.v1.IngestArticleRequest", &bad).unwrap();
    let lines = format!("{good}\n{{not json\n{bad}\n");
    std::fs::write(dir.path().join("batch.jsonl"), lines).unwrap();
    let path = dir.path().to_string_lossy().into_owned();
    let run = claimdb(&app, &["ingest", &path]).await;
    assert!(!run.ok, "a failed item makes the exit status non-zero");
    assert!(
        run.stdout.contains("1 stored, 0 unchanged, 2 failed"),
        "{}",
        run.stdout
    );
    assert!(run.stderr.contains("batch.jsonl:2"), "{}", run.stderr);
    assert!(run.stderr.contains("batch.jsonl:3"), "{}", run.stderr);
    assert!(run.stderr.contains("claims[0].spans"), "{}", run.stderr);
}

#[tokio::test]
async fn claims_prints_a_speakers_history_as_a_table_or_json() {
    let app = TestApp::spawn().await;
    assert!(
        claimdb(&app, &["ingest", "examples/worked_example.json"])
            .await
            .ok
    );
    let table = claimdb(&app, &["claims", "--speaker", "tomas ekwall"]).await;
    assert!(table.ok, "{}", table.stderr);
    let rows: Vec<&str> = table.stdout.lines().collect();
    assert!(rows[0].starts_with("SAID"), "{}", table.stdout);
    assert_eq!(rows.len(), 3, "{}", table.stdout);
    assert!(rows[1].contains("a partner that keeps its word"));
    assert!(rows[2].contains("We did not come here"));
    let json = claimdb(
        &app,
        &["claims", "--about", "Valdoria", "--json", "--text", "port"],
    )
    .await;
    let texts: Vec<String> = json
        .stdout
        .lines()
        .map(|l| {
            serde_json::from_str::<serde_json::Value>(l).unwrap()["text"]
                .as_str()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(texts.len(), 2, "{}", json.stdout);
    assert!(texts.iter().all(|t| t.contains("port")));
}

#[tokio::test]
async fn an_ambiguous_name_lists_the_candidates() {
    let mut app = TestApp::spawn().await;
    for _ in 0..2 {
        app.entities
            .create_entity(pb::CreateEntityRequest {
                entity: Some(pb::Entity {
                    kind: pb::EntityKind::Person as i32,
                    name: "John Smith".into(),
                    ..Default::default()
                }),
            })
            .await
            .unwrap();
    }
    let run = claimdb(&app, &["claims", "--speaker", "John Smith"]).await;
    assert!(!run.ok);
    assert!(run.stderr.contains("FailedPrecondition"), "{}", run.stderr);
    assert_eq!(
        run.stderr.matches("matches entity").count(),
        2,
        "{}",
        run.stderr
    );
    let _ = person("x");
}

#[tokio::test]
async fn watch_entities_and_revisions_print_what_the_server_holds() {
    let mut app = TestApp::spawn().await;
    let out = app.ingest(crate::helpers::worked_example()).await;
    let watch = claimdb(
        &app,
        &["watch", "--from-beginning", "--limit", "5", "--json"],
    )
    .await;
    assert!(watch.ok, "{}", watch.stderr);
    assert_eq!(watch.stdout.lines().count(), 5);
    assert!(watch.stdout.contains("REVISION_CHANGE_CREATED"));
    let entities = claimdb(&app, &["entities", "ekwal"]).await;
    assert!(
        entities.stdout.contains("Tomas Ekwall"),
        "{}",
        entities.stdout
    );
    let id = out.claims[0].id.clone();
    app.claims
        .retract_claim(pb::RetractClaimRequest {
            id: id.clone(),
            reason: "not a claim".into(),
            expected_revision: 1,
        })
        .await
        .unwrap();
    let revs = claimdb(&app, &["revisions", &id]).await;
    assert!(
        revs.stdout.contains("revision 1  created"),
        "{}",
        revs.stdout
    );
    assert!(
        revs.stdout.contains("revision 2  retracted"),
        "{}",
        revs.stdout
    );
    assert!(revs.stdout.contains("not a claim"), "{}", revs.stdout);
}

#[tokio::test]
async fn article_text_files_are_extracted_by_the_server() {
    let app = TestApp::spawn().await;
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval/article_01.txt");
    let run = claimdb(&app, &["ingest", &file.to_string_lossy()]).await;
    assert!(run.ok, "{}\n{}", run.stdout, run.stderr);
    let claims: i64 = app.count("claims").await;
    assert!(claims >= 10, "the extractor found {claims} claims");
    let history = claimdb(&app, &["claims", "--speaker", "Ana Veloso", "--json"]).await;
    assert!(history.ok, "{}", history.stderr);
    let first: serde_json::Value =
        serde_json::from_str(history.stdout.lines().next().unwrap()).unwrap();
    assert_eq!(first["provenance"]["extractor"], "claimdb-rules");
    assert!(first["confidence"].as_f64().is_some());
    // Re-ingesting the same file stores nothing new.
    let again = claimdb(&app, &["ingest", &file.to_string_lossy()]).await;
    assert!(
        again.stdout.contains("0 stored, 1 unchanged"),
        "{}",
        again.stdout
    );
}

#[tokio::test]
async fn extract_runs_locally_in_the_scorers_format() {
    let app = TestApp::spawn().await;
    let run = claimdb(&app, &["extract", "tests/fixtures/eval/article_01.txt"]).await;
    assert!(run.ok, "{}", run.stderr);
    let body = std::fs::read_to_string(format!(
        "{}/tests/fixtures/eval/article_01.txt",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap();
    let chars: Vec<char> = body.chars().collect();
    let mut n = 0;
    for line in run.stdout.lines() {
        let v: serde_json::Value = serde_json::from_str(line).unwrap();
        n += 1;
        if v["kind"] == "direct" && v.get("part_spans").is_none() {
            let (s, e) = (
                v["char_start"].as_u64().unwrap() as usize,
                v["char_end"].as_u64().unwrap() as usize,
            );
            let slice: String = chars[s..e].iter().collect();
            assert_eq!(
                slice,
                v["quote"].as_str().unwrap(),
                "offsets point into the file"
            );
        }
    }
    assert!(n >= 10);
}

#[tokio::test]
async fn the_cli_sends_its_api_key_to_a_server_that_requires_one() {
    use claimdb::auth::AuthMode;
    let app =
        crate::auth::SecureApp::spawn(AuthMode::Required, std::time::Duration::from_secs(30)).await;
    let key = app.key("cli-writer", "writer").await;
    let run = |key: Option<String>| {
        let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_claimdb"));
        cmd.args(["ingest", "examples/worked_example.json"])
            .env("CLAIMDB_SERVER", app.addr.to_string())
            .env_remove("CLAIMDB_API_KEY")
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        if let Some(k) = key {
            cmd.env("CLAIMDB_API_KEY", k);
        }
        cmd
    };
    let without = run(None).output().await.unwrap();
    assert!(!without.status.success());
    assert!(String::from_utf8_lossy(&without.stderr).contains("Unauthenticated"));
    let with = run(Some(key)).output().await.unwrap();
    assert!(
        with.status.success(),
        "{}",
        String::from_utf8_lossy(&with.stderr)
    );
    let revs: i64 =
        sqlx::query_scalar("SELECT count(*) FROM claim_revisions WHERE actor = 'cli-writer'")
            .fetch_one(app.store.pool())
            .await
            .unwrap();
    assert_eq!(revs, 5, "revisions record the key's name");
}
