//! Rule-based extraction of quotes and claims from English news text.
//!
//! # Approach
//!
//! No model and no regex engine: the text is decoded once into code points and read in a handful
//! of linear passes, each owned by one file.
//!
//! - [`quotes`] pairs quote marks per paragraph (curly or straight, multi-paragraph, nested).
//! - [`text`] tokenises, splits sentences (never inside quote marks) and marks quoted tokens.
//! - [`direct`] attaches reporting verbs to quotations, joins split quotes and rejects titles,
//!   slogans and scare quotes; [`reported`] finds indirect and mixed speech around the same verbs.
//! - [`attribution`] finds the speaker phrase next to a verb, [`names`] reads it (titled names,
//!   organisations, descriptions, pronouns) and [`coref`] resolves it within the article.
//! - [`dates`] resolves the time of saying from the attribution, [`details`] reads the venue,
//!   recipient, chain and subjects; [`resolve`] puts a claim together; [`output`] reads the
//!   article file format and writes the scorer's prediction format.
//!
//! Every window the rules look through is bounded, so the cost is linear in the input, and every
//! index is checked, so no input can make the extractor panic.
//!
//! # Output conventions
//!
//! Offsets are code points, `[start, end)`. A direct claim's `text` is its parts joined with one
//! space (each part is the exact text inside its marks); indirect and mixed claims have one span,
//! the content clause as written (a mixed claim keeps its inner quote marks).

mod attribution;
mod clause;
mod coref;
mod dates;
mod details;
mod direct;
mod lexicon;
mod names;
mod output;
mod quotes;
mod reported;
mod resolve;
mod text;

#[cfg(test)]
mod eval_tests;
#[cfg(test)]
mod robustness_tests;

pub use output::{parse_article_file, to_prediction_json, ArticleFile};

use attribution::SpeakerSpan;
use serde::Serialize;
use text::Doc;

/// Name of this extractor, recorded with every stored claim.
pub const EXTRACTOR_NAME: &str = "claimdb-rules";
/// Version of the rules; bump it whenever the output may change.
pub const EXTRACTOR_VERSION: &str = "0.1.0";

/// Options for one extraction.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ExtractOptions {
    /// The article's dateline: relative dates ("on Wednesday") are resolved against it.
    pub published: Option<chrono::NaiveDate>,
}

/// How the claim is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ExtractedKind {
    /// Words in quote marks.
    Direct,
    /// Reported speech with none of the speaker's words quoted.
    Indirect,
    /// Reported speech containing quoted words.
    Mixed,
}

/// How precisely the time of saying is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Precision {
    /// A time of day is known.
    Exact,
    /// The day is known.
    Day,
    /// The week is known (the date is its Monday).
    Week,
    /// The month is known (the date is its first day).
    Month,
    /// The year is known (the date is 1 January).
    Year,
    /// Not known: no time expression, or an unstated earlier time ("has said").
    Unknown,
}

/// What kind of speaker or subject a name denotes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SpeakerKind {
    /// One person.
    Person,
    /// A company, ministry, court, outlet or other body.
    Organization,
    /// An unnamed plural ("analysts", "prosecutors").
    Group,
    /// Not determined.
    Unknown,
}

/// One speaker of a claim.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtractedSpeaker {
    /// Canonical name ("Ana Veloso"), or "UNNAMED" for an anonymous source.
    pub name: String,
    /// Person, organisation or group.
    pub kind: SpeakerKind,
    /// An unnamed source: the name is never invented.
    pub anonymous: bool,
}

/// Someone or something a claim is about.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ExtractedSubject {
    /// Canonical name, resolved within the article where possible.
    pub name: String,
    /// Person, organisation, group or unknown (places are `Unknown`).
    pub kind: SpeakerKind,
}

/// When the claim was made. (No `Serialize`: that would need chrono's `serde` feature; the JSON
/// form is written by [`to_prediction_json`].)
#[derive(Debug, Clone, PartialEq)]
pub struct SaidTime {
    /// The day (or the first day of the week, month or year); `None` when unknown.
    pub date: Option<chrono::NaiveDate>,
    /// How precisely `date` is known.
    pub precision: Precision,
    /// The time expression as written, when there is one.
    pub text: Option<String>,
    /// True when no time expression belongs to the claim and the date was taken from context.
    pub inferred: bool,
}

