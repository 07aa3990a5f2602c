//! Claims sent as ready bytes.
//!
//! `GetClaim` and `ListClaims` answer with the types below instead of the
//! generated `GetClaimResponse` and `ListClaimsResponse`: the same field
//! numbers, with each claim typed `bytes`. On the wire an embedded message
//! and a bytes field are the same (length-delimited), so clients see the
//! messages the `.proto` files describe; `build.rs` generates the server of
//! `ClaimService` around these two types.
//!
//! Why: a version's message never changes, so it is encoded once and kept
//! with the version in the snapshot memo ([`SharedClaim::derived`]); a
//! history page of remembered versions is then copies of ready bytes, not 50
//! conversions and encodings with a dozen allocations each. Only the fields
//! that name entities are written per response, straight from the page's
//! current summaries, because a rename or a merge changes them without a
//! new version. Protobuf allows a
//! message's fields in any order and merges concatenated encodings, so the
//! claim is the version's bytes followed by the entity fields.

use prost::bytes::Bytes;
use prost::encoding::{encode_key, encode_varint, encoded_len_varint, key_len, WireType};
use prost::Message;
use uuid::fmt::Hyphenated;
use uuid::Uuid;

use super::convert::{claim_without_entities, entity_kind_out};
use crate::domain::SharedClaim;
use crate::store::Directory;

/// Field numbers of the entity-naming fields of `Claim`, `ClaimSubject`
/// and `EntitySummary` (`proto/claimdb/v1/claim.proto`, `common.proto`; the
/// tests compare what is written with the generated messages).
const SPEAKERS: u32 = 3;
const RECIPIENT: u32 = 10;
const VIA: u32 = 11;
const SUBJECTS: u32 = 17;
const SUBJECT_ENTITY: u32 = 1;
const SUBJECT_ROLE: u32 = 2;
const SUMMARY_ID: u32 = 1;
const SUMMARY_NAME: u32 = 2;
const SUMMARY_KIND: u32 = 3;

/// `claimdb.v1.ListClaimsResponse` with its claims encoded.
#[derive(Clone, PartialEq, prost::Message)]
pub struct ListClaimsResponse {
    /// The page's claims, each an encoded `Claim`.
    #[prost(bytes = "bytes", repeated, tag = "1")]
    pub claims: Vec<Bytes>,
    /// Token of the next page; empty on the last.
    #[prost(string, tag = "2")]
    pub next_page_token: String,
}

/// `claimdb.v1.GetClaimResponse` with its claim encoded.
#[derive(Clone, PartialEq, prost::Message)]
pub struct GetClaimResponse {
    /// The claim, an encoded `Claim`.
    #[prost(bytes = "bytes", optional, tag = "1")]
    pub claim: Option<Bytes>,
}

/// The encoded `Claim` of a version, naming its entities as `dir` has them.
pub fn encode_claim(claim: &SharedClaim, dir: &Directory) -> Bytes {
    let version = claim.derived(|r| {
        claim_without_entities(r.clone())
            .encode_to_vec()
            .into_boxed_slice()
    });
    let r = claim.refs();
    let mut buf = Vec::with_capacity(version.len() + 80 * (2 + r.subjects.len()));
    buf.extend_from_slice(version);
    for id in &r.speakers {
        put_summary(&mut buf, SPEAKERS, dir, *id);
    }
    if let Some(id) = r.recipient {
        put_summary(&mut buf, RECIPIENT, dir, id);
    }
    if let Some(id) = r.via {
        put_summary(&mut buf, VIA, dir, id);
    }
    for s in r.subjects.iter() {
        let entity = Summary::of(dir, s.entity_id);
        let mut len = field_len(SUBJECT_ENTITY, entity.len());
        // proto3 leaves an empty string out, as the generated code does.
        if !s.role.is_empty() {
            len += field_len(SUBJECT_ROLE, s.role.len());
        }
        encode_key(SUBJECTS, WireType::LengthDelimited, &mut buf);
        encode_varint(len as u64, &mut buf);
        entity.put(&mut buf, SUBJECT_ENTITY);
        if !s.role.is_empty() {
            put_bytes(&mut buf, SUBJECT_ROLE, s.role.as_bytes());
        }
    }
    Bytes::from(buf)
}

/// An `EntitySummary` about to be written, borrowed from the directory: no
/// message is built and nothing is allocated. An id the directory does not
/// know gets a summary with only its id, as [`super::convert::claim_out`]
/// gives it.
struct Summary<'a> {
    id: [u8; Hyphenated::LENGTH],
    name: &'a str,
    kind: i32,
}

impl<'a> Summary<'a> {
    fn of(dir: &'a Directory, id: Uuid) -> Self {
        let mut text = [0u8; Hyphenated::LENGTH];
        id.hyphenated().encode_lower(&mut text);
        match dir.get(&id) {
            Some(s) => Self {
                id: text,
                name: &s.name,
                kind: entity_kind_out(s.kind),
            },
            None => Self {
                id: text,
                name: "",
                kind: 0,
            },
        }
    }

