//! Reported speech: "X said (that) …", "according to X, …", "…, X said." and mixed claims.
//!
//! For every reporting verb outside quote marks that is not already the attribution of a direct
//! quote, the content clause is located: after the verb (skipping "that", the listener of "told"
//! and adjuncts such as "in a statement" or "on Wednesday"), or before it when the attribution is
//! postposed ("The vote was 6-1, according to a member."). The clause runs to the end of the
//! sentence but stops at a journalist's background clause (", which …"), a second verb of speech
//! (", saying …", "and declined …") or a semicolon. Content holding quote marks is a mixed claim.

use super::attribution::{is_cue, speaker_after, speaker_before, SpeakerSpan};
use super::clause::{content_end, skip_adjunct, skip_listener, CONTENT_MAX};
use super::lexicon::{is_in, Lex, AUX_ADVERBS, OBJECT_CUES, TELL_VERBS, WEAK_CUES};
use super::text::{Doc, Sentence, TokKind};
use super::{ExtractedKind, Raw};

/// All reported-speech claims of the document.
pub(crate) fn reported_claims(
    doc: &Doc,
    skip_para: &[bool],
    used_cues: &[bool],
    direct: &[Raw],
) -> Vec<Raw> {
    let mut out: Vec<Raw> = Vec::new();
    for s in &doc.sents {
        if skip_para.get(s.para).copied().unwrap_or(true) {
            continue;
        }
        let first_here = out.len();
        for i in s.start..s.end {
            if doc.toks[i].quoted || used_cues.get(i).copied().unwrap_or(true) {
                continue;
            }
            let found = if is_cue(doc, i) {
                claim_at(doc, s, i, &out[first_here..])
            } else {
                nominal(doc, s, i)
            };
            let Some(mut raw) = found else {
                continue;
            };
            let end = raw.spans.first().map_or(0, |s| s.1);
            let near = direct.partition_point(|d| d.spans.first().is_some_and(|s| s.0 < end));
            let overlaps = direct[near.saturating_sub(4)..near]
                .iter()
                .chain(out[out.len().saturating_sub(4)..].iter())
                .any(|d| overlap(&d.spans, &raw.spans));
            if !overlaps {
                raw.kind = kind_of(doc, &raw);
                out.push(raw);
            }
        }
    }
    out
}

/// Nouns that carry content when a possessor owns them: "the company's argument that …".
static NOMINAL_CUES: Lex = Lex::new(
    "argument claim assertion contention insistence allegation warning pledge promise \
    statement suggestion view position complaint accusation",
);

/// A nominal cue with its possessor as speaker ("the company's argument that its drivers …").
fn nominal(doc: &Doc, s: &Sentence, i: usize) -> Option<Raw> {
    if i == 0
        || !doc.toks[i - 1].poss
        || doc.low(i + 1) != "that"
        || !is_in(&NOMINAL_CUES, doc.low(i))
    {
        return None;
    }
    let owner_end = i;
    let mut a = i - 1;
    while a > s.start && i - a < 5 && doc.toks[a - 1].is_word() && !doc.toks[a - 1].poss {
        a -= 1;
        if matches!(
            doc.low(a),
            "the" | "a" | "an" | "his" | "her" | "its" | "their"
        ) {
            break;
        }
    }
    let sp = SpeakerSpan {
        np: (a, owner_end),
        appos: None,
    };
    let cs = i + 2;
    let raw = build(doc, s, i, Some(sp), cs, content_end(doc, cs, s.end))?;
    Some(raw)
}

/// True when two span lists share a character.
fn overlap(a: &[(usize, usize)], b: &[(usize, usize)]) -> bool {
    a.iter().any(|x| b.iter().any(|y| x.0 < y.1 && y.0 < x.1))
}

/// Mixed when the content holds a quotation that is not a scare-quoted label.
fn kind_of(doc: &Doc, raw: &Raw) -> ExtractedKind {
    let Some(&(s, e)) = raw.spans.first() else {
        return ExtractedKind::Indirect;
    };
    let first = doc.quotes.partition_point(|u| u.start() < s);
    let last = doc.quotes.partition_point(|u| u.start() < e);
    let quoted = doc.quotes[first..last].iter().any(|u| {
        u.parts.iter().any(|p| p.start >= s && p.end <= e) && {
            let open = doc.tok_at(u.start().saturating_sub(1));
            open == 0 || doc.low(open - 1) != "so-called"
        }
    });
    if quoted {
        ExtractedKind::Mixed
    } else {
        ExtractedKind::Indirect
    }
}

