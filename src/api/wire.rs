//! Claims sent as ready bytes.
//!
//! `GetClaim` and `ListClaims` answer with the types below instead of the
//! generated `GetClaimResponse` and `ListClaimsResponse`: the same field
//! numbers, with each claim written as ready bytes (`GetClaimResponse` types
//! it `bytes`; `ListClaimsResponse` holds its whole page encoded). On the
//! wire an embedded message and a bytes field are the same
//! (length-delimited), so clients see the messages the `.proto` files
//! describe; `build.rs` generates the server of `ClaimService` around these
//! two types.
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

use prost::bytes::{Buf, BufMut, Bytes};
use prost::encoding::{
    encode_key, encode_varint, encoded_len_varint, key_len, skip_field, DecodeContext, WireType,
};
use prost::{DecodeError, Message};
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
/// Field numbers of `ListClaimsResponse` (`proto/claimdb/v1/claim.proto`).
const LIST_CLAIMS: u32 = 1;
const LIST_NEXT_PAGE_TOKEN: u32 = 2;

/// About what one claim of the bench data takes encoded with its entities
/// (436 bytes of its own fields, 3-4 summaries of about 60): enough that a
/// page's buffer rarely grows.
const CLAIM_SIZE_HINT: usize = 768;

/// `claimdb.v1.ListClaimsResponse`, encoded whole when the page is read:
/// one buffer for the page instead of one per claim (two allocations each,
/// the claim's and its `Bytes` handle, and their frees), copied once more
/// into the HTTP/2 frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ListClaimsResponse {
    encoded: Vec<u8>,
}

impl ListClaimsResponse {
    /// The page of `claims`, naming their entities as `dir` has them, then
    /// the next page's token (empty on the last page).
    pub fn new(claims: &[SharedClaim], dir: &Directory, next_page_token: &str) -> Self {
        let mut encoded = Vec::with_capacity(claims.len() * CLAIM_SIZE_HINT + 64);
        let mut entities = Vec::new();
        for claim in claims {
            let version = version_of(claim);
            entities.clear();
            put_entities(&mut entities, claim, dir);
            encode_key(LIST_CLAIMS, WireType::LengthDelimited, &mut encoded);
            encode_varint((version.len() + entities.len()) as u64, &mut encoded);
            encoded.extend_from_slice(version);
            encoded.extend_from_slice(&entities);
        }
        // proto3 leaves an empty string out, as the generated code does.
        if !next_page_token.is_empty() {
            put_bytes(
                &mut encoded,
                LIST_NEXT_PAGE_TOKEN,
                next_page_token.as_bytes(),
            );
        }
        Self { encoded }
    }
}

/// The response is only ever sent: it is written as it was encoded, and
/// decoding one (which nothing in the server does) keeps nothing.
impl Message for ListClaimsResponse {
    fn encode_raw(&self, buf: &mut impl BufMut) {
        buf.put_slice(&self.encoded);
    }

    fn merge_field(
        &mut self,
        tag: u32,
        wire_type: WireType,
        buf: &mut impl Buf,
        ctx: DecodeContext,
    ) -> Result<(), DecodeError> {
        skip_field(wire_type, tag, buf, ctx)
    }

    fn encoded_len(&self) -> usize {
        self.encoded.len()
    }

    fn clear(&mut self) {
        self.encoded.clear();
    }
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
    let version = version_of(claim);
    let mut buf = Vec::with_capacity(version.len() + 80 * (2 + claim.refs().subjects.len()));
    buf.extend_from_slice(version);
    put_entities(&mut buf, claim, dir);
    Bytes::from(buf)
}

/// The version's own fields, encoded once per version (see the module).
fn version_of(claim: &SharedClaim) -> &[u8] {
    claim.derived(|r| {
        claim_without_entities(r.clone())
            .encode_to_vec()
            .into_boxed_slice()
    })
}

/// Writes the fields of `claim` that name entities, from `dir`.
fn put_entities(buf: &mut Vec<u8>, claim: &SharedClaim, dir: &Directory) {
    let r = claim.refs();
    for id in &r.speakers {
        put_summary(buf, SPEAKERS, dir, *id);
    }
    if let Some(id) = r.recipient {
        put_summary(buf, RECIPIENT, dir, id);
    }
    if let Some(id) = r.via {
        put_summary(buf, VIA, dir, id);
    }
    for s in r.subjects.iter() {
        let entity = Summary::of(dir, s.entity_id);
        let mut len = field_len(SUBJECT_ENTITY, entity.len());
        // proto3 leaves an empty string out, as the generated code does.
        if !s.role.is_empty() {
            len += field_len(SUBJECT_ROLE, s.role.len());
        }
        encode_key(SUBJECTS, WireType::LengthDelimited, buf);
        encode_varint(len as u64, buf);
        entity.put(buf, SUBJECT_ENTITY);
        if !s.role.is_empty() {
            put_bytes(buf, SUBJECT_ROLE, s.role.as_bytes());
        }
    }
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
        let list = ListClaimsResponse::new(&[claim.clone(), claim.clone()], &d, "next");
        let generated = pb::ListClaimsResponse::decode(list.encode_to_vec().as_slice())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(generated.claims, vec![claim_out(rec.clone(), &d); 2]);
        assert_eq!(generated.next_page_token, "next");
        // The last page: no token, and an empty page is an empty message.
        let last = ListClaimsResponse::new(std::slice::from_ref(&claim), &d, "");
        let generated = pb::ListClaimsResponse::decode(last.encode_to_vec().as_slice())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(generated.claims, vec![claim_out(rec.clone(), &d)]);
        assert_eq!(generated.next_page_token, "");
        assert_eq!(ListClaimsResponse::new(&[], &d, "").encoded_len(), 0);
        let get = GetClaimResponse {
            claim: Some(encode_claim(&claim, &d)),
        };
        let generated = pb::GetClaimResponse::decode(get.encode_to_vec().as_slice())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(generated.claim, Some(claim_out(rec, &d)));
    }
}