    /// The encoded length of the message.
    fn len(&self) -> usize {
        let mut n = field_len(SUMMARY_ID, self.id.len());
        if !self.name.is_empty() {
            n += field_len(SUMMARY_NAME, self.name.len());
        }
        if self.kind != 0 {
            n += key_len(SUMMARY_KIND) + encoded_len_varint(self.kind as u64);
        }
        n
    }

    /// Writes the message as field `tag`.
    fn put(&self, buf: &mut Vec<u8>, tag: u32) {
        encode_key(tag, WireType::LengthDelimited, buf);
        encode_varint(self.len() as u64, buf);
        put_bytes(buf, SUMMARY_ID, &self.id);
        if !self.name.is_empty() {
            put_bytes(buf, SUMMARY_NAME, self.name.as_bytes());
        }
        if self.kind != 0 {
            encode_key(SUMMARY_KIND, WireType::Varint, buf);
            encode_varint(self.kind as u64, buf);
        }
    }
}

/// Writes the summary of `id` as field `tag`.
fn put_summary(buf: &mut Vec<u8>, tag: u32, dir: &Directory, id: Uuid) {
    Summary::of(dir, id).put(buf, tag);
}

/// Writes a length-delimited field (an embedded message or a string).
fn put_bytes(buf: &mut Vec<u8>, tag: u32, body: &[u8]) {
    encode_key(tag, WireType::LengthDelimited, buf);
    encode_varint(body.len() as u64, buf);
    buf.extend_from_slice(body);
}

/// The encoded length of a length-delimited field of `len` bytes.
fn field_len(tag: u32, len: usize) -> usize {
    key_len(tag) + encoded_len_varint(len as u64) + len
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::convert::claim_out;
    use crate::domain::{ClaimRecord, EntityKind, EntitySummary};
    use crate::pb::v1 as pb;

    fn record(speaker: Uuid, subject: Uuid, via: Uuid) -> ClaimRecord {
        serde_json::from_value(serde_json::json!({
            "id": "01261fb0-3290-7672-832c-db795d75535d",
            "article_id": "01261fb0-3290-7f9f-a26c-479707e794cb",
            "publisher_id": null, "published_time": "2024-03-01T10:00:00Z",
            "speaker_ids": [speaker], "speaker_role": "minister", "kind": "mixed",
            "text": "We will \"win\" the vote.", "spans": [{"start": 3, "end": 26}],
            "cue": "said", "venue": "parliament", "recipient_id": subject, "via_id": via,
            "via_text": "told the agency",
            "said": {"text": "on Monday", "time": "2024-02-26T00:00:00Z", "inferred": true,
                     "precision": "day"},
            "subjects": [{"entity_id": subject, "role": "topic"}, {"entity_id": speaker, "role": ""}],
            "confidence": 0.75,
            "provenance": {"extractor": "rules", "extractor_version": "3", "human": "ed"},
            "state": "active", "revision": 4,
            "create_time": "2024-03-01T10:00:00Z", "update_time": "2024-03-02T11:30:00.5Z",
            "statement_id": "01261fb0-3290-7000-8000-000000000001"
        }))
        .unwrap_or_else(|e| panic!("{e}"))
    }

    fn dir(names: &[(Uuid, &str)]) -> Directory {
        names
            .iter()
            .map(|(id, name)| {
                let s = EntitySummary {
                    id: *id,
                    name: (*name).to_string(),
                    kind: EntityKind::Person,
                };
                (*id, s.into())
            })
            .collect()
    }

    #[test]
    fn the_ready_bytes_decode_to_the_message_built_field_by_field() {
        let (speaker, subject, via) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let rec = record(speaker, subject, via);
        let claim = SharedClaim::new(rec.clone());
        let before = dir(&[(speaker, "Ana Díaz"), (subject, "Budget"), (via, "AFP")]);
        let bytes = encode_claim(&claim, &before);
        let decoded = pb::Claim::decode(bytes).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decoded, claim_out(rec.clone(), &before));
        assert_eq!(decoded.speakers[0].name, "Ana Díaz");

        // A rename reaches the next response although the version's own
        // bytes were made before it.
        let after = dir(&[
            (speaker, "Ana Díaz Ruiz"),
            (subject, "Budget"),
            (via, "AFP"),
        ]);
        let decoded =
            pb::Claim::decode(encode_claim(&claim, &after)).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(decoded, claim_out(rec, &after));
        assert_eq!(decoded.speakers[0].name, "Ana Díaz Ruiz");
    }

    #[test]
    fn the_responses_have_the_generated_messages_wire_format() {
        let rec = record(Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let claim = SharedClaim::new(rec.clone());
        // No summaries: every entity shows only its id.
        let d = Directory::default();
        let list = ListClaimsResponse {
            claims: vec![encode_claim(&claim, &d), encode_claim(&claim, &d)],
            next_page_token: "next".into(),
        };
        let generated = pb::ListClaimsResponse::decode(list.encode_to_vec().as_slice())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(generated.claims, vec![claim_out(rec.clone(), &d); 2]);
        assert_eq!(generated.next_page_token, "next");
        let get = GetClaimResponse {
            claim: Some(encode_claim(&claim, &d)),
        };
        let generated = pb::GetClaimResponse::decode(get.encode_to_vec().as_slice())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(generated.claim, Some(claim_out(rec, &d)));
    }
}
