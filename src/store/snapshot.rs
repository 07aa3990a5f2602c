//! Reading revision snapshots: the JSON of a claim version, decoded once.
//!
//! A history page is 50 snapshots, and decoding their JSON was the largest
//! single cost of serving one: 37% of the server's CPU for a speaker
//! history (`perf record --call-graph dwarf`, `claimdb-bench`, 100k
//! claims). The same snapshots are read again and again — the newest
//! claims of the most-quoted people — so [`Snapshot`] remembers what it
//! decoded.
//!
//! The memo is keyed by the snapshot's digest, not by claim and revision:
//! decoding is a pure function of the bytes, so an entry can never be
//! stale, whatever happens to the rows (corrections, merges, a restored
//! database, two databases in one process). The digest is the first 16
//! bytes of the SHA-256 of the JSON text, which PostgreSQL also keeps
//! beside every snapshot (`claim_revisions.snapshot_digest`, migration
//! 0033). That lets a history query name the versions this process holds
//! and get NULL for them instead of their JSON ([`RawSnapshot`],
//! `claim_list`). The bytes themselves are not kept: keeping them (1.2 KB a
//! snapshot) took as much memory as the decoded version, and a memo half
//! the size missed 42% of a 1M-claim speaker history's snapshots
//! (`claimdb-bench`, session 7). 128 bits of SHA-256 make an accidental
//! collision impossible in practice and a crafted one infeasible.
//!
//! What is remembered is a [`SharedClaim`]: readers get the same version
//! without copying it, and the API keeps the version's encoded message in
//! it, so a remembered version is also not converted or encoded again.
//! Once encoded, it drops the decoded record, which halves what an entry
//! holds; in a server, whose API installs its encoding, a version is made
//! encoded from the start, from a view borrowing the JSON (change 41,
//! [`crate::domain::view`]). So the memo serves only readers that answer
//! with the encoded version (`GetClaim`, `ListClaims`); readers of whole
//! records decode their own ([`Snapshot`]).
//!
//! Memory is bounded by two generations: entries go into the current one;
//! when it holds half the budget it becomes the previous one and the old
//! previous is dropped (after the lock is released). A hit in the previous
//! generation moves the entry back, so what is read keeps its place and
//! what is not ages out.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{LazyLock, Mutex};

use sha2::{Digest as _, Sha256};

use sqlx::error::BoxDynError;
use sqlx::postgres::{PgTypeInfo, PgValueRef, Postgres};
use sqlx::{Decode, Type, TypeInfo as _};
use uuid::Uuid;

use crate::domain::{shared, ClaimRecord, ClaimView, SharedClaim};

/// Bytes the memo may account for, both generations together. An entry is
/// counted as seven tenths of its JSON's length: what a version holds once
/// the API has encoded it (its message and the ids it names, see
/// [`SharedClaim`]). Measured on 10,000 snapshots of the 1M-claim bench
/// data: message 436 bytes on average, ids and roles 102, and about 250 of
/// fixed overhead. The JSON is 1,117 bytes as the server writes it
/// (compact; 20,000 snapshots of the 10M-claim data, session 17), 1,183 as
/// `jsonb` printed it before migration 0037 (over-counted by a twentieth).
/// So about 80,000 versions. A version a page has shown also keeps the
/// summaries it showed (`domain::Names`: about 80 bytes, pointers to
/// summaries the entity cache shares), which is not counted: at most about
/// 7 MB more.
const BUDGET: usize = 60 << 20;

/// A snapshot column type: SQL-typed as [`RawSnapshot`], whose bytes it
/// decodes.
macro_rules! snapshot_column {
    ($t:ty) => {
        impl Type<Postgres> for $t {
            fn type_info() -> PgTypeInfo {
                <RawSnapshot<'_> as Type<Postgres>>::type_info()
            }

            fn compatible(ty: &PgTypeInfo) -> bool {
                <RawSnapshot<'_> as Type<Postgres>>::compatible(ty)
            }
        }
    };
}

/// A whole claim record read from a snapshot column, decoded for
/// its reader alone: for the readers that need every field (writers,
/// revision lists, events). The memo holds versions as the API sends them,
/// not whole records (see [`SharedClaim`]).
#[derive(Debug, Clone)]
pub(super) struct Snapshot(pub(super) ClaimRecord);

impl Snapshot {
    /// The record.
    pub(super) fn record(self) -> ClaimRecord {
        self.0
    }
}

snapshot_column!(Snapshot);

impl<'r> Decode<'r, Postgres> for Snapshot {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let raw = RawSnapshot::decode(value)?;
        Ok(Self(serde_json::from_slice(raw.0)?))
    }
}

/// A claim version read from a snapshot column through the memo:
/// for readers that answer with it as the API sends it.
#[derive(Debug, Clone)]
pub(super) struct Version(pub(super) SharedClaim);

snapshot_column!(Version);

impl<'r> Decode<'r, Postgres> for Version {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        let raw = RawSnapshot::decode(value)?;
        Ok(Self(decode(raw.0)?))
    }
}

