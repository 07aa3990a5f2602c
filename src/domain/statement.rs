//! Statements: the underlying remark that the claims in different articles
//! report. This module holds the pure matching rule (text normalization, a
//! pg_trgm-compatible trigram similarity, containment for trimmed quotes and
//! the guards against near misses), the statement and review records, and
//! the filters of the statement lists. See `docs/STATEMENTS.md` for the
//! method and the measured figures behind [`DEFAULT_SIMILARITY`].

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use serde::Serialize;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;
use uuid::Uuid;

use super::entity::EntityRef;
use super::error::{check_len, Violations};

/// The similarity at or above which a claim joins a statement by the same
/// speakers: chosen from the labelled pairs in
/// `tests/fixtures/statement_pairs.jsonl` (see `docs/STATEMENTS.md`).
pub const DEFAULT_SIMILARITY: f64 = 0.6;

/// A trimmed quote must keep at least this many words to count as contained
/// in a longer one: shorter fragments ("we will") match too much.
pub const MIN_CONTAINED_WORDS: usize = 4;

/// Words that turn a remark into its opposite; two texts that differ in how
/// many they carry are never the same remark.
const NEGATIONS: [&str; 12] = [
    "not", "no", "never", "nor", "cannot", "none", "nothing", "neither", "nobody", "without",
    "noone", "nowhere",
];

/// Folds a remark for matching: accents, case, punctuation, quote marks and
/// whitespace. Apostrophes vanish ("don’t" → "dont"); every other
/// non-alphanumeric character separates words, except a dot or comma between
/// digits ("3.2" stays one token).
pub fn normalize_text(text: &str) -> String {
    let stripped: String = text.nfkd().filter(|c| !is_combining_mark(*c)).collect();
    let chars: Vec<char> = stripped.to_lowercase().chars().collect();
    let mut out = String::with_capacity(chars.len());
    for (i, &c) in chars.iter().enumerate() {
        let between_digits = || {
            i > 0
                && chars[i - 1].is_ascii_digit()
                && chars.get(i + 1).is_some_and(|n| n.is_ascii_digit())
        };
        if c.is_alphanumeric() {
            out.push(c);
        } else if matches!(c, '\'' | '’' | 'ʼ' | '`' | '´') {
            // Apostrophes join: "don't" and "dont" are one word.
        } else if matches!(c, '.' | ',') && between_digits() {
            out.push('.');
        } else {
            out.push(' ');
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The trigrams of a normalized text, as PostgreSQL's pg_trgm makes them:
/// each word padded with two spaces in front and one behind.
pub fn trigrams(normalized: &str) -> HashSet<[char; 3]> {
    trigram_vec(normalized).into_iter().collect()
}

/// [`trigrams`] as a sorted, deduplicated vector: matching compares many
/// pairs, and merging two sorted vectors costs no hashing or allocation.
fn trigram_vec(normalized: &str) -> Vec<[char; 3]> {
    let mut out = Vec::with_capacity(normalized.len() + 8);
    let mut padded: Vec<char> = Vec::new();
    for word in normalized.split(|c: char| !c.is_alphanumeric()) {
        if word.is_empty() {
            continue;
        }
        padded.clear();
        padded.extend("  ".chars().chain(word.chars()).chain([' ']));
        out.extend(padded.windows(3).map(|w| [w[0], w[1], w[2]]));
    }
    out.sort_unstable();
    out.dedup();
    out
}

/// |a ∩ b| / |a ∪ b| of two sorted, deduplicated trigram vectors.
fn jaccard(a: &[[char; 3]], b: &[[char; 3]]) -> f64 {
    let (mut i, mut j, mut shared) = (0, 0, 0usize);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                shared += 1;
                i += 1;
                j += 1;
            }
        }
    }
    let all = a.len() + b.len() - shared;
    if all == 0 {
        return 0.0;
    }
    shared as f64 / all as f64
}

