//! A claim version read from its snapshot's JSON without copying its text.
//!
//! A history page decodes the snapshots the server does not hold yet, and
//! then only to encode each version's message once ([`super::SharedClaim`]).
//! Decoding into a [`ClaimRecord`] allocated a dozen strings per version
//! (the quote, cue, venue, roles, provenance) that the encoding copied again
//! and dropped: at 1M claims, the decoding, the record and its encoding were
//! a quarter of the server's CPU on a speaker history (`perf`, session 18).
//! A [`ClaimView`] borrows its strings from the JSON text wherever the JSON
//! holds them unescaped, which is nearly always, and is dropped as soon as
//! the message is made.
//!
//! It has the fields of [`ClaimRecord`] with the same serde rules, so a
//! snapshot that decodes into one decodes into the other (the tests check
//! both on the same texts).

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Deserialize;
use uuid::Uuid;

use super::rfc3339;
use super::{ClaimKind, ClaimRecord, ClaimState, SaidPrecision, Span, SubjectLink};

/// One claim version, its strings borrowed where they can be.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ClaimView<'a> {
    /// Claim id.
    pub id: Uuid,
    /// Article id.
    pub article_id: Uuid,
    /// The article's publisher.
    pub publisher_id: Option<Uuid>,
    /// The article's publication time.
    #[serde(default, deserialize_with = "rfc3339::opt_utc")]
    pub published_time: Option<DateTime<Utc>>,
    /// Speakers, in order (owned when decoded: they are kept with the
    /// version, see [`super::EntityRefs`]).
    pub speaker_ids: Cow<'a, [Uuid]>,
    /// Role as written.
    #[serde(borrow)]
    pub speaker_role: Cow<'a, str>,
    /// Kind.
    pub kind: ClaimKind,
    /// Verbatim text.
    #[serde(borrow)]
    pub text: Cow<'a, str>,
    /// Spans.
    pub spans: Cow<'a, [Span]>,
    /// Cue.
    #[serde(borrow)]
    pub cue: Cow<'a, str>,
    /// Venue.
    #[serde(borrow)]
    pub venue: Cow<'a, str>,
    /// Addressee.
    pub recipient_id: Option<Uuid>,
    /// Carrier.
    pub via_id: Option<Uuid>,
    /// Carrying chain as written.
    #[serde(borrow)]
    pub via_text: Cow<'a, str>,
    /// Said time.
    #[serde(borrow)]
    pub said: SaidView<'a>,
    /// Subjects (owned, as the speakers).
    pub subjects: Cow<'a, [SubjectLink]>,
    /// Confidence.
    pub confidence: Option<f32>,
    /// Provenance.
    #[serde(borrow)]
    pub provenance: ProvenanceView<'a>,
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
    /// The statement the claim belongs to.
    #[serde(default)]
    pub statement_id: Option<Uuid>,
}

/// [`super::SaidTime`], its text borrowed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct SaidView<'a> {
    /// Start of the period.
    #[serde(default, deserialize_with = "rfc3339::opt_utc")]
    pub time: Option<DateTime<Utc>>,
    /// How precisely `time` is known.
    pub precision: SaidPrecision,
    /// The time expression as written.
    #[serde(borrow)]
    pub text: Cow<'a, str>,
    /// True when taken from the article's date.
    pub inferred: bool,
}

/// [`super::Provenance`], its strings borrowed.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct ProvenanceView<'a> {
    /// Extractor name.
    #[serde(borrow)]
    pub extractor: Cow<'a, str>,
    /// Extractor version.
    #[serde(borrow)]
    pub extractor_version: Cow<'a, str>,
    /// Who entered it.
    #[serde(borrow)]
    pub human: Cow<'a, str>,
}

impl<'a> ClaimView<'a> {
    /// A view of a record already decoded, for writers that have one.
    pub fn of(r: &'a ClaimRecord) -> Self {
        Self {
            id: r.id,
            article_id: r.article_id,
            publisher_id: r.publisher_id,
            published_time: r.published_time,
            speaker_ids: Cow::Borrowed(&r.speaker_ids),
            speaker_role: Cow::Borrowed(&r.speaker_role),
            kind: r.kind,
            text: Cow::Borrowed(&r.text),
            spans: Cow::Borrowed(&r.spans),
            cue: Cow::Borrowed(&r.cue),
            venue: Cow::Borrowed(&r.venue),
            recipient_id: r.recipient_id,
            via_id: r.via_id,
            via_text: Cow::Borrowed(&r.via_text),
            said: SaidView {
                time: r.said.time,
                precision: r.said.precision,
                text: Cow::Borrowed(&r.said.text),
                inferred: r.said.inferred,
            },
            subjects: Cow::Borrowed(&r.subjects),
            confidence: r.confidence,
            provenance: ProvenanceView {
                extractor: Cow::Borrowed(&r.provenance.extractor),
                extractor_version: Cow::Borrowed(&r.provenance.extractor_version),
                human: Cow::Borrowed(&r.provenance.human),
            },
            state: r.state,
            revision: r.revision,
            create_time: r.create_time,
            update_time: r.update_time,
            statement_id: r.statement_id,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(text: &str, statement: bool) -> String {
        let mut v = serde_json::json!({
            "id": "01261fb0-3290-7672-832c-db795d75535d",
            "article_id": "01261fb0-3290-7f9f-a26c-479707e794cb",
            "publisher_id": "01261fb0-3290-7000-8000-000000000009",
            "published_time": "2024-03-01T10:00:00.25Z",
            "speaker_ids": ["01261fb0-3290-7000-8000-000000000001"],
            "speaker_role": "minister", "kind": "mixed", "text": text,
            "spans": [{"start": 3, "end": 26}], "cue": "said", "venue": "parliament",
            "recipient_id": null, "via_id": "01261fb0-3290-7000-8000-000000000002",
            "via_text": "told the agency",
            "said": {"text": "on Monday", "time": null, "inferred": true, "precision": "day"},
            "subjects": [{"entity_id": "01261fb0-3290-7000-8000-000000000003", "role": "topic"}],
            "confidence": 0.5,
            "provenance": {"extractor": "rules", "extractor_version": "3", "human": ""},
            "state": "retracted", "revision": 4,
            "create_time": "2024-03-01T10:00:00Z", "update_time": "2024-03-02T11:30:00.5Z",
            "statement_id": "01261fb0-3290-7000-8000-000000000004"
        });
        if !statement {
            if let Some(o) = v.as_object_mut() {
                o.remove("statement_id");
                o.remove("published_time");
            }
        }
        v.to_string()
    }

    #[test]
    fn a_snapshot_reads_the_same_as_a_view_and_as_a_record_and_borrows_its_text() {
        for (text, statement) in [("We will win.", true), ("We \"will\" win.\n", false)] {
            let json = snapshot(text, statement);
            let record: ClaimRecord = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
            let view: ClaimView<'_> = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(view, ClaimView::of(&record));
            assert_eq!(view.text, text);
            // Unescaped text is borrowed from the JSON, escaped text cannot be.
            assert_eq!(matches!(view.text, Cow::Borrowed(_)), !text.contains('"'));
            assert!(matches!(view.cue, Cow::Borrowed(_)));
            assert!(matches!(view.said.text, Cow::Borrowed(_)));
            assert!(matches!(view.provenance.extractor, Cow::Borrowed(_)));
        }
        // What a record refuses, a view refuses.
        let bad = snapshot("x", true).replace("\"revision\":4,", "");
        assert!(serde_json::from_str::<ClaimRecord>(&bad).is_err());
        assert!(serde_json::from_str::<ClaimView<'_>>(&bad).is_err());
    }
}
