//! Claims: the validated input types, the stored record, and the rules that
//! tie a claim's text to its article (spans) and give it an identity
//! (fingerprint).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::entity::EntityRef;
use super::error::Violations;
use super::rfc3339;

/// Longest accepted claim text, in characters.
pub const MAX_TEXT_LEN: usize = 100_000;
/// Most speakers, subjects or spans one claim may have.
pub const MAX_PARTS: usize = 100;

/// How a claim reports the words.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimKind {
    /// Quoted words.
    Direct,
    /// Reported speech.
    Indirect,
    /// Reported speech with quoted fragments.
    Mixed,
}

impl ClaimKind {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Indirect => "indirect",
            Self::Mixed => "mixed",
        }
    }
}

/// How precisely the said time is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SaidPrecision {
    /// Minute or better.
    Exact,
    /// Calendar day.
    Day,
    /// Week.
    Week,
    /// Month.
    Month,
    /// Year.
    Year,
    /// Not known.
    Unknown,
}

/// Whether a claim stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ClaimState {
    /// It stands.
    Active,
    /// It was withdrawn; kept for the record.
    Retracted,
}

impl ClaimState {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Retracted => "retracted",
        }
    }
}

/// What a revision did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RevisionChange {
    /// First recorded.
    Created,
    /// Corrected by an update.
    Corrected,
    /// Retracted.
    Retracted,
    /// An entity it refers to was merged.
    Merged,
    /// It was moved to another statement (a statement merge or split).
    Regrouped,
}

impl RevisionChange {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Corrected => "corrected",
            Self::Retracted => "retracted",
            Self::Merged => "merged",
            Self::Regrouped => "regrouped",
        }
    }

    /// Parses a stored value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "created" => Self::Created,
            "corrected" => Self::Corrected,
            "retracted" => Self::Retracted,
            "merged" => Self::Merged,
            "regrouped" => Self::Regrouped,
            _ => return None,
        })
    }
}

/// A range of code points in an article body, `start` inclusive, `end`
/// exclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Span {
    /// First code point.
    pub start: usize,
    /// One past the last code point.
    pub end: usize,
}

/// When the words were said.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SaidTime {
    /// Start of the period; `None` when unknown.
    #[serde(default, deserialize_with = "rfc3339::opt_utc")]
    pub time: Option<DateTime<Utc>>,
    /// How precisely `time` is known.
    pub precision: SaidPrecision,
    /// The time expression as written.
    pub text: String,
    /// True when taken from the article's date rather than stated.
    pub inferred: bool,
}

/// Who or what produced a claim record.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize, Default)]
pub struct Provenance {
    /// Extractor name, when automatic.
    pub extractor: String,
    /// Extractor version.
    pub extractor_version: String,
    /// The person or key that entered it, when manual.
    pub human: String,
}

/// A subject reference in a request.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct SubjectRef {
    /// The entity.
    pub entity: EntityRef,
    /// Its role in the claim.
    pub role: String,
}

/// A validated claim from an ingest request; entities still unresolved.
#[derive(Debug, Clone, PartialEq)]
pub struct NewClaim {
    /// Speakers (at least one).
    pub speakers: Vec<EntityRef>,
    /// Role as written.
    pub speaker_role: String,
    /// Kind.
    pub kind: ClaimKind,
    /// Verbatim text (parts joined by one space).
    pub text: String,
    /// Where the parts sit in the body.
    pub spans: Vec<Span>,
    /// Cue as written.
    pub cue: String,
    /// Venue.
    pub venue: String,
    /// Addressee.
    pub recipient: Option<EntityRef>,
    /// Carrier.
    pub via: Option<EntityRef>,
    /// Carrying chain as written.
    pub via_text: String,
    /// Said time.
    pub said: SaidTime,
    /// Subjects.
    pub subjects: Vec<SubjectRef>,
    /// Confidence 0..=1.
    pub confidence: Option<f32>,
    /// Provenance.
    pub provenance: Provenance,
}

/// A validated correction: `Some` for each field named in the mask.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ClaimPatch {
    /// New speakers.
    pub speakers: Option<Vec<EntityRef>>,
    /// New role.
    pub speaker_role: Option<String>,
    /// New kind.
    pub kind: Option<ClaimKind>,
    /// New text.
    pub text: Option<String>,
    /// New spans.
    pub spans: Option<Vec<Span>>,
    /// New cue.
    pub cue: Option<String>,
    /// New venue.
    pub venue: Option<String>,
    /// New addressee (`Some(None)` clears it).
    pub recipient: Option<Option<EntityRef>>,
    /// New carrier (`Some(None)` clears it).
    pub via: Option<Option<EntityRef>>,
    /// New carrying chain.
    pub via_text: Option<String>,
    /// New said time (`Some(None)` clears it).
    pub said_time: Option<Option<DateTime<Utc>>>,
    /// New precision.
    pub said_precision: Option<SaidPrecision>,
    /// New time expression.
    pub said_time_text: Option<String>,
    /// New inferred flag.
    pub said_time_inferred: Option<bool>,
    /// New subjects.
    pub subjects: Option<Vec<SubjectRef>>,
    /// New confidence (`Some(None)` clears it).
    pub confidence: Option<Option<f32>>,
}

