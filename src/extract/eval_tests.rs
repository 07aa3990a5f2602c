//! Regression floor for the extractor's scores on the five annotated fixture articles.
//!
//! Mirrors the lenient matching of `/work/shared/eval/score.py` (a pair matches when the prediction
//! covers more than 30% of the gold claim's characters; one-to-one, greedy, best coverage first)
//! so that the floor is checked without Python.

use super::{extract, parse_article_file, ExtractOptions};
use serde_json::Value;
use std::collections::HashSet;

/// Gold claims of one article: (kind, characters, speaker names).
type Gold = Vec<(String, HashSet<usize>, Vec<String>)>;

fn chars_of(spans: &[(usize, usize)]) -> HashSet<usize> {
    spans.iter().flat_map(|&(s, e)| s..e).collect()
}

fn load_gold(path: &std::path::Path) -> Gold {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let mut out = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap_or(Value::Null);
        let kind = v["kind"].as_str().unwrap_or("").to_string();
        if kind == "not_a_claim" {
            continue;
        }
        let spans: Vec<(usize, usize)> = match v["part_spans"].as_array() {
            Some(ps) => ps
                .iter()
                .map(|p| {
                    (
                        p[0].as_u64().unwrap_or(0) as usize,
                        p[1].as_u64().unwrap_or(0) as usize,
                    )
                })
                .collect(),
            None => vec![(
                v["char_start"].as_u64().unwrap_or(0) as usize,
                v["char_end"].as_u64().unwrap_or(0) as usize,
            )],
        };
        let mut names: Vec<String> = v["speakers"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_str())
                    .map(str::to_lowercase)
                    .collect()
            })
            .unwrap_or_default();
        names.extend(v["speaker"].as_str().map(str::to_lowercase));
        out.push((kind, chars_of(&spans), names));
    }
    out
}

/// Greedy one-to-one lenient matches; with `speakers`, the speaker must also agree.
fn matches(preds: &[(HashSet<usize>, String)], gold: &Gold, speakers: bool) -> usize {
    let mut cands = Vec::new();
    for (pi, (pc, ps)) in preds.iter().enumerate() {
        for (gi, (_, gc, gn)) in gold.iter().enumerate() {
            let ov = pc.intersection(gc).count();
            let cov = ov as f64 / gc.len().max(1) as f64;
            if cov > 0.3 && (!speakers || gn.contains(ps)) {
                cands.push((cov, ov, pi, gi));
            }
        }
    }
    cands.sort_by(|a, b| b.0.total_cmp(&a.0).then(b.1.cmp(&a.1)).then(a.2.cmp(&b.2)));
    let (mut up, mut ug, mut n) = (HashSet::new(), HashSet::new(), 0);
    for (_, _, pi, gi) in cands {
        if !up.contains(&pi) && !ug.contains(&gi) {
            up.insert(pi);
            ug.insert(gi);
            n += 1;
        }
    }
    n
}

/// (lenient F1, attributed F1) over all fixture articles.
fn fixture_scores() -> (f64, f64) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval");
    let (mut n_pred, mut n_gold, mut len_tp, mut att_tp) = (0, 0, 0, 0);
    let mut entries: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    entries.sort();
    for path in entries
        .iter()
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
    {
        let file = parse_article_file(&std::fs::read_to_string(path).unwrap_or_default());
        let claims = extract(
            &file.body,
            &ExtractOptions {
                published: file.published,
            },
        );
        let preds: Vec<(HashSet<usize>, String)> = claims
            .iter()
            .map(|c| {
                let spans: Vec<(usize, usize)> = c
                    .spans
                    .iter()
                    .map(|&(s, e)| (s + file.body_offset, e + file.body_offset))
                    .collect();
                (
                    chars_of(&spans),
                    c.speakers
                        .first()
                        .map(|s| s.name.to_lowercase())
                        .unwrap_or_default(),
                )
            })
            .collect();
        let gold = load_gold(&path.with_extension("gold.jsonl"));
        n_pred += preds.len();
        n_gold += gold.len();
        len_tp += matches(&preds, &gold, false);
        att_tp += matches(&preds, &gold, true);
    }
    let f = |tp: usize| 2.0 * tp as f64 / (n_pred + n_gold).max(1) as f64;
    (f(len_tp), f(att_tp))
}

#[test]
fn fixture_scores_stay_above_the_recorded_floors() {
    let (lenient, attributed) = fixture_scores();
    assert!(
        lenient >= LENIENT_FLOOR,
        "lenient F1 {lenient:.3} fell below {LENIENT_FLOOR}"
    );
    assert!(
        attributed >= ATTRIBUTED_FLOOR,
        "attributed F1 {attributed:.3} fell below {ATTRIBUTED_FLOOR}"
    );
}

/// Floors slightly under the scores measured when the rules were last changed.
const LENIENT_FLOOR: f64 = 0.97;
const ATTRIBUTED_FLOOR: f64 = 0.93;