/// pg_trgm's `similarity`: shared trigrams over all trigrams of either.
pub fn similarity(a: &str, b: &str) -> f64 {
    jaccard(&trigram_vec(a), &trigram_vec(b))
}

/// Whether the shorter text's words all appear in the longer one, in
/// order, as runs of at least three words (one run: a trimmed quote; several:
/// a quote with elisions). `None` when not contained or shorter than
/// [`MIN_CONTAINED_WORDS`]; else the number of runs.
pub fn containment(a: &str, b: &str) -> Option<usize> {
    let (wa, wb): (Vec<&str>, Vec<&str>) = (a.split(' ').collect(), b.split(' ').collect());
    let (short, long) = if wa.len() <= wb.len() {
        (wa, wb)
    } else {
        (wb, wa)
    };
    if short.len() < MIN_CONTAINED_WORDS {
        return None;
    }
    let (mut i, mut from, mut runs) = (0, 0, 0);
    while i < short.len() {
        let (start, len) = longest_run(&short[i..], &long[from..])?;
        if len < 3.min(short.len() - i) {
            return None;
        }
        i += len;
        from += start + len;
        runs += 1;
    }
    Some(runs)
}

/// The earliest longest prefix of `short` found in `long`: (position, length).
fn longest_run(short: &[&str], long: &[&str]) -> Option<(usize, usize)> {
    let mut best: Option<(usize, usize)> = None;
    for start in 0..long.len() {
        let len = short
            .iter()
            .zip(&long[start..])
            .take_while(|(x, y)| x == y)
            .count();
        if len > best.map_or(0, |b| b.1) {
            best = Some((start, len));
        }
    }
    best
}

/// Function words whose presence or absence does not change a remark.
const FUNCTION_WORDS: [&str; 40] = [
    "a", "an", "the", "this", "that", "these", "those", "it", "its", "they", "we", "i", "he",
    "she", "is", "are", "was", "were", "be", "been", "has", "have", "had", "will", "would", "very",
    "fully", "really", "and", "of", "to", "in", "on", "for", "at", "by", "with", "as", "so",
    "just",
];

/// True when each text has a content word the other lacks that is not a
/// spelling variant of one there ("worker" for "farmer", "talks" for
/// "sanctions"): the same frame with different words is another remark.
/// Insertions and deletions alone ("very constructive") are not.
pub fn has_substitution(a: &str, b: &str) -> bool {
    fn words(t: &str) -> Vec<&str> {
        let mut w: Vec<&str> = t.split(' ').collect();
        w.sort_unstable();
        w.dedup();
        w
    }
    let (wa, wb) = (words(a), words(b));
    // Each word's trigrams once, not once per comparison.
    let (ta, tb): (Vec<_>, Vec<_>) = (
        wa.iter().map(|w| trigram_vec(w)).collect(),
        wb.iter().map(|w| trigram_vec(w)).collect(),
    );
    let lonely = |mine: &[&str],
                  my_tri: &[Vec<[char; 3]>],
                  theirs: &[&str],
                  their_tri: &[Vec<[char; 3]>]| {
        mine.iter().zip(my_tri).any(|(w, wt)| {
            theirs.binary_search(w).is_err()
                && !FUNCTION_WORDS.contains(w)
                && !theirs
                    .iter()
                    .zip(their_tri)
                    .any(|(t, tt)| mine.binary_search(t).is_err() && jaccard(wt, tt) >= 0.4)
        })
    };
    lonely(&wa, &ta, &wb, &tb) && lonely(&wb, &tb, &wa, &ta)
}

fn negation_count(normalized: &str) -> usize {
    normalized
        .split_whitespace()
        .filter(|w| NEGATIONS.contains(w) || (w.len() > 3 && w.ends_with("nt") && is_nt(w)))
        .count()
}

