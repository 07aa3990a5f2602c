//! The extractor must never panic and must always return spans that match the input, whatever the
//! input: random text, unbalanced quotes, right-to-left scripts, one huge line.

use super::{extract, parse_article_file, ExtractOptions};

/// A tiny deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[(self.next() % xs.len() as u64) as usize]
    }
}

const PIECES: &[&str] = &[
    "said",
    "told",
    "according to",
    "“",
    "”",
    "\"",
    "'",
    "‘",
    "’",
    "''",
    ",",
    ".",
    ":",
    "\n",
    "\n\n",
    " ",
    " ",
    " ",
    "Ana Veloso",
    "the minister",
    "she",
    "Mr.",
    "on Wednesday",
    "last week",
    "that",
    "שלום",
    "مرحبا",
    "🙂",
    "é",
    "U.S.",
    "2019",
    "Oct.",
    "(",
    ")",
    "—",
    "CFU",
    "who",
    "a",
    "Korvan’s",
];

/// Asserts the span invariant: every part of a direct claim is exactly the text at its span.
fn check(text: &str) {
    let chars: Vec<char> = text.chars().collect();
    for c in extract(text, &ExtractOptions::default()) {
        for &(s, e) in &c.spans {
            assert!(s < e && e <= chars.len(), "span {s}..{e} out of bounds");
        }
        let joined: Vec<String> = c
            .spans
            .iter()
            .map(|&(s, e)| chars[s..e].iter().collect())
            .collect();
        assert_eq!(c.text, joined.join(" "));
    }
}

#[test]
fn random_text_never_panics_and_spans_always_match() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..400 {
        let n = (rng.next() % 80) as usize;
        let text: String = (0..n)
            .map(|_| rng.pick(PIECES))
            .collect::<Vec<_>>()
            .join(" ");
        check(&text);
        let glued: String = (0..n).map(|_| rng.pick(PIECES)).collect();
        check(&glued);
    }
}

#[test]
fn degenerate_inputs_are_handled() {
    for text in [
        "",
        " ",
        "\n\n\n",
        "“",
        "”",
        "\"",
        "''",
        "“unclosed\n\n“still open",
        "said",
        "according to",
        "“A,” she said, “",
        "2025-13-45 Bad date\nTitle\nBody",
        "שלום “עולם,” אמר הוא.",
    ] {
        check(text);
        let f = parse_article_file(text);
        assert!(f.body_offset <= text.chars().count());
    }
}

#[test]
fn one_long_line_without_punctuation_is_handled() {
    let text = "word after word and then more words said nobody ".repeat(20_000);
    check(&text);
}
