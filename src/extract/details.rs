//! The smaller pieces of a claim: skipped paragraphs (captions, credits), embedded quotes, venue,
//! recipient, chain ("via") and subjects.

use super::attribution::{is_cue, speaker_after, speaker_before};
use super::coref::Resolver;
use super::lexicon::{is_in, NON_NAME_CAPS, VENUE_NOUNS};
use super::names::{chunks, words};
use super::text::{Doc, TokKind};
use super::{ExtractedKind, ExtractedSubject, Raw};

/// Paragraphs that never hold claims: photo captions and reporting credits.
pub(crate) fn skipped_paragraphs(doc: &Doc) -> Vec<bool> {
    doc.para_toks
        .iter()
        .map(|&(a, b)| {
            let head: Vec<&str> = (a..b.min(a + 4)).map(|i| doc.low(i)).collect();
            let caption = head
                .iter()
                .take(3)
                .any(|w| matches!(*w, "photo" | "caption" | "pictured"))
                && head.contains(&":");
            let credit = head.first() == Some(&"(")
                && matches!(
                    head.get(1),
                    Some(&"reporting" | &"editing" | &"additional" | &"writing")
                );
            caption || credit
        })
        .collect()
}

/// Quotes embedded in direct quotes ("…tells a Karst executive, 'Make sure…'"): a separate claim
/// by the embedded speaker, linked to the quoting claim.
pub(crate) fn embedded_claims(doc: &Doc, raws: &[Raw]) -> Vec<Raw> {
    let mut out = Vec::new();
    for (ri, raw) in raws.iter().enumerate() {
        for &ui in &raw.units {
            let Some(u) = doc.quotes.get(ui) else {
                continue;
            };
            for n in &u.nested {
                let open_t = doc.tok_at(n.open);
                let lo = doc.tok_at(u.start());
                let Some(mut e) = embedded_at(doc, open_t, lo) else {
                    continue;
                };
                e.spans = vec![(n.start, n.end)];
                e.outer = Some(ri);
                out.push(e);
            }
        }
    }
    out
}

/// The attribution of an embedded quote opening at token `open_t`, looking back to `lo`.
fn embedded_at(doc: &Doc, open_t: usize, lo: usize) -> Option<Raw> {
    let prev = open_t.checked_sub(1).filter(|&p| p >= lo)?;
    let k = if matches!(doc.toks[prev].kind, TokKind::Punct(',' | ':')) {
        prev.checked_sub(1)?
    } else {
        prev
    };
    let floor = lo.max(k.saturating_sub(15));
    let cue = (floor..=k).rev().find(|&i| is_cue(doc, i))?;
    let sp = speaker_before(doc, cue, lo).or_else(|| speaker_after(doc, cue + 1, k + 1))?;
    let mut raw = Raw::new(ExtractedKind::Direct, Vec::new());
    raw.attribute(doc, cue, sp, vec![(lo, open_t)]);
    raw.confidence = 0.6;
    Some(raw)
}

/// The occasion or medium named in the attribution ("statement", "news conference").
pub(crate) fn venue(doc: &Doc, attr: &[(usize, usize)]) -> Option<String> {
    for &(a, b) in attr {
        for i in a..b.min(doc.toks.len()) {
            let t = &doc.toks[i];
            if t.quoted || t.cap || t.kind != TokKind::Word || !is_in(&VENUE_NOUNS, doc.lower(t)) {
                continue;
            }
            if doc.lower(t) == "media" && doc.low(i.wrapping_sub(1)) == "social" {
                return Some("social media".into());
            }
            let mut s = i;
            while s > a && s + 3 > i && modifier(doc, s - 1) {
                s -= 1;
            }
            let intro = s > a
                && matches!(
                    doc.low(s - 1),
                    "a" | "an"
                        | "the"
                        | "his"
                        | "her"
                        | "its"
                        | "their"
                        | "in"
                        | "told"
                        | "to"
                        | "at"
                );
            if intro {
                let parts: Vec<String> = (s..=i)
                    .filter(|&j| doc.toks[j].kind == TokKind::Word)
                    .map(|j| doc.low(j).to_string())
                    .collect();
                return Some(parts.join(" "));
            }
        }
    }
    None
}

