//! The process-wide cache of entity summaries (id, name, kind), kept
//! coherent across server processes by LISTEN/NOTIFY.
//!
//! Every claim read shows the names of the entities it names, and a page of
//! fifty claims names a hundred or more. Fetching them on every read cost as
//! much database time as the page itself (measured at 1M claims: speaker
//! history 588 requests/s with a 5 s cache, 1,014 with a long one), so
//! summaries are cached, and a change must reach every process's cache:
//!
//! - a rename or merge NOTIFYs [`CHANNEL`] with the changed ids in its own
//!   transaction (delivered on commit), and the committing process also
//!   forgets them at once;
//! - each server's event listener LISTENs on the channel and forgets what it
//!   is told ([`forget`]); while one is connected ([`Coherence`]) entries
//!   live [`COHERENT_TTL`], otherwise [`TTL`];
//! - a listener that loses its connection may have missed a notification,
//!   so connecting, reconnecting and disconnecting all empty the cache;
//! - a read that fetched a summary while a change was being forgotten does
//!   not cache it (see [`GENERATION`]): it may hold the old name.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::{Duration, Instant};

use sqlx::PgConnection;
use uuid::Uuid;

use super::{Directory, StoreError};
use crate::domain::EntitySummary;

/// The NOTIFY channel of entity changes; the payload is the changed ids,
/// comma-separated.
pub(super) const CHANNEL: &str = "claimdb_entity_changes";

/// How long an entry is used when no listener keeps the cache coherent (a
/// change made by another process is seen within this time).
const TTL: Duration = Duration::from_secs(5);

/// How long an entry is used while a listener keeps the cache coherent: a
/// backstop only, as every change is forgotten when it commits.
const COHERENT_TTL: Duration = Duration::from_secs(600);

/// Most summaries cached (the cache is emptied when it is full).
const CAP: usize = 200_000;

/// Connected listeners (see [`Coherence`]).
static LISTENERS: AtomicUsize = AtomicUsize::new(0);

/// Bumped by every [`forget`]: a read caches what it fetched only when no
/// forget happened while it was fetching, and the summaries a claim version
/// keeps ([`crate::domain::Names`]) are shown only while no forget happened
/// since they were read.
static GENERATION: AtomicU64 = AtomicU64::new(0);

type CacheMap = HashMap<Uuid, (Arc<EntitySummary>, Instant), foldhash::fast::RandomState>;
type Cache = Mutex<CacheMap>;

/// Process-wide: entity ids are UUIDv7, unique across databases, so one
/// cache serves every store in the process.
fn cache() -> &'static Cache {
    static CACHE: OnceLock<Cache> = OnceLock::new();
    CACHE.get_or_init(Default::default)
}

fn ttl() -> Duration {
    if LISTENERS.load(Ordering::Acquire) > 0 {
        COHERENT_TTL
    } else {
        TTL
    }
}

/// Held by a connected listener of [`CHANNEL`]; entries live
/// [`COHERENT_TTL`] while one exists. Created and dropped with an empty
/// cache, since a notification may have been missed either side of it.
#[derive(Debug)]
pub(super) struct Coherence(());

impl Coherence {
    /// Call once the LISTEN has succeeded.
    pub(super) fn start() -> Self {
        forget_all();
        LISTENERS.fetch_add(1, Ordering::AcqRel);
        Self(())
    }
}

impl Drop for Coherence {
    fn drop(&mut self) {
        LISTENERS.fetch_sub(1, Ordering::AcqRel);
        forget_all();
    }
}

/// Drops cached summaries (after a rename or merge commits, or when
/// notified of one).
pub(super) fn forget(ids: &[Uuid]) {
    forgetting(|c| {
        for id in ids {
            c.remove(id);
        }
    });
}

/// Empties the cache.
pub(super) fn forget_all() {
    forgetting(HashMap::clear);
}

