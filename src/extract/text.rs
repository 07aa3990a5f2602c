//! The document model the rules work on: characters, tokens, paragraphs, sentences and quotations.
//!
//! The text is decoded once into a `Vec<char>` so that every offset is a code point (the unit the
//! API promises) and slicing can never split a UTF-8 sequence. Tokens carry their char span, a
//! lowercase form for lexicon look-ups, and whether they sit inside quote marks, so that the
//! attribution rules never mistake quoted words for the journalist's own.

use super::lexicon::{is_in, ABBREVIATIONS, CUE_VERBS, TITLE_ABBREVIATIONS};
use super::quotes::{find_quotes, paragraphs, QuoteUnit};

/// What a token is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum TokKind {
    Word,
    Number,
    Punct(char),
    /// An opening double mark of a quotation.
    Open,
    /// A closing double mark of a quotation.
    Close,
}

/// One token with its char span `[start, end)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Token {
    pub start: usize,
    pub end: usize,
    pub kind: TokKind,
    /// Byte range of the lowercase form in [`Doc::lows`] (typographic apostrophes made straight,
    /// a possessive "'s" removed).
    pub lo: u32,
    pub hi: u32,
    /// First character is uppercase.
    pub cap: bool,
    /// Word ends in a possessive ("Korvan’s", "Players'").
    pub poss: bool,
    /// Inside the marks of a quotation.
    pub quoted: bool,
    /// A reporting verb, or the "according" of "according to" (set once by [`Doc::new`]).
    pub cue: bool,
}

impl Token {
    /// True for a word or number token.
    pub(crate) fn is_word(&self) -> bool {
        matches!(self.kind, TokKind::Word | TokKind::Number)
    }

    /// True for the punctuation character `c`.
    pub(crate) fn is_punct(&self, c: char) -> bool {
        self.kind == TokKind::Punct(c)
    }
}

/// A sentence as a token range `[start, end)` within one paragraph.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Sentence {
    pub start: usize,
    pub end: usize,
    pub para: usize,
}

/// The analysed document.
#[derive(Debug, Clone)]
pub(crate) struct Doc {
    pub chars: Vec<char>,
    pub toks: Vec<Token>,
    /// The lowercase forms of all tokens, back to back (one allocation, not one per word).
    pub lows: String,
    /// Paragraphs as char ranges.
    pub paras: Vec<(usize, usize)>,
    /// Paragraphs as token ranges, parallel to `paras`.
    pub para_toks: Vec<(usize, usize)>,
    pub sents: Vec<Sentence>,
    pub quotes: Vec<QuoteUnit>,
}

impl Doc {
    /// Decodes and analyses `text` in a few linear passes.
    pub(crate) fn new(text: &str) -> Doc {
        let chars: Vec<char> = text.chars().collect();
        let paras = paragraphs(&chars);
        let quotes = find_quotes(&chars, &paras);
        let mut marks = MarkMap::default();
        for q in &quotes {
            for p in &q.parts {
                marks.opens.push(p.open);
                marks.ranges.push((p.start, p.end));
                if let Some(c) = p.close {
                    marks.closes.push(c);
                }
            }
        }
        marks.ranges.sort_unstable();
        marks.opens.sort_unstable();
        marks.closes.sort_unstable();
        let mut toks = Vec::new();
        let mut lows = String::with_capacity(text.len());
        let mut para_toks = Vec::with_capacity(paras.len());
        for &(ps, pe) in &paras {
            let first = toks.len();
            tokenize(&chars, ps, pe, &marks, &mut toks, &mut lows);
            para_toks.push((first, toks.len()));
        }
        mark_cues(&mut toks, &lows);
        let mut doc = Doc {
            chars,
            toks,
            lows,
            paras,
            para_toks,
            sents: Vec::new(),
            quotes,
        };
        doc.sents = split_sentences(&doc);
        doc
    }

    /// The text of chars `[s, e)`.
    pub(crate) fn slice(&self, s: usize, e: usize) -> String {
        self.chars
            .get(s..e.min(self.chars.len()))
            .map_or_else(String::new, |c| c.iter().collect())
    }

    /// The text from the start of token `a` to the end of token `b - 1`.
    pub(crate) fn tok_text(&self, a: usize, b: usize) -> String {
        match (
            self.toks.get(a),
            b.checked_sub(1).and_then(|l| self.toks.get(l)),
        ) {
            (Some(x), Some(y)) if a < b => self.slice(x.start, y.end),
            _ => String::new(),
        }
    }

    /// Lowercase form of token `i`, or "" past the end.
    pub(crate) fn low(&self, i: usize) -> &str {
        self.toks.get(i).map_or("", |t| self.lower(t))
    }

    /// Lowercase form of token `t`.
    pub(crate) fn lower(&self, t: &Token) -> &str {
        lower_in(&self.lows, t)
    }

    /// Index of the sentence holding token `i`.
    pub(crate) fn sent_of(&self, i: usize) -> Option<usize> {
        let k = self.sents.partition_point(|s| s.end <= i);
        self.sents.get(k).filter(|s| s.start <= i).map(|_| k)
    }

