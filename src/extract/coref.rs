//! Turns speaker mentions into canonical speakers, within one article.
//!
//! A pre-pass registers every capitalised name outside quote marks, with the title written at its
//! introduction, so that a later "Veloso" becomes "Ana Veloso" and "the CFU" the "Continental
//! Football Union" (acronyms are matched against the initials of registered names). While claims
//! are resolved in text order the resolver keeps a salience list (who last spoke or was the subject
//! of a sentence), which answers pronouns ("she") and descriptions ("the minister", "the company").
//! Unnamed sources are registered as anonymous entities so that "the diplomat" points back to "a
//! senior diplomat" without a name ever being invented.

use super::lexicon::{is_in, ORG_DESCRIPTORS, TITLE_WORDS};
use super::names::{chunks, org_like, split_title, words, Mention};
use super::text::Doc;
use super::{ExtractedSpeaker, SpeakerKind};
use std::collections::HashMap;

/// The name used for anonymous sources, as in the annotation guidelines.
pub(crate) const UNNAMED: &str = "UNNAMED";

/// A person, organisation or anonymous source the article talks about.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Entity {
    pub name: String,
    pub kind: SpeakerKind,
    pub role: Option<String>,
    pub anonymous: bool,
    /// Lowercase words of every role written for the entity ("maker", "spokesperson").
    pub role_words: Vec<String>,
}

impl Entity {
    /// Keeps the first role as the role and remembers the words of every role.
    fn add_role(&mut self, role: Option<String>) {
        self.role_words.extend(role_words(role.as_deref()));
        if self.role.is_none() {
            self.role = role;
        }
    }
}

/// Lowercase words of a role.
fn role_words(role: Option<&str>) -> Vec<String> {
    role.map(|r| r.to_lowercase().split(' ').map(str::to_string).collect())
        .unwrap_or_default()
}

/// The speakers a mention resolves to, with the role written for them.
#[derive(Debug, Clone, PartialEq, Default)]
pub(crate) struct Resolved {
    pub speakers: Vec<ExtractedSpeaker>,
    pub role: Option<String>,
    /// Entity indices, so that the caller can mark them salient.
    pub ids: Vec<usize>,
}

/// How many recently salient entities are remembered for pronouns and descriptions.
const RECENT: usize = 48;

/// How many entities a fallback scan looks at: bounds the work on huge inputs.
const SCAN: usize = 512;

/// The article's entities and the salience state.
#[derive(Debug, Clone, Default)]
pub(crate) struct Resolver {
    pub ents: Vec<Entity>,
    by_name: HashMap<String, usize>,
    by_surname: HashMap<String, usize>,
    by_acronym: HashMap<String, usize>,
    /// Entity indices, most recently salient last.
    recent: Vec<usize>,
}

impl Resolver {
    /// Registers the capitalised names of the whole text (outside quotes).
    pub(crate) fn build(doc: &Doc) -> Resolver {
        let mut r = Resolver::default();
        for s in &doc.sents {
            for c in chunks(doc, s.start, s.end) {
                if doc.toks[c.a].quoted {
                    continue;
                }
                let (title, name) = split_title(doc, c);
                let descriptor = name.a > 0 && is_in(&ORG_DESCRIPTORS, doc.low(name.a - 1));
                if name.b - name.a < 2 && !descriptor {
                    continue;
                }
                if name.b - name.a < 2 {
                    // "ride-hailing company Swiftcab": the descriptor is the role.
                    let d = name.a - 1;
                    let s0 = (d.saturating_sub(2)..=d)
                        .find(|&i| doc.toks[i].is_word() && !doc.toks[i].cap)
                        .unwrap_or(d);
                    let role = Some(words(doc, s0, d + 1));
                    r.add(
                        &words(doc, name.a, name.b),
                        SpeakerKind::Organization,
                        role,
                        false,
                    );
                    continue;
                }
                let kind = if descriptor || org_like(doc, name.a, name.b) {
                    SpeakerKind::Organization
                } else {
                    SpeakerKind::Person
                };
                let role = title
                    .map(|t| words(doc, t.a, t.b))
                    .or_else(|| appositive_role(doc, name.a, s.start));
                r.add(&words(doc, name.a, name.b), kind, role, false);
            }
        }
        r
    }

    /// Adds an entity unless one with that name exists; returns its index.
    fn add(
        &mut self,
        name: &str,
        kind: SpeakerKind,
        role: Option<String>,
        anonymous: bool,
    ) -> usize {
        let key = name.to_lowercase();
        if !anonymous {
            if let Some(&i) = self.by_name.get(&key) {
                self.ents[i].add_role(role);
                return i;
            }
        }
        let id = self.ents.len();
        if !anonymous {
            self.by_name.insert(key.clone(), id);
            if kind == SpeakerKind::Person {
                if let Some(last) = key.rsplit(' ').next().filter(|_| key.contains(' ')) {
                    self.by_surname.entry(last.to_string()).or_insert(id);
                }
            }
            let initials: String = name
                .split([' ', '-'])
                .filter_map(|w| w.chars().next())
                .filter(|c| c.is_uppercase())
                .collect();
            if name.contains(' ') && initials.chars().count() >= 2 {
                self.by_acronym.entry(initials).or_insert(id);
            }
        }
        let role_words = role_words(role.as_deref());
        self.ents.push(Entity {
            role_words,
            name: name.to_string(),
            kind,
            role,
            anonymous,
        });
        id
    }

