//! The article file format of the evaluation set and the scorer's prediction format.
//!
//! An article file starts with a dateline ("2025-03-12 Halvard News Agency") and a title line;
//! the body follows. Gold offsets (and so prediction offsets) count code points from the start of
//! the *file*, so [`to_prediction_json`] adds the header length back to every span.

use super::{ExtractedClaim, Precision};
use chrono::NaiveDate;
use serde_json::{json, Value};

/// An article file split into its header fields and body.
#[derive(Debug, Clone, PartialEq)]
pub struct ArticleFile {
    /// The dateline's date.
    pub published: Option<NaiveDate>,
    /// The rest of the dateline ("Halvard News Agency").
    pub publisher: Option<String>,
    /// The title line.
    pub title: Option<String>,
    /// Everything after the title line (the whole text when there is no dateline).
    pub body: String,
    /// Code points of the header before the body.
    pub body_offset: usize,
}

/// Parses "YYYY-MM-DD Publisher\nTitle\nBody…"; without a dateline the whole text is the body.
pub fn parse_article_file(contents: &str) -> ArticleFile {
    let whole = ArticleFile {
        published: None,
        publisher: None,
        title: None,
        body: contents.to_string(),
        body_offset: 0,
    };
    let Some((first, rest)) = contents.split_once('\n') else {
        return whole;
    };
    let first_trim = first.trim_end_matches('\r');
    let (date_part, publisher) = first_trim.split_once(' ').unwrap_or((first_trim, ""));
    let Ok(published) = NaiveDate::parse_from_str(date_part, "%Y-%m-%d") else {
        return whole;
    };
    let (title, body) = rest.split_once('\n').unwrap_or((rest, ""));
    let body_offset = contents.chars().count() - body.chars().count();
    let publisher = Some(publisher.trim().to_string()).filter(|p| !p.is_empty());
    let title = Some(title.trim().to_string()).filter(|t| !t.is_empty());
    ArticleFile {
        published: Some(published),
        publisher,
        title,
        body: body.to_string(),
        body_offset,
    }
}

/// The lowercase name of a precision, "inferred" when the date was not written.
fn precision_name(claim: &ExtractedClaim) -> Option<&'static str> {
    if claim.said.inferred {
        return Some("inferred");
    }
    match claim.said.precision {
        Precision::Exact => Some("exact"),
        Precision::Day => Some("day"),
        Precision::Week => Some("week"),
        Precision::Month => Some("month"),
        Precision::Year => Some("year"),
        Precision::Unknown => None,
    }
}

/// One prediction line for score.py, with offsets into the whole file.
pub fn to_prediction_json(doc_id: &str, file: &ArticleFile, claim: &ExtractedClaim) -> Value {
    let off = file.body_offset;
    let spans: Vec<[usize; 2]> = claim
        .spans
        .iter()
        .map(|&(s, e)| [s + off, e + off])
        .collect();
    let (start, end) = spans.first().map_or((off, off), |s| (s[0], s[1]));
    let speaker = claim.speakers.first().map(|s| s.name.clone());
    let mut v = json!({
        "article": doc_id,
        "kind": claim.kind,
        "quote": claim.text,
        "char_start": start,
        "char_end": end,
        "speaker": speaker,
        "speaker_role": claim.speaker_role,
        "said_on": claim.said.date.map(|d| d.format("%Y-%m-%d").to_string()),
        "said_on_precision": precision_name(claim),
        "said_on_text": claim.said.text,
        "cue": claim.cue,
        "venue": claim.venue,
        "recipient": claim.recipient,
        "via": claim.via,
        "subjects": claim.subjects.iter().map(|s| s.name.clone()).collect::<Vec<_>>(),
        "confidence": claim.confidence,
    });
    if spans.len() > 1 {
        v["part_spans"] = json!(spans);
    }
    if claim.speakers.len() > 1 {
        v["speakers"] = json!(claim
            .speakers
            .iter()
            .map(|s| s.name.clone())
            .collect::<Vec<_>>());
    }
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_dateline_and_title_are_split_off_and_counted_in_code_points() {
        let f = parse_article_file("2025-03-12 Halvard News\nTitlé\nBody text");
        assert_eq!(f.published, NaiveDate::from_ymd_opt(2025, 3, 12));
        assert_eq!(f.publisher.as_deref(), Some("Halvard News"));
        assert_eq!(f.title.as_deref(), Some("Titlé"));
        assert_eq!(f.body, "Body text");
        assert_eq!(f.body_offset, 30);
    }

    #[test]
    fn text_without_a_dateline_is_all_body() {
        let f = parse_article_file("Just text\nmore");
        assert_eq!((f.body_offset, f.published), (0, None));
    }
}