/// The claim whose cue is token `i`, if its content and speaker can be found.
fn claim_at(doc: &Doc, s: &Sentence, i: usize, earlier: &[Raw]) -> Option<Raw> {
    if doc.low(i) == "according" {
        return according_to(doc, s, i);
    }
    let participle = doc.low(i).ends_with("ing")
        && i > s.start
        && (doc.toks[i - 1].is_punct(',') || doc.toks[i - 1].kind == TokKind::Close);
    if participle {
        let (cs, ce) = content_after(doc, s, i)?;
        let mut raw = build(doc, s, i, None, cs, ce)?;
        raw.follow_previous = true;
        raw.np = earlier
            .last()
            .and_then(|r| r.np)
            .or_else(|| subject_of(doc, s, i));
        raw.follow_previous = raw.np.is_none();
        return Some(raw);
    }
    if let Some(raw) = postposed(doc, s, i) {
        return Some(raw);
    }
    let sp = speaker_before(doc, i, s.start)?;
    let (cs, ce) = content_after(doc, s, i)?;
    build(doc, s, i, Some(sp), cs, ce)
}

/// The sentence's leading noun phrase, for participle cues with no earlier claim.
fn subject_of(doc: &Doc, s: &Sentence, limit: usize) -> Option<SpeakerSpan> {
    let e = (s.start..limit).find(|&j| !doc.toks[j].is_word() || doc.low(j).ends_with("ed"))?;
    (e > s.start).then_some(SpeakerSpan {
        np: (s.start, e),
        appos: None,
    })
}

/// Makes a raw claim from a cue, a speaker and a content token range `[cs, ce)`.
fn build(
    doc: &Doc,
    s: &Sentence,
    cue: usize,
    sp: Option<SpeakerSpan>,
    cs: usize,
    ce: usize,
) -> Option<Raw> {
    let words = (cs..ce).filter(|&j| doc.toks[j].is_word()).count();
    if words < 3 {
        return None;
    }
    let span = content_chars(doc, cs, ce)?;
    let mut raw = Raw::new(ExtractedKind::Indirect, vec![span]);
    let attr = super::clamp_attr(&[(s.start, cs.min(ce)), (ce, s.end)], cue);
    match sp {
        Some(sp) => raw.attribute(doc, cue, sp, attr),
        None => {
            raw.cue = Some(cue);
            raw.cue_text = Some(doc.tok_text(cue, cue + 1));
            raw.anchor = cue;
            raw.attr = attr;
        }
    }
    raw.confidence = 0.7;
    Some(raw)
}

/// Char span of content tokens `[cs, ce)`, keeping a final closing mark and dropping end punctuation.
fn content_chars(doc: &Doc, cs: usize, mut ce: usize) -> Option<(usize, usize)> {
    while ce > cs
        && matches!(
            doc.toks[ce - 1].kind,
            TokKind::Punct('.' | ',' | ';' | ':' | '—' | '–' | '-')
        )
    {
        ce -= 1;
    }
    let (a, b) = (doc.toks.get(cs)?, doc.toks.get(ce.checked_sub(1)?)?);
    (cs < ce).then_some((a.start, b.end))
}

/// "…, according to X." or "According to X, …".
fn according_to(doc: &Doc, s: &Sentence, i: usize) -> Option<Raw> {
    let sp = speaker_after(doc, i + 2, s.end)?;
    let np_end = sp.appos.map_or(sp.np.1, |a| a.1);
    let at_start =
        i == s.start || (i > s.start && doc.toks[i - 1].is_punct(',') && i - s.start <= 3);
    let (cs, ce) = if at_start {
        let mut c = np_end;
        if doc.toks.get(c).is_some_and(|t| t.is_punct(',')) {
            c += 1;
        }
        if matches!(doc.low(c), "which" | "who") {
            c = (c..s.end).find(|&j| doc.toks[j].is_punct(','))? + 1;
        }
        (c, content_end(doc, c, s.end))
    } else {
        (s.start.max(i.saturating_sub(CONTENT_MAX)), i)
    };
    let mut raw = build(doc, s, i, Some(sp), cs, ce)?;
    raw.cue_text = Some(doc.tok_text(i, i + 2));
    Some(raw)
}

/// "The vote was 6-1, the member said." / "…, said Smith.": content before the attribution.
fn postposed(doc: &Doc, s: &Sentence, i: usize) -> Option<Raw> {
    let after_ok = |j: usize| {
        j >= s.end
            || matches!(doc.toks[j].kind, TokKind::Punct('.' | ',' | '!' | '?'))
            || matches!(
                doc.low(j),
                "on" | "in"
                    | "at"
                    | "during"
                    | "last"
                    | "this"
                    | "yesterday"
                    | "today"
                    | "earlier"
                    | "to"
                    | "reporters"
            )
    };
    if i > s.start && doc.toks[i - 1].is_punct(',') {
        let sp = speaker_after(doc, i + 1, s.end)?;
        let end = sp.appos.map_or(sp.np.1, |a| a.1);
        let punct_after =
            end >= s.end || matches!(doc.toks[end].kind, TokKind::Punct('.' | ',' | '!' | '?'));
        let plain = (sp.np.0..sp.np.1).all(|j| !is_in(&AUX_ADVERBS, doc.low(j)));
        if !punct_after || !plain || sp.np.1 - sp.np.0 > 8 {
            return None;
        }
        return build(
            doc,
            s,
            i,
            Some(sp),
            s.start.max(i.saturating_sub(CONTENT_MAX)),
            i - 1,
        );
    }
    let sp = speaker_before(doc, i, s.start)?;
    let comma = sp.np.0.checked_sub(1)?;
    if comma <= s.start || !doc.toks[comma].is_punct(',') || !after_ok(i + 1) {
        return None;
    }
    if doc.toks[s.start].kind == TokKind::Open && doc.toks[comma - 1].kind == TokKind::Close {
        return None; // a direct quote, handled elsewhere
    }
    build(
        doc,
        s,
        i,
        Some(sp),
        s.start.max(comma.saturating_sub(CONTENT_MAX)),
        comma,
    )
}