    /// Index of the first token starting at or after char `c`.
    pub(crate) fn tok_at(&self, c: usize) -> usize {
        self.toks.partition_point(|t| t.start < c)
    }
}

/// Flags the reporting verbs once, so the rules can test a token without a look-up.
fn mark_cues(toks: &mut [Token], lows: &str) {
    for i in 0..toks.len() {
        let t = &toks[i];
        let w = lower_in(lows, t);
        // A capitalised "States" or "Reports" is a name, not a verb.
        let cue = t.kind == TokKind::Word
            && (!t.cap || w == "according")
            && (is_in(&CUE_VERBS, w)
                || (w == "according"
                    && toks.get(i + 1).is_some_and(|n| lower_in(lows, n) == "to")));
        toks[i].cue = cue;
    }
}

/// The lowercase form of `t` in the buffer `lows`.
fn lower_in<'a>(lows: &'a str, t: &Token) -> &'a str {
    lows.get(t.lo as usize..t.hi as usize).unwrap_or("")
}

/// Appends the lowercase form of `chars` to `lows` (apostrophes made straight, a possessive
/// "'s" dropped); returns its byte range and whether a possessive was dropped.
fn push_lower(lows: &mut String, chars: &[char]) -> (u32, u32, bool) {
    let lo = lows.len();
    for &c in chars {
        if c.is_ascii() {
            lows.push(c.to_ascii_lowercase());
        } else if c == '’' {
            lows.push('\'');
        } else {
            lows.extend(c.to_lowercase());
        }
    }
    let poss = lows.len() > lo + 2 && lows.ends_with("'s");
    if poss {
        lows.truncate(lows.len() - 2);
    }
    (to_u32(lo), to_u32(lows.len()), poss)
}

/// Saturating conversion for buffer offsets (inputs beyond 4 GB are not articles).
fn to_u32(x: usize) -> u32 {
    u32::try_from(x).unwrap_or(u32::MAX)
}

/// Positions of the quote marks and quoted ranges chosen by the quote finder, sorted.
#[derive(Default)]
struct MarkMap {
    opens: Vec<usize>,
    closes: Vec<usize>,
    ranges: Vec<(usize, usize)>,
}

impl MarkMap {
    fn quoted(&self, c: usize) -> bool {
        let k = self.ranges.partition_point(|r| r.0 <= c);
        k > 0 && self.ranges.get(k - 1).is_some_and(|r| c < r.1)
    }
}

/// Characters that may join two word pieces into one token: "Anti-Corruption", "Korvan’s", "4.8".
fn joins(chars: &[char], i: usize, end: usize) -> bool {
    let c = chars[i];
    let prev = i.checked_sub(1).map(|p| chars[p]);
    let next = if i + 1 < end {
        Some(chars[i + 1])
    } else {
        None
    };
    let alnum = |x: Option<char>| x.is_some_and(|x| x.is_alphanumeric());
    match c {
        '-' | '’' | '\'' | '&' => alnum(prev) && alnum(next),
        '.' | ',' => {
            prev.is_some_and(|p| p.is_ascii_digit()) && next.is_some_and(|n| n.is_ascii_digit())
        }
        _ => false,
    }
}

/// Tokenises paragraph `[ps, pe)` into `out`.
fn tokenize(
    chars: &[char],
    ps: usize,
    pe: usize,
    marks: &MarkMap,
    out: &mut Vec<Token>,
    lows: &mut String,
) {
    let mut i = ps;
    while i < pe {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if c.is_alphanumeric() {
            let s = i;
            while i < pe && (chars[i].is_alphanumeric() || joins(chars, i, pe)) {
                i += 1;
            }
            // Abbreviations with inner dots ("U.S.") stay one word.
            while i + 1 < pe && chars[i] == '.' && chars[i + 1].is_alphabetic() && i - s <= 3 {
                i += 1;
                while i < pe && chars[i].is_alphanumeric() {
                    i += 1;
                }
            }
            // "Mr." and similar titles keep their period, so it cannot break a name.
            let word_end = i;
            if i < pe && chars[i] == '.' && title_abbreviation(&chars[s..i]) {
                i += 1;
            }
            // A plural possessive: "Players' Association".
            let mut poss_end = i;
            if i < pe
                && (chars[i] == '\'' || chars[i] == '’')
                && chars[i - 1] == 's'
                && marks.closes.binary_search(&i).is_err()
                && chars.get(i + 1).is_none_or(|n| n.is_whitespace())
                && !marks.quoted(i)
            {
                poss_end = i + 1;
            }
            out.push(word_token(
                chars,
                s,
                word_end,
                poss_end > i,
                marks.quoted(s),
                lows,
            ));
            if let Some(t) = out.last_mut() {
                t.end = poss_end;
            }
            i = poss_end;
            continue;
        }
        let kind = if marks.opens.binary_search(&i).is_ok() {
            TokKind::Open
        } else if marks.closes.binary_search(&i).is_ok() {
            TokKind::Close
        } else {
            TokKind::Punct(c)
        };
        let quoted = marks.quoted(i);
        // A mark written as two apostrophes ('') is one token.
        let width = if kind != TokKind::Punct(c) && c == '\'' && chars.get(i + 1) == Some(&'\'') {
            2
        } else {
            1
        };
        let (lo, hi, _) = push_lower(lows, &chars[i..i + 1]);
        out.push(Token {
            start: i,
            end: i + width,
            kind,
            lo,
            hi,
            cap: false,
            poss: false,
            quoted,
            cue: false,
        });
        i += width;
    }
}

