//! Reads a speaker noun phrase: who is named, with which title, and what kind of mention it is.
//!
//! A speaker phrase in news prose is one of a few shapes: a titled name ("Foreign Minister Ana
//! Veloso"), an organisation ("The Anti-Corruption Prosecutor's Office", "Aldmere's High Court"), a
//! descriptor plus name ("ride-hailing company Swiftcab"), a pronoun, a definite description that
//! points back ("the minister"), an indefinite one that hides a source ("a senior diplomat"), or a
//! plural group ("analysts"). [`parse_np`] sorts a token range into one of these [`Mention`]s; the
//! coreference module then turns mentions into canonical speakers.

use super::lexicon::{
    is_in, GROUP_NOUNS, GROUP_PRONOUNS, NON_NAME_CAPS, ORG_DESCRIPTORS, ORG_WORDS, PERSON_NOUNS,
    PERSON_PRONOUNS, TITLE_WORDS,
};
use super::text::{Doc, TokKind};
use super::SpeakerKind;

/// What a speaker phrase says about its referent.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Mention {
    /// A proper name, with the title written before it.
    Named {
        name: String,
        kind: SpeakerKind,
        role: Option<String>,
    },
    /// Several speakers joined by "and".
    Joint(Vec<Mention>),
    /// "he", "she", "it", "they".
    Pronoun(String),
    /// "the minister", "the company": points back to an earlier mention by its head noun.
    Definite { head: String, text: String },
    /// "a senior diplomat": an unnamed source, described by its role.
    Anonymous { role: String },
    /// "prosecutors", "analysts": a plural group with no name.
    Group { head: String, text: String },
}

/// A run of capitalised tokens `[a, b)` inside a noun phrase.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Chunk {
    pub a: usize,
    pub b: usize,
}

/// True when token `i` may continue a capitalised name ("of" and "&" inside organisation names,
/// lowercase titles such as "captain" between a country and a name).
fn name_joiner(doc: &Doc, i: usize, end: usize) -> bool {
    let next_cap = doc.toks.get(i + 1).is_some_and(|t| t.cap && t.is_word()) && i + 1 < end;
    let w = doc.low(i);
    let org_before = i > 0 && is_in(&ORG_WORDS, doc.low(i - 1));
    next_cap && (w == "&" || (w == "of" && org_before) || w == "de" || w == "van" || w == "von")
}

/// Capitalised chunks of the token range `[a, b)`, skipping sentence-initial function words.
pub(crate) fn chunks(doc: &Doc, a: usize, b: usize) -> Vec<Chunk> {
    let mut out = Vec::new();
    let mut i = a;
    while i < b {
        let t = &doc.toks[i];
        let capword = t.cap && t.is_word() && !is_in(&NON_NAME_CAPS, doc.lower(t));
        if !capword {
            i += 1;
            continue;
        }
        let s = i;
        while i < b {
            let t = &doc.toks[i];
            let cont = (t.cap && t.is_word())
                || (i > s && name_joiner(doc, i, b))
                || (i > s && is_in(&TITLE_WORDS, doc.lower(t)) && next_is_cap(doc, i, b));
            if !cont {
                break;
            }
            i += 1;
            if t.poss {
                break;
            }
        }
        out.push(Chunk { a: s, b: i });
    }
    out
}

fn next_is_cap(doc: &Doc, i: usize, end: usize) -> bool {
    i + 1 < end && doc.toks.get(i + 1).is_some_and(|t| t.cap && t.is_word())
}

/// Joins the words of `[a, b)` with single spaces, dropping possessive endings.
pub(crate) fn words(doc: &Doc, a: usize, b: usize) -> String {
    let mut s = String::new();
    for t in doc.toks.get(a..b).unwrap_or(&[]) {
        if !t.is_word() && doc.lower(t) != "&" {
            continue;
        }
        if !s.is_empty() {
            s.push(' ');
        }
        let text = doc.slice(t.start, t.end);
        let text = if t.poss {
            strip_possessive(&text)
        } else {
            text.as_str()
        };
        s.push_str(text);
    }
    s
}

/// "Korvan’s" → "Korvan", "Players'" → "Players".
fn strip_possessive(s: &str) -> &str {
    for suffix in ["’s", "'s", "’", "'"] {
        if let Some(x) = s.strip_suffix(suffix) {
            return x;
        }
    }
    s
}

