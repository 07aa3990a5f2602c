//! Puts claims together in text order: speaker (with coreference), time of saying, venue, chain.
//!
//! Claims are visited sentence by sentence so that the salience state reflects what a reader has
//! seen: a sentence without a claim still makes its subject salient ("Morav built his career on
//! anti-graft campaigning. In 2018 … he told parliament"). A quote with no time expression of its
//! own inherits the time of the previous sentence when that sentence has the same speaker ("posted
//! a video last week. “…,” she wrote"); otherwise it takes the dateline and is marked inferred.

use super::attribution::SpeakerSpan;
use super::coref::{Resolved, Resolver, UNNAMED};
use super::dates::find_time;
use super::details;
use super::names::{chunks, parse_np, words, Mention};
use super::text::Doc;
use super::{ExtractedClaim, ExtractedKind, Precision, Raw, SaidTime};
use chrono::NaiveDate;

/// The time of the latest sentence that had a known speaker, for inheritance.
struct LastTime {
    sent: usize,
    speaker: String,
    time: SaidTime,
}

/// Resolves every raw claim; embedded claims get the quoting speaker as `via`.
pub(crate) fn resolve_all(
    doc: &Doc,
    raws: Vec<Raw>,
    published: Option<NaiveDate>,
) -> Vec<ExtractedClaim> {
    let mut r = Resolver::build(doc);
    let mut order: Vec<usize> = (0..raws.len()).collect();
    order.sort_by_key(|&i| raws[i].anchor);
    let mut out: Vec<Option<ExtractedClaim>> = vec![None; raws.len()];
    let mut prev: Option<Resolved> = None;
    let mut last_time: Option<LastTime> = None;
    let mut prev_para = 0;
    let mut k = 0;
    for (si, s) in doc.sents.iter().enumerate() {
        let mut had_claim = false;
        while let Some(&ri) = order.get(k).filter(|&&ri| raws[ri].anchor < s.end) {
            k += 1;
            had_claim = true;
            let raw = &raws[ri];
            let orphan = raw.np.is_none() && raw.follow_previous;
            if orphan && (prev.is_none() || s.para > prev_para + 1) {
                continue; // a quotation with no speaker in sight: not reported
            }
            let resolved = speaker_of(doc, &mut r, raw, prev.as_ref());
            let claim = build(
                doc,
                &r,
                raw,
                resolved.clone(),
                published,
                si,
                last_time.as_ref(),
            );
            if raw.outer.is_none() {
                if let Some(res) = resolved {
                    r.touch(&res.ids);
                    prev = Some(res);
                    prev_para = s.para;
                }
                if let (Some(sp), false) = (claim.speakers.first(), claim.said.inferred) {
                    last_time = Some(LastTime {
                        sent: si,
                        speaker: sp.name.clone(),
                        time: claim.said.clone(),
                    });
                }
            }
            out[ri] = Some(claim);
        }
        if !had_claim {
            if let Some((name, ids)) = note_subject(doc, &mut r, si) {
                r.touch(&ids);
                let time = find_time(doc, &[(s.start, s.end)], s.end, published);
                last_time = time.map(|f| LastTime {
                    sent: si,
                    speaker: name,
                    time: f.time,
                });
            }
        }
    }
    link_embedded(&raws, &mut out);
    out.into_iter().flatten().collect()
}

/// Sets `via` of embedded claims to the quoting claim's speaker.
fn link_embedded(raws: &[Raw], out: &mut [Option<ExtractedClaim>]) {
    for (i, raw) in raws.iter().enumerate() {
        let Some(o) = raw.outer else { continue };
        let outer_name = out
            .get(o)
            .and_then(|c| c.as_ref())
            .and_then(|c| c.speakers.first())
            .map(|s| s.name.clone());
        if let Some(Some(c)) = out.get_mut(i) {
            c.via = outer_name;
        }
    }
}

/// Makes the subject of a claimless sentence salient when it is a name.
fn note_subject(doc: &Doc, r: &mut Resolver, si: usize) -> Option<(String, Vec<usize>)> {
    let s = doc.sents.get(si)?;
    // The first name among the sentence's opening words, unless it follows a preposition or is a
    // possessor ("Korvan’s deputy foreign minister, Pavel Dranik, rejected …" → Pavel Dranik).
    let m = chunks(doc, s.start, s.end.min(s.start + 10))
        .into_iter()
        .filter(|c| {
            c.a == s.start
                || !matches!(
                    doc.low(c.a - 1),
                    "in" | "on" | "at" | "by" | "of" | "for" | "from" | "to" | "with"
                )
        })
        .filter(|c| !doc.toks[c.b - 1].poss && !(c.a..c.b).any(|i| is_time_word(doc.low(i))))
        .find_map(|c| parse_np(doc, c.a, c.b).filter(|m| matches!(m, Mention::Named { .. })))?;
    let res = r.resolve(&m)?;
    Some((res.speakers.first()?.name.clone(), res.ids))
}

/// Month and weekday names, which are capitalised but never subjects.
fn is_time_word(w: &str) -> bool {
    super::lexicon::month_of(w).is_some() || super::lexicon::weekday_of(w).is_some()
}

