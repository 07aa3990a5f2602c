//! Corrections, retractions and revisions.

use claimdb::pb::v1 as pb;
use tonic::{Code, Request};

use crate::helpers::{article, bad_fields, day, person, TestApp};

fn mask(paths: &[&str]) -> Option<prost_types::FieldMask> {
    Some(prost_types::FieldMask {
        paths: paths.iter().map(|p| p.to_string()).collect(),
    })
}

async fn one_claim(app: &mut TestApp) -> pb::Claim {
    app.ingest(article(
        "https://e.com/c",
        &[("Ana Veloso", "We will sign", day(5, 1))],
    ))
    .await
    .claims
    .remove(0)
}

#[tokio::test]
async fn a_correction_appends_a_revision_with_actor_and_reason() {
    let mut app = TestApp::spawn().await;
    let claim = one_claim(&mut app).await;
    let mut req = Request::new(pb::UpdateClaimRequest {
        id: claim.id.clone(),
        claim: Some(pb::ClaimInput {
            speakers: vec![person("Irena Castell")],
            cue: "told".into(),
            ..Default::default()
        }),
        update_mask: mask(&["speakers", "cue"]),
        expected_revision: 1,
        reason: "wrong speaker".into(),
    });
    req.metadata_mut()
        .insert("claimdb-actor", "desk-editor".parse().unwrap());
    let updated = app
        .claims
        .update_claim(req)
        .await
        .unwrap()
        .into_inner()
        .claim
        .unwrap();
    assert_eq!(updated.revision, 2);
    assert_eq!(updated.speakers[0].name, "Irena Castell");
    assert_eq!(updated.cue, "told");
    assert_eq!(
        updated.text, "We will sign",
        "fields outside the mask are kept"
    );
    let revs = app
        .claims
        .list_claim_revisions(pb::ListClaimRevisionsRequest {
            id: claim.id.clone(),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .revisions;
    assert_eq!(revs.len(), 2);
    assert_eq!(revs[0].change, pb::RevisionChange::Created as i32);
    assert_eq!(
        revs[0].claim.as_ref().unwrap().speakers[0].name,
        "Ana Veloso"
    );
    assert!(revs[0].superseded_time.is_some());
    assert_eq!(revs[1].change, pb::RevisionChange::Corrected as i32);
    assert_eq!(revs[1].actor, "desk-editor");
    assert_eq!(revs[1].reason, "wrong speaker");
    assert!(revs[1].superseded_time.is_none());
    // The speaker history follows the correction.
    let castell = app
        .claims
        .list_claims(pb::ListClaimsRequest {
            speaker: Some(person("Irena Castell")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .claims;
    assert_eq!(castell.len(), 1);
    let veloso = app
        .claims
        .list_claims(pb::ListClaimsRequest {
            speaker: Some(person("Ana Veloso")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner()
        .claims;
    assert!(veloso.is_empty());
    app.assert_links_current().await;
}

#[tokio::test]
async fn a_stale_expected_revision_is_refused_and_changes_nothing() {
    let mut app = TestApp::spawn().await;
    let claim = one_claim(&mut app).await;
    let update = |rev| pb::UpdateClaimRequest {
        id: claim.id.clone(),
        claim: Some(pb::ClaimInput {
            cue: format!("cue {rev}"),
            ..Default::default()
        }),
        update_mask: mask(&["cue"]),
        expected_revision: rev,
        reason: "fix".into(),
    };
    app.claims.update_claim(update(1)).await.unwrap();
    let err = app.claims.update_claim(update(1)).await.unwrap_err();
    assert_eq!(err.code(), Code::FailedPrecondition);
    assert!(err.message().contains("revision 2"), "{}", err.message());
    assert_eq!(app.count("claim_revisions").await, 2);
}

#[tokio::test]
async fn bad_corrections_name_every_bad_field() {
    let mut app = TestApp::spawn().await;
    let claim = one_claim(&mut app).await;
    let cases: Vec<(&str, pb::UpdateClaimRequest, Vec<&str>)> = vec![
        (
            "unknown mask path, no reason, no revision",
            pb::UpdateClaimRequest {
                id: claim.id.clone(),
                claim: Some(Default::default()),
                update_mask: mask(&["colour"]),
                ..Default::default()
            },
            vec!["update_mask.paths[0]", "expected_revision", "reason"],
        ),
        (
            "spans that do not fit the stored body",
            pb::UpdateClaimRequest {
                id: claim.id.clone(),
                claim: Some(pb::ClaimInput {
                    spans: vec![pb::Span { start: 0, end: 4 }],
                    ..Default::default()
                }),
                update_mask: mask(&["spans"]),
                expected_revision: 1,
                reason: "x".into(),
            },
            vec!["claim.spans"],
        ),
        (
            "a bad id",
            pb::UpdateClaimRequest {
                id: "nope".into(),
                claim: Some(Default::default()),
                update_mask: mask(&["cue"]),
                expected_revision: 1,
                reason: "x".into(),
            },
            vec!["id"],
        ),
    ];
    for (what, req, fields) in cases {
        let err = app.claims.update_claim(req).await.unwrap_err();
        assert_eq!(err.code(), Code::InvalidArgument, "{what}");
        assert_eq!(bad_fields(&err), fields, "{what}");
    }
    assert_eq!(app.count("claim_revisions").await, 1);
}

#[tokio::test]
async fn a_retracted_claim_is_kept_but_hidden_from_histories() {
    let mut app = TestApp::spawn().await;
    let claim = one_claim(&mut app).await;
    let list = |include_retracted| pb::ListClaimsRequest {
        speaker: Some(person("Ana Veloso")),
        include_retracted,
        ..Default::default()
    };
    // Read once first, so that the server holds the active version when
    // the history is read again after the retraction.
    for include_retracted in [false, true] {
        let before = app.claims.list_claims(list(include_retracted)).await;
        assert_eq!(before.unwrap().into_inner().claims.len(), 1);
    }
    let retract = pb::RetractClaimRequest {
        id: claim.id.clone(),
        reason: "not a claim".into(),
        expected_revision: 1,
    };
    let r = app
        .claims
        .retract_claim(retract.clone())
        .await
        .unwrap()
        .into_inner()
        .claim
        .unwrap();
    assert_eq!(r.state, pb::ClaimState::Retracted as i32);
    assert_eq!(r.revision, 2);
    assert!(app
        .claims
        .list_claims(list(false))
        .await
        .unwrap()
        .into_inner()
        .claims
        .is_empty());
    let shown = app.claims.list_claims(list(true)).await.unwrap();
    let shown = shown.into_inner().claims;
    assert_eq!(shown.len(), 1);
    assert_eq!(shown[0].state, pb::ClaimState::Retracted as i32);
    assert_eq!(shown[0].revision, 2);
    let got = app
        .claims
        .get_claim(pb::GetClaimRequest {
            id: claim.id.clone(),
            as_of: None,
        })
        .await
        .unwrap()
        .into_inner()
        .claim
        .unwrap();
    assert_eq!(got.state, pb::ClaimState::Retracted as i32);
    let again = app
        .claims
        .retract_claim(pb::RetractClaimRequest {
            expected_revision: 0,
            ..retract
        })
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::FailedPrecondition);
    assert_eq!(app.count("claims").await, 1);
    app.assert_links_current().await;
}

#[tokio::test]
async fn reading_a_claim_that_does_not_exist_is_not_found() {
    let app = TestApp::spawn().await;
    let mut c = app.claims.clone();
    let id = uuid::Uuid::now_v7().to_string();
    let get = c
        .get_claim(pb::GetClaimRequest {
            id: id.clone(),
            as_of: None,
        })
        .await
        .unwrap_err();
    assert_eq!(get.code(), Code::NotFound);
    let revs = c
        .list_claim_revisions(pb::ListClaimRevisionsRequest {
            id,
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert_eq!(revs.code(), Code::NotFound);
}
