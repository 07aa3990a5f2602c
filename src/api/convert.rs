//! Conversions between protobuf messages and domain types. Parsing pushes
//! every problem into a [`Violations`] and keeps going, so one response can
//! name all bad fields.

use chrono::{DateTime, Utc};
use prost_types::Timestamp;
use uuid::Uuid;

use crate::domain::claim::{
    default_precision, parse_confidence, parse_spans, parse_text, MAX_PARTS,
};
use crate::domain::error::check_len;
use crate::domain::{
    self, ClaimKind, ClaimRecord, EntityKind, EntityRef, NewClaim, Provenance, SaidPrecision,
    SaidTime, SubjectRef, Violations,
};
use crate::pb::v1 as pb;
use crate::store::Directory;

/// Largest free-text attribute (cue, venue, role, ...), in characters.
const MAX_ATTR_LEN: usize = 2000;

/// Parses an optional timestamp, rejecting values outside years 1–9999.
pub fn time(v: &mut Violations, field: &str, t: Option<&Timestamp>) -> Option<DateTime<Utc>> {
    let t = t?;
    let nanos = u32::try_from(t.nanos).ok().filter(|n| *n < 1_000_000_000);
    let parsed = nanos
        .and_then(|n| DateTime::from_timestamp(t.seconds, n))
        .filter(|d| (1..=9999).contains(&chrono::Datelike::year(d)));
    if parsed.is_none() {
        v.push(field, "is not a valid timestamp (years 1 to 9999)");
    }
    parsed
}

/// A domain time as a protobuf timestamp.
pub fn timestamp(t: DateTime<Utc>) -> Timestamp {
    Timestamp {
        seconds: t.timestamp(),
        nanos: t.timestamp_subsec_nanos() as i32,
    }
}

/// Parses a required UUID.
pub fn uuid(v: &mut Violations, field: &str, raw: &str) -> Option<Uuid> {
    match raw.trim() {
        "" => {
            v.push(field, "is required");
            None
        }
        s => Uuid::parse_str(s)
            .map_err(|_| v.push(field, "must be a UUID"))
            .ok(),
    }
}

/// Parses an optional UUID ("" → None).
pub fn opt_uuid(v: &mut Violations, field: &str, raw: &str) -> Option<Uuid> {
    if raw.trim().is_empty() {
        None
    } else {
        uuid(v, field, raw)
    }
}

/// Parses an entity kind; UNSPECIFIED → None.
pub fn entity_kind(v: &mut Violations, field: &str, raw: i32) -> Option<EntityKind> {
    match pb::EntityKind::try_from(raw) {
        Ok(pb::EntityKind::Unspecified) => None,
        Ok(pb::EntityKind::Person) => Some(EntityKind::Person),
        Ok(pb::EntityKind::Organization) => Some(EntityKind::Organization),
        Ok(pb::EntityKind::Place) => Some(EntityKind::Place),
        Ok(pb::EntityKind::Group) => Some(EntityKind::Group),
        Ok(pb::EntityKind::Other) => Some(EntityKind::Other),
        Err(_) => {
            v.push(field, format!("unknown entity kind {raw}"));
            None
        }
    }
}

/// A domain entity kind on the wire.
pub fn entity_kind_out(k: EntityKind) -> i32 {
    (match k {
        EntityKind::Person => pb::EntityKind::Person,
        EntityKind::Organization => pb::EntityKind::Organization,
        EntityKind::Place => pb::EntityKind::Place,
        EntityKind::Group => pb::EntityKind::Group,
        EntityKind::Other => pb::EntityKind::Other,
    }) as i32
}

/// Parses a claim kind; UNSPECIFIED → None (callers decide if required).
pub fn claim_kind(v: &mut Violations, field: &str, raw: i32) -> Option<ClaimKind> {
    match pb::ClaimKind::try_from(raw) {
        Ok(pb::ClaimKind::Unspecified) => None,
        Ok(pb::ClaimKind::Direct) => Some(ClaimKind::Direct),
        Ok(pb::ClaimKind::Indirect) => Some(ClaimKind::Indirect),
        Ok(pb::ClaimKind::Mixed) => Some(ClaimKind::Mixed),
        Err(_) => {
            v.push(field, format!("unknown claim kind {raw}"));
            None
        }
    }
}

pub(super) fn claim_kind_out(k: ClaimKind) -> i32 {
    (match k {
        ClaimKind::Direct => pb::ClaimKind::Direct,
        ClaimKind::Indirect => pb::ClaimKind::Indirect,
        ClaimKind::Mixed => pb::ClaimKind::Mixed,
    }) as i32
}

