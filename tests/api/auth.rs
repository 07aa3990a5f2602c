//! API keys: no key or a bad one is UNAUTHENTICATED, a reader cannot
//! write, changes record the key's name, revocation takes effect within the
//! cache time; health and reflection stay open; `claimdb keys` manages keys
//! straight in the database.

use std::time::Duration;

use claimdb::app::Application;
use claimdb::auth::{generate_key, hash_key, AuthMode};
use claimdb::pb::v1 as pb;
use claimdb::pb::v1::claim_service_client::ClaimServiceClient;
use claimdb::pb::v1::entity_service_client::EntityServiceClient;
use claimdb::store::Store;
use tokio::sync::oneshot;
use tonic::metadata::MetadataValue;
use tonic::transport::Channel;
use tonic::{Code, Request};
use tonic_health::pb::health_client::HealthClient;
use tonic_health::pb::HealthCheckRequest;

use crate::helpers::{article, database_url, day, fresh_database, wait_for};

/// A server with authentication on, over a fresh database.
pub(crate) struct SecureApp {
    pub(crate) store: Store,
    pub(crate) addr: std::net::SocketAddr,
    channel: Channel,
    _stop: oneshot::Sender<()>,
}

impl SecureApp {
    /// Starts a server in `mode` with a key cache of `ttl`.
    pub(crate) async fn spawn(mode: AuthMode, ttl: Duration) -> Self {
        let (store, _) = fresh_database().await;
        let mut app =
            Application::with_store("127.0.0.1:0".parse().unwrap(), store.clone(), 8 << 20)
                .await
                .expect("binding");
        app.set_auth(mode, ttl);
        let addr = app.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(app.run_until(async {
            let _ = rx.await;
        }));
        let channel = Channel::from_shared(format!("http://{addr}"))
            .unwrap()
            .connect()
            .await
            .expect("connecting");
        Self {
            store,
            addr,
            channel,
            _stop: tx,
        }
    }

    /// Stores a new key with `role` and returns it.
    pub(crate) async fn key(&self, name: &str, role: &str) -> String {
        let key = generate_key().unwrap();
        self.store
            .create_api_key(name, role, &hash_key(&key))
            .await
            .expect("creating a key");
        key
    }

    pub(crate) fn claims(&self) -> ClaimServiceClient<Channel> {
        ClaimServiceClient::new(self.channel.clone())
    }

    pub(crate) fn entities(&self) -> EntityServiceClient<Channel> {
        EntityServiceClient::new(self.channel.clone())
    }
}

/// A request carrying `authorization: Bearer <key>` (when given).
pub(crate) fn with_key<T>(msg: T, key: Option<&str>) -> Request<T> {
    let mut req = Request::new(msg);
    if let Some(k) = key {
        let v: MetadataValue<_> = format!("Bearer {k}").parse().unwrap();
        req.metadata_mut().insert("authorization", v);
    }
    req
}

fn list_all() -> pb::ListClaimsRequest {
    pb::ListClaimsRequest::default()
}

#[tokio::test]
async fn requests_without_a_valid_key_are_unauthenticated_but_health_stays_open() {
    let app = SecureApp::spawn(AuthMode::Required, Duration::from_secs(30)).await;
    let mut claims = app.claims();
    let cases: [(&str, Option<&str>); 3] = [
        ("no key", None),
        ("unknown key", Some("cdb_not-a-real-key")),
        ("empty key", Some("")),
    ];
    for (what, key) in cases {
        let err = claims
            .list_claims(with_key(list_all(), key))
            .await
            .unwrap_err();
        assert_eq!(err.code(), Code::Unauthenticated, "{what}: {err:?}");
    }
    let mut req = Request::new(list_all());
    req.metadata_mut()
        .insert("authorization", "Basic dXNlcjpwYXNz".parse().unwrap());
    let err = claims.list_claims(req).await.unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated, "basic auth: {err:?}");
    let err = claims
        .ingest_article(with_key(
            article("https://e.com/a", &[("A B", "x", day(1, 1))]),
            None,
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::Unauthenticated);
    assert_eq!(app.store.list_api_keys().await.unwrap().len(), 0);

    let mut health = HealthClient::new(app.channel.clone());
    let resp = health
        .check(HealthCheckRequest {
            service: String::new(),
        })
        .await
        .expect("health needs no key");
    assert!(resp.into_inner().status > 0);
}

