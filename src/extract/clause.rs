//! Where a reported content clause starts and ends.
//!
//! The content of "said" starts after "that", after the listener of "told" ("told reporters on
//! Wednesday that …") or after adjuncts ("said on Wednesday it was …"). It ends at the sentence end
//! unless a semicolon or dash, a journalist's background clause (", which …"), a second speech
//! predicate (", saying …", "and declined …") or a participle clause (", rejecting …") comes first.

use super::attribution::is_cue;
use super::lexicon::{is_in, Lex};
use super::text::{Doc, TokKind};

/// Longest content clause, in tokens: bounds the work on pathological input.
pub(crate) const CONTENT_MAX: usize = 150;

/// Words after a comma that open a clause that is not part of the reported content.
static CLAUSE_OPENERS: Lex = Lex::new(
    "which who whose according saying adding noting arguing warning rejecting while but \
    although though prompting sending citing where explaining insisting claiming calling \
    urging declining refusing",
);

/// Verbs after "and" that start a new predicate of the speaker ("and declined to comment").
static NEW_PREDICATES: Lex = Lex::new("declined refused did was has had is will would then");

/// Skips the listener of "told" ("reporters", "the state news agency KorPress") and adjuncts.
pub(crate) fn skip_listener(doc: &Doc, mut j: usize, end: usize) -> usize {
    let start = j;
    while j < end && j - start < 8 && !opens_clause(doc, j) {
        j += 1;
    }
    if j - start >= 8 {
        start
    } else {
        j
    }
}

/// Skips adjuncts such as "on Wednesday" or "in a statement" that precede the content.
pub(crate) fn skip_adjunct(doc: &Doc, j: usize, end: usize) -> usize {
    let w = doc.low(j);
    let adjunct = matches!(
        w,
        "on" | "in"
            | "late"
            | "early"
            | "earlier"
            | "during"
            | "last"
            | "this"
            | "yesterday"
            | "today"
            | "again"
            | "repeatedly"
            | "publicly"
            | "privately"
            | "later"
    ) || (w == "at" && !matches!(doc.low(j + 1), "least" | "most"));
    if !adjunct {
        return j;
    }
    let mut k = j + 1;
    while k < end && k - j < 7 && !opens_clause(doc, k) {
        k += 1;
    }
    if k - j >= 7 {
        j
    } else {
        k
    }
}

/// Words that typically open a content clause: pronouns, determiners, names, numbers.
pub(crate) fn opens_clause(doc: &Doc, j: usize) -> bool {
    let t = &doc.toks[j];
    let w = doc.lower(t);
    matches!(
        w,
        "he" | "she"
            | "it"
            | "they"
            | "we"
            | "i"
            | "the"
            | "a"
            | "an"
            | "his"
            | "her"
            | "its"
            | "their"
            | "there"
            | "this"
            | "these"
            | "those"
            | "some"
            | "no"
            | "all"
            | "both"
            | "at"
            | "about"
            | "more"
            | "most"
            | "only"
            | "nobody"
            | "everyone"
            | "any"
    ) || t.kind == TokKind::Number
        || t.kind == TokKind::Open
        || (t.cap
            && t.is_word()
            && super::lexicon::weekday_of(w).is_none()
            && super::lexicon::month_of(w).is_none())
}

/// Where a content clause starting at `cs` ends.
pub(crate) fn content_end(doc: &Doc, cs: usize, end: usize) -> usize {
    let limit = end.min(cs + CONTENT_MAX);
    let mut j = cs;
    while j < limit {
        let t = &doc.toks[j];
        if !t.quoted {
            match t.kind {
                TokKind::Punct(';' | '—' | '–' | '(') if j > cs + 2 => return j,
                TokKind::Punct(',') if j > cs + 2 && comma_ends(doc, j) => return j,
                TokKind::Word
                    if (doc.lower(t) == "and" || doc.lower(t) == "but")
                        && j > cs + 2
                        && (is_in(&NEW_PREDICATES, doc.low(j + 1)) || is_cue(doc, j + 1)) =>
                {
                    return j
                }
                _ => {}
            }
        }
        j += 1;
    }
    limit
}

/// Whether the comma at `j` ends the content: a background or second-claim clause follows.
fn comma_ends(doc: &Doc, j: usize) -> bool {
    let next = doc.low(j + 1);
    is_in(&CLAUSE_OPENERS, next)
        || (is_cue(doc, j + 1) && !doc.toks.get(j + 1).is_some_and(|t| t.quoted))
        || (next.ends_with("ing")
            && !matches!(
                next,
                "including"
                    | "excluding"
                    | "during"
                    | "following"
                    | "regarding"
                    | "concerning"
                    | "something"
                    | "nothing"
                    | "anything"
                    | "everything"
                    | "king"
                    | "spring"
                    | "thing"
                    | "bring"
            ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn end_text(text: &str) -> String {
        let d = Doc::new(text);
        let e = content_end(&d, 0, d.toks.len());
        d.tok_text(0, e)
    }

    #[test]
    fn a_participle_clause_ends_the_content_but_including_does_not() {
        assert_eq!(
            end_text("drivers are employees, rejecting the argument."),
            "drivers are employees"
        );
        assert_eq!(
            end_text("37 fires, including two that destroyed homes."),
            "37 fires, including two that destroyed homes."
        );
    }

    #[test]
    fn the_listener_of_told_is_skipped_up_to_the_clause() {
        let d = Doc::new("reporters on Wednesday he had cried");
        assert_eq!(d.low(skip_listener(&d, 0, d.toks.len())), "he");
    }
}
