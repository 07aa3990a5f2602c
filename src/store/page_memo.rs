//! What each claim-list page held the last time this process read it: the
//! digests of its snapshots.
//!
//! A history page is mostly the same 50 versions every time it is read,
//! and PostgreSQL spent about half of its work for such a page printing
//! their jsonb snapshots as text (pgbench, 1M claims: 2,170 pages/s with
//! the snapshots, 4,600 without). So a page query names the digests the
//! page held last time, where the snapshot memo still holds those
//! versions, and PostgreSQL answers NULL for them (`claim_list`).
//!
//! Nothing here has to be right for an answer to be right: a stale or
//! missing entry, or two pages sharing a key, only means PostgreSQL sends
//! snapshots that were not needed. The query always returns each row's
//! current digest, and a snapshot is left out only when it is held.
//!
//! Memory is bounded like the snapshot memo's: two generations, the older
//! dropped when the newer holds half the budget.

use std::collections::HashMap;
use std::sync::{LazyLock, Mutex, MutexGuard, PoisonError};

use uuid::Uuid;

/// Bytes the remembered pages may account for: about 4,000 pages of 51
/// rows.
const BUDGET: usize = 4 << 20;

/// What an entry costs beyond its digests (the map slot and the box).
const OVERHEAD: usize = 48;

/// The keys are already uniform (see `claim_list::page_key`).
type Map = HashMap<u64, Box<[Uuid]>, foldhash::fast::FixedState>;

#[derive(Default)]
struct Pages {
    current: Map,
    current_cost: usize,
    previous: Map,
}

fn cost(digests: &[Uuid]) -> usize {
    OVERHEAD + std::mem::size_of_val(digests)
}

impl Pages {
    fn get(&self, key: u64) -> Vec<Uuid> {
        self.current
            .get(&key)
            .or_else(|| self.previous.get(&key))
            .map(|d| d.to_vec())
            .unwrap_or_default()
    }

    /// Remembers `digests`; returns a generation dropped to make room, for
    /// the caller to free after releasing the lock.
    fn put(&mut self, key: u64, digests: Box<[Uuid]>) -> Option<Map> {
        let c = cost(&digests);
        let mut retired = None;
        if self.current_cost + c > BUDGET / 2 {
            retired = Some(std::mem::replace(
                &mut self.previous,
                std::mem::take(&mut self.current),
            ));
            self.current_cost = 0;
        }
        self.previous.remove(&key);
        self.current_cost += c;
        if let Some(old) = self.current.insert(key, digests) {
            self.current_cost = self.current_cost.saturating_sub(cost(&old));
        }
        retired
    }
}

fn pages() -> MutexGuard<'static, Pages> {
    static PAGES: LazyLock<Mutex<Pages>> = LazyLock::new(Mutex::default);
    // A panic while holding the lock leaves hints, right or not: harmless.
    PAGES.lock().unwrap_or_else(PoisonError::into_inner)
}

/// The digests page `key` held when last read (empty if not remembered).
pub(super) fn last(key: u64) -> Vec<Uuid> {
    pages().get(key)
}

/// Remembers the digests page `key` holds now.
pub(super) fn remember(key: u64, digests: Box<[Uuid]>) {
    let retired = pages().put(key, digests);
    drop(retired);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_stay_within_the_budget_and_a_page_read_again_is_kept() {
        let mut p = Pages::default();
        let digests = || vec![Uuid::nil(); 51].into_boxed_slice();
        let per_page = cost(&digests());
        drop(p.put(0, digests()));
        for key in 1..(2 * BUDGET / per_page) as u64 {
            drop(p.put(key, digests()));
            // Page 0 is read (and so remembered again) after every other.
            assert_eq!(p.get(0).len(), 51, "lost at {key}");
            drop(p.put(0, digests()));
            let held: usize = p
                .current
                .values()
                .chain(p.previous.values())
                .map(|d| cost(d))
                .sum();
            assert!(held <= BUDGET, "{held} over budget at {key}");
        }
        assert!(p.get(1).is_empty(), "a page not read again ages out");
        assert!(p.get(u64::MAX).is_empty());
    }
}