/// True for "Mr", "Mrs", "Dr" and the like, whose period belongs to the word.
fn title_abbreviation(word: &[char]) -> bool {
    let w: String = word.iter().flat_map(|c| c.to_lowercase()).collect();
    word.len() <= 4 && is_in(&TITLE_ABBREVIATIONS, &w)
}

/// Builds a word or number token for chars `[s, e)`.
fn word_token(
    chars: &[char],
    s: usize,
    e: usize,
    plural_poss: bool,
    quoted: bool,
    lows: &mut String,
) -> Token {
    let (lo, hi, poss) = push_lower(lows, &chars[s..e]);
    let poss = poss || plural_poss;
    let first = chars[s];
    let kind = if first.is_ascii_digit() {
        TokKind::Number
    } else {
        TokKind::Word
    };
    Token {
        start: s,
        end: e,
        kind,
        lo,
        hi,
        cap: first.is_uppercase(),
        poss,
        quoted,
        cue: false,
    }
}

/// True when the period at token `i` belongs to an abbreviation or initial rather than ending a
/// sentence.
fn abbreviation_period(doc: &Doc, i: usize) -> bool {
    let Some(prev) = i.checked_sub(1).and_then(|p| doc.toks.get(p)) else {
        return false;
    };
    let tight = doc.toks.get(i).is_some_and(|t| t.start == prev.end);
    if !tight || !prev.is_word() {
        return false;
    }
    let next = doc.toks.get(i + 1);
    let next_lower_or_num = next.is_some_and(|n| !n.cap || n.kind == TokKind::Number);
    let initial = prev.end - prev.start == 1 && prev.cap;
    let w = doc.lower(prev);
    let title = is_in(&TITLE_ABBREVIATIONS, w);
    title || ((initial || is_in(&ABBREVIATIONS, w)) && next_lower_or_num)
}

/// Splits each paragraph into sentences. Periods inside quote marks do not end sentences; a
/// closing mark after sentence punctuation does when a capitalised word or a new quotation follows.
fn split_sentences(doc: &Doc) -> Vec<Sentence> {
    let mut out = Vec::new();
    for (pi, &(a, b)) in doc.para_toks.iter().enumerate() {
        let mut start = a;
        for i in a..b {
            let t = &doc.toks[i];
            let ends = match t.kind {
                TokKind::Punct('.' | '!' | '?') if !t.quoted => !abbreviation_period(doc, i),
                TokKind::Close => close_ends_sentence(doc, i, b),
                _ => false,
            };
            if ends && i + 1 < b {
                out.push(Sentence {
                    start,
                    end: i + 1,
                    para: pi,
                });
                start = i + 1;
            }
        }
        if start < b {
            out.push(Sentence {
                start,
                end: b,
                para: pi,
            });
        }
    }
    out
}

/// Whether the closing mark at token `i` also closes the sentence.
fn close_ends_sentence(doc: &Doc, i: usize, para_end: usize) -> bool {
    let t = &doc.toks[i];
    let before = t
        .start
        .checked_sub(1)
        .and_then(|p| doc.chars.get(p))
        .copied();
    if !before.is_some_and(|c| matches!(c, '.' | '!' | '?')) || i + 1 >= para_end {
        return false;
    }
    let next = &doc.toks[i + 1];
    next.kind == TokKind::Open || (next.cap && next.is_word())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_possessives_and_hyphens_together() {
        let d = Doc::new("Korvan’s anti-graft drive, the Players' Association.");
        let words: Vec<&str> = d.toks.iter().map(|t| d.lower(t)).collect();
        assert_eq!(
            words,
            vec![
                "korvan",
                "anti-graft",
                "drive",
                ",",
                "the",
                "players",
                "association",
                "."
            ]
        );
        assert!(d.toks[0].poss && d.toks[5].poss);
    }

    #[test]
    fn sentences_do_not_break_inside_quotes_or_after_abbreviations() {
        let d = Doc::new("“No. Never,” she said on Oct. 2. Then he left.");
        assert_eq!(d.sents.len(), 2);
    }

    #[test]
    fn a_closing_mark_after_a_period_ends_the_sentence_before_a_capital() {
        let d = Doc::new("He said “It is done.” Then he left.");
        assert_eq!(d.sents.len(), 2);
    }

    #[test]
    fn slicing_past_the_end_is_empty_not_a_panic() {
        let d = Doc::new("héllo");
        assert_eq!(d.slice(3, 99), "lo");
        assert_eq!(d.slice(9, 99), "");
        assert_eq!(d.tok_text(5, 9), "");
    }
}
