//! Throughput of the claim extractor: builds a corpus of at least 5 MB by repeating the fixture
//! articles with small variations (names and numbers changed so that no two copies are identical),
//! runs `claimdb::extract::extract` over every article and prints MB/s and claims/s.
//!
//! Run with `cargo bench --bench extract` (release profile, one core).

use claimdb::extract::{extract, parse_article_file, ExtractOptions};
use std::time::Instant;

const TARGET_BYTES: usize = 5 * 1024 * 1024;

fn fixtures() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/eval");
    let mut paths: Vec<_> = std::fs::read_dir(&dir)
        .map(|d| d.flatten().map(|e| e.path()).collect())
        .unwrap_or_default();
    paths.retain(|p| p.extension().is_some_and(|e| e == "txt"));
    paths.sort();
    paths
        .iter()
        .filter_map(|p| std::fs::read_to_string(p).ok())
        .collect()
}

/// A variant of an article body: copy `n` gets its digits shifted and one letter of each
/// capitalised word changed every other copy, so the corpus is not one text repeated.
fn vary(body: &str, n: usize) -> String {
    let shift = (n % 7) as u32;
    body.chars()
        .map(|c| match c {
            '0'..='9' => {
                char::from_digit((c.to_digit(10).unwrap_or(0) + shift) % 10, 10).unwrap_or(c)
            }
            'a' if n % 2 == 1 => 'e',
            _ => c,
        })
        .collect()
}

fn main() {
    let files = fixtures();
    if files.is_empty() {
        eprintln!("no fixtures found under tests/fixtures/eval");
        return;
    }
    let mut corpus = Vec::new();
    let mut bytes = 0;
    let mut n = 0;
    while bytes < TARGET_BYTES {
        let file = parse_article_file(&files[n % files.len()]);
        let body = vary(&file.body, n / files.len());
        bytes += body.len();
        corpus.push((body, file.published));
        n += 1;
    }
    // One warm-up pass, then the timed passes.
    for (body, published) in corpus.iter().take(50) {
        let opts = ExtractOptions {
            published: *published,
        };
        std::hint::black_box(extract(body, &opts));
    }
    let passes = 3;
    let mut claims = 0;
    let start = Instant::now();
    for _ in 0..passes {
        for (body, published) in &corpus {
            claims += extract(
                body,
                &ExtractOptions {
                    published: *published,
                },
            )
            .len();
        }
    }
    let secs = start.elapsed().as_secs_f64();
    let mb = (bytes * passes) as f64 / 1e6;
    println!(
        "extract: {} articles, {:.2} MB x {passes} passes in {secs:.3} s: {:.1} MB/s, {:.0} claims/s ({} claims)",
        corpus.len(),
        bytes as f64 / 1e6,
        mb / secs,
        claims as f64 / secs,
        claims
    );
    // One article of 5 MB on a single line with no punctuation: the worst case for windows.
    let line: String = "word after word and then more words said nobody ".repeat(TARGET_BYTES / 48);
    let start = Instant::now();
    let c = extract(&line, &ExtractOptions::default()).len();
    let secs = start.elapsed().as_secs_f64();
    println!(
        "extract: one 5 MB line: {:.1} MB/s ({c} claims)",
        line.len() as f64 / 1e6 / secs
    );
}