/// Splits a chunk at its last title word: ("Foreign Minister", "Ana Veloso").
pub(crate) fn split_title(doc: &Doc, c: Chunk) -> (Option<Chunk>, Chunk) {
    let last_title = (c.a..c.b).rev().find(|&i| is_in(&TITLE_WORDS, doc.low(i)));
    match last_title {
        Some(k) if k + 1 < c.b => (Some(Chunk { a: c.a, b: k + 1 }), Chunk { a: k + 1, b: c.b }),
        Some(_) => (Some(c), Chunk { a: c.b, b: c.b }),
        None => (None, c),
    }
}

/// Whether the name tokens `[a, b)` look like an organisation.
pub(crate) fn org_like(doc: &Doc, a: usize, b: usize) -> bool {
    let acronym = b == a + 1
        && doc.toks.get(a).is_some_and(|t| {
            let s = doc.slice(t.start, t.end);
            s.chars().count() >= 2 && s.chars().all(|c| c.is_uppercase() || c.is_ascii_digit())
        });
    acronym || (a..b).any(|i| is_in(&ORG_WORDS, doc.low(i)))
}

/// Kind of a bare name: people have two or three name words; one word is unknown.
fn name_kind(doc: &Doc, a: usize, b: usize, descriptor_org: bool) -> SpeakerKind {
    if descriptor_org || org_like(doc, a, b) {
        SpeakerKind::Organization
    } else if b - a >= 2 && b - a <= 4 {
        SpeakerKind::Person
    } else {
        SpeakerKind::Unknown
    }
}

/// Drops determiners at the start of `[a, b)`; reports whether the phrase was indefinite.
fn skip_determiners(doc: &Doc, mut a: usize, b: usize) -> (usize, Option<&'static str>) {
    let mut det = None;
    while a < b {
        match doc.low(a) {
            "the" | "this" | "that" => det = Some("the"),
            "a" | "an" | "one" | "another" => det = Some("a"),
            "his" | "her" | "its" | "their" | "our" => det = Some("poss"),
            _ => break,
        }
        a += 1;
    }
    (a, det)
}

/// Ends the phrase at a relative clause or a participle ("a member who asked…").
fn cut_relative(doc: &Doc, a: usize, b: usize) -> usize {
    (a..b)
        .find(|&i| {
            let t = &doc.toks[i];
            matches!(t.kind, TokKind::Punct(',' | '(' | ';' | ':' | '—' | '–'))
                || matches!(
                    doc.lower(t),
                    "who" | "which" | "whose" | "familiar" | "close"
                )
                || t.kind == TokKind::Open
        })
        .unwrap_or(b)
}

/// Classifies the speaker phrase `[a, b)`.
pub(crate) fn parse_np(doc: &Doc, a: usize, b: usize) -> Option<Mention> {
    let b = b.min(doc.toks.len());
    if a >= b {
        return None;
    }
    if let Some(m) = parse_joint(doc, a, b) {
        return Some(m);
    }
    let (s, det) = skip_determiners(doc, a, b);
    if s >= b {
        return None;
    }
    if b - s == 1 && (is_in(&PERSON_PRONOUNS, doc.low(s)) || is_in(&GROUP_PRONOUNS, doc.low(s))) {
        return Some(Mention::Pronoun(doc.low(s).to_string()));
    }
    let full_end = b;
    let b = cut_relative(doc, s, b).max(s + 1);
    if let Some(m) = office_of(doc, s, b) {
        return Some(m);
    }
    let cs = chunks(doc, s, b);
    if let Some(m) = named(doc, s, b, &cs) {
        return Some(m);
    }
    descriptive(doc, s, b, full_end, det)
}

/// "analysts Mira Olsen and Tobias Brandt": two names joined by "and".
fn parse_joint(doc: &Doc, a: usize, b: usize) -> Option<Mention> {
    let k = (a..b).find(|&i| doc.low(i) == "and")?;
    let left = parse_np(doc, a, k)?;
    let right = parse_np(doc, k + 1, b)?;
    match (&left, &right) {
        (Mention::Named { .. }, Mention::Named { .. }) => Some(Mention::Joint(vec![left, right])),
        _ => None,
    }
}