    /// The canonical name and kind of a name, without registering anything.
    pub(crate) fn canonical(&self, name: &str) -> (String, SpeakerKind) {
        let key = name.to_lowercase();
        let id = self
            .by_name
            .get(&key)
            .or_else(|| self.by_surname.get(&key))
            .or_else(|| self.by_acronym.get(name));
        match id.and_then(|&i| self.ents.get(i)) {
            Some(e) => (e.name.clone(), e.kind),
            None => (name.to_string(), SpeakerKind::Unknown),
        }
    }

    /// Marks the resolved entities as the latest salient ones.
    pub(crate) fn touch(&mut self, ids: &[usize]) {
        for &i in ids {
            self.recent.retain(|&x| x != i);
            self.recent.push(i);
        }
        if self.recent.len() > RECENT {
            self.recent.remove(0);
        }
    }

    /// Resolves a mention, reading and updating nothing but the registry.
    pub(crate) fn resolve(&mut self, m: &Mention) -> Option<Resolved> {
        match m {
            Mention::Named { name, kind, role } => Some(self.named(name, *kind, role.clone())),
            Mention::Joint(ms) => {
                let mut out = Resolved::default();
                for x in ms {
                    let r = self.resolve(x)?;
                    out.role = out.role.or(r.role);
                    out.speakers.extend(r.speakers);
                    out.ids.extend(r.ids);
                }
                Some(out)
            }
            Mention::Pronoun(p) => self.pronoun(p),
            Mention::Definite { head, text } => Some(self.definite(head, text)),
            Mention::Anonymous { role } => {
                let id = self.add(UNNAMED, SpeakerKind::Person, Some(role.clone()), true);
                Some(self.of_ids(vec![id]))
            }
            Mention::Group { head, text } => Some(self.group(head, text)),
        }
    }

    /// Builds a [`Resolved`] from entity indices.
    fn of_ids(&self, ids: Vec<usize>) -> Resolved {
        let speakers = ids
            .iter()
            .filter_map(|&i| self.ents.get(i))
            .map(|e| ExtractedSpeaker {
                name: e.name.clone(),
                kind: e.kind,
                anonymous: e.anonymous,
            })
            .collect();
        let role = ids
            .first()
            .and_then(|&i| self.ents.get(i))
            .and_then(|e| e.role.clone());
        Resolved {
            speakers,
            role,
            ids,
        }
    }

    /// A proper name: a surname, an acronym or a full name.
    fn named(&mut self, name: &str, kind: SpeakerKind, role: Option<String>) -> Resolved {
        if let Some(ministry) = self.ministry_of(name) {
            return self.named(&ministry, SpeakerKind::Organization, None);
        }
        let key = name.to_lowercase();
        let single = !name.contains(' ');
        let acronym = single && name.chars().count() >= 2 && name.chars().all(|c| c.is_uppercase());
        let found = acronym
            .then(|| self.by_acronym.get(name).copied())
            .flatten();
        let found = found.or_else(|| {
            self.by_name
                .get(&key)
                .copied()
                .filter(|&i| self.ents[i].kind != SpeakerKind::Unknown || !single)
        });
        let found = found.or_else(|| {
            single
                .then(|| {
                    self.by_surname
                        .get(&key)
                        .or_else(|| self.by_acronym.get(name))
                        .copied()
                })
                .flatten()
        });
        let found = found.or_else(|| self.by_name.get(&key).copied());
        let id = match found {
            Some(i) => {
                self.ents[i].add_role(role);
                i
            }
            None => {
                let kind = if kind == SpeakerKind::Unknown {
                    SpeakerKind::Organization
                } else {
                    kind
                };
                self.add(name, kind, role, false)
            }
        };
        self.of_ids(vec![id])
    }

    /// "Petek Ministry" (from "Petek's ministry") → "Vestrian Sports Ministry" when Petek is the
    /// "Vestrian Sports Minister".
    fn ministry_of(&self, name: &str) -> Option<String> {
        let owner = name.strip_suffix(" Ministry")?;
        let id = self.by_surname.get(&owner.to_lowercase())?;
        let role = self.ents.get(*id)?.role.as_deref()?;
        role.strip_suffix("Minister")
            .map(|p| format!("{p}Ministry"))
    }

    /// The most recently salient entity that satisfies `pred`.
    fn latest(&self, pred: impl Fn(&Entity) -> bool) -> Option<usize> {
        self.recent
            .iter()
            .rev()
            .copied()
            .find(|&i| self.ents.get(i).is_some_and(&pred))
    }