/// The speaker of a raw claim.
fn speaker_of(doc: &Doc, r: &mut Resolver, raw: &Raw, prev: Option<&Resolved>) -> Option<Resolved> {
    match raw.np {
        Some(sp) => {
            let (m, role) = mention_of(doc, sp)?;
            let mut res = r.resolve(&m)?;
            if res.role.is_none() {
                res.role = role;
            }
            Some(res)
        }
        None if raw.follow_previous => prev.cloned(),
        None => None,
    }
}

/// Reads a speaker phrase and its appositive: whichever is a name is the speaker, the other the role.
fn mention_of(doc: &Doc, sp: SpeakerSpan) -> Option<(Mention, Option<String>)> {
    let main = parse_np(doc, sp.np.0, sp.np.1);
    let Some((a, b)) = sp.appos else {
        return main.map(|m| (m, None));
    };
    let appos = parse_np(doc, a, b);
    match (main, appos) {
        (Some(m @ Mention::Named { .. }), _) => Some((m, role_text(doc, a, b))),
        (_, Some(m @ Mention::Named { .. })) => Some((m, role_text(doc, sp.np.0, sp.np.1))),
        (m, _) => m.map(|m| (m, None)),
    }
}

/// A role phrase without determiners or possessors ("the commission’s chair" → "chair").
fn role_text(doc: &Doc, a: usize, b: usize) -> Option<String> {
    let start = (a..b)
        .rev()
        .find(|&i| doc.toks[i].poss)
        .map_or(a, |p| p + 1);
    let start = (start..b)
        .find(|&i| {
            !matches!(
                doc.low(i),
                "the" | "a" | "an" | "his" | "her" | "its" | "their"
            )
        })
        .unwrap_or(b);
    let has_word = (start..b)
        .any(|i| doc.toks[i].is_word() && doc.toks[i].kind != super::text::TokKind::Number);
    has_word.then(|| words(doc, start, b))
}

/// Builds the public claim from a raw one.
fn build(
    doc: &Doc,
    r: &Resolver,
    raw: &Raw,
    resolved: Option<Resolved>,
    published: Option<NaiveDate>,
    si: usize,
    last: Option<&LastTime>,
) -> ExtractedClaim {
    let res = resolved.unwrap_or_default();
    let first = res
        .speakers
        .first()
        .map(|s| s.name.clone())
        .unwrap_or_default();
    let said = said_time(doc, raw, published, si, &first, last);
    let text = raw
        .spans
        .iter()
        .map(|&(s, e)| doc.slice(s, e))
        .collect::<Vec<_>>()
        .join(" ");
    let speaker_for_subjects = if first == UNNAMED {
        String::new()
    } else {
        first.clone()
    };
    let confidence = if res.speakers.is_empty() {
        raw.confidence * 0.5
    } else {
        raw.confidence
    };
    ExtractedClaim {
        subjects: details::subjects(doc, &raw.spans, r, &speaker_for_subjects),
        speakers: res.speakers,
        speaker_role: res.role,
        kind: raw.kind,
        text,
        spans: raw.spans.clone(),
        cue: raw.cue_text.clone(),
        venue: details::venue(doc, &raw.attr),
        recipient: details::recipient(doc, raw.cue),
        via: details::via(doc, &raw.attr),
        said,
        confidence,
    }
}

/// When the claim was made: its own time expression, the previous sentence's, or the dateline.
fn said_time(
    doc: &Doc,
    raw: &Raw,
    published: Option<NaiveDate>,
    si: usize,
    speaker: &str,
    last: Option<&LastTime>,
) -> SaidTime {
    let cue = raw.cue_text.as_deref().unwrap_or("").to_lowercase();
    if cue.starts_with("has ") || cue.starts_with("have ") {
        return SaidTime {
            date: None,
            precision: Precision::Unknown,
            text: None,
            inferred: false,
        };
    }
    if let Some(f) = find_time(doc, &raw.attr, raw.anchor, published) {
        return f.time;
    }
    let inherit = raw.kind == ExtractedKind::Direct
        && last.is_some_and(|l| l.sent + 1 == si && !speaker.is_empty() && l.speaker == speaker);
    match last.filter(|_| inherit) {
        Some(l) => l.time.clone(),
        None => SaidTime {
            date: published,
            precision: Precision::Unknown,
            text: None,
            inferred: true,
        },
    }
}

#[cfg(test)]
mod tests {
    use crate::extract::{extract, ExtractOptions};

    fn opts(d: &str) -> ExtractOptions {
        ExtractOptions {
            published: chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").ok(),
        }
    }

    #[test]
    fn a_pronoun_after_a_named_speaker_resolves_to_that_speaker() {
        let text = "Foreign Minister Ana Veloso spoke on Wednesday.\n\n“We will not trade Osk for gas,” she said.";
        let c = extract(text, &opts("2025-03-12"));
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].speakers[0].name, "Ana Veloso");
    }

    #[test]
    fn a_quote_without_its_own_time_inherits_the_previous_sentence_of_the_same_speaker() {
        let text = "Gemma Ortiz posted a video last week. “It was two years old and it burned,” she wrote.";
        let c = extract(text, &opts("2025-01-29"));
        assert_eq!(c[0].said.date, chrono::NaiveDate::from_ymd_opt(2025, 1, 20));
    }

    #[test]
    fn has_said_leaves_the_date_unknown() {
        let text = "The company has said its storage sites are about 58% full.";
        let c = extract(text, &opts("2025-03-12"));
        assert_eq!(c[0].said.date, None);
    }
}
