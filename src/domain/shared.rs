//! A stored claim version shared by every reader of it.
//!
//! The snapshot memo (`store::snapshot`) hands the same version to every
//! request that reads it, and the API turns a version into the same encoded
//! message every time. [`SharedClaim`] carries what that needs: the
//! entities the version names ([`EntityRefs`], which a response shows by
//! their current names), and one form derived from the record, made by the
//! first reader that needs it. A history page of 50 remembered versions
//! then costs 50 reference-count increments and copies of ready bytes
//! instead of 50 deep clones, conversions and encodings (at 1M claims,
//! allocation alone was 12% of the server's CPU on a speaker history).
//!
//! Once the derived form is made, the record itself is dropped: the memo
//! then holds about half as many bytes per version, and so twice as many
//! versions in the same memory (at 1M claims a third of each speaker
//! history page was decoded again from JSON because the memo could not
//! hold the busiest speakers' pages; `claimdb-bench`, session 8). A reader
//! that needs the whole record reads it from its snapshot instead.
//!
//! The derived form must be a pure function of the record: the slot lives
//! as long as the version, which never changes. Anything that can change
//! (an entity's name) must be added by the reader afterwards.
//!
//! The API installs its form once ([`install_form`]), and a version decoded
//! from a snapshot is then made straight from a [`ClaimView`] borrowing the
//! JSON ([`SharedClaim::formed`]): no record, no copied strings, no lock
//! (session 18: a quarter of the server's CPU on a 1M-claim speaker history
//! went to decoding records only to encode and drop them).
//!
//! A version also keeps the summaries of the entities it names as the last
//! reader found them ([`Names`]), stamped with when they hold: the next
//! page that shows the version within that time uses them instead of
//! looking 3-4 ids up in the entity cache and a page-wide directory (a
//! sixth of the server's CPU on a 1M speaker history, session 18). What
//! "holds" means is the entity cache's to say (`store::entity_cache`); this
//! module only keeps the stamp.

use std::sync::{Arc, Mutex, OnceLock, PoisonError};
use std::time::Instant;

use uuid::Uuid;

use super::{ClaimRecord, ClaimView, EntitySummary, SubjectLink};

/// A claim version: cheap to clone, immutable.
#[derive(Debug, Clone)]
pub struct SharedClaim(Arc<Inner>);

#[derive(Debug)]
struct Inner {
    refs: EntityRefs,
    /// The record until the derived form is made from it.
    record: Mutex<Option<Box<ClaimRecord>>>,
    derived: OnceLock<Box<[u8]>>,
    /// The summaries the last reader showed (see [`Names`]).
    names: Mutex<Option<Names>>,
}

/// The summaries of the entities a version names, as one reader found
/// them, and how long they may be shown again without looking.
#[derive(Debug, Clone)]
pub struct Names {
    /// The entity cache's generation they were read at: a later rename or
    /// merge raises it, and summaries of an older one are not used.
    pub generation: u64,
    /// When they expire whatever the generation (the entity cache's time
    /// to live for the oldest of them).
    pub until: Instant,
    /// One per id of [`EntityRefs::named`], in its order: `None` for an id
    /// the reader found no entity for.
    pub summaries: Box<[Option<Arc<EntitySummary>>]>,
}

impl Names {
    /// Whether these may be shown to a reader at `generation` and `now`.
    pub fn hold(&self, generation: u64, now: Instant) -> bool {
        self.generation >= generation && self.until > now
    }

    /// Whether these are better kept than `other`: read at a later
    /// generation, or at the same one and expiring later.
    fn newer_than(&self, other: &Names) -> bool {
        (self.generation, self.until) > (other.generation, other.until)
    }
}

/// The entities a version names, by id, in the record's order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntityRefs {
    /// Speakers, in order.
    pub speakers: Box<[Uuid]>,
    /// Addressee.
    pub recipient: Option<Uuid>,
    /// Carrier.
    pub via: Option<Uuid>,
    /// The article's publisher.
    pub publisher: Option<Uuid>,
    /// Subjects, with their roles.
    pub subjects: Box<[SubjectLink]>,
}

/// The derived form of a version (see the module): the API's encoding of a
/// claim's own fields.
pub type Form = fn(&ClaimView<'_>) -> Box<[u8]>;

/// The form installed for the process.
static FORM: OnceLock<Form> = OnceLock::new();

/// Installs the process's derived form; the first one installed stays
/// (versions already made with it are shared by every reader).
pub fn install_form(form: Form) {
    let _ = FORM.set(form);
}

/// The installed form, if any: a process that serves no API (a tool, a
/// store test) decodes whole records instead.
pub fn form() -> Option<Form> {
    FORM.get().copied()
}

impl EntityRefs {
    fn of(r: &ClaimRecord) -> Self {
        Self {
            speakers: r.speaker_ids.as_slice().into(),
            recipient: r.recipient_id,
            via: r.via_id,
            publisher: r.publisher_id,
            subjects: r.subjects.as_slice().into(),
        }
    }

    /// The ids a response shows a summary of, in the order it writes them:
    /// speakers, recipient, carrier, subjects (the publisher is shown by
    /// id only).
    pub fn named(&self) -> impl Iterator<Item = Uuid> + '_ {
        let one = [self.recipient, self.via].into_iter().flatten();
        (self.speakers.iter().copied())
            .chain(one)
            .chain(self.subjects.iter().map(|s| s.entity_id))
    }

    /// Every entity id, as [`ClaimRecord::entity_ids`] gives them.
    pub fn ids(&self) -> impl Iterator<Item = Uuid> + '_ {
        super::claim::entity_ids(
            &self.speakers,
            &self.subjects,
            [self.recipient, self.via, self.publisher],
        )
    }
}