    fn pronoun(&self, p: &str) -> Option<Resolved> {
        let person = matches!(p, "he" | "she" | "him" | "her" | "i");
        let id = if person {
            self.latest(|e| e.kind == SpeakerKind::Person)
        } else {
            self.latest(|e| e.kind != SpeakerKind::Person)
        }?;
        Some(self.of_ids(vec![id]))
    }

    /// "the minister", "the company", "the spokesperson": the latest entity the head fits.
    fn definite(&mut self, head: &str, text: &str) -> Resolved {
        let fits_role = |e: &Entity| {
            e.role_words.iter().any(|w| w == head)
                || e.name.to_lowercase().split(' ').any(|w| w == head)
        };
        let org_head = is_in(&ORG_DESCRIPTORS, head) && !head.starts_with("spokes");
        let found = self.latest(fits_role);
        let found = found.or_else(|| {
            org_head
                .then(|| {
                    self.ents
                        .iter()
                        .take(SCAN)
                        .position(|e| !e.anonymous && fits_role(e))
                })
                .flatten()
        });
        let found = found.or_else(|| {
            org_head
                .then(|| self.latest(|e| e.kind == SpeakerKind::Organization && !e.anonymous))
                .flatten()
        });
        let found = found.or_else(|| {
            self.ents
                .iter()
                .take(SCAN)
                .position(|e| !e.anonymous && fits_role(e))
        });
        match found {
            Some(i) => self.of_ids(vec![i]),
            None => {
                let kind = if is_in(&TITLE_WORDS, head) {
                    SpeakerKind::Person
                } else {
                    SpeakerKind::Unknown
                };
                let id = self.add(text, kind, None, false);
                self.of_ids(vec![id])
            }
        }
    }

    /// "prosecutors" → an organisation named after them, else the group itself.
    fn group(&mut self, head: &str, text: &str) -> Resolved {
        let singular = head.strip_suffix('s').unwrap_or(head);
        let org = self.ents.iter().take(SCAN).position(|e| {
            e.kind == SpeakerKind::Organization
                && e.name
                    .to_lowercase()
                    .split([' ', '\'', '’'])
                    .any(|w| w == singular)
        });
        match org {
            Some(i) if singular.len() > 3 => self.of_ids(vec![i]),
            _ => {
                let id = self.add(text, SpeakerKind::Group, None, false);
                self.of_ids(vec![id])
            }
        }
    }
}

/// The role given in an appositive before a name: "Korvan’s deputy foreign minister, Pavel Dranik".
fn appositive_role(doc: &Doc, name_start: usize, floor: usize) -> Option<String> {
    let comma = name_start.checked_sub(1)?;
    if comma <= floor || !doc.toks[comma].is_punct(',') {
        return None;
    }
    let head = comma - 1;
    if !is_in(&TITLE_WORDS, doc.low(head)) {
        return None;
    }
    let mut s = head;
    while s > floor && doc.toks[s - 1].is_word() && !doc.toks[s - 1].poss && !doc.toks[s - 1].cap {
        s -= 1;
    }
    Some(words(doc, s, head + 1))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::extract::names::parse_np;

    fn resolve_in(text: &str, np: &str) -> Option<String> {
        let doc = Doc::new(text);
        let mut r = Resolver::build(&doc);
        let d = Doc::new(np);
        let m = parse_np(&d, 0, d.toks.len())?;
        r.resolve(&m)
            .and_then(|x| x.speakers.first().map(|s| s.name.clone()))
    }

    #[test]
    fn a_surname_resolves_to_the_full_name_introduced_earlier() {
        let t = "Foreign Minister Ana Veloso spoke. Later more.";
        assert_eq!(resolve_in(t, "Veloso"), Some("Ana Veloso".into()));
    }

    #[test]
    fn an_acronym_resolves_to_the_organisation() {
        let t = "The Continental Football Union met.";
        assert_eq!(
            resolve_in(t, "The CFU"),
            Some("Continental Football Union".into())
        );
    }

    #[test]
    fn a_role_resolves_to_the_salient_person_with_that_title() {
        let doc = Doc::new("Foreign Minister Ana Veloso spoke.");
        let mut r = Resolver::build(&doc);
        r.touch(&[0]);
        let d = Doc::new("The minister");
        let m = parse_np(&d, 0, d.toks.len()).unwrap();
        assert_eq!(r.resolve(&m).unwrap().speakers[0].name, "Ana Veloso");
    }

    #[test]
    fn an_anonymous_source_is_never_given_a_name() {
        let mut r = Resolver::default();
        let d = Doc::new("A senior diplomat");
        let m = parse_np(&d, 0, d.toks.len()).unwrap();
        let s = r.resolve(&m).unwrap();
        assert_eq!(s.speakers[0].name, UNNAMED);
        assert!(s.speakers[0].anonymous);
    }
}