/// Contractions ending in n't ("dont", "wont", "isnt"), without apostrophe.
fn is_nt(w: &str) -> bool {
    matches!(
        w,
        "dont"
            | "doesnt"
            | "didnt"
            | "wont"
            | "cant"
            | "isnt"
            | "arent"
            | "wasnt"
            | "werent"
            | "hasnt"
            | "havent"
            | "hadnt"
            | "shouldnt"
            | "wouldnt"
            | "couldnt"
            | "mustnt"
            | "neednt"
            | "aint"
    )
}

fn numbers(normalized: &str) -> HashSet<&str> {
    normalized
        .split_whitespace()
        .filter(|w| w.chars().any(|c| c.is_ascii_digit()))
        .collect()
}

/// How a claim was matched to a statement.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum MatchMethod {
    /// The normalized texts are equal.
    Exact,
    /// Trigram similarity at or above the threshold.
    Near,
    /// One text is (nearly all) inside the other: a trimmed quote.
    Contained,
}

impl MatchMethod {
    /// The stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exact => "exact",
            Self::Near => "near",
            Self::Contained => "contained",
        }
    }
}

/// The score of two normalized texts by the same speakers, and how it was
/// reached. Different negations or different numbers score zero: "we will
/// raise taxes" and "we will not raise taxes" are two remarks however many
/// trigrams they share; a trimmed quote may drop numbers but not add any.
pub fn match_score(a: &str, b: &str) -> (f64, MatchMethod) {
    if a == b {
        return (1.0, MatchMethod::Exact);
    }
    if negation_count(a) != negation_count(b) {
        return (0.0, MatchMethod::Near);
    }
    let (na, nb) = (numbers(a), numbers(b));
    let (short, long) = if a.len() <= b.len() {
        (&na, &nb)
    } else {
        (&nb, &na)
    };
    if short.is_subset(long) {
        match containment(a, b) {
            Some(1) => return (1.0, MatchMethod::Contained),
            Some(_) => return (0.99, MatchMethod::Contained),
            None => {}
        }
    }
    if na != nb || has_substitution(a, b) {
        return (0.0, MatchMethod::Near);
    }
    (similarity(a, b), MatchMethod::Near)
}

/// Parses the `--statement-similarity` setting: a number in (0, 1].
pub fn parse_threshold(raw: &str) -> Result<f64, String> {
    let t: f64 = raw
        .trim()
        .parse()
        .map_err(|_| format!("{raw:?} is not a number"))?;
    if t > 0.0 && t <= 1.0 {
        Ok(t)
    } else {
        Err(format!("{t} is not in (0, 1]"))
    }
}

/// The key of a speaker set: sorted, deduplicated ids joined by commas.
/// Statements are only ever shared by claims with the same key.
pub fn speaker_key(ids: &[Uuid]) -> String {
    let mut ids: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    ids.sort();
    ids.dedup();
    ids.join(",")
}

/// How many shingles a [`sketch`] keeps.
pub const SKETCH_SIZE: usize = 8;

/// Function words: a word pair made only of these ("of the", "it is") says
/// nothing about which remark a text is, so sketches skip it.
const STOPWORDS: [&str; 48] = [
    "a", "an", "and", "are", "as", "at", "be", "but", "by", "for", "from", "had", "has", "have",
    "he", "her", "his", "i", "if", "in", "is", "it", "its", "me", "my", "of", "on", "or", "our",
    "she", "so", "that", "the", "their", "them", "there", "they", "this", "to", "us", "was", "we",
    "were", "which", "will", "with", "you", "your",
];