impl SharedClaim {
    /// A version not shared yet.
    pub fn new(record: ClaimRecord) -> Self {
        Self(Arc::new(Inner {
            refs: EntityRefs::of(&record),
            record: Mutex::new(Some(Box::new(record))),
            derived: OnceLock::new(),
            names: Mutex::new(None),
        }))
    }

    /// A version decoded as a view, its derived form made by `form` at
    /// once: the view's strings are dropped with it, and only what names
    /// entities is kept (moved, not copied, when the view owns it).
    pub fn formed(view: ClaimView<'_>, form: Form) -> Self {
        let derived = OnceLock::new();
        let _ = derived.set(form(&view));
        let refs = EntityRefs {
            speakers: view.speaker_ids.into_owned().into_boxed_slice(),
            recipient: view.recipient_id,
            via: view.via_id,
            publisher: view.publisher_id,
            subjects: view.subjects.into_owned().into_boxed_slice(),
        };
        Self(Arc::new(Inner {
            refs,
            record: Mutex::new(None),
            derived,
            names: Mutex::new(None),
        }))
    }

    /// The entities the version names.
    pub fn refs(&self) -> &EntityRefs {
        &self.0.refs
    }

    /// The form `derive` makes of the record, made once per version: later
    /// calls get the same bytes whatever closure they pass, and the record
    /// is dropped once they are made. Concurrent first readers wait for one
    /// `derive`; if it panics, the record stays for the next.
    pub fn derived(&self, derive: impl FnOnce(&ClaimRecord) -> Box<[u8]>) -> &[u8] {
        if let Some(bytes) = self.0.derived.get() {
            return bytes;
        }
        let bytes = self.0.derived.get_or_init(|| {
            let record = self.lock_record();
            // Only a made form drops the record, and this runs while none
            // is made: the record is here.
            record.as_deref().map(derive).unwrap_or_default()
        });
        drop(self.lock_record().take());
        bytes
    }

    /// The record, if the derived form is not made yet (for tests and
    /// callers that derive differently; readers of the whole record read
    /// it from its snapshot).
    pub fn record(&self) -> Option<ClaimRecord> {
        self.lock_record().as_deref().cloned()
    }

    /// Whether the kept summaries may be shown at `generation` and `now`.
    pub fn names_hold(&self, generation: u64, now: Instant) -> bool {
        self.lock_names()
            .as_ref()
            .is_some_and(|n| n.hold(generation, now))
    }

    /// Runs `f` on the kept summaries, if any. A reader that found them to
    /// hold ([`Self::names_hold`]) finds them, or newer ones, still there:
    /// they are never dropped, only replaced by newer ones
    /// ([`Self::keep_names`]).
    pub fn with_names<T>(&self, f: impl FnOnce(Option<&Names>) -> T) -> T {
        f(self.lock_names().as_ref())
    }

    /// Keeps `names` for the next reader, unless what is kept is newer.
    pub fn keep_names(&self, names: Names) {
        let mut kept = self.lock_names();
        if kept.as_ref().is_none_or(|k| names.newer_than(k)) {
            *kept = Some(names);
        }
    }

    fn lock_names(&self) -> std::sync::MutexGuard<'_, Option<Names>> {
        // Summaries are replaced whole: a panic cannot leave half of them.
        self.0.names.lock().unwrap_or_else(PoisonError::into_inner)
    }

    fn lock_record(&self) -> std::sync::MutexGuard<'_, Option<Box<ClaimRecord>>> {
        // A panic in `derive` leaves the record as it was: keep using it.
        self.0.record.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_derived_form_is_made_once_and_then_the_record_is_dropped() {
        let rec: ClaimRecord = serde_json::from_value(serde_json::json!({
            "id": "01261fb0-3290-7672-832c-db795d75535d",
            "article_id": "01261fb0-3290-7f9f-a26c-479707e794cb",
            "publisher_id": null, "published_time": null,
            "speaker_ids": ["01261fb0-3290-7000-8000-000000000001"],
            "speaker_role": "", "kind": "direct", "text": "We will win.", "spans": [],
            "cue": "said", "venue": "", "recipient_id": null, "via_id": null, "via_text": "",
            "said": {"text": "", "time": null, "inferred": false, "precision": "unknown"},
            "subjects": [{"entity_id": "01261fb0-3290-7000-8000-000000000002", "role": "topic"}],
            "confidence": null,
            "provenance": {"extractor": "", "extractor_version": "", "human": "t"},
            "state": "active", "revision": 1,
            "create_time": "2024-01-01T00:00:00Z", "update_time": "2024-01-01T00:00:00Z"
        }))
        .unwrap_or_else(|e| panic!("{e}"));
        let a = SharedClaim::new(rec.clone());
        let b = a.clone();
        assert_eq!(a.record().as_ref(), Some(&rec));
        assert_eq!(
            b.refs().ids().collect::<Vec<_>>(),
            rec.entity_ids().collect::<Vec<_>>()
        );
        assert_eq!(a.derived(|r| r.text.as_bytes().into()), b"We will win.");
        assert_eq!(b.derived(|_| panic!("made twice")), b"We will win.");
        // The record is gone; what names entities stays.
        assert_eq!(b.record(), None);
        assert_eq!(a.refs().subjects[0].role, "topic");

        // Made from a view: the form's bytes at once, the same entities.
        let formed = SharedClaim::formed(ClaimView::of(&rec), |v| v.text.as_bytes().into());
        assert_eq!(formed.derived(|_| panic!("made twice")), b"We will win.");
        assert_eq!(formed.refs(), a.refs());
        assert_eq!(formed.record(), None);
    }
}