/// Runs `forget` on the cache and raises [`GENERATION`], both under the
/// lock: a look-up that reads the generation (under the lock too) sees
/// either neither or both, so summaries read at a generation are never
/// older than it (what a version's kept summaries rely on,
/// [`crate::domain::Names`]).
fn forgetting(forget: impl FnOnce(&mut CacheMap)) {
    let mut c = cache().lock().unwrap_or_else(PoisonError::into_inner);
    forget(&mut c);
    GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// The current generation: summaries read at an older one may be stale.
pub(super) fn generation() -> u64 {
    GENERATION.load(Ordering::Acquire)
}

/// Forgets the ids of a [`CHANNEL`] payload (all of them when it does not
/// parse, which costs only re-reads).
pub(super) fn forget_payload(payload: &str) {
    let ids: Result<Vec<Uuid>, _> = payload.split(',').map(Uuid::parse_str).collect();
    match ids {
        Ok(ids) => forget(&ids),
        Err(_) => forget_all(),
    }
}

/// Tells every process listening that these entities changed (delivered
/// when the caller's transaction commits).
pub(super) async fn announce(conn: &mut PgConnection, ids: &[Uuid]) -> Result<(), StoreError> {
    let payload: Vec<String> = ids.iter().map(Uuid::to_string).collect();
    sqlx::query("SELECT pg_notify($1, $2)")
        .bind(CHANNEL)
        .bind(payload.join(","))
        .execute(&mut *conn)
        .await?;
    Ok(())
}

/// What [`lookup`] found.
pub(super) struct Found {
    /// The cached summaries.
    pub(super) dir: Directory,
    /// The ids to fetch, each once however often the look-up named it.
    pub(super) missing: Vec<Uuid>,
    /// The generation the summaries were read at, to hand back to
    /// [`store`].
    pub(super) generation: u64,
    /// Until when all of them, and any fetched now, may be shown: the
    /// oldest one's time to live.
    pub(super) until: Instant,
}

/// The cached summaries of `ids` and the ids that must be fetched.
pub(super) fn lookup(ids: &[Uuid]) -> Found {
    let mut dir = Directory::with_capacity_and_hasher(ids.len(), Default::default());
    let mut missing = Vec::new();
    let (now, ttl) = (Instant::now(), ttl());
    let mut oldest = now;
    let c = cache().lock().unwrap_or_else(PoisonError::into_inner);
    let generation = GENERATION.load(Ordering::Acquire);
    for id in ids {
        if dir.contains_key(id) {
            continue;
        }
        match c.get(id) {
            Some((s, at)) if now.duration_since(*at) < ttl => {
                oldest = oldest.min(*at);
                dir.insert(*id, Arc::clone(s));
            }
            _ => missing.push(*id),
        }
    }
    drop(c);
    missing.sort_unstable();
    missing.dedup();
    Found {
        dir,
        missing,
        generation,
        until: oldest + ttl,
    }
}

/// Caches fetched summaries, unless something was forgotten since
/// `generation` was read (the fetch may have seen the old name).
pub(super) fn store(fetched: &Directory, generation: u64) {
    let mut c = cache().lock().unwrap_or_else(PoisonError::into_inner);
    if GENERATION.load(Ordering::Acquire) != generation {
        return;
    }
    if c.len() + fetched.len() > CAP {
        c.clear();
    }
    let now = Instant::now();
    for (id, s) in fetched {
        c.insert(*id, (Arc::clone(s), now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::EntityKind;

    fn summary(id: Uuid, name: &str) -> EntitySummary {
        EntitySummary {
            id,
            name: name.into(),
            kind: EntityKind::Person,
        }
    }

    #[test]
    fn a_fetch_racing_a_forget_is_not_cached_and_a_forgotten_id_is_refetched() {
        let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
        // Repeated ids are fetched once.
        let Found {
            missing,
            generation,
            ..
        } = lookup(&[a, b, a]);
        assert_eq!(missing, vec![a, b]);
        // A rename of `a` commits while the read is fetching.
        forget(&[a]);
        store(
            &Directory::from_iter([(a, summary(a, "Old").into()), (b, summary(b, "B").into())]),
            generation,
        );
        let Found {
            missing,
            generation,
            ..
        } = lookup(&[a, b]);
        assert_eq!(missing, vec![a, b], "nothing cached from the racing fetch");
        store(
            &Directory::from_iter([(a, summary(a, "New").into()), (b, summary(b, "B").into())]),
            generation,
        );
        let found = lookup(&[a, b, a]);
        assert!(found.missing.is_empty());
        assert_eq!(found.dir.len(), 2);
        assert_eq!(found.dir[&a].name, "New");
        assert!(found.until > Instant::now(), "fresh summaries hold a while");
        forget_payload(&format!("{a}"));
        let after = lookup(&[a, b]);
        assert_eq!(after.missing, vec![a]);
        assert!(
            after.generation > found.generation,
            "a forget is a new generation"
        );
    }
}
