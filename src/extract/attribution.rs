//! Locates the speaker phrase of a reporting verb: before it ("Veloso said"), after it ("said
//! Farida Nasser"), or across an appositive ("Amankwah, 52, who has driven…, told").
//!
//! These helpers return token ranges only; reading the phrase is [`super::names`]'s job. Every walk
//! is bounded by a small window so that a 5 MB paragraph with no punctuation stays linear.

use super::lexicon::{is_in, AUX_ADVERBS, NP_STOPS};
use super::text::{Doc, TokKind};

/// How far (in tokens) a speaker phrase may stretch.
const NP_MAX: usize = 12;

/// How far back a comma-separated appositive may reach.
const APPOSITIVE_MAX: usize = 45;

/// A speaker phrase and an optional appositive next to it ("His lawyer" + "Petra Lukic").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct SpeakerSpan {
    pub np: (usize, usize),
    pub appos: Option<(usize, usize)>,
}

/// True when token `i` is a reporting verb (or the "according" of "according to").
pub(crate) fn is_cue(doc: &Doc, i: usize) -> bool {
    doc.toks.get(i).is_some_and(|t| t.cue)
}

/// True for a token that can be part of a speaker phrase.
fn np_token(doc: &Doc, i: usize) -> bool {
    let t = &doc.toks[i];
    (t.is_word() || doc.lower(t) == "&") && !is_in(&NP_STOPS, doc.lower(t)) && !is_cue(doc, i)
}

/// Prepositions and time words that open an adjunct rather than a subject.
fn opens_adjunct(w: &str) -> bool {
    matches!(
        w,
        "in" | "on"
            | "at"
            | "after"
            | "before"
            | "during"
            | "by"
            | "with"
            | "from"
            | "for"
            | "earlier"
            | "later"
            | "last"
            | "asked"
            | "speaking"
            | "writing"
            | "since"
            | "until"
            | "under"
            | "unlike"
            | "like"
            | "as"
            | "while"
            | "when"
            | "once"
            | "then"
            | "also"
            | "however"
            | "but"
            | "and"
            | "yet"
            | "still"
            | "meanwhile"
    )
}

/// Drops a leading adjunct ("On Wednesday the company") from a collected phrase.
fn trim_adjunct(doc: &Doc, a: usize, b: usize) -> usize {
    if !opens_adjunct(doc.low(a)) {
        return a;
    }
    let det = (a + 1..b).find(|&i| {
        matches!(
            doc.low(i),
            "the"
                | "a"
                | "an"
                | "his"
                | "her"
                | "its"
                | "their"
                | "he"
                | "she"
                | "it"
                | "they"
                | "we"
                | "i"
        )
    });
    det.unwrap_or(a)
}

/// Skips auxiliaries and adverbs back from `i` ("has also said"): returns the phrase end.
fn skip_aux_back(doc: &Doc, mut i: usize, lo: usize) -> usize {
    while i > lo && doc.toks[i - 1].kind == TokKind::Word && is_in(&AUX_ADVERBS, doc.low(i - 1)) {
        i -= 1;
    }
    i
}

/// The speaker phrase before the verb at `cue`, not reaching before token `lo`.
pub(crate) fn speaker_before(doc: &Doc, cue: usize, lo: usize) -> Option<SpeakerSpan> {
    let end = skip_aux_back(doc, cue, lo);
    if end <= lo {
        return None;
    }
    let prev = &doc.toks[end - 1];
    if prev.is_punct(',') {
        return across_comma(doc, end - 1, lo);
    }
    if !np_token(doc, end - 1) {
        return None;
    }
    let mut k = end;
    while k > lo && end - k < NP_MAX && np_token(doc, k - 1) {
        k -= 1;
    }
    let k = trim_adjunct(doc, k, end);
    (k < end).then_some(SpeakerSpan {
        np: (k, end),
        appos: None,
    })
}

/// "Tomasz Wirth, Swiftcab's general manager, added": the subject before the first comma of the
/// clause, and the appositive between the commas.
fn across_comma(doc: &Doc, last_comma: usize, lo: usize) -> Option<SpeakerSpan> {
    let floor = lo.max(last_comma.saturating_sub(APPOSITIVE_MAX));
    let mut start = last_comma;
    while start > floor && !clause_break(doc, start - 1) {
        start -= 1;
    }
    let commas: Vec<usize> = (start..last_comma)
        .filter(|&i| doc.toks[i].is_punct(','))
        .collect();
    let mut seg_start = start;
    for &c in commas.iter().chain(std::iter::once(&last_comma)) {
        let (a, b) = (seg_start, c);
        seg_start = c + 1;
        if a >= b
            || opens_adjunct(doc.low(a))
            || b - a > NP_MAX
            || !(a..b).all(|i| np_token(doc, i))
        {
            continue;
        }
        let appos = (c < last_comma).then(|| (c + 1, next_comma(doc, c + 1, last_comma)));
        let appos =
            appos.filter(|&(x, y)| x < y && (x..y).all(|i| np_token(doc, i)) && !relative(doc, x));
        return Some(SpeakerSpan { np: (a, b), appos });
    }
    None
}