/// "the office of Prime Minister Dragan Ostoja" → "Office of the Prime Minister".
fn office_of(doc: &Doc, s: usize, b: usize) -> Option<Mention> {
    if doc.low(s) != "office" || doc.low(s + 1) != "of" {
        return None;
    }
    let c = chunks(doc, s + 2, b).into_iter().next()?;
    let (title, _) = split_title(doc, c);
    let t = title?;
    let name = format!("Office of the {}", words(doc, t.a, t.b));
    Some(Mention::Named {
        name,
        kind: SpeakerKind::Organization,
        role: None,
    })
}

/// A proper-name speaker, if the phrase has a capitalised chunk that is not a modifier.
fn named(doc: &Doc, s: usize, b: usize, cs: &[Chunk]) -> Option<Mention> {
    for (ci, &c) in cs.iter().enumerate() {
        let after_prep = c.a > s
            && matches!(
                doc.low(c.a - 1),
                "of" | "for" | "at" | "from" | "with" | "to" | "by" | "in"
            );
        if after_prep {
            return None;
        }
        let single_common = c.b == c.a + 1
            && (is_in(&GROUP_NOUNS, doc.low(c.a)) || is_in(&PERSON_NOUNS, doc.low(c.a)));
        if single_common && c.a == s {
            continue; // "Prosecutors allege": a capitalised common noun
        }
        let last_poss = doc.toks[c.b - 1].poss;
        let followed_by_lower = c.b < b
            && doc.toks[c.b].is_word()
            && !doc.toks[c.b].cap
            && !matches!(
                doc.low(c.b),
                "of" | "for" | "at" | "in" | "from" | "with" | "and" | "to" | "on" | "by"
            );
        if last_poss && followed_by_lower {
            if let Some(m) = possessor_org(doc, c, b) {
                return Some(m);
            }
            continue;
        }
        if last_poss
            && cs
                .get(ci + 1)
                .is_some_and(|n| n.a == c.b && org_like(doc, n.a, n.b))
        {
            // "Aldmere's High Court" → "Aldmere High Court", but "Prosecutor's Office" is one name.
            let n = cs[ci + 1];
            let name = if n.b - n.a == 1 {
                doc.slice(doc.toks[c.a].start, doc.toks[n.a].end)
            } else {
                format!("{} {}", words(doc, c.a, c.b), words(doc, n.a, n.b))
            };
            return Some(Mention::Named {
                name,
                kind: SpeakerKind::Organization,
                role: None,
            });
        }
        if followed_by_lower && !is_in(&ORG_WORDS, doc.low(c.b)) {
            // A modifier ("a Brisa spokesperson", "a senior Estavian diplomat", "Home appliance
            // maker Brisa"): only a spokesperson makes the modifier the speaker.
            match spokes_org(doc, c, b) {
                Some(m) => return Some(m),
                None => continue,
            }
        }
        let (title, name) = split_title(doc, c);
        if name.a >= name.b {
            return None; // a bare title: "Foreign Minister"
        }
        let descriptor_org = name.a > s && is_in(&ORG_DESCRIPTORS, doc.low(name.a - 1));
        let role_start = first_non_possessor(doc, s, name.a);
        let role = (role_start < name.a).then(|| words(doc, role_start, name.a));
        let role = role.or_else(|| title.map(|t| words(doc, t.a, t.b)));
        let kind = name_kind(doc, name.a, name.b, descriptor_org);
        return Some(Mention::Named {
            name: words(doc, name.a, name.b),
            kind,
            role,
        });
    }
    None
}

/// "Brisa spokesperson" (no article): the organisation speaks through its spokesperson.
fn spokes_org(doc: &Doc, c: Chunk, b: usize) -> Option<Mention> {
    let head = doc.low(b.saturating_sub(1));
    if head.starts_with("spokes") {
        let name = words(doc, c.a, c.b);
        return Some(Mention::Named {
            name,
            kind: SpeakerKind::Organization,
            role: Some(head.to_string()),
        });
    }
    None
}

/// Skips a possessor chunk at the start of a role ("Swiftcab's founder" → "founder").
fn first_non_possessor(doc: &Doc, s: usize, e: usize) -> usize {
    (s..e)
        .rev()
        .find(|&i| doc.toks[i].poss)
        .map_or(s, |p| p + 1)
}