/// FNV-1a, 64 bits: stable across platforms and releases, which matters
/// because sketches are stored.
fn fnv1a(parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        // Separator, so ("ab", "c") and ("a", "bc") differ.
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// The candidate-lookup keys of a normalized remark by a speaker set: a
/// bottom-k sketch (k = [`SKETCH_SIZE`]) of its word pairs, each key salted
/// with the speaker key. Two remarks are worth scoring with [`match_score`]
/// only when their sketches share a key, which an index answers without
/// reading the speaker's whole history.
///
/// Why it finds what matching accepts: repunctuated and re-cased quotes
/// normalize to the same words (same sketch); a trimmed quote keeps runs of
/// at least three words, so its word pairs are a subset of the long one's,
/// and the long text's smallest pair hashes fall inside the short one's
/// with probability 1 - (1 - share)^k; small edits change few pairs. The
/// labelled pairs in `tests/fixtures/statement_pairs.jsonl` check it.
pub fn sketch(speaker_key: &str, normalized: &str) -> Vec<i64> {
    let words: Vec<&str> = normalized.split(' ').filter(|w| !w.is_empty()).collect();
    let is_stop = |w: &str| STOPWORDS.contains(&w);
    let mut hashes: Vec<u64> = words
        .windows(2)
        .filter(|p| !(is_stop(p[0]) && is_stop(p[1])))
        .map(|p| fnv1a(&[p[0].as_bytes(), p[1].as_bytes()]))
        .collect();
    if hashes.is_empty() {
        // Nothing but function words, or a single word: use the words.
        hashes = words.iter().map(|w| fnv1a(&[w.as_bytes()])).collect();
    }
    hashes.sort_unstable();
    hashes.dedup();
    hashes.truncate(SKETCH_SIZE);
    hashes
        .into_iter()
        .map(|h| fnv1a(&[speaker_key.as_bytes(), &h.to_le_bytes()]) as i64)
        .collect()
}

/// A 64-bit key of a normalized remark by a speaker set: equal texts of
/// the same speakers always share it. With the [`sketch`] keys it names
/// every stored remark a new one could be matched to, so a writer locks
/// these (not the whole speaker set) and writers quoting the same person
/// in different words do not wait for each other. Stable across builds and
/// processes (FNV-1a), as locks taken by two servers must agree.
pub fn exact_key(speaker_key: &str, normalized: &str) -> i64 {
    fnv1a(&[b"exact", speaker_key.as_bytes(), normalized.as_bytes()]) as i64
}

/// A statement with its aggregates, as the store returns it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Statement {
    /// Statement id.
    pub id: Uuid,
    /// The speakers (sorted ids).
    pub speaker_ids: Vec<Uuid>,
    /// The text of the first appearance.
    pub canonical_text: String,
    /// The normalized text the statement was started with.
    pub normalized_text: String,
    /// The earliest claim by article publication time.
    pub first_claim_id: Option<Uuid>,
    /// That claim's article.
    pub first_article_id: Option<Uuid>,
    /// That article's URL.
    pub first_url: Option<String>,
    /// That article's publisher.
    pub first_publisher_id: Option<Uuid>,
    /// That article's publication time (or the claim's time when unknown).
    pub first_time: Option<DateTime<Utc>>,
    /// How many claims report it.
    pub appearance_count: i64,
    /// How many distinct publishers carried it.
    pub outlet_count: i64,
    /// The distinct publishers, earliest first.
    pub outlet_ids: Vec<Uuid>,
    /// When the statement was first recorded.
    pub create_time: DateTime<Utc>,
}

/// The order of `ListStatements`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
pub enum StatementOrder {
    /// Earliest first appearance first.
    #[default]
    FirstAppearance,
    /// Most appearances first.
    AppearanceCount,
}

/// The filter of `ListStatements`; serialized, it is what tokens bind to.
#[derive(Debug, Clone, PartialEq, Serialize, Default)]
pub struct StatementFilter {
    /// Said by (one of the speakers).
    pub speaker: Option<EntityRef>,
    /// About (a subject of one of its claims).
    pub subject: Option<EntityRef>,
    /// First appeared at or after.
    pub after: Option<DateTime<Utc>>,
    /// First appeared before.
    pub before: Option<DateTime<Utc>>,
    /// Full-text query over the canonical text (websearch syntax).
    pub query: Option<String>,
    /// Order.
    pub order: StatementOrder,
}

