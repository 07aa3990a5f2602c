//! The built-in extractor on the wire: `ExtractClaims`, and the claims that
//! `IngestArticle` with `extract = true` adds to a request.

use chrono::{DateTime, NaiveDate, Utc};

use crate::domain::claim::{check_spans_against_body, parse_spans};
use crate::domain::Violations;
use crate::extract::{
    self, ExtractOptions, ExtractedClaim, ExtractedKind, Precision, SpeakerKind, EXTRACTOR_NAME,
    EXTRACTOR_VERSION,
};
use crate::pb::v1 as pb;

fn kind_out(k: ExtractedKind) -> i32 {
    (match k {
        ExtractedKind::Direct => pb::ClaimKind::Direct,
        ExtractedKind::Indirect => pb::ClaimKind::Indirect,
        ExtractedKind::Mixed => pb::ClaimKind::Mixed,
    }) as i32
}

fn precision_out(p: Precision) -> i32 {
    (match p {
        Precision::Exact => pb::SaidPrecision::Exact,
        Precision::Day => pb::SaidPrecision::Day,
        Precision::Week => pb::SaidPrecision::Week,
        Precision::Month => pb::SaidPrecision::Month,
        Precision::Year => pb::SaidPrecision::Year,
        Precision::Unknown => pb::SaidPrecision::Unknown,
    }) as i32
}

/// Anonymous sources become groups: "officials" is many people, and no
/// name is invented for them.
fn entity_kind_out(k: SpeakerKind, anonymous: bool) -> i32 {
    if anonymous {
        return pb::EntityKind::Group as i32;
    }
    (match k {
        SpeakerKind::Person => pb::EntityKind::Person,
        SpeakerKind::Organization => pb::EntityKind::Organization,
        SpeakerKind::Group => pb::EntityKind::Group,
        SpeakerKind::Unknown => pb::EntityKind::Other,
    }) as i32
}

fn by_name(name: &str, kind: i32) -> pb::EntityRef {
    pb::EntityRef {
        name: name.to_string(),
        kind,
        ..Default::default()
    }
}

fn timestamp(d: NaiveDate) -> Option<prost_types::Timestamp> {
    d.and_hms_opt(0, 0, 0)
        .map(|t| super::convert::timestamp(t.and_utc()))
}

/// One extracted claim as a `ClaimInput`.
pub fn claim_input(c: &ExtractedClaim) -> pb::ClaimInput {
    let org = pb::EntityKind::Organization as i32;
    pb::ClaimInput {
        speakers: c
            .speakers
            .iter()
            .map(|s| by_name(&s.name, entity_kind_out(s.kind, s.anonymous)))
            .collect(),
        speaker_role: c.speaker_role.clone().unwrap_or_default(),
        kind: kind_out(c.kind),
        text: c.text.clone(),
        spans: c
            .spans
            .iter()
            .map(|&(start, end)| pb::Span {
                start: i32::try_from(start).unwrap_or(i32::MAX),
                end: i32::try_from(end).unwrap_or(i32::MAX),
            })
            .collect(),
        cue: c.cue.clone().unwrap_or_default(),
        venue: c.venue.clone().unwrap_or_default(),
        recipient: c.recipient.as_deref().map(|r| by_name(r, org)),
        via: c.via.as_deref().map(|r| by_name(r, org)),
        via_text: String::new(),
        said_time: c.said.date.and_then(timestamp),
        said_precision: precision_out(c.said.precision),
        said_time_text: c.said.text.clone().unwrap_or_default(),
        said_time_inferred: c.said.inferred,
        subjects: c
            .subjects
            .iter()
            .map(|s| pb::SubjectInput {
                entity: Some(by_name(&s.name, entity_kind_out(s.kind, false))),
                role: "topic".into(),
            })
            .collect(),
        confidence: Some(c.confidence.clamp(0.0, 1.0)),
        provenance: Some(pb::Provenance {
            extractor: EXTRACTOR_NAME.into(),
            extractor_version: EXTRACTOR_VERSION.into(),
            human: String::new(),
        }),
    }
}

/// True when a claim's spans slice `text` to its text: the extractor
/// promises it, and the store would refuse the whole article otherwise.
fn consistent(c: &pb::ClaimInput, text: &str) -> bool {
    let mut v = Violations::new();
    let raw: Vec<(i64, i64)> = c
        .spans
        .iter()
        .map(|s| (i64::from(s.start), i64::from(s.end)))
        .collect();
    let spans = parse_spans(&mut v, "spans", &raw);
    if v.is_empty() {
        check_spans_against_body(&mut v, "spans", &c.text, &spans, text);
    }
    v.is_empty() && !c.speakers.is_empty() && !c.text.trim().is_empty()
}

/// Runs the extractor; claims that would not pass validation are dropped
/// (and logged) rather than failing the caller's request.
pub fn extract_claims(text: &str, published: Option<DateTime<Utc>>) -> Vec<pb::ClaimInput> {
    let opts = ExtractOptions {
        published: published.map(|t| t.date_naive()),
    };
    extract::extract(text, &opts)
        .iter()
        .map(claim_input)
        .filter(|c| {
            let ok = consistent(c, text);
            if !ok {
                tracing::warn!(text = %c.text, "extractor produced an inconsistent claim; dropped");
            }
            ok
        })
        .collect()
}

/// Handles `ExtractClaims`.
pub fn extract_response(
    req: &pb::ExtractClaimsRequest,
) -> Result<pb::ExtractClaimsResponse, Violations> {
    let mut v = Violations::new();
    crate::domain::error::check_len(
        &mut v,
        "text",
        &req.text,
        crate::domain::article::MAX_BODY_LEN,
    );
    let published = super::convert::time(&mut v, "published_time", req.published_time.as_ref());
    v.into_result(())?;
    Ok(pb::ExtractClaimsResponse {
        claims: extract_claims(&req.text, published),
        extractor: EXTRACTOR_NAME.into(),
        extractor_version: EXTRACTOR_VERSION.into(),
    })
}