#[tokio::test]
async fn a_reader_can_read_but_every_write_is_permission_denied() {
    let app = SecureApp::spawn(AuthMode::Required, Duration::from_secs(30)).await;
    let reader = app.key("dashboard", "reader").await;
    let writer = app.key("wire-importer", "writer").await;
    let mut claims = app.claims();
    claims
        .list_claims(with_key(list_all(), Some(&reader)))
        .await
        .expect("a reader reads");
    let err = claims
        .ingest_article(with_key(
            article("https://e.com/r", &[("A B", "x", day(1, 1))]),
            Some(&reader),
        ))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    let entity = pb::CreateEntityRequest {
        entity: Some(pb::Entity {
            name: "Some One".into(),
            kind: pb::EntityKind::Person as i32,
            ..Default::default()
        }),
    };
    let err = app
        .entities()
        .create_entity(with_key(entity.clone(), Some(&reader)))
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::PermissionDenied, "{err:?}");
    let rows: i64 = sqlx::query_scalar("SELECT count(*) FROM claims")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(rows, 0, "nothing was written");
    let admin = app.key("root", "admin").await;
    for key in [&writer, &admin] {
        let out = claims
            .ingest_article(with_key(
                article(
                    &format!("https://e.com/w/{}", &key[..8]),
                    &[("A B", "x", day(1, 1))],
                ),
                Some(key),
            ))
            .await
            .expect("writers and admins write");
        assert!(out.into_inner().created);
    }
}

#[tokio::test]
async fn every_change_records_the_keys_name_not_the_actor_header() {
    let app = SecureApp::spawn(AuthMode::Required, Duration::from_secs(30)).await;
    let key = app.key("desk-editor", "writer").await;
    let mut claims = app.claims();
    let mut req = with_key(
        article("https://e.com/actor", &[("Ana Lima", "x", day(1, 1))]),
        Some(&key),
    );
    req.metadata_mut()
        .insert("claimdb-actor", "someone-else".parse().unwrap());
    let out = claims.ingest_article(req).await.unwrap().into_inner();
    let claim_id = out.claims[0].id.clone();
    let mut upd = with_key(
        pb::UpdateClaimRequest {
            id: claim_id.clone(),
            claim: Some(pb::ClaimInput {
                speaker_role: "minister".into(),
                ..Default::default()
            }),
            update_mask: Some(prost_types::FieldMask {
                paths: vec!["speaker_role".into()],
            }),
            expected_revision: 1,
            reason: "title".into(),
        },
        Some(&key),
    );
    upd.metadata_mut()
        .insert("claimdb-actor", "spoofed".parse().unwrap());
    claims.update_claim(upd).await.expect("update");
    let revs = claims
        .list_claim_revisions(with_key(
            pb::ListClaimRevisionsRequest {
                id: claim_id,
                ..Default::default()
            },
            Some(&key),
        ))
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert_eq!(revs.len(), 2);
    for r in revs {
        assert_eq!(r.actor, "desk-editor");
    }
}

#[tokio::test]
async fn a_revoked_key_is_refused_within_the_cache_time() {
    let app = SecureApp::spawn(AuthMode::Required, Duration::from_millis(300)).await;
    let key = app.key("temp", "reader").await;
    let mut claims = app.claims();
    claims
        .list_claims(with_key(list_all(), Some(&key)))
        .await
        .expect("valid before revocation");
    assert!(app.store.revoke_api_key("temp").await.unwrap());
    wait_for(Duration::from_secs(5), "revocation to take effect", || {
        let mut claims = claims.clone();
        let key = key.clone();
        async move {
            matches!(
                claims.list_claims(with_key(list_all(), Some(&key))).await,
                Err(e) if e.code() == Code::Unauthenticated
            )
        }
    })
    .await;
    // The name can be used again by a new key.
    let again = app.key("temp", "reader").await;
    claims
        .list_claims(with_key(list_all(), Some(&again)))
        .await
        .expect("the new key works");
}