/// True when the token ends a clause for the purpose of finding a subject.
fn clause_break(doc: &Doc, i: usize) -> bool {
    let t = &doc.toks[i];
    matches!(
        t.kind,
        TokKind::Open | TokKind::Close | TokKind::Punct('.' | ';' | ':' | '!' | '?')
    )
}

fn next_comma(doc: &Doc, from: usize, limit: usize) -> usize {
    (from..limit)
        .find(|&i| doc.toks[i].is_punct(','))
        .unwrap_or(limit)
}

/// True when token `i` opens a relative clause or a participle phrase.
fn relative(doc: &Doc, i: usize) -> bool {
    let w = doc.low(i);
    matches!(
        w,
        "who" | "which" | "whose" | "asked" | "speaking" | "while" | "when" | "as"
    ) || w.ends_with("ing")
}

/// The speaker phrase after the verb ending at token `after` ("said Farida Nasser", "according to
/// the national grid operator, Estagaz").
pub(crate) fn speaker_after(doc: &Doc, after: usize, hi: usize) -> Option<SpeakerSpan> {
    let hi = hi.min(doc.toks.len());
    let mut e = after;
    while e < hi && e - after < NP_MAX && after_token(doc, e) {
        e += 1;
    }
    if e == after {
        return None;
    }
    // "…, Estagaz." — a one-chunk name in apposition.
    let appos_end = (e + 1..hi.min(e + 6))
        .find(|&i| !doc.toks[i].is_word())
        .unwrap_or(e);
    let appos_ok = doc.toks.get(e).is_some_and(|t| t.is_punct(','))
        && appos_end > e + 1
        && (e + 1..appos_end).all(|i| doc.toks[i].cap)
        && doc
            .toks
            .get(appos_end)
            .is_none_or(|t| matches!(t.kind, TokKind::Punct('.' | ',' | ';')));
    let appos = appos_ok.then_some((e + 1, appos_end));
    Some(SpeakerSpan {
        np: (after, e),
        appos,
    })
}

/// Tokens that continue a speaker phrase after a verb: words up to a clause-opening word.
fn after_token(doc: &Doc, i: usize) -> bool {
    let t = &doc.toks[i];
    let w = doc.lower(t);
    let stop = matches!(
        w,
        "who"
            | "which"
            | "that"
            | "because"
            | "when"
            | "as"
            | "after"
            | "before"
            | "on"
            | "in"
            | "at"
            | "during"
            | "while"
            | "to"
            | "earlier"
            | "last"
            | "this"
            | "yesterday"
            | "today"
    );
    (t.is_word() || w == "&") && !stop && !is_cue(doc, i)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn before(text: &str, verb: &str) -> Option<(String, Option<String>)> {
        let d = Doc::new(text);
        let cue = (0..d.toks.len()).position(|i| d.low(i) == verb)?;
        let s = speaker_before(&d, cue, 0)?;
        Some((
            d.tok_text(s.np.0, s.np.1),
            s.appos.map(|(a, b)| d.tok_text(a, b)),
        ))
    }

    #[test]
    fn the_subject_right_before_the_verb_is_the_speaker() {
        assert_eq!(
            before(
                "In a statement, Brisa Chief Executive Jonas Lindahl said:",
                "said"
            )
            .unwrap()
            .0,
            "Brisa Chief Executive Jonas Lindahl"
        );
        assert_eq!(before("Veloso has also said", "said").unwrap().0, "Veloso");
    }

    #[test]
    fn an_appositive_between_commas_is_skipped_and_kept() {
        let (np, appos) = before(
            "Tomasz Wirth, Swiftcab's general manager for Aldmere, added",
            "added",
        )
        .unwrap();
        assert_eq!(np, "Tomasz Wirth");
        assert_eq!(
            appos.as_deref(),
            Some("Swiftcab's general manager for Aldmere")
        );
        let (np, appos) = before(
            "Amankwah, 52, who has driven for the platform since 2019, told",
            "told",
        )
        .unwrap();
        assert_eq!((np.as_str(), appos), ("Amankwah", Some("52".to_string())));
    }

    #[test]
    fn an_inverted_speaker_follows_the_verb() {
        let d = Doc::new("said Farida Nasser, who represented him");
        let s = speaker_after(&d, 1, d.toks.len()).unwrap();
        assert_eq!(d.tok_text(s.np.0, s.np.1), "Farida Nasser");
        let d = Doc::new("according to the national grid operator, Estagaz.");
        let s = speaker_after(&d, 2, d.toks.len()).unwrap();
        assert_eq!(
            s.appos.map(|(a, b)| d.tok_text(a, b)).as_deref(),
            Some("Estagaz")
        );
    }
}