/// Parses a said precision; UNSPECIFIED → None.
pub fn precision(v: &mut Violations, field: &str, raw: i32) -> Option<SaidPrecision> {
    match pb::SaidPrecision::try_from(raw) {
        Ok(pb::SaidPrecision::Unspecified) => None,
        Ok(pb::SaidPrecision::Exact) => Some(SaidPrecision::Exact),
        Ok(pb::SaidPrecision::Day) => Some(SaidPrecision::Day),
        Ok(pb::SaidPrecision::Week) => Some(SaidPrecision::Week),
        Ok(pb::SaidPrecision::Month) => Some(SaidPrecision::Month),
        Ok(pb::SaidPrecision::Year) => Some(SaidPrecision::Year),
        Ok(pb::SaidPrecision::Unknown) => Some(SaidPrecision::Unknown),
        Err(_) => {
            v.push(field, format!("unknown precision {raw}"));
            None
        }
    }
}

pub(super) fn precision_out(p: SaidPrecision) -> i32 {
    (match p {
        SaidPrecision::Exact => pb::SaidPrecision::Exact,
        SaidPrecision::Day => pb::SaidPrecision::Day,
        SaidPrecision::Week => pb::SaidPrecision::Week,
        SaidPrecision::Month => pb::SaidPrecision::Month,
        SaidPrecision::Year => pb::SaidPrecision::Year,
        SaidPrecision::Unknown => pb::SaidPrecision::Unknown,
    }) as i32
}

/// Parses an optional entity reference (all fields empty → None).
pub fn entity_ref(
    v: &mut Violations,
    field: &str,
    r: Option<&pb::EntityRef>,
    required: bool,
) -> Option<EntityRef> {
    let Some(r) = r else {
        if required {
            v.push(field, "is required");
        }
        return None;
    };
    let kind = entity_kind(v, &format!("{field}.kind"), r.kind);
    EntityRef::parse(v, field, &r.id, &r.external_id, &r.name, kind, required)
}

fn text_attr(v: &mut Violations, field: String, s: &str) -> String {
    check_len(v, &field, s, MAX_ATTR_LEN);
    s.trim().to_string()
}

fn speakers(v: &mut Violations, p: &str, refs: &[pb::EntityRef]) -> Vec<EntityRef> {
    if refs.is_empty() {
        v.push(format!("{p}.speakers"), "at least one speaker is required");
    }
    if refs.len() > MAX_PARTS {
        v.push(
            format!("{p}.speakers"),
            format!("at most {MAX_PARTS} speakers"),
        );
    }
    refs.iter()
        .enumerate()
        .filter_map(|(j, r)| entity_ref(v, &format!("{p}.speakers[{j}]"), Some(r), true))
        .collect()
}

fn subjects(v: &mut Violations, p: &str, subs: &[pb::SubjectInput]) -> Vec<SubjectRef> {
    if subs.len() > MAX_PARTS {
        v.push(
            format!("{p}.subjects"),
            format!("at most {MAX_PARTS} subjects"),
        );
    }
    subs.iter()
        .enumerate()
        .filter_map(|(j, s)| {
            let f = format!("{p}.subjects[{j}]");
            let role = text_attr(v, format!("{f}.role"), &s.role);
            entity_ref(v, &format!("{f}.entity"), s.entity.as_ref(), true)
                .map(|entity| SubjectRef { entity, role })
        })
        .collect()
}

fn spans(v: &mut Violations, field: String, spans: &[pb::Span]) -> Vec<domain::Span> {
    let raw: Vec<(i64, i64)> = spans
        .iter()
        .map(|s| (i64::from(s.start), i64::from(s.end)))
        .collect();
    parse_spans(v, &field, &raw)
}

fn provenance(v: &mut Violations, p: &str, prov: Option<&pb::Provenance>) -> Provenance {
    let Some(prov) = prov else {
        return Provenance::default();
    };
    Provenance {
        extractor: text_attr(v, format!("{p}.provenance.extractor"), &prov.extractor),
        extractor_version: text_attr(
            v,
            format!("{p}.provenance.extractor_version"),
            &prov.extractor_version,
        ),
        human: text_attr(v, format!("{p}.provenance.human"), &prov.human),
    }
}