/// A lowercase modifier of a venue noun ("news", "television", "64-page").
fn modifier(doc: &Doc, i: usize) -> bool {
    let t = &doc.toks[i];
    t.is_word()
        && !t.cap
        && !matches!(
            doc.lower(t),
            "a" | "an"
                | "the"
                | "his"
                | "her"
                | "its"
                | "their"
                | "in"
                | "to"
                | "at"
                | "told"
                | "on"
        )
}

/// A named outlet that was told ("told KorPress", "told the trade publication Appliance Retail
/// Weekly"); reporters and parliament are not recipients.
pub(crate) fn recipient(doc: &Doc, cue: Option<usize>) -> Option<String> {
    let cue = cue?;
    if !doc.low(cue).starts_with("told") && !doc.low(cue).starts_with("tell") {
        return None;
    }
    let end = (cue + 1..doc.toks.len().min(cue + 8)).find(|&i| {
        !doc.toks[i].is_word() || matches!(doc.low(i), "that" | "on" | "in" | "at" | "after")
    })?;
    let c = chunks(doc, cue + 1, end).into_iter().next()?;
    let name = words(doc, c.a, c.b);
    if name.eq_ignore_ascii_case("parliament") || name.eq_ignore_ascii_case("congress") {
        return None;
    }
    let tail_lower = (c.b..end).all(|i| !doc.toks[i].cap) && c.b < end;
    Some(if tail_lower {
        words(doc, c.a, end)
    } else {
        name
    })
}

/// The outlet that carried the remarks: "in comments published … by the daily Vestnik Korvana".
pub(crate) fn via(doc: &Doc, attr: &[(usize, usize)]) -> Option<String> {
    for &(a, b) in attr {
        for i in a..b.min(doc.toks.len()) {
            if matches!(doc.low(i), "published" | "carried" | "broadcast" | "aired") {
                let by = (i + 1..b.min(i + 8)).find(|&j| doc.low(j) == "by")?;
                let c = chunks(doc, by + 1, b.min(by + 10)).into_iter().next()?;
                return Some(words(doc, c.a, c.b));
            }
        }
    }
    None
}

/// The people, countries and organisations named in the claim's content (at most four).
pub(crate) fn subjects(
    doc: &Doc,
    spans: &[(usize, usize)],
    r: &Resolver,
    speaker: &str,
) -> Vec<ExtractedSubject> {
    let mut out: Vec<ExtractedSubject> = Vec::new();
    for &(s, e) in spans {
        let (a, b) = (doc.tok_at(s), doc.tok_at(e));
        for c in chunks(doc, a, b.min(a + 200)) {
            let w = words(doc, c.a, c.b);
            if c.b == c.a + 1 && is_in(&NON_NAME_CAPS, doc.low(c.a)) || w.len() < 2 {
                continue;
            }
            let (name, kind) = r.canonical(&w);
            if name != speaker && !out.iter().any(|x| x.name == name) && out.len() < 4 {
                out.push(ExtractedSubject { name, kind });
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photo_captions_and_credits_are_skipped() {
        let d = Doc::new("PHOTO: A man.\n\nHe said it.\n\n(Reporting by A; Editing by B)");
        assert_eq!(skipped_paragraphs(&d), vec![true, false, true]);
    }

    #[test]
    fn the_venue_is_the_occasion_noun_with_its_modifiers() {
        let d = Doc::new("she said in a 2019 television interview");
        assert_eq!(
            venue(&d, &[(0, d.toks.len())]).as_deref(),
            Some("television interview")
        );
    }

    #[test]
    fn a_told_outlet_is_the_recipient_but_reporters_are_not() {
        let d = Doc::new("Dranik told KorPress.");
        assert_eq!(recipient(&d, Some(1)).as_deref(), Some("KorPress"));
        let d = Doc::new("Dranik told reporters.");
        assert_eq!(recipient(&d, Some(1)), None);
    }
}