#[tokio::test]
async fn a_bootstrap_server_is_open_until_the_first_key_exists() {
    let app = SecureApp::spawn(AuthMode::OpenUntilFirstKey, Duration::from_millis(200)).await;
    let mut claims = app.claims();
    let mut req = with_key(
        article("https://e.com/open", &[("A B", "x", day(1, 1))]),
        None,
    );
    req.metadata_mut()
        .insert("claimdb-actor", "early-bird".parse().unwrap());
    let out = claims
        .ingest_article(req)
        .await
        .expect("open while no key exists");
    assert!(out.into_inner().created);
    let key = app.key("admin", "admin").await;
    wait_for(Duration::from_secs(5), "the server to lock", || {
        let mut claims = claims.clone();
        async move {
            matches!(claims.list_claims(list_all()).await,
                Err(e) if e.code() == Code::Unauthenticated)
        }
    })
    .await;
    claims
        .list_claims(with_key(list_all(), Some(&key)))
        .await
        .expect("the key works");
}

#[tokio::test]
async fn key_names_are_unique_among_active_keys_and_validated() {
    let app = SecureApp::spawn(AuthMode::Required, Duration::from_secs(30)).await;
    app.key("ops", "admin").await;
    let err = app
        .store
        .create_api_key("ops", "reader", &hash_key("another"))
        .await
        .unwrap_err();
    assert!(err.to_string().contains("exists"), "{err}");
    for bad in ["", "has space", "-dash-first", &"x".repeat(101)] {
        assert!(
            app.store
                .create_api_key(bad, "reader", &hash_key(bad))
                .await
                .is_err(),
            "{bad:?} accepted"
        );
    }
}

async fn keys_cli(url: &str, args: &[&str]) -> std::process::Output {
    tokio::process::Command::new(env!("CARGO_BIN_EXE_claimdb"))
        .arg("keys")
        .args(args)
        .args(["--database-url", url])
        .env("RUST_LOG", "warn")
        .output()
        .await
        .expect("running claimdb keys")
}

#[tokio::test]
async fn claimdb_keys_creates_a_working_key_lists_it_and_revokes_it() {
    let app = SecureApp::spawn(AuthMode::Required, Duration::from_millis(200)).await;
    let url = database_url(&app.store);
    let out = keys_cli(&url, &["create", "--name", "ci-bot", "--role", "writer"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let key = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(key.starts_with("cdb_"), "{key}");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT key_hash FROM api_keys WHERE name = 'ci-bot'")
        .fetch_one(app.store.pool())
        .await
        .unwrap();
    assert_eq!(stored, hash_key(&key).to_vec(), "only the hash is stored");
    let mut claims = app.claims();
    claims
        .ingest_article(with_key(
            article("https://e.com/cli", &[("A B", "x", day(1, 1))]),
            Some(&key),
        ))
        .await
        .expect("the printed key works");

    let out = keys_cli(&url, &["list"]).await;
    let listing = String::from_utf8(out.stdout).unwrap();
    assert!(
        listing.contains("ci-bot") && listing.contains("writer"),
        "{listing}"
    );
    assert!(!listing.contains(&key), "list never shows keys");

    let dup = keys_cli(&url, &["create", "--name", "ci-bot", "--role", "reader"]).await;
    assert!(!dup.status.success());
    let bad_role = keys_cli(&url, &["create", "--name", "x", "--role", "root"]).await;
    assert!(!bad_role.status.success());

    let out = keys_cli(&url, &["revoke", "ci-bot"]).await;
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    wait_for(
        Duration::from_secs(5),
        "the revoked key to be refused",
        || {
            let mut claims = claims.clone();
            let key = key.clone();
            async move {
                matches!(claims.list_claims(with_key(list_all(), Some(&key))).await,
                Err(e) if e.code() == Code::Unauthenticated)
            }
        },
    )
    .await;
    let again = keys_cli(&url, &["revoke", "ci-bot"]).await;
    assert!(!again.status.success(), "nothing left to revoke");
}
