//! EntityService: create, read, fuzzy search, update.

use claimdb::pb::v1 as pb;
use tonic::Code;

use crate::helpers::{bad_fields, TestApp};

fn entity(kind: pb::EntityKind, name: &str, aliases: &[&str]) -> pb::CreateEntityRequest {
    pb::CreateEntityRequest {
        entity: Some(pb::Entity {
            kind: kind as i32,
            name: name.into(),
            aliases: aliases.iter().map(|a| a.to_string()).collect(),
            ..Default::default()
        }),
    }
}

async fn create(app: &mut TestApp, req: pb::CreateEntityRequest) -> pb::Entity {
    app.entities
        .create_entity(req)
        .await
        .unwrap()
        .into_inner()
        .entity
        .unwrap()
}

#[tokio::test]
async fn entities_are_found_by_fuzzy_name_and_alias() {
    let mut app = TestApp::spawn().await;
    let veloso = create(
        &mut app,
        entity(pb::EntityKind::Person, "Ana María Veloso", &["Ana Veloso"]),
    )
    .await;
    create(&mut app, entity(pb::EntityKind::Person, "Milan Sebek", &[])).await;
    create(
        &mut app,
        entity(pb::EntityKind::Organization, "Harwick Institute", &[]),
    )
    .await;
    for query in ["veloso", "Ana Velosso", "ANA MARIA", "velo"] {
        let found = app
            .entities
            .list_entities(pb::ListEntitiesRequest {
                query: query.into(),
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .entities;
        assert_eq!(
            found.first().map(|e| e.id.clone()),
            Some(veloso.id.clone()),
            "{query}"
        );
    }
    let orgs = app
        .entities
        .list_entities(pb::ListEntitiesRequest {
            kind: pb::EntityKind::Organization as i32,
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .entities;
    assert_eq!(orgs.len(), 1);
    // Alphabetical listing pages through everything exactly once.
    let mut names = Vec::new();
    let mut token = String::new();
    loop {
        let page = app
            .entities
            .list_entities(pb::ListEntitiesRequest {
                page_size: 1,
                page_token: token,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner();
        names.extend(page.entities.into_iter().map(|e| e.name));
        if page.next_page_token.is_empty() {
            break;
        }
        token = page.next_page_token;
    }
    assert_eq!(
        names,
        ["Ana María Veloso", "Harwick Institute", "Milan Sebek"]
    );
}

#[tokio::test]
async fn updating_an_entity_changes_aliases_and_external_ids_and_checks_the_revision() {
    let mut app = TestApp::spawn().await;
    let e = create(&mut app, entity(pb::EntityKind::Person, "Ana Veloso", &[])).await;
    let update = |rev: i64| pb::UpdateEntityRequest {
        entity: Some(pb::Entity {
            id: e.id.clone(),
            aliases: vec!["A. Veloso".into()],
            external_ids: vec!["Q123".into()],
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["aliases".into(), "external_ids".into()],
        }),
        expected_revision: rev,
    };
    let u = app
        .entities
        .update_entity(update(1))
        .await
        .unwrap()
        .into_inner()
        .entity
        .unwrap();
    assert_eq!(u.aliases, ["A. Veloso"]);
    assert_eq!(u.external_ids, ["wikidata:Q123"]);
    assert_eq!(u.revision, 2);
    assert_eq!(u.name, "Ana Veloso");
    let stale = app.entities.update_entity(update(1)).await.unwrap_err();
    assert_eq!(stale.code(), Code::FailedPrecondition);
    // The external id now belongs to Veloso: another entity cannot take it.
    let mut other = entity(pb::EntityKind::Person, "Someone", &[]);
    other.entity.as_mut().unwrap().external_ids = vec!["wikidata:Q123".into()];
    let taken = app.entities.create_entity(other).await.unwrap_err();
    assert_eq!(taken.code(), Code::AlreadyExists);
}

#[tokio::test]
async fn bad_entities_name_every_bad_field() {
    let mut app = TestApp::spawn().await;
    let err = app
        .entities
        .create_entity(pb::CreateEntityRequest {
            entity: Some(pb::Entity {
                kind: 99,
                name: " ".into(),
                external_ids: vec!["no scheme".into()],
                ..Default::default()
            }),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), Code::InvalidArgument);
    assert_eq!(
        bad_fields(&err),
        ["entity.kind", "entity.name", "entity.external_ids[0]"]
    );
    let missing = app
        .entities
        .get_entity(pb::GetEntityRequest {
            id: uuid::Uuid::now_v7().to_string(),
        })
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);
    assert_eq!(app.count("entities").await, 0);
}

/// An UpdateEntity that changes only the name.
fn rename(id: &str, name: &str) -> pb::UpdateEntityRequest {
    pb::UpdateEntityRequest {
        entity: Some(pb::Entity {
            id: id.into(),
            name: name.into(),
            ..Default::default()
        }),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["name".into()],
        }),
        expected_revision: 0,
    }
}

/// The speaker names of a history page of the entity `id`'s claims.
async fn listed_names(
    claims: &mut claimdb::pb::v1::claim_service_client::ClaimServiceClient<
        tonic::transport::Channel,
    >,
    id: &str,
) -> Vec<String> {
    claims
        .list_claims(pb::ListClaimsRequest {
            speaker: Some(pb::EntityRef {
                id: id.into(),
                ..Default::default()
            }),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .claims
        .into_iter()
        .map(|c| c.speakers[0].name.clone())
        .collect()
}

#[tokio::test]
async fn a_rename_shows_at_once_in_the_claims_that_name_the_entity() {
    let mut app = TestApp::spawn().await;
    let stored = app.ingest(crate::helpers::worked_example()).await;
    let claim = &stored.claims[0];
    let speaker = claim.speakers[0].clone();
    // Read once, so the speaker's summary is cached, and read the history
    // twice, so its versions keep the summary and the second page shows it
    // without looking it up.
    let before = app
        .claims
        .get_claim(pb::GetClaimRequest {
            id: claim.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .claim
        .unwrap();
    assert_eq!(before.speakers[0].name, speaker.name);
    for _ in 0..2 {
        let listed = listed_names(&mut app.claims, &speaker.id).await;
        assert!(!listed.is_empty());
        assert!(listed.iter().all(|n| *n == speaker.name), "{listed:?}");
    }
    app.entities
        .update_entity(rename(&speaker.id, "Renamed Speaker"))
        .await
        .unwrap();
    let after = app
        .claims
        .get_claim(pb::GetClaimRequest {
            id: claim.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .claim
        .unwrap();
    assert_eq!(after.speakers[0].name, "Renamed Speaker");
    for _ in 0..2 {
        let listed = listed_names(&mut app.claims, &speaker.id).await;
        assert!(!listed.is_empty());
        assert!(listed.iter().all(|n| n == "Renamed Speaker"), "{listed:?}");
    }
}

/// Another `claimdb serve` process on the same database caches the
/// speaker's name; a rename made through this one reaches it by
/// LISTEN/NOTIFY at once, not after its cache's ten-minute backstop.
#[tokio::test]
async fn a_rename_reaches_the_cache_of_another_server_process_at_once() {
    use std::time::Duration;

    let mut app = TestApp::spawn().await;
    let stored = app.ingest(crate::helpers::worked_example()).await;
    let claim = stored.claims[0].clone();
    let speaker = claim.speakers[0].clone();
    let url = crate::helpers::database_url(&app.store);
    let (_other, addr) =
        crate::helpers::serve_process(["--listen", "127.0.0.1:0", "--database-url", url.as_str()])
            .await;
    let remote = claimdb::pb::v1::claim_service_client::ClaimServiceClient::connect(format!(
        "http://{addr}"
    ))
    .await
    .unwrap();
    let name_there = |mut c: claimdb::pb::v1::claim_service_client::ClaimServiceClient<_>| {
        let id = claim.id.clone();
        async move {
            c.get_claim(pb::GetClaimRequest {
                id,
                ..Default::default()
            })
            .await
            .unwrap()
            .into_inner()
            .claim
            .unwrap()
            .speakers[0]
                .name
                .clone()
        }
    };
    // Read there once, so its cache holds the old name, and list the
    // speaker's history there twice, so its versions keep it.
    assert_eq!(name_there(remote.clone()).await, speaker.name);
    for _ in 0..2 {
        let listed = listed_names(&mut remote.clone(), &speaker.id).await;
        assert!(listed.iter().all(|n| *n == speaker.name), "{listed:?}");
    }
    app.entities
        .update_entity(rename(&speaker.id, "Renamed Elsewhere"))
        .await
        .unwrap();
    let mut seen = String::new();
    for _ in 0..40 {
        seen = name_there(remote.clone()).await;
        if seen == "Renamed Elsewhere" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert_eq!(seen, "Renamed Elsewhere", "still the old name after 2 s");
    // Its history pages show the new name too: the versions' kept
    // summaries went with the notification.
    let listed = listed_names(&mut remote.clone(), &speaker.id).await;
    assert!(!listed.is_empty());
    assert!(
        listed.iter().all(|n| n == "Renamed Elsewhere"),
        "{listed:?}"
    );
}