/// A snapshot's JSON text as it arrived, not decoded yet: for a reader that
/// has its digest from the row and decodes with [`decode_many`]. Claim
/// snapshots are `json` columns, sent as stored in either format (migration
/// 0037: printing `jsonb` back to text was most of PostgreSQL's work for a
/// snapshot read). A `jsonb` column is refused as a type mismatch: its
/// binary form would need a version byte stripped.
#[derive(Debug, Clone, Copy)]
pub(super) struct RawSnapshot<'r>(pub(super) &'r [u8]);

impl Type<Postgres> for RawSnapshot<'_> {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_name("json")
    }

    fn compatible(ty: &PgTypeInfo) -> bool {
        ty.name() == "JSON"
    }
}

impl<'r> Decode<'r, Postgres> for RawSnapshot<'r> {
    fn decode(value: PgValueRef<'r>) -> Result<Self, BoxDynError> {
        Ok(Self(value.as_bytes()?))
    }
}

/// One remembered snapshot.
struct Entry {
    claim: SharedClaim,
    /// What it is counted as (see [`BUDGET`]).
    cost: usize,
}

impl Entry {
    fn new(claim: SharedClaim, raw_len: usize) -> Self {
        Self {
            claim,
            cost: raw_len * 7 / 10,
        }
    }

    fn cost(&self) -> usize {
        self.cost
    }
}

/// A snapshot's key: its digest.
type Key = u128;

/// The keys are already uniform: the maps do not hash them again.
type Map = HashMap<Key, Entry, foldhash::fast::FixedState>;

/// The two generations, and how reads fared (counted under the lock the
/// read takes anyway).
#[derive(Default)]
struct Memo {
    current: Map,
    current_cost: usize,
    previous: Map,
    /// A generation just dropped from the memo, freed after the lock is
    /// released (see [`with_memo`]).
    retired: Option<Map>,
    hits: u64,
    decoded: u64,
}

impl Memo {
    /// The version of `key` if remembered (moving it to the current
    /// generation if it was in the previous one).
    fn get(&mut self, key: Key) -> Option<SharedClaim> {
        if let Some(e) = self.current.get(&key) {
            return Some(e.claim.clone());
        }
        let e = self.previous.remove(&key)?;
        let claim = e.claim.clone();
        self.put(key, e);
        Some(claim)
    }

    fn put(&mut self, key: Key, e: Entry) {
        if self.current_cost + e.cost() > BUDGET / 2 {
            // Sized as the one before: no growing and rehashing under the
            // lock while readers wait.
            let fresh = Map::with_capacity_and_hasher(self.current.len(), Default::default());
            let full = std::mem::replace(&mut self.current, fresh);
            self.retired = Some(std::mem::replace(&mut self.previous, full));
            self.current_cost = 0;
        }
        self.current_cost += e.cost();
        if let Some(old) = self.current.insert(key, e) {
            self.current_cost = self.current_cost.saturating_sub(old.cost());
        }
    }
}

/// Runs `f` on the memo under its lock. A generation `f` retired is freed
/// after the lock is released: freeing some 40,000 versions takes
/// milliseconds, and every reader of a page would wait for it.
fn with_memo<T>(f: impl FnOnce(&mut Memo) -> T) -> T {
    static MEMO: LazyLock<Mutex<Memo>> = LazyLock::new(Mutex::default);
    // A panic while holding the lock leaves at worst a partial memo of
    // correct entries: keep using it.
    let mut memo = MEMO
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let out = f(&mut memo);
    let retired = memo.retired.take();
    drop(memo);
    drop(retired);
    out
}

/// The digest PostgreSQL keeps of a snapshot (`claimdb_snapshot_digest`,
/// migration 0033): the first 16 bytes of the SHA-256 of its JSON text.
pub fn digest(raw: &[u8]) -> Uuid {
    let sum = Sha256::digest(raw);
    let mut first = [0u8; 16];
    first.copy_from_slice(&sum[..16]);
    Uuid::from_bytes(first)
}

fn key(raw: &[u8]) -> Key {
    digest(raw).as_u128()
}

/// The version a snapshot's JSON text holds.
pub(super) fn decode(raw: &[u8]) -> Result<SharedClaim, BoxDynError> {
    let mut one = decode_many(&[(key(raw), raw)])?;
    one.pop()
        .ok_or_else(|| "a snapshot decoded to no version".into())
}