/// A validated fact-check verdict on a statement.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReview {
    /// The reviewing organization.
    pub reviewer: EntityRef,
    /// The verdict as written ("False", "Mostly true").
    pub rating_text: String,
    /// The verdict on a numeric scale, when given.
    pub rating_value: Option<f64>,
    /// Best value of the scale.
    pub best_rating: Option<f64>,
    /// Worst value of the scale.
    pub worst_rating: Option<f64>,
    /// Where the fact-check is published.
    pub url: String,
    /// When it was published.
    pub review_time: Option<DateTime<Utc>>,
}

impl NewReview {
    /// Validates the parts of a review; `p` prefixes field paths. The
    /// reviewer's own violations are the caller's to report.
    pub fn parse(
        v: &mut Violations,
        p: &str,
        reviewer: Option<EntityRef>,
        rating_text: &str,
        rating: (Option<f64>, Option<f64>, Option<f64>),
        url: &str,
        review_time: Option<DateTime<Utc>>,
    ) -> Option<Self> {
        let before = v.list().len();
        let rating_text = rating_text.trim();
        check_len(v, &format!("{p}rating_text"), rating_text, 500);
        let (value, best, worst) = rating;
        if rating_text.is_empty() && value.is_none() {
            v.push(format!("{p}rating_text"), "give a rating text or value");
        }
        check_scale(v, p, value, best, worst);
        let url = url.trim();
        if url.is_empty() {
            v.push(format!("{p}url"), "is required");
        } else if !matches!(url::Url::parse(url), Ok(u) if matches!(u.scheme(), "http" | "https")) {
            v.push(format!("{p}url"), "must be an http or https URL");
        }
        if v.list().len() != before {
            return None;
        }
        Some(Self {
            reviewer: reviewer?,
            rating_text: rating_text.to_string(),
            rating_value: value,
            best_rating: best,
            worst_rating: worst,
            url: url.to_string(),
            review_time,
        })
    }
}

fn check_scale(
    v: &mut Violations,
    p: &str,
    value: Option<f64>,
    best: Option<f64>,
    worst: Option<f64>,
) {
    for (name, x) in [
        ("rating_value", value),
        ("best_rating", best),
        ("worst_rating", worst),
    ] {
        if x.is_some_and(|x| !x.is_finite()) {
            v.push(format!("{p}{name}"), "must be a finite number");
        }
    }
    if let (Some(b), Some(w)) = (best, worst) {
        if b == w {
            v.push(format!("{p}best_rating"), "must differ from worst_rating");
        }
        if let Some(x) = value {
            let (lo, hi) = if b > w { (w, b) } else { (b, w) };
            if x < lo || x > hi {
                v.push(
                    format!("{p}rating_value"),
                    format!("must lie between worst_rating ({w}) and best_rating ({b})"),
                );
            }
        }
    }
}

/// One ClaimReview to import: the appearances of one statement (each an
/// article with one claim, the first one the first appearance) and the
/// verdict, if the document carries one.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportedStatement {
    /// The appearances, as ingests.
    pub appearances: Vec<(super::NewArticle, super::NewClaim)>,
    /// The verdict.
    pub review: Option<NewReview>,
}