/// The content after the verb at `i`: skips "that", the listener and adjuncts.
fn content_after(doc: &Doc, s: &Sentence, i: usize) -> Option<(usize, usize)> {
    let w = doc.low(i);
    let mut j = i + 1;
    if w.starts_with("call") && matches!(doc.low(j), "on" | "for") {
        j += 1;
    } else if let Some(t) = that_after(doc, s, i) {
        j = t + 1;
    } else if is_in(&OBJECT_CUES, w) {
        // Passive or participle uses ("was asked", "Veloso, asked …", "who asked not to be
        // named") report nothing the subject said.
        let before = if i > 0 { doc.low(i - 1) } else { "" };
        let passive = matches!(
            before,
            "," | "who"
                | "which"
                | "that"
                | "was"
                | "were"
                | "been"
                | "being"
                | "is"
                | "are"
                | "be"
        );
        if passive || doc.low(j) == "not" {
            return None;
        }
        if matches!(doc.low(j), "for" | "about" | "on") && !w.starts_with("call") {
            j += 1;
        }
    } else if is_in(&WEAK_CUES, w) {
        return None;
    } else if is_in(&TELL_VERBS, w) {
        j = skip_listener(doc, j, s.end);
    } else {
        j = skip_adjunct(doc, j, s.end);
    }
    if j >= s.end || !(doc.toks[j].is_word() || doc.toks[j].kind == TokKind::Open) {
        return None;
    }
    if doc.low(j) == "to"
        && !matches!(
            w,
            "promised" | "pledged" | "vowed" | "urged" | "promises" | "pledges" | "vows"
        )
    {
        return None;
    }
    Some((j, content_end(doc, j, s.end)))
}

/// The "that" introducing the content, if only adjuncts or a listener stand before it.
fn that_after(doc: &Doc, s: &Sentence, i: usize) -> Option<usize> {
    let limit = s.end.min(i + 30);
    let t = (i + 1..limit)
        .take_while(|&j| !is_cue(doc, j) && doc.toks[j].kind != TokKind::Open)
        .find(|&j| doc.low(j) == "that")?;
    let first = doc.low(i + 1);
    let adjunct = t == i + 1
        || is_in(&TELL_VERBS, doc.low(i))
        || doc.toks.get(i + 1).is_some_and(|x| x.is_punct(','))
        || matches!(
            first,
            "in" | "on"
                | "at"
                | "late"
                | "early"
                | "earlier"
                | "during"
                | "after"
                | "before"
                | "last"
                | "this"
                | "to"
                | "yesterday"
                | "today"
                | "repeatedly"
                | "publicly"
                | "privately"
                | "again"
        );
    adjunct.then_some(t)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contents(text: &str) -> Vec<String> {
        let doc = Doc::new(text);
        let used = vec![false; doc.toks.len()];
        reported_claims(&doc, &vec![false; doc.paras.len()], &used, &[])
            .iter()
            .map(|r| doc.slice(r.spans[0].0, r.spans[0].1))
            .collect()
    }

    #[test]
    fn a_that_clause_after_adjuncts_is_the_content() {
        let c = contents("Swiftcab said in a statement that it would appeal the ruling.");
        assert_eq!(c, vec!["it would appeal the ruling"]);
    }

    #[test]
    fn the_listener_of_told_is_skipped() {
        let c = contents(
            "Amankwah told reporters on Wednesday that he had cried when he heard the result.",
        );
        assert_eq!(c, vec!["he had cried when he heard the result"]);
    }

    #[test]
    fn according_to_takes_the_content_before_it() {
        let c = contents("The expansion was approved by 14 votes to 6, according to a member who asked not to be named.");
        assert_eq!(c, vec!["The expansion was approved by 14 votes to 6"]);
    }

    #[test]
    fn a_background_clause_and_a_second_predicate_are_cut() {
        let c = contents("Karst Engineering said it was cooperating fully with investigators and declined to comment further.");
        assert_eq!(c, vec!["it was cooperating fully with investigators"]);
        let c = contents("The ministry has said its intervention was needed in the federation, which is under investigation.");
        assert_eq!(c, vec!["its intervention was needed in the federation"]);
    }

    #[test]
    fn a_possessed_argument_noun_is_a_nominal_cue() {
        let c = contents(
            "The court rejected the company's argument that its drivers run their own businesses.",
        );
        assert_eq!(c, vec!["its drivers run their own businesses"]);
    }
}