/// One extracted claim.
#[derive(Debug, Clone, PartialEq)]
pub struct ExtractedClaim {
    /// The speakers (several for joint authors); empty when no speaker was found.
    pub speakers: Vec<ExtractedSpeaker>,
    /// The title written at the speaker's introduction ("Foreign Minister").
    pub speaker_role: Option<String>,
    /// Direct, indirect or mixed.
    pub kind: ExtractedKind,
    /// Verbatim text; the parts of a split quote joined with one space.
    pub text: String,
    /// Code-point `[start, end)` of each part; `text` of each part equals the input at its span.
    pub spans: Vec<(usize, usize)>,
    /// The reporting verb as written ("said", "has argued", "according to").
    pub cue: Option<String>,
    /// The occasion or medium ("statement", "news conference", "social media").
    pub venue: Option<String>,
    /// A named outlet that was told ("told KorPress" → "KorPress").
    pub recipient: Option<String>,
    /// The outlet that carried the remarks, or the quoting speaker of an embedded quote.
    pub via: Option<String>,
    /// When the claim was made.
    pub said: SaidTime,
    /// The people, countries and organisations the claim is about (at most four).
    pub subjects: Vec<ExtractedSubject>,
    /// Rough confidence in [0, 1].
    pub confidence: f32,
}

/// A claim before its speaker is resolved: token positions only.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Raw {
    pub kind: ExtractedKind,
    pub spans: Vec<(usize, usize)>,
    pub cue: Option<usize>,
    pub cue_text: Option<String>,
    pub np: Option<SpeakerSpan>,
    /// Token ranges of the attribution (searched for the date and venue).
    pub attr: Vec<(usize, usize)>,
    /// Token that orders the claim for coreference.
    pub anchor: usize,
    /// No speaker phrase of its own: the previous claim's speaker continues.
    pub follow_previous: bool,
    /// Index (in the raw list) of the claim that quotes this embedded one.
    pub outer: Option<usize>,
    /// Quote units the claim consumed.
    pub units: Vec<usize>,
    pub confidence: f32,
}

impl Raw {
    fn new(kind: ExtractedKind, spans: Vec<(usize, usize)>) -> Raw {
        Raw {
            kind,
            spans,
            cue: None,
            cue_text: None,
            np: None,
            attr: Vec::new(),
            anchor: 0,
            follow_previous: false,
            outer: None,
            units: Vec::new(),
            confidence: 0.9,
        }
    }

    /// Records the verb, the speaker phrase and the attribution ranges.
    fn attribute(&mut self, doc: &Doc, cue: usize, sp: SpeakerSpan, attr: Vec<(usize, usize)>) {
        let mut first = cue;
        while first > 0 && matches!(doc.low(first - 1), "has" | "have" | "had" | "also") {
            first -= 1;
        }
        self.cue = Some(cue);
        self.cue_text = Some(doc.tok_text(first, cue + 1));
        self.np = Some(sp);
        self.attr = clamp_attr(&attr, cue);
        self.anchor = cue;
    }
}

/// How far (in tokens) from its verb an attribution is searched for dates and venues.
const ATTR_WINDOW: usize = 40;

/// Narrows attribution ranges to a window around `anchor`, so that work per claim stays bounded.
fn clamp_attr(ranges: &[(usize, usize)], anchor: usize) -> Vec<(usize, usize)> {
    ranges
        .iter()
        .map(|&(a, b)| {
            (
                a.max(anchor.saturating_sub(ATTR_WINDOW)),
                b.min(anchor + ATTR_WINDOW),
            )
        })
        .filter(|(a, b)| a < b)
        .collect()
}

/// Extracts the claims of one article body, in text order.
pub fn extract(text: &str, opts: &ExtractOptions) -> Vec<ExtractedClaim> {
    let doc = Doc::new(text);
    let skip = details::skipped_paragraphs(&doc);
    let mut used_cues = vec![false; doc.toks.len()];
    let mut raws = direct::direct_claims(&doc, &skip, &mut used_cues);
    let embedded = details::embedded_claims(&doc, &raws);
    let reported = reported::reported_claims(&doc, &skip, &used_cues, &raws);
    raws.extend(embedded);
    raws.extend(reported);
    let mut claims = resolve::resolve_all(&doc, raws, opts.published);
    claims.sort_by_key(|c| c.spans.first().copied());
    claims
}