/// A stored review.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    /// Review id.
    pub id: Uuid,
    /// The statement reviewed.
    pub statement_id: Uuid,
    /// The reviewing organization.
    pub reviewer_id: Uuid,
    /// The verdict as written.
    pub rating_text: String,
    /// Numeric verdict.
    pub rating_value: Option<f64>,
    /// Best of the scale.
    pub best_rating: Option<f64>,
    /// Worst of the scale.
    pub worst_rating: Option<f64>,
    /// Where it is published.
    pub url: String,
    /// When it was published.
    pub review_time: Option<DateTime<Utc>>,
    /// Who recorded it.
    pub actor: String,
    /// When it was recorded.
    pub create_time: DateTime<Utc>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalization_folds_case_punctuation_quotes_and_spacing() {
        let a = normalize_text("“We don’t — EVER — give up,” he said…");
        assert_eq!(a, "we dont ever give up he said");
        assert_eq!(normalize_text("«We don't ever give up»  he said"), a);
        assert_eq!(
            normalize_text("grew by 3.2 per cent"),
            "grew by 3.2 per cent"
        );
        assert_eq!(normalize_text("Café"), "cafe");
    }

    #[test]
    fn trigram_similarity_counts_like_pg_trgm() {
        // pg_trgm: similarity('word', 'words') = 4/7 (shared "  w", " wo",
        // "wor", "ord" of 5 and 6 trigrams).
        assert!((similarity("word", "words") - 4.0 / 7.0).abs() < 1e-9);
        assert_eq!(similarity("same text", "same text"), 1.0);
    }

    #[test]
    fn negations_and_numbers_keep_remarks_apart() {
        let s = |a: &str, b: &str| match_score(&normalize_text(a), &normalize_text(b)).0;
        assert_eq!(s("we will raise taxes", "we will not raise taxes"), 0.0);
        assert_eq!(s("it fell by 3 per cent", "it fell by 5 per cent"), 0.0);
        assert!(
            s(
                "the joint administration is the only path, and we pursue it",
                "the joint administration is the only path"
            ) > 0.9
        );
    }

    #[test]
    fn sketches_share_a_key_for_every_labelled_same_remark() {
        let raw = include_str!("../../tests/fixtures/statement_pairs.jsonl");
        let mut same: Vec<(String, String)> = Vec::new();
        for line in raw.lines().filter(|l| !l.trim().is_empty()) {
            let pair: serde_json::Value = serde_json::from_str(line).unwrap();
            let (a, b) = (
                normalize_text(pair["a"].as_str().unwrap()),
                normalize_text(pair["b"].as_str().unwrap()),
            );
            if pair["same"].as_bool().unwrap() {
                // Every pair matching accepts must be found as a candidate.
                if match_score(&a, &b).0 >= DEFAULT_SIMILARITY {
                    let (sa, sb) = (sketch("k", &a), sketch("k", &b));
                    assert!(sa.iter().any(|x| sb.contains(x)), "{a:?} / {b:?}");
                }
                same.push((a, b));
            }
        }
        assert_eq!(same.len(), 30);
        // And it must filter: different remarks by the same speakers rarely
        // share a key (the fixture's remarks are all on related topics).
        let (mut cross, mut sharing) = (0, 0);
        for (i, (a, _)) in same.iter().enumerate() {
            for (j, (_, b)) in same.iter().enumerate() {
                if i != j {
                    cross += 1;
                    let (sa, sb) = (sketch("k", a), sketch("k", b));
                    sharing += usize::from(sa.iter().any(|x| sb.contains(x)));
                }
            }
        }
        assert!(
            sharing * 20 < cross,
            "{sharing} of {cross} unrelated pairs share a key"
        );
    }

    #[test]
    fn exact_keys_agree_for_equal_texts_of_the_same_speakers_only() {
        let t = normalize_text("The port is open for business.");
        let u = normalize_text("the port is OPEN for business");
        assert_eq!(exact_key("a", &t), exact_key("a", &u));
        assert_ne!(exact_key("a", &t), exact_key("b", &t));
        assert_ne!(exact_key("a", &t), exact_key("a", "the port is closed"));
        // Not one of the sketch keys, so the two kinds of lock never collide.
        assert!(!sketch("a", &t).contains(&exact_key("a", &t)));
    }

    #[test]
    fn sketch_keys_depend_on_the_speaker_set() {
        let t = normalize_text("the port is open for business");
        assert_eq!(sketch("a", &t), sketch("a", &t));
        assert!(sketch("a", &t).iter().all(|k| !sketch("b", &t).contains(k)));
        assert!(sketch("a", &t).len() <= SKETCH_SIZE);
        assert_eq!(sketch("a", "").len(), 0);
        assert_eq!(sketch("a", "yes").len(), 1);
    }
}