/// Parses one claim of an ingest request; `p` is its field path.
pub fn new_claim(v: &mut Violations, p: &str, c: &pb::ClaimInput) -> Option<NewClaim> {
    let before = v.list().len();
    let kind = claim_kind(v, &format!("{p}.kind"), c.kind);
    if kind.is_none() && c.kind == 0 {
        v.push(
            format!("{p}.kind"),
            "is required (DIRECT, INDIRECT or MIXED)",
        );
    }
    let said_time = time(v, &format!("{p}.said_time"), c.said_time.as_ref());
    let said_precision = precision(v, &format!("{p}.said_precision"), c.said_precision);
    let claim = NewClaim {
        speakers: speakers(v, p, &c.speakers),
        speaker_role: text_attr(v, format!("{p}.speaker_role"), &c.speaker_role),
        kind: kind.unwrap_or(ClaimKind::Direct),
        text: parse_text(v, &format!("{p}.text"), &c.text),
        spans: spans(v, format!("{p}.spans"), &c.spans),
        cue: text_attr(v, format!("{p}.cue"), &c.cue),
        venue: text_attr(v, format!("{p}.venue"), &c.venue),
        recipient: entity_ref(v, &format!("{p}.recipient"), c.recipient.as_ref(), false),
        via: entity_ref(v, &format!("{p}.via"), c.via.as_ref(), false),
        via_text: text_attr(v, format!("{p}.via_text"), &c.via_text),
        said: SaidTime {
            time: said_time,
            precision: default_precision(said_precision, said_time),
            text: text_attr(v, format!("{p}.said_time_text"), &c.said_time_text),
            inferred: c.said_time_inferred,
        },
        subjects: subjects(v, p, &c.subjects),
        confidence: parse_confidence(v, &format!("{p}.confidence"), c.confidence),
        provenance: provenance(v, p, c.provenance.as_ref()),
    };
    (v.list().len() == before).then_some(claim)
}

/// Parses the fields of `c` named by `paths` into a patch.
pub fn claim_patch(v: &mut Violations, c: &pb::ClaimInput, paths: &[String]) -> domain::ClaimPatch {
    let mut patch = domain::ClaimPatch::default();
    if paths.is_empty() {
        v.push("update_mask", "name at least one field to change");
    }
    for (i, path) in paths.iter().enumerate() {
        let f = format!("claim.{path}");
        match path.as_str() {
            "speakers" => patch.speakers = Some(speakers(v, "claim", &c.speakers)),
            "speaker_role" => patch.speaker_role = Some(text_attr(v, f, &c.speaker_role)),
            "kind" => {
                patch.kind = claim_kind(v, &f, c.kind);
                if patch.kind.is_none() {
                    v.push(f, "is required (DIRECT, INDIRECT or MIXED)");
                }
            }
            "text" => patch.text = Some(parse_text(v, &f, &c.text)),
            "spans" => patch.spans = Some(spans(v, f, &c.spans)),
            "cue" => patch.cue = Some(text_attr(v, f, &c.cue)),
            "venue" => patch.venue = Some(text_attr(v, f, &c.venue)),
            "recipient" => patch.recipient = Some(entity_ref(v, &f, c.recipient.as_ref(), false)),
            "via" => patch.via = Some(entity_ref(v, &f, c.via.as_ref(), false)),
            "via_text" => patch.via_text = Some(text_attr(v, f, &c.via_text)),
            "said_time" => patch.said_time = Some(time(v, &f, c.said_time.as_ref())),
            "said_precision" => {
                patch.said_precision =
                    Some(precision(v, &f, c.said_precision).unwrap_or(SaidPrecision::Unknown))
            }
            "said_time_text" => patch.said_time_text = Some(text_attr(v, f, &c.said_time_text)),
            "said_time_inferred" => patch.said_time_inferred = Some(c.said_time_inferred),
            "subjects" => patch.subjects = Some(subjects(v, "claim", &c.subjects)),
            "confidence" => {
                patch.confidence = Some(parse_confidence(v, &f, c.confidence));
            }
            other => v.push(
                format!("update_mask.paths[{i}]"),
                format!("{other:?} is not a field of a claim that can be changed"),
            ),
        }
    }
    patch
}

/// A UUID's canonical text, written straight into a buffer: `to_string`
/// goes through `fmt::Display`, and a page of 50 claims writes about 300
/// UUIDs (3.5% of the server's CPU for a speaker history at 1M claims,
/// `perf`).
fn uuid_text(id: Uuid) -> String {
    let mut buf = [0u8; uuid::fmt::Hyphenated::LENGTH];
    id.hyphenated().encode_lower(&mut buf).to_owned()
}

