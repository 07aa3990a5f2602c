//! The `decode_convert` fuzz target on the stable toolchain: mutates seed
//! requests (and plain random bytes) with a seeded PRNG for a given time,
//! and runs each input through the same check as the libFuzzer target. A
//! panic prints the seed and iteration that reproduce it.
//!
//! ```sh
//! cargo run --release --manifest-path fuzz/Cargo.toml --bin decode_convert_stable -- 600 42
//! ```
//! (arguments: seconds to run, PRNG seed).

use std::time::{Duration, Instant};

use claimdb::pb::v1 as pb;
use prost::Message;

#[path = "../common/decode_convert.rs"]
mod decode_convert;

/// splitmix64: small, fast, good enough to drive mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Valid requests of each kind, tagged with their selector byte.
fn seeds() -> Vec<Vec<u8>> {
    let example = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/worked_example.json"
    ))
    .expect("reading examples/worked_example.json");
    let ingest: pb::IngestArticleRequest =
        claimdb::cli::json::from_json("claimdb.v1.IngestArticleRequest", &example)
            .expect("the worked example parses");
    let list = pb::ListClaimsRequest {
        speaker: Some(pb::EntityRef {
            name: "Tomas Ekwall".into(),
            ..Default::default()
        }),
        query: "inflation".into(),
        page_size: 10,
        page_token:
            "eyJmIjoiMDAiLCJjIjp7ImlkIjoiMDAwMDAwMDAtMDAwMC0wMDAwLTAwMDAtMDAwMDAwMDAwMDAwIn19"
                .into(),
        said_after: Some(prost_types_ts(1_700_000_000)),
        ..Default::default()
    };
    let stmts = pb::ListStatementsRequest {
        query: "rates".into(),
        page_size: 5,
        ..Default::default()
    };
    let update = pb::UpdateClaimRequest {
        id: "0190b3c4-0000-7000-8000-000000000000".into(),
        claim: ingest.claims.first().cloned(),
        update_mask: Some(prost_types::FieldMask {
            paths: vec!["speaker_role".into(), "text".into(), "spans".into()],
        }),
        expected_revision: 1,
        reason: "fix".into(),
    };
    let tag = |t: u8, mut b: Vec<u8>| {
        b.insert(0, t);
        b
    };
    vec![
        tag(0, ingest.encode_to_vec()),
        tag(1, list.encode_to_vec()),
        tag(2, stmts.encode_to_vec()),
        tag(3, update.encode_to_vec()),
        tag(4, example.into_bytes()),
    ]
}

fn prost_types_ts(seconds: i64) -> prost_types::Timestamp {
    prost_types::Timestamp { seconds, nanos: 0 }
}

/// Values that break naive code.
const INTERESTING: [&[u8]; 10] = [
    &[0xff, 0xff, 0xff, 0xff, 0x0f],
    &[0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01],
    &[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f],
    &[0x00],
    b"\xed\xa0\x80",
    "\u{202e}\u{0301}\u{fffd}".as_bytes(),
    b"'; DROP TABLE claims; --",
    b"\"\\u0000\"",
    b"-9223372036854775808",
    b"1e308",
];

fn mutate(rng: &mut Rng, input: &mut Vec<u8>, seeds: &[Vec<u8>]) {
    for _ in 0..=rng.below(8) {
        if input.is_empty() {
            input.push(rng.next() as u8);
        }
        let len = input.len();
        match rng.below(8) {
            0 if len > 1 => {
                let i = 1 + rng.below(len - 1);
                input[i] ^= 1 << rng.below(8);
            }
            1 if len > 1 => {
                let i = 1 + rng.below(len - 1);
                input[i] = rng.next() as u8;
            }
            2 => {
                let i = 1 + rng.below(len.max(1));
                let v = INTERESTING[rng.below(INTERESTING.len())];
                let at = i.min(input.len());
                input.splice(at..at, v.iter().copied());
            }
            3 if len > 2 => {
                let a = 1 + rng.below(len - 1);
                let b = (a + rng.below(64)).min(len);
                input.drain(a..b);
            }
            4 if len > 2 => {
                // Duplicate a chunk (repeated fields, nested messages).
                let a = 1 + rng.below(len - 1);
                let b = (a + rng.below(256)).min(len);
                let chunk: Vec<u8> = input[a..b].to_vec();
                let at = 1 + rng.below(input.len());
                input.splice(at.min(input.len())..at.min(input.len()), chunk);
            }
            5 => {
                // Splice in part of another seed of the same selector space.
                let other = &seeds[rng.below(seeds.len())];
                if other.len() > 1 {
                    let a = 1 + rng.below(other.len() - 1);
                    let b = (a + rng.below(128)).min(other.len());
                    let at = (1 + rng.below(input.len())).min(input.len());
                    input.splice(at..at, other[a..b].iter().copied());
                }
            }
            6 => input[0] = rng.next() as u8,
            _ => {
                let at = (1 + rng.below(input.len())).min(input.len());
                input.insert(at, rng.next() as u8);
            }
        }
    }
    input.truncate(1 << 20);
}

fn main() {
    let mut args = std::env::args().skip(1);
    let secs: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(60);
    let seed: u64 = args.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let seeds = seeds();
    let mut rng = Rng(seed);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let (mut runs, mut started) = (0u64, Instant::now());
    while Instant::now() < deadline {
        for _ in 0..256 {
            let mut input = if rng.below(10) == 0 {
                let n = rng.below(512);
                (0..n).map(|_| rng.next() as u8).collect()
            } else {
                seeds[rng.below(seeds.len())].clone()
            };
            mutate(&mut rng, &mut input, &seeds);
            let outcome = std::panic::catch_unwind(|| decode_convert::check(&input));
            if outcome.is_err() {
                let path = format!("crash-seed{seed}-run{runs}.bin");
                let _ = std::fs::write(&path, &input);
                eprintln!("PANIC on run {runs} (seed {seed}); input written to {path}");
                std::process::exit(1);
            }
            runs += 1;
        }
        if started.elapsed() > Duration::from_secs(30) {
            eprintln!("{runs} inputs, no panic");
            started = Instant::now();
        }
    }
    println!("decode_convert_stable: {runs} inputs in {secs} s (seed {seed}), no panic");
}