/// "Estavia’s foreign ministry" → "Estavian Foreign Ministry".
fn possessor_org(doc: &Doc, c: Chunk, b: usize) -> Option<Mention> {
    let head = (c.b..b).rev().find(|&i| doc.toks[i].is_word())?;
    if !is_in(&ORG_WORDS, doc.low(head)) || c.b - c.a != 1 {
        return None;
    }
    let owner = words(doc, c.a, c.b);
    let adj = if owner.ends_with('a') {
        format!("{owner}n")
    } else {
        owner
    };
    let rest: Vec<String> = (c.b..=head).map(|i| title_case(doc.low(i))).collect();
    let name = format!("{adj} {}", rest.join(" "));
    Some(Mention::Named {
        name,
        kind: SpeakerKind::Organization,
        role: None,
    })
}

fn title_case(w: &str) -> String {
    let mut cs = w.chars();
    cs.next()
        .map_or_else(String::new, |f| f.to_uppercase().chain(cs).collect())
}

/// A phrase with no proper name: definite, anonymous or group.
fn descriptive(
    doc: &Doc,
    s: usize,
    b: usize,
    full_end: usize,
    det: Option<&str>,
) -> Option<Mention> {
    let head_i = (s..b).rev().find(|&i| doc.toks[i].is_word())?;
    let head = doc.low(head_i).to_string();
    let text = words(doc, s, b);
    let person = is_in(&PERSON_NOUNS, &head) || is_in(&TITLE_WORDS, &head);
    match det {
        Some("a") if person || head.ends_with("person") => {
            let role = words(doc, s, full_end.min(b + 6));
            let role = if doc.low(b) == "who" {
                text
            } else {
                role.split(',').next().unwrap_or("").to_string()
            };
            Some(Mention::Anonymous { role })
        }
        Some("a") => None,
        Some(_) if !is_in(&GROUP_NOUNS, &head) || det == Some("poss") => {
            Some(Mention::Definite { head, text })
        }
        _ if is_in(&GROUP_NOUNS, &head) || head.ends_with('s') => {
            Some(Mention::Group { head, text })
        }
        _ if person => Some(Mention::Definite { head, text }),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn np(text: &str) -> Option<Mention> {
        let d = Doc::new(text);
        parse_np(&d, 0, d.toks.len())
    }

    fn name_of(m: Option<Mention>) -> String {
        match m {
            Some(Mention::Named { name, .. }) => name,
            other => format!("{other:?}"),
        }
    }

    #[test]
    fn a_titled_name_yields_the_name_and_the_role() {
        let m = np("Estavian Foreign Minister Ana Veloso");
        assert_eq!(
            m,
            Some(Mention::Named {
                name: "Ana Veloso".into(),
                kind: SpeakerKind::Person,
                role: Some("Estavian Foreign Minister".into())
            })
        );
    }

    #[test]
    fn organisations_are_named_without_determiners_or_possessive_marks() {
        assert_eq!(
            name_of(np("The Anti-Corruption Prosecutor's Office")),
            "Anti-Corruption Prosecutor's Office"
        );
        assert_eq!(name_of(np("Aldmere's High Court")), "Aldmere High Court");
        assert_eq!(
            name_of(np("Estavia’s foreign ministry")),
            "Estavian Foreign Ministry"
        );
        assert_eq!(
            name_of(np("The office of Prime Minister Dragan Ostoja")),
            "Office of the Prime Minister"
        );
    }

    #[test]
    fn an_indefinite_source_is_anonymous() {
        assert!(matches!(
            np("A senior Estavian diplomat"),
            Some(Mention::Anonymous { .. })
        ));
        assert!(matches!(
            np("an executive committee member who asked not to be named"),
            Some(Mention::Anonymous { .. })
        ));
    }

    #[test]
    fn descriptor_names_and_affiliations_pick_the_speaker() {
        assert_eq!(name_of(np("Home appliance maker Brisa")), "Brisa");
        assert_eq!(
            name_of(np("Analyst Ravi Menon of Tollgate Research")),
            "Ravi Menon"
        );
        assert_eq!(name_of(np("Vestria captain Ilir Basha")), "Ilir Basha");
    }

    #[test]
    fn joint_authors_give_two_speakers() {
        assert!(
            matches!(np("analysts Mira Olsen and Tobias Brandt"), Some(Mention::Joint(v)) if v.len() == 2)
        );
    }

    #[test]
    fn pronouns_and_descriptions_point_back() {
        assert_eq!(np("she"), Some(Mention::Pronoun("she".into())));
        assert!(
            matches!(np("The minister"), Some(Mention::Definite { head, .. }) if head == "minister")
        );
        assert!(matches!(np("Prosecutors"), Some(Mention::Group { .. })));
    }
}