/// A subject as stored: resolved entity and role.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct SubjectLink {
    /// The entity.
    pub entity_id: Uuid,
    /// Its role.
    pub role: String,
}

/// One version of a stored claim, exactly as its revision snapshot keeps it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ClaimRecord {
    /// Claim id.
    pub id: Uuid,
    /// Article id.
    pub article_id: Uuid,
    /// The article's publisher.
    pub publisher_id: Option<Uuid>,
    /// The article's publication time.
    #[serde(default, deserialize_with = "rfc3339::opt_utc")]
    pub published_time: Option<DateTime<Utc>>,
    /// Speakers, in order.
    pub speaker_ids: Vec<Uuid>,
    /// Role as written.
    pub speaker_role: String,
    /// Kind.
    pub kind: ClaimKind,
    /// Verbatim text.
    pub text: String,
    /// Spans.
    pub spans: Vec<Span>,
    /// Cue.
    pub cue: String,
    /// Venue.
    pub venue: String,
    /// Addressee.
    pub recipient_id: Option<Uuid>,
    /// Carrier.
    pub via_id: Option<Uuid>,
    /// Carrying chain as written.
    pub via_text: String,
    /// Said time.
    pub said: SaidTime,
    /// Subjects.
    pub subjects: Vec<SubjectLink>,
    /// Confidence.
    pub confidence: Option<f32>,
    /// Provenance.
    pub provenance: Provenance,
    /// State.
    pub state: ClaimState,
    /// Revision number.
    pub revision: i64,
    /// First recorded.
    #[serde(deserialize_with = "rfc3339::utc")]
    pub create_time: DateTime<Utc>,
    /// This version recorded.
    #[serde(deserialize_with = "rfc3339::utc")]
    pub update_time: DateTime<Utc>,
    /// The statement (underlying remark) the claim belongs to. Absent in
    /// snapshots written before statements existed.
    #[serde(default)]
    pub statement_id: Option<Uuid>,
}

impl ClaimRecord {
    /// The key of "in the order they said it": the said time, else the
    /// article's publication time, else the record time.
    pub fn sort_time(&self) -> DateTime<Utc> {
        self.said
            .time
            .or(self.published_time)
            .unwrap_or(self.create_time)
    }

    /// The claim's identity inside its article (see [`fingerprint`]).
    pub fn fingerprint(&self) -> String {
        fingerprint(self.kind, &self.text, &self.spans, &self.speaker_ids)
    }

    /// Every entity id the record refers to.
    pub fn entity_ids(&self) -> impl Iterator<Item = Uuid> + '_ {
        entity_ids(
            &self.speaker_ids,
            &self.subjects,
            [self.recipient_id, self.via_id, self.publisher_id],
        )
    }
}

/// Speakers, subjects, then the single references (addressee, carrier,
/// publisher): the order every reader of a version's entities uses.
pub(super) fn entity_ids<'a>(
    speakers: &'a [Uuid],
    subjects: &'a [SubjectLink],
    singles: [Option<Uuid>; 3],
) -> impl Iterator<Item = Uuid> + 'a {
    speakers
        .iter()
        .copied()
        .chain(subjects.iter().map(|s| s.entity_id))
        .chain(singles.into_iter().flatten())
}

/// A claim's identity inside its article: kind, text, spans and the set of
/// speakers. Re-ingesting the same claim yields the same fingerprint, so it
/// is found instead of stored twice; the other fields are attributes that a
/// correction changes.
pub fn fingerprint(kind: ClaimKind, text: &str, spans: &[Span], speakers: &[Uuid]) -> String {
    let mut ids: Vec<String> = speakers.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids.dedup();
    let key = serde_json::json!([kind.as_str(), text, spans, ids]);
    hex::encode(Sha256::digest(key.to_string().as_bytes()))
}

/// Validates a claim's text.
pub fn parse_text(v: &mut Violations, field: &str, text: &str) -> String {
    if text.trim().is_empty() {
        v.push(field, "is required");
    }
    super::error::check_len(v, field, text, MAX_TEXT_LEN);
    text.to_string()
}

/// Validates the shape of spans (non-negative, non-empty, ascending,
/// non-overlapping); whether they fit a body is [`check_spans_against_body`].
pub fn parse_spans(v: &mut Violations, field: &str, raw: &[(i64, i64)]) -> Vec<Span> {
    if raw.len() > MAX_PARTS {
        v.push(field, format!("at most {MAX_PARTS} spans"));
        return Vec::new();
    }
    let mut spans = Vec::with_capacity(raw.len());
    let mut prev_end = 0usize;
    for (i, &(start, end)) in raw.iter().enumerate() {
        let f = format!("{field}[{i}]");
        if start < 0 || end < 0 {
            v.push(f, "offsets must not be negative");
            continue;
        }
        let (Ok(start), Ok(end)) = (usize::try_from(start), usize::try_from(end)) else {
            v.push(f, "offset out of range");
            continue;
        };
        if start >= end {
            v.push(f, format!("start ({start}) must be less than end ({end})"));
            continue;
        }
        if start < prev_end {
            v.push(f, "spans must be in order and must not overlap");
        }
        prev_end = end;
        spans.push(Span { start, end });
    }
    spans
}