/// A version parsed from its JSON, and its memo entry: made in its derived
/// form straight from a view of the JSON when the API installed one (see
/// [`crate::domain::view`]), else from the whole record.
fn parse(raw: &[u8]) -> Result<(SharedClaim, Entry), serde_json::Error> {
    let claim = match shared::form() {
        Some(form) => SharedClaim::formed(serde_json::from_slice::<ClaimView<'_>>(raw)?, form),
        None => SharedClaim::new(serde_json::from_slice(raw)?),
    };
    let entry = Entry::new(claim.clone(), raw.len());
    Ok((claim, entry))
}

/// [`decode`] for a page of snapshots whose digests came with them from
/// the database, in their order. The memo's lock is taken twice for the
/// page, not twice per snapshot, and never while parsing: a thread
/// descheduled while holding it (the cores are shared with PostgreSQL)
/// would stall every other reader.
pub(super) fn decode_many(raws: &[(Key, &[u8])]) -> Result<Vec<SharedClaim>, serde_json::Error> {
    let mut found: Vec<Option<SharedClaim>> = with_memo(|memo| {
        let found: Vec<_> = raws.iter().map(|(key, _)| memo.get(*key)).collect();
        memo.hits += found.iter().flatten().count() as u64;
        found
    });
    let mut fresh = Vec::new();
    for ((key, raw), slot) in raws.iter().zip(&mut found) {
        if slot.is_none() {
            let (claim, entry) = parse(raw)?;
            fresh.push((*key, entry));
            *slot = Some(claim);
        }
    }
    if !fresh.is_empty() {
        with_memo(|memo| {
            memo.decoded += fresh.len() as u64;
            for (key, entry) in fresh {
                memo.put(key, entry);
            }
        });
    }
    Ok(found.into_iter().flatten().collect())
}

/// Snapshots PostgreSQL left out of list pages because this process held
/// them.
static LEFT_OUT: AtomicU64 = AtomicU64::new(0);

/// Counts `n` snapshots a page query got as NULL.
pub(super) fn count_left_out(n: u64) {
    if n > 0 {
        LEFT_OUT.fetch_add(n, Ordering::Relaxed);
    }
}

/// How the claim versions this process read since it started were had,
/// for its metrics: what tells an operator whether the memory is big
/// enough for the load.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SnapshotReads {
    /// Not sent by PostgreSQL: the page query named them as held.
    pub left_out: u64,
    /// Sent, and found already decoded in memory.
    pub remembered: u64,
    /// Sent and parsed from JSON.
    pub decoded: u64,
}

/// The counts so far.
pub fn reads() -> SnapshotReads {
    let (remembered, decoded) = with_memo(|memo| (memo.hits, memo.decoded));
    SnapshotReads {
        left_out: LEFT_OUT.load(Ordering::Relaxed),
        remembered,
        decoded,
    }
}

/// The versions of `digests` this process holds, each with its digest:
/// what a query may leave out. Holding them here keeps them alive until
/// the query's answer is read, whatever the memo evicts meanwhile.
pub(super) fn remembered(digests: &[Uuid]) -> Vec<(Uuid, SharedClaim)> {
    with_memo(|memo| {
        digests
            .iter()
            .filter_map(|d| memo.get(d.as_u128()).map(|c| (*d, c)))
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn snapshot(text: &str, revision: i64) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "id": "01261fb0-3290-7672-832c-db795d75535d",
            "article_id": "01261fb0-3290-7f9f-a26c-479707e794cb",
            "publisher_id": null,
            "published_time": null,
            "speaker_ids": [],
            "speaker_role": "",
            "kind": "direct",
            "text": text,
            "spans": [],
            "cue": "said",
            "venue": "",
            "recipient_id": null,
            "via_id": null,
            "via_text": "",
            "said": {"text": "", "time": null, "inferred": false, "precision": "unknown"},
            "subjects": [],
            "confidence": null,
            "provenance": {"extractor": "", "extractor_version": "", "human": "t"},
            "state": "active",
            "revision": revision,
            "create_time": "2024-01-01T00:00:00Z",
            "update_time": "2024-01-01T00:00:00Z"
        }))
        .unwrap_or_default()
    }

    #[test]
    fn a_remembered_snapshot_decodes_to_the_same_record_and_different_bytes_do_not_collide() {
        let a = snapshot("We will win.", 1);
        let b = snapshot("We will win.", 2);
        let first = decode(&a).map(|c| c.record()).map_err(|e| e.to_string());
        let again = decode(&a).map(|c| c.record()).map_err(|e| e.to_string());
        assert!(first.is_ok(), "{first:?}");
        assert_eq!(first, again);
        let other = decode(&b).map_err(|e| e.to_string());
        assert_eq!(other.map(|c| c.record().map(|r| r.revision)), Ok(Some(2)));
        assert!(decode(b"{not json").is_err());
    }

    #[test]
    fn the_memo_stays_within_its_budget_and_keeps_what_is_read() {
        let mut m = Memo::default();
        let entry = || {
            let claim = decode(&snapshot("x", 1)).unwrap_or_else(|e| panic!("{e}"));
            Entry::new(claim, BUDGET / 16)
        };
        m.put(0, entry());
        for n in 1..40 {
            m.put(n, entry());
            // Reading the hot entry keeps it.
            assert!(m.get(0).is_some(), "lost at {n}");
            let cost: usize = m
                .current
                .values()
                .chain(m.previous.values())
                .map(Entry::cost)
                .sum();
            assert!(cost <= BUDGET, "{cost} over budget at {n}");
        }
        // A cold one ages out.
        assert!(m.get(1).is_none());
        // The keys of different bytes differ; of the same bytes, agree.
        assert_ne!(key(b"{\"a\":1}"), key(b"{\"a\":2}"));
        assert_eq!(key(b"{\"a\":1}"), key(b"{\"a\":1}"));
    }
}
