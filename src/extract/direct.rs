//! Direct quotes: which quotations are speech, who is attributed, and how split quotes join up.
//!
//! A quotation is speech when a reporting verb is attached to it: after the closing mark ("“…,”
//! Veloso said"), inverted ("“…,” said Farida Nasser"), or before the opening mark after a colon
//! or comma ("said only: “…”"). A quotation that directly follows its attribution sentence in the
//! same paragraph and has no attribution of its own continues the same claim (the "“A,” she said.
//! “B.”" pattern). Titles, slogans and scare quotes are rejected by their shape (short, title case,
//! no sentence punctuation) and by the word before them ("so-called", "tagline", "memoir").

use super::attribution::{is_cue, speaker_after, speaker_before, SpeakerSpan};
use super::lexicon::{is_in, Lex};
use super::quotes::QuoteUnit;
use super::text::{Doc, TokKind};
use super::{ExtractedKind, Raw};

/// Words right before a quotation that mark it as a name or title, not speech.
static NAME_MARKERS: Lex = Lex::new(
    "so-called titled entitled dubbed called named nicknamed reading read tagline slogan motto \
    headline book memoir novel film movie documentary programme program show song album series \
    campaign hashtag known as word term phrase label brand banner sign signs placards",
);

/// How far after a closing mark the attribution verb may be.
const POST_WINDOW: usize = 25;

/// The text of a quotation's parts, joined.
fn content(doc: &Doc, u: &QuoteUnit) -> String {
    u.parts
        .iter()
        .map(|p| doc.slice(p.start, p.end))
        .collect::<Vec<_>>()
        .join(" ")
}

/// True when the quotation looks like a title, slogan or scare quote rather than speech.
pub(crate) fn looks_like_name(doc: &Doc, u: &QuoteUnit) -> bool {
    let text = content(doc, u);
    let trimmed = text.trim_end_matches([',', ' ']);
    let words: Vec<&str> = trimmed.split_whitespace().collect();
    let sentence_end = trimmed.ends_with(['.', '!', '?']);
    let title_case = words.len() <= 8
        && words
            .iter()
            .filter(|w| w.chars().count() > 3)
            .all(|w| w.chars().next().is_some_and(char::is_uppercase));
    let open = doc.tok_at(u.parts.first().map_or(0, |p| p.open));
    let marker = open > 0 && is_in(&NAME_MARKERS, doc.low(open - 1));
    marker || (!sentence_end && (words.len() <= 2 || title_case))
}

/// Token index of a char position's token.
fn tok(doc: &Doc, c: usize) -> usize {
    doc.tok_at(c)
}

/// Attribution after the closing mark: returns (cue, speaker, attribution end).
fn post_attribution(doc: &Doc, close: usize) -> Option<(usize, SpeakerSpan, usize)> {
    let sent = doc.sents.get(doc.sent_of(close)?)?;
    let mut j = close + 1;
    if doc.toks.get(j).is_some_and(|t| t.is_punct(',')) {
        j += 1;
    }
    let hi = sent.end.min(j + POST_WINDOW);
    if j >= hi {
        return None;
    }
    if is_cue(doc, j) && doc.low(j) != "according" {
        let sp = speaker_after(doc, j + 1, hi)?;
        return Some((j, sp, attribution_end(doc, j, sent.end)));
    }
    let cue = (j..hi)
        .take_while(|&i| doc.toks[i].kind != TokKind::Open)
        .find(|&i| is_cue(doc, i))?;
    if doc.low(cue + 1) == "that" || doc.low(cue) == "according" {
        return None;
    }
    let sp = speaker_before(doc, cue, j)?;
    if sp.np.0 != j {
        return None;
    }
    Some((cue, sp, attribution_end(doc, cue, sent.end)))
}

/// Where the attribution clause after `cue` ends: the next opening mark or the sentence end.
fn attribution_end(doc: &Doc, cue: usize, sent_end: usize) -> usize {
    (cue..sent_end.min(cue + 2 * POST_WINDOW))
        .find(|&i| doc.toks[i].kind == TokKind::Open)
        .unwrap_or(sent_end)
}

/// Attribution before the opening mark ("X said: “…”"): returns (cue, speaker).
fn pre_attribution(doc: &Doc, open: usize) -> Option<(usize, SpeakerSpan)> {
    let s = doc.sents.get(doc.sent_of(open)?)?;
    let prev = open.checked_sub(1).filter(|&p| p >= s.start)?;
    let mut k = prev;
    if matches!(doc.toks[prev].kind, TokKind::Punct(':' | ',')) {
        k = prev.checked_sub(1)?;
    } else if !is_cue(doc, prev) {
        return None;
    }
    let lo = s.start.max(k.saturating_sub(30));
    let cue = (lo..=k)
        .rev()
        .take_while(|&i| !matches!(doc.toks[i].kind, TokKind::Open | TokKind::Close))
        .find(|&i| is_cue(doc, i))?;
    let sp = speaker_before(doc, cue, s.start).or_else(|| speaker_after(doc, cue + 1, k + 1))?;
    Some((cue, sp))
}

