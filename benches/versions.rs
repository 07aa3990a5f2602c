//! The CPU a history page's memo misses cost: a snapshot's JSON made into a
//! version's encoded message, the two ways the server can do it.
//!
//! - `record`: the JSON decoded into a whole `ClaimRecord`, shared, then
//!   converted into a generated `Claim` from a clone of the record and
//!   encoded (how every miss was made until session 18);
//! - `view`: the JSON decoded into a `ClaimView` that borrows its strings,
//!   and the message written from it field by field (`wire::version_form`,
//!   change 41).
//!
//! `cargo bench --bench versions` (release). No database: it measures the
//! server's own CPU, which the suite's end-to-end runs measure only within
//! the machine's 20–30% noise. `VERSIONS_BENCH_SNAPSHOTS` sets the number
//! of snapshots (default 10,000, shaped like the bench data's: a quote of
//! about 250 characters, one speaker, two subjects, a span, provenance);
//! the two ways take turns over 7 rounds and the median is printed. It
//! allocates with mimalloc, as the server does.

use std::hint::black_box;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use claimdb::api::convert::claim_without_entities;
use claimdb::api::wire::version_form;
use claimdb::domain::{
    ClaimKind, ClaimRecord, ClaimState, ClaimView, Provenance, SaidPrecision, SaidTime,
    SharedClaim, Span, SubjectLink,
};
use prost::Message;
use uuid::Uuid;

/// The server's allocator (`src/main.rs`): allocation is a large part of
/// the old way, and glibc's would overstate it.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const WORDS: &[&str] = &[
    "budget",
    "the",
    "minister",
    "said",
    "we",
    "will",
    "not",
    "accept",
    "a",
    "deal",
    "that",
    "hurts",
    "families",
    "inflation",
    "is",
    "falling",
    "and",
    "wages",
    "are",
    "rising",
    "our",
    "plan",
    "works",
    "port",
    "traffic",
    "grew",
    "by",
    "percent",
    "last",
    "year",
    "\"fair\"",
];

/// Snapshot `i`: deterministic, about the bench data's size (1.1 KB).
fn record(i: u128) -> ClaimRecord {
    let mut text = String::new();
    let mut k = i as usize;
    while text.len() < 250 {
        k = k
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        text.push_str(WORDS[(k >> 33) % WORDS.len()]);
        text.push(' ');
    }
    let base = DateTime::<Utc>::UNIX_EPOCH + Duration::days(16_000 + (i % 5_000) as i64);
    ClaimRecord {
        id: Uuid::from_u128(i << 64 | 1),
        article_id: Uuid::from_u128(i << 64 | 2),
        publisher_id: Some(Uuid::from_u128(3)),
        published_time: Some(base + Duration::hours(30)),
        speaker_ids: vec![Uuid::from_u128(i % 10_000)],
        speaker_role: "minister of finance".into(),
        kind: ClaimKind::Direct,
        spans: vec![Span {
            start: 40,
            end: 40 + text.chars().count(),
        }],
        text,
        cue: "said".into(),
        venue: "in parliament".into(),
        recipient_id: None,
        via_id: Some(Uuid::from_u128(7)),
        via_text: "told the agency".into(),
        said: SaidTime {
            time: Some(base),
            precision: SaidPrecision::Day,
            text: "on Monday".into(),
            inferred: false,
        },
        subjects: vec![
            SubjectLink {
                entity_id: Uuid::from_u128(100_000 + i % 50_000),
                role: "topic".into(),
            },
            SubjectLink {
                entity_id: Uuid::from_u128(100_000 + i % 777),
                role: String::new(),
            },
        ],
        confidence: Some(0.8),
        provenance: Provenance {
            extractor: "rules".into(),
            extractor_version: "3".into(),
            human: String::new(),
        },
        state: ClaimState::Active,
        revision: 1,
        create_time: base + Duration::hours(31),
        update_time: base + Duration::hours(31),
        statement_id: Some(Uuid::from_u128(i << 64 | 4)),
    }
}

/// The old way: a whole record, shared, converted from a clone, encoded.
fn by_record(raw: &[u8]) -> usize {
    let Ok(record) = serde_json::from_slice::<ClaimRecord>(raw) else {
        return 0;
    };
    let claim = SharedClaim::new(record);
    claim
        .derived(|r| {
            claim_without_entities(r.clone())
                .encode_to_vec()
                .into_boxed_slice()
        })
        .len()
        + claim.refs().subjects.len()
}

/// Change 41: a view borrowing the JSON, written field by field.
fn by_view(raw: &[u8]) -> usize {
    let Ok(view) = serde_json::from_slice::<ClaimView<'_>>(raw) else {
        return 0;
    };
    let claim = SharedClaim::formed(view, version_form);
    claim.derived(|_| Box::default()).len() + claim.refs().subjects.len()
}

/// Nanoseconds per snapshot for one pass of `f` over `raws`.
fn pass(raws: &[Vec<u8>], f: fn(&[u8]) -> usize) -> f64 {
    let start = Instant::now();
    let mut total = 0;
    for raw in raws {
        total += f(black_box(raw));
    }
    black_box(total);
    start.elapsed().as_nanos() as f64 / raws.len() as f64
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let n: u128 = std::env::var("VERSIONS_BENCH_SNAPSHOTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(10_000);
    let raws: Vec<Vec<u8>> = (0..n)
        .map(|i| serde_json::to_vec(&record(i)).unwrap_or_default())
        .collect();
    let bytes: usize = raws.iter().map(Vec::len).sum();
    // The two ways must make the same message.
    for raw in raws.iter().take(100) {
        let view: ClaimView<'_> = serde_json::from_slice(raw).unwrap_or_else(|e| panic!("{e}"));
        let record: ClaimRecord = serde_json::from_slice(raw).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            &*version_form(&view),
            claim_without_entities(record).encode_to_vec().as_slice()
        );
    }
    let (mut record_ns, mut view_ns) = (Vec::new(), Vec::new());
    for _ in 0..7 {
        record_ns.push(pass(&raws, by_record));
        view_ns.push(pass(&raws, by_view));
    }
    let (r, v) = (median(record_ns), median(view_ns));
    println!(
        "versions: {n} snapshots, {:.0} bytes of JSON each; median of 7 rounds",
        bytes as f64 / n as f64
    );
    println!("  record (decode whole record, clone, convert, encode): {r:8.0} ns a snapshot");
    println!("  view   (borrowing view, written field by field):      {v:8.0} ns a snapshot");
    println!("  view / record: {:.2}", v / r);
}
