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

use chrono::{DateTime, Utc};
use prost::bytes::{Buf, BufMut, Bytes};
use prost::encoding::{
    encode_key, encode_varint, encoded_len_varint, key_len, skip_field, DecodeContext, WireType,
};
use prost::{DecodeError, Message};
use uuid::fmt::Hyphenated;
use uuid::Uuid;

#[cfg(test)]
use super::convert::claim_without_entities;
use super::convert::{claim_kind_out, entity_kind_out, precision_out, state_out};
use crate::domain::{ClaimView, EntityRefs, EntitySummary, Names, SharedClaim};
use crate::store::{ClaimPage, Directory};

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
    /// The page's claims, naming their entities as each keeps them or as
    /// the page's directory has them (see [`ClaimPage`]), then the next
    /// page's token (empty on the last page).
    pub fn new(page: &ClaimPage, next_page_token: &str) -> Self {
        let mut encoded = Vec::with_capacity(page.items.len() * CLAIM_SIZE_HINT + 64);
        let mut entities = Vec::new();
        for (claim, kept) in page.items.iter().zip(&page.kept) {
            let version = version_of(claim);
            entities.clear();
            if *kept {
                put_kept_entities(&mut entities, claim, &page.entities);
            } else {
                let names = Names {
                    generation: page.generation,
                    until: page.until,
                    summaries: claim
                        .refs()
                        .named()
                        .map(|id| page.entities.get(&id).cloned())
                        .collect(),
                };
                put_entities(&mut entities, claim.refs(), |i, _| {
                    names.summaries.get(i).and_then(Option::as_deref)
                });
                claim.keep_names(names);
            }
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

/// Writes the entity fields of a claim that keeps its summaries. Kept
/// summaries are never dropped, only replaced, so they are there; were they
/// not, the page's directory (which does not hold them) would show the ids
/// alone rather than fail the page.
fn put_kept_entities(buf: &mut Vec<u8>, claim: &SharedClaim, dir: &Directory) {
    claim.with_names(|names| match names {
        Some(n) => put_entities(buf, claim.refs(), |i, _| {
            n.summaries.get(i).and_then(Option::as_deref)
        }),
        None => put_entities(buf, claim.refs(), |_, id| from_dir(dir, id)),
    });
}

/// The summary of `id` in `dir`.
fn from_dir(dir: &Directory, id: Uuid) -> Option<&EntitySummary> {
    dir.get(&id).map(|s| &**s)
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
    put_entities(&mut buf, claim.refs(), |_, id| from_dir(dir, id));
    Bytes::from(buf)
}

/// The version's own fields, encoded once per version (see the module).
fn version_of(claim: &SharedClaim) -> &[u8] {
    claim.derived(|r| version_form(&ClaimView::of(r)))
}

/// Field numbers of `Claim`'s own fields, `Span`, `Provenance` and
/// `google.protobuf.Timestamp`.
mod own {
    pub(super) const ID: u32 = 1;
    pub(super) const ARTICLE_ID: u32 = 2;
    pub(super) const SPEAKER_ROLE: u32 = 4;
    pub(super) const KIND: u32 = 5;
    pub(super) const TEXT: u32 = 6;
    pub(super) const SPANS: u32 = 7;
    pub(super) const CUE: u32 = 8;
    pub(super) const VENUE: u32 = 9;
    pub(super) const VIA_TEXT: u32 = 12;
    pub(super) const SAID_TIME: u32 = 13;
    pub(super) const SAID_PRECISION: u32 = 14;
    pub(super) const SAID_TIME_TEXT: u32 = 15;
    pub(super) const SAID_TIME_INFERRED: u32 = 16;
    pub(super) const CONFIDENCE: u32 = 18;
    pub(super) const PROVENANCE: u32 = 19;
    pub(super) const STATE: u32 = 20;
    pub(super) const REVISION: u32 = 21;
    pub(super) const CREATE_TIME: u32 = 22;
    pub(super) const UPDATE_TIME: u32 = 23;
    pub(super) const PUBLISHED_TIME: u32 = 24;
    pub(super) const STATEMENT_ID: u32 = 25;
    pub(super) const SPAN_START: u32 = 1;
    pub(super) const SPAN_END: u32 = 2;
    pub(super) const EXTRACTOR: u32 = 1;
    pub(super) const EXTRACTOR_VERSION: u32 = 2;
    pub(super) const HUMAN: u32 = 3;
    pub(super) const SECONDS: u32 = 1;
    pub(super) const NANOS: u32 = 2;
}

/// The encoded `Claim` of a version without the fields that name entities:
/// the process's derived form of a version ([`crate::domain::Form`],
/// installed by the server), written field by field from the view's
/// borrowed strings. The bytes are those prost writes for
/// [`claim_without_entities`] (fields in number order, proto3 defaults
/// left out; the tests compare the two).
pub fn version_form(v: &ClaimView<'_>) -> Box<[u8]> {
    let mut buf = Vec::with_capacity(v.text.len() + 320);
    let b = &mut buf;
    put_uuid(b, own::ID, v.id);
    put_uuid(b, own::ARTICLE_ID, v.article_id);
    put_str(b, own::SPEAKER_ROLE, &v.speaker_role);
    put_int(b, own::KIND, claim_kind_out(v.kind).into());
    put_str(b, own::TEXT, &v.text);
    for s in v.spans.iter() {
        let start = i64::from(i32::try_from(s.start).unwrap_or(i32::MAX));
        let end = i64::from(i32::try_from(s.end).unwrap_or(i32::MAX));
        let len = int_len(own::SPAN_START, start) + int_len(own::SPAN_END, end);
        encode_key(own::SPANS, WireType::LengthDelimited, b);
        encode_varint(len as u64, b);
        put_int(b, own::SPAN_START, start);
        put_int(b, own::SPAN_END, end);
    }
    put_str(b, own::CUE, &v.cue);
    put_str(b, own::VENUE, &v.venue);
    put_str(b, own::VIA_TEXT, &v.via_text);
    if let Some(t) = v.said.time {
        put_time(b, own::SAID_TIME, t);
    }
    put_int(
        b,
        own::SAID_PRECISION,
        precision_out(v.said.precision).into(),
    );
    put_str(b, own::SAID_TIME_TEXT, &v.said.text);
    put_int(b, own::SAID_TIME_INFERRED, i64::from(v.said.inferred));
    // An `optional` field: written when set, zero or not.
    if let Some(c) = v.confidence {
        encode_key(own::CONFIDENCE, WireType::ThirtyTwoBit, b);
        b.extend_from_slice(&c.to_le_bytes());
    }
    let p = &v.provenance;
    let len = str_len(own::EXTRACTOR, &p.extractor)
        + str_len(own::EXTRACTOR_VERSION, &p.extractor_version)
        + str_len(own::HUMAN, &p.human);
    encode_key(own::PROVENANCE, WireType::LengthDelimited, b);
    encode_varint(len as u64, b);
    put_str(b, own::EXTRACTOR, &p.extractor);
    put_str(b, own::EXTRACTOR_VERSION, &p.extractor_version);
    put_str(b, own::HUMAN, &p.human);
    put_int(b, own::STATE, state_out(v.state).into());
    put_int(b, own::REVISION, v.revision);
    put_time(b, own::CREATE_TIME, v.create_time);
    put_time(b, own::UPDATE_TIME, v.update_time);
    if let Some(t) = v.published_time {
        put_time(b, own::PUBLISHED_TIME, t);
    }
    if let Some(id) = v.statement_id {
        put_uuid(b, own::STATEMENT_ID, id);
    }
    buf.into_boxed_slice()
}

/// Writes a string field, left out when empty (proto3).
fn put_str(buf: &mut Vec<u8>, tag: u32, s: &str) {
    if !s.is_empty() {
        put_bytes(buf, tag, s.as_bytes());
    }
}

/// The encoded length of a string field as [`put_str`] writes it.
fn str_len(tag: u32, s: &str) -> usize {
    if s.is_empty() {
        0
    } else {
        field_len(tag, s.len())
    }
}

/// Writes a UUID's canonical text as a string field.
fn put_uuid(buf: &mut Vec<u8>, tag: u32, id: Uuid) {
    let mut text = [0u8; Hyphenated::LENGTH];
    put_bytes(buf, tag, id.hyphenated().encode_lower(&mut text).as_bytes());
}

/// Writes an integer, enum or bool field (a varint; negative values take
/// ten bytes, as protobuf's int32 and int64 do), left out when zero.
fn put_int(buf: &mut Vec<u8>, tag: u32, n: i64) {
    if n != 0 {
        encode_key(tag, WireType::Varint, buf);
        encode_varint(n as u64, buf);
    }
}

/// The encoded length of a field as [`put_int`] writes it.
fn int_len(tag: u32, n: i64) -> usize {
    if n == 0 {
        0
    } else {
        key_len(tag) + encoded_len_varint(n as u64)
    }
}

/// Writes a `google.protobuf.Timestamp` field (present even at the epoch,
/// as a set message field is).
fn put_time(buf: &mut Vec<u8>, tag: u32, t: DateTime<Utc>) {
    let (seconds, nanos) = (t.timestamp(), i64::from(t.timestamp_subsec_nanos()));
    encode_key(tag, WireType::LengthDelimited, buf);
    encode_varint(
        (int_len(own::SECONDS, seconds) + int_len(own::NANOS, nanos)) as u64,
        buf,
    );
    put_int(buf, own::SECONDS, seconds);
    put_int(buf, own::NANOS, nanos);
}

/// Writes the fields of a version that name entities, with the summary
/// `summary` gives for each id of [`EntityRefs::named`] (its position there
/// and the id).
fn put_entities<'a>(
    buf: &mut Vec<u8>,
    r: &EntityRefs,
    summary: impl Fn(usize, Uuid) -> Option<&'a EntitySummary>,
) {
    let mut at = 0;
    let mut next = |id: Uuid| {
        at += 1;
        Summary::of(id, summary(at - 1, id))
    };
    for id in &r.speakers {
        next(*id).put(buf, SPEAKERS);
    }
    if let Some(id) = r.recipient {
        next(id).put(buf, RECIPIENT);
    }
    if let Some(id) = r.via {
        next(id).put(buf, VIA);
    }
    for s in r.subjects.iter() {
        let entity = next(s.entity_id);
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

/// An `EntitySummary` about to be written, borrowed from where the reader
/// found it: no message is built and nothing is allocated. An id with no
/// summary gets one with only its id, as [`super::convert::claim_out`]
/// gives it.
struct Summary<'a> {
    id: [u8; Hyphenated::LENGTH],
    name: &'a str,
    kind: i32,
}

impl<'a> Summary<'a> {
    fn of(id: Uuid, found: Option<&'a EntitySummary>) -> Self {
        let mut text = [0u8; Hyphenated::LENGTH];
        id.hyphenated().encode_lower(&mut text);
        match found {
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
    fn the_version_form_is_the_bytes_prost_writes_for_the_claim_without_entities() {
        let base = record(Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let epoch = DateTime::<Utc>::UNIX_EPOCH;
        let mut variants = vec![base.clone()];
        let mut bare = base.clone();
        bare.speaker_role.clear();
        bare.text = "\"Quoted\"\nand é".into();
        bare.spans = vec![
            crate::domain::Span { start: 0, end: 0 },
            crate::domain::Span {
                start: 7,
                end: usize::MAX,
            },
        ];
        bare.cue.clear();
        bare.venue.clear();
        bare.via_text.clear();
        bare.said.time = None;
        bare.said.text.clear();
        bare.said.inferred = false;
        bare.confidence = Some(0.0);
        bare.provenance = Default::default();
        bare.revision = 0;
        bare.published_time = None;
        bare.statement_id = None;
        variants.push(bare);
        let mut old = base;
        old.said.time = Some(epoch - chrono::Duration::nanoseconds(1_500_000_001));
        old.create_time = epoch;
        old.confidence = None;
        old.state = crate::domain::ClaimState::Retracted;
        variants.push(old);
        for r in variants {
            let expected = claim_without_entities(r.clone()).encode_to_vec();
            assert_eq!(
                &*version_form(&ClaimView::of(&r)),
                expected.as_slice(),
                "{r:?}"
            );
            // From the JSON, as the memo decodes it.
            let json = serde_json::to_vec(&r).unwrap_or_else(|e| panic!("{e}"));
            let view: ClaimView<'_> =
                serde_json::from_slice(&json).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(&*version_form(&view), expected.as_slice());
        }
    }

    /// A page of `claims` read with `dir`; `kept` says which show the
    /// summaries they keep.
    fn page(claims: &[SharedClaim], dir: &Directory, kept: bool) -> ClaimPage {
        ClaimPage {
            items: claims.to_vec(),
            next: None,
            kept: vec![kept; claims.len()],
            entities: dir.clone(),
            generation: 7,
            until: std::time::Instant::now() + std::time::Duration::from_secs(60),
        }
    }

    #[test]
    fn the_responses_have_the_generated_messages_wire_format() {
        let rec = record(Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let claim = SharedClaim::new(rec.clone());
        // No summaries: every entity shows only its id.
        let d = Directory::default();
        let two = [claim.clone(), claim.clone()];
        let list = ListClaimsResponse::new(&page(&two, &d, false), "next");
        let generated = pb::ListClaimsResponse::decode(list.encode_to_vec().as_slice())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(generated.claims, vec![claim_out(rec.clone(), &d); 2]);
        assert_eq!(generated.next_page_token, "next");
        // The last page: no token, and an empty page is an empty message.
        let one = std::slice::from_ref(&claim);
        let last = ListClaimsResponse::new(&page(one, &d, false), "");
        let generated = pb::ListClaimsResponse::decode(last.encode_to_vec().as_slice())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(generated.claims, vec![claim_out(rec.clone(), &d)]);
        assert_eq!(generated.next_page_token, "");
        let empty = ListClaimsResponse::new(&page(&[], &d, false), "");
        assert_eq!(empty.encoded_len(), 0);
        let get = GetClaimResponse {
            claim: Some(encode_claim(&claim, &d)),
        };
        let generated = pb::GetClaimResponse::decode(get.encode_to_vec().as_slice())
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(generated.claim, Some(claim_out(rec, &d)));
    }

    #[test]
    fn a_page_keeps_the_summaries_it_showed_for_the_next_page() {
        let (speaker, subject, via) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let rec = record(speaker, subject, via);
        let claim = SharedClaim::new(rec.clone());
        let named = dir(&[(speaker, "Ana Díaz"), (subject, "Budget"), (via, "AFP")]);
        let decode = |r: ListClaimsResponse| {
            pb::ListClaimsResponse::decode(r.encode_to_vec().as_slice())
                .unwrap_or_else(|e| panic!("{e}"))
                .claims
        };
        let one = std::slice::from_ref(&claim);
        let first = decode(ListClaimsResponse::new(&page(one, &named, false), ""));
        assert_eq!(first, vec![claim_out(rec.clone(), &named)]);
        let now = std::time::Instant::now();
        assert!(claim.names_hold(7, now));
        assert!(!claim.names_hold(8, now), "not past a later rename");

        // A page that finds them holding looks nothing up: its directory is
        // empty, and the claim still shows every name, in every role.
        let again = decode(ListClaimsResponse::new(
            &page(one, &Directory::default(), true),
            "",
        ));
        assert_eq!(again, first);
        assert_eq!(again[0].speakers[0].name, "Ana Díaz");
        assert_eq!(
            again[0].subjects[0].entity.as_ref().map(|e| &*e.name),
            Some("Budget")
        );
        assert_eq!(again[0].via.as_ref().map(|e| &*e.name), Some("AFP"));

        // Older summaries never replace newer ones.
        let renamed = dir(&[
            (speaker, "Ana Díaz Ruiz"),
            (subject, "Budget"),
            (via, "AFP"),
        ]);
        let mut older = page(one, &renamed, false);
        older.generation = 6;
        let shown = decode(ListClaimsResponse::new(&older, ""));
        assert_eq!(shown[0].speakers[0].name, "Ana Díaz Ruiz");
        let kept = decode(ListClaimsResponse::new(
            &page(one, &Directory::default(), true),
            "",
        ));
        assert_eq!(kept[0].speakers[0].name, "Ana Díaz");
        let mut newer = page(one, &renamed, false);
        newer.generation = 8;
        decode(ListClaimsResponse::new(&newer, ""));
        let kept = decode(ListClaimsResponse::new(
            &page(one, &Directory::default(), true),
            "",
        ));
        assert_eq!(kept, vec![claim_out(rec, &renamed)]);
    }
}