/// Builds the direct claims; marks the units and cue tokens they use.
pub(crate) fn direct_claims(doc: &Doc, skip_para: &[bool], used_cues: &mut [bool]) -> Vec<Raw> {
    let mut out: Vec<Raw> = Vec::new();
    let mut used = vec![false; doc.quotes.len()];
    for qi in 0..doc.quotes.len() {
        if used[qi] {
            continue;
        }
        let u = &doc.quotes[qi];
        let (Some(first), Some(close)) = (u.parts.first(), u.close()) else {
            continue;
        };
        let open_t = tok(doc, first.open);
        let para = doc
            .sent_of(open_t)
            .and_then(|s| doc.sents.get(s))
            .map_or(0, |s| s.para);
        if skip_para.get(para).copied().unwrap_or(true) || looks_like_name(doc, u) {
            continue;
        }
        let close_t = tok(doc, close);
        let mut raw = Raw::new(
            ExtractedKind::Direct,
            u.parts.iter().map(|p| (p.start, p.end)).collect(),
        );
        if let Some((cue, sp, attr_end)) = post_attribution(doc, close_t) {
            raw.attribute(doc, cue, sp, vec![(close_t + 1, attr_end)]);
            if let Some(next) = continuation(doc, qi, close_t, attr_end) {
                used[next] = true;
                raw.spans
                    .extend(doc.quotes[next].parts.iter().map(|p| (p.start, p.end)));
                raw.units.push(next);
            }
        } else if let Some((cue, sp)) = pre_attribution(doc, open_t) {
            let start = doc
                .sent_of(open_t)
                .and_then(|s| doc.sents.get(s))
                .map_or(open_t, |s| s.start);
            raw.attribute(doc, cue, sp, vec![(start, open_t)]);
        } else if opens_paragraph(doc, u) {
            raw.follow_previous = true;
            raw.anchor = open_t;
            raw.confidence = 0.5;
        } else {
            continue;
        }
        if let Some(c) = raw.cue {
            if let Some(x) = used_cues.get_mut(c) {
                *x = true;
            }
        }
        raw.units.push(qi);
        out.push(raw);
    }
    out
}

/// True when the quotation starts its paragraph and ends in sentence punctuation.
fn opens_paragraph(doc: &Doc, u: &QuoteUnit) -> bool {
    let Some(first) = u.parts.first() else {
        return false;
    };
    let starts = doc.paras.binary_search_by_key(&first.open, |p| p.0).is_ok();
    starts && content(doc, u).trim_end().ends_with(['.', '!', '?'])
}

/// The quotation that continues a split quote after its attribution, if any.
fn continuation(doc: &Doc, qi: usize, close_t: usize, attr_end: usize) -> Option<usize> {
    let next = doc.quotes.get(qi + 1)?;
    let open_t = tok(doc, next.parts.first()?.open);
    let same_para = doc
        .sent_of(open_t)
        .zip(doc.sent_of(close_t))
        .is_some_and(|(a, b)| doc.sents.get(a).map(|s| s.para) == doc.sents.get(b).map(|s| s.para));
    let between_ok = open_t >= attr_end && open_t - close_t <= 40;
    let next_close = tok(doc, next.close()?);
    if !same_para
        || !between_ok
        || looks_like_name(doc, next)
        || post_attribution(doc, next_close).is_some()
    {
        return None;
    }
    // Only the attribution may stand between the two parts.
    let gap_clean = (attr_end..open_t).all(|i| matches!(doc.toks[i].kind, TokKind::Punct(_)));
    let opens_sentence = doc
        .sent_of(open_t)
        .and_then(|s| doc.sents.get(s))
        .is_some_and(|s| s.start == open_t);
    (gap_clean || opens_sentence).then_some(qi + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn claims(text: &str) -> Vec<Raw> {
        let doc = Doc::new(text);
        let mut cues = vec![false; doc.toks.len()];
        direct_claims(&doc, &vec![false; doc.paras.len()], &mut cues)
    }

    #[test]
    fn a_quote_split_around_its_attribution_is_one_claim_with_two_parts() {
        let c = claims("“We will not trade Osk,” she said, “and we will not be rushed.”");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].spans.len(), 2);
    }

    #[test]
    fn a_quote_after_its_attribution_sentence_continues_the_claim() {
        let c = claims("“A map, not demands,” Veloso said. “That is not how neighbours behave.”");
        assert_eq!(c.len(), 1);
        assert_eq!(c[0].spans.len(), 2);
    }

    #[test]
    fn titles_and_slogans_are_not_claims() {
        assert!(
            claims("In his memoir, “Driving the Future,” he wrote that it was fine.").is_empty()
        );
        assert!(claims("placards reading “Osk Is Ours,” a slogan.").is_empty());
        assert!(claims("a so-called “smart” thermostat").is_empty());
    }

    #[test]
    fn a_colon_introduces_a_quote() {
        let c = claims("Veloso said only: “My suitcase is not packed.”");
        assert_eq!(c.len(), 1);
        assert!(c[0].np.is_some());
    }
}