fn summary(dir: &Directory, id: Uuid) -> pb::EntitySummary {
    match dir.get(&id) {
        Some(s) => pb::EntitySummary {
            id: uuid_text(s.id),
            name: s.name.clone(),
            kind: entity_kind_out(s.kind),
        },
        None => pb::EntitySummary {
            id: uuid_text(id),
            ..Default::default()
        },
    }
}

pub(super) fn state_out(s: domain::ClaimState) -> i32 {
    (match s {
        domain::ClaimState::Active => pb::ClaimState::Active,
        domain::ClaimState::Retracted => pb::ClaimState::Retracted,
    }) as i32
}

/// A stored claim version on the wire. It takes the record by value: its
/// strings move into the message instead of being copied (a history page
/// is 50 of them).
pub fn claim_out(r: ClaimRecord, dir: &Directory) -> pb::Claim {
    let pb::Claim {
        speakers,
        recipient,
        via,
        subjects,
        ..
    } = claim_entities(&r, dir);
    pb::Claim {
        speakers,
        recipient,
        via,
        subjects,
        ..claim_without_entities(r)
    }
}

/// Only the fields of a claim's message that name entities (speakers,
/// recipient, via, subjects), with their summaries from `dir`: the part of
/// the message that can change without a new version (a rename, a merge).
pub fn claim_entities(r: &ClaimRecord, dir: &Directory) -> pb::Claim {
    pb::Claim {
        speakers: r.speaker_ids.iter().map(|id| summary(dir, *id)).collect(),
        recipient: r.recipient_id.map(|id| summary(dir, id)),
        via: r.via_id.map(|id| summary(dir, id)),
        subjects: r
            .subjects
            .iter()
            .map(|s| pb::ClaimSubject {
                entity: Some(summary(dir, s.entity_id)),
                role: s.role.clone(),
            })
            .collect(),
        ..Default::default()
    }
}

/// Every field of a claim's message except those [`claim_entities`] fills:
/// a pure function of the version (see [`super::wire`]).
pub fn claim_without_entities(r: ClaimRecord) -> pb::Claim {
    pb::Claim {
        id: uuid_text(r.id),
        article_id: uuid_text(r.article_id),
        speakers: Vec::new(),
        speaker_role: r.speaker_role,
        kind: claim_kind_out(r.kind),
        text: r.text,
        spans: r
            .spans
            .iter()
            .map(|s| pb::Span {
                start: i32::try_from(s.start).unwrap_or(i32::MAX),
                end: i32::try_from(s.end).unwrap_or(i32::MAX),
            })
            .collect(),
        cue: r.cue,
        venue: r.venue,
        recipient: None,
        via: None,
        via_text: r.via_text,
        said_time: r.said.time.map(timestamp),
        said_precision: precision_out(r.said.precision),
        said_time_text: r.said.text,
        said_time_inferred: r.said.inferred,
        subjects: Vec::new(),
        confidence: r.confidence,
        provenance: Some(pb::Provenance {
            extractor: r.provenance.extractor,
            extractor_version: r.provenance.extractor_version,
            human: r.provenance.human,
        }),
        state: state_out(r.state),
        revision: r.revision,
        create_time: Some(timestamp(r.create_time)),
        update_time: Some(timestamp(r.update_time)),
        published_time: r.published_time.map(timestamp),
        statement_id: r.statement_id.map(uuid_text).unwrap_or_default(),
    }
}

/// A stored article on the wire.
pub fn article_out(a: &domain::Article, dir: &Directory, with_body: bool) -> pb::Article {
    pb::Article {
        id: a.id.to_string(),
        url: a.url.clone(),
        title: a.title.clone(),
        publisher: a.publisher_id.map(|id| summary(dir, id)),
        published_time: a.published_time.map(timestamp),
        language: a.language.clone(),
        body: if with_body {
            a.body.clone()
        } else {
            String::new()
        },
        body_sha256: a.body_sha256.clone(),
        claim_count: a.claim_count,
        create_time: Some(timestamp(a.create_time)),
    }
}

/// A stored entity on the wire.
pub fn entity_out(e: &domain::Entity) -> pb::Entity {
    pb::Entity {
        id: e.id.to_string(),
        kind: entity_kind_out(e.kind),
        name: e.name.clone(),
        aliases: e.aliases.clone(),
        external_ids: e.external_ids.clone(),
        description: e.description.clone(),
        revision: e.revision,
        create_time: Some(timestamp(e.create_time)),
        update_time: Some(timestamp(e.update_time)),
    }
}