/// Checks that each span lies inside `body` and that the spanned parts,
/// joined by one space, are exactly `text`. Walks the body once: spans are
/// ascending (checked by [`parse_spans`]), so this is linear in the body.
pub fn check_spans_against_body(
    v: &mut Violations,
    field: &str,
    text: &str,
    spans: &[Span],
    body: &str,
) {
    if spans.is_empty() {
        return;
    }
    let mut parts: Vec<&str> = Vec::with_capacity(spans.len());
    let mut indices = body.char_indices().map(|(b, _)| b).chain([body.len()]);
    let mut pos = 0usize; // code point index of the next item of `indices`
    let mut byte_at = |target: usize| -> Option<usize> {
        // Advance until the iterator yields the byte offset of `target`.
        for b in indices.by_ref() {
            pos += 1;
            if pos - 1 == target {
                return Some(b);
            }
        }
        None
    };
    let total_chars = body.chars().count();
    for (i, s) in spans.iter().enumerate() {
        if s.end > total_chars {
            v.push(
                format!("{field}[{i}].end"),
                format!(
                    "{} is past the end of the article body ({total_chars} characters)",
                    s.end
                ),
            );
            return;
        }
        let (Some(a), Some(b)) = (byte_at(s.start), byte_at(s.end)) else {
            v.push(
                format!("{field}[{i}]"),
                "spans must be in order and must not overlap",
            );
            return;
        };
        parts.push(&body[a..b]);
        // `byte_at(s.end)` consumed index `end`; the next span may start
        // exactly there only if it also ends later, which parse_spans allows.
        if i + 1 < spans.len() && spans[i + 1].start == s.end {
            v.push(
                format!("{field}[{}]", i + 1),
                "spans must not touch; join them into one",
            );
            return;
        }
    }
    let joined = parts.join(" ");
    if joined != text {
        v.push(
            field,
            format!(
                "the body at these spans reads {:?}, which is not the claim text",
                truncate(&joined, 120)
            ),
        );
    }
}

fn truncate(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let cut: String = s.chars().take(max).collect();
    format!("{cut}…")
}

/// Validates a confidence value.
pub fn parse_confidence(v: &mut Violations, field: &str, c: Option<f32>) -> Option<f32> {
    match c {
        Some(x) if !(0.0..=1.0).contains(&x) => {
            v.push(field, "must be between 0 and 1");
            None
        }
        other => other,
    }
}

/// Picks the precision when none was given: DAY with a time, else UNKNOWN.
pub fn default_precision(
    given: Option<SaidPrecision>,
    time: Option<DateTime<Utc>>,
) -> SaidPrecision {
    given.unwrap_or(if time.is_some() {
        SaidPrecision::Day
    } else {
        SaidPrecision::Unknown
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str, spans: &[(i64, i64)], body: &str) -> Violations {
        let mut v = Violations::new();
        let spans = parse_spans(&mut v, "spans", spans);
        if v.is_empty() {
            check_spans_against_body(&mut v, "spans", text, &spans, body);
        }
        v
    }

    #[test]
    fn spans_count_code_points_not_bytes() {
        let body = "“Ça va,” dit-elle, “très bien.”";
        assert!(check("Ça va, très bien.", &[(1, 7), (20, 30)], body).is_empty());
    }

    #[test]
    fn a_span_that_does_not_slice_to_the_text_is_rejected() {
        let body = "He said “no way” twice.";
        assert!(check("no way", &[(9, 15)], body).is_empty());
        let v = check("no way", &[(8, 15)], body);
        assert_eq!(v.list()[0].field, "spans");
    }

    #[test]
    fn bad_span_shapes_name_the_span() {
        let cases: [(&[(i64, i64)], &str); 4] = [
            (&[(-1, 3)], "spans[0]"),
            (&[(5, 5)], "spans[0]"),
            (&[(0, 4), (2, 6)], "spans[1]"),
            (&[(0, 400)], "spans[0].end"),
        ];
        for (spans, field) in cases {
            let v = check("abcd", spans, "abcdefgh");
            assert_eq!(v.list()[0].field, field, "{spans:?}");
        }
    }

    #[test]
    fn fingerprints_ignore_speaker_order() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        let s = [Span { start: 0, end: 3 }];
        assert_eq!(
            fingerprint(ClaimKind::Direct, "abc", &s, &[a, b]),
            fingerprint(ClaimKind::Direct, "abc", &s, &[b, a])
        );
        assert_ne!(
            fingerprint(ClaimKind::Direct, "abc", &s, &[a]),
            fingerprint(ClaimKind::Indirect, "abc", &s, &[a])
        );
    }
}
