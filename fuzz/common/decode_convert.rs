//! The check shared by the libFuzzer target and the stable runner: decode
//! bytes as a request message, convert it to domain types the way the
//! server does before any SQL runs, and turn violations into the status the
//! client would get. It must never panic, and statuses must stay small.

use claimdb::api::{claims, convert, error, statements};
use claimdb::domain::Violations;
use claimdb::pb::v1 as pb;
use prost::Message;

/// Largest status message the server may send (STACK.md, trap 1).
const MAX_MESSAGE: usize = 1100;

fn status_of(v: &Violations) {
    let status = error::invalid(v);
    assert!(
        status.message().len() <= MAX_MESSAGE,
        "status message too long"
    );
}

/// Runs one input. The first byte picks the message type.
pub fn check(data: &[u8]) {
    let Some((&which, bytes)) = data.split_first() else {
        return;
    };
    match which % 5 {
        0 => {
            if let Ok(req) = pb::IngestArticleRequest::decode(bytes) {
                ingest(&req);
            }
        }
        1 => {
            if let Ok(req) = pb::ListClaimsRequest::decode(bytes) {
                if let Err(v) = claims::parse_list(&req) {
                    status_of(&v);
                }
            }
        }
        2 => {
            if let Ok(req) = pb::ListStatementsRequest::decode(bytes) {
                let mut v = Violations::new();
                let _ = statements::parse_list(&mut v, "", &req);
                status_of(&v);
            }
        }
        3 => {
            if let Ok(req) = pb::UpdateClaimRequest::decode(bytes) {
                let mut v = Violations::new();
                let _ = convert::uuid(&mut v, "id", &req.id);
                let paths = req.update_mask.map(|m| m.paths).unwrap_or_default();
                let _ = convert::claim_patch(&mut v, &req.claim.unwrap_or_default(), &paths);
                status_of(&v);
            }
        }
        _ => {
            // The proto3 JSON mapping (what grpcurl and `claimdb ingest` send).
            let text = String::from_utf8_lossy(bytes);
            if let Ok(req) = claimdb::cli::json::from_json::<pb::IngestArticleRequest>(
                "claimdb.v1.IngestArticleRequest",
                &text,
            ) {
                ingest(&req);
            }
        }
    }
}

fn ingest(req: &pb::IngestArticleRequest) {
    match claims::parse_ingest(req) {
        Err(v) => status_of(&v),
        Ok((article, new_claims)) => {
            // Accepted input re-encodes and decodes to the same message.
            let again = pb::IngestArticleRequest::decode(req.encode_to_vec().as_slice())
                .expect("re-decoding an accepted request");
            assert_eq!(&again, req);
            let _ = (article, new_claims);
        }
    }
}
