//! Entities and the references requests use to point at them.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::error::{check_len, Violations};

/// Longest accepted name or alias, in characters.
pub const MAX_NAME_LEN: usize = 300;
/// Most aliases or external ids one entity may carry.
pub const MAX_NAMES: usize = 100;

/// What sort of thing an entity is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EntityKind {
    /// A natural person.
    Person,
    /// A company, government body, outlet, party, ...
    Organization,
    /// A country, city, region, ...
    Place,
    /// A loosely defined group of people.
    Group,
    /// Anything else.
    Other,
}

impl EntityKind {
    /// The value stored in the `kind` column.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Person => "person",
            Self::Organization => "organization",
            Self::Place => "place",
            Self::Group => "group",
            Self::Other => "other",
        }
    }

    /// Parses a stored `kind` value.
    pub fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "person" => Self::Person,
            "organization" => Self::Organization,
            "place" => Self::Place,
            "group" => Self::Group,
            "other" => Self::Other,
            _ => return None,
        })
    }
}

/// How a request points at an entity. Built only by [`EntityRef::parse`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub enum EntityRef {
    /// An existing entity's id.
    Id(Uuid),
    /// An external identifier; `name` (with `kind`) lets a missing entity be
    /// created with that identifier.
    External {
        /// Normalized external id (`wikidata:Q1234`).
        external_id: String,
        /// Name for creation, when given.
        name: Option<String>,
        /// Kind for resolution and creation.
        kind: Option<EntityKind>,
    },
    /// A name or alias, resolved case- and accent-insensitively.
    Name {
        /// The name as given (trimmed).
        name: String,
        /// Restricts resolution; kind of a created entity.
        kind: Option<EntityKind>,
    },
}

impl EntityRef {
    /// Parses the wire fields of a reference. Pushes violations under
    /// `field` and returns `None` when the reference is unusable; returns
    /// `Ok(None)`-like `None` without violations when every field is empty
    /// and `required` is false.
    pub fn parse(
        v: &mut Violations,
        field: &str,
        id: &str,
        external_id: &str,
        name: &str,
        kind: Option<EntityKind>,
        required: bool,
    ) -> Option<Self> {
        let (id, external_id, name) = (id.trim(), external_id.trim(), name.trim());
        if !id.is_empty() {
            if !external_id.is_empty() || !name.is_empty() {
                v.push(field, "give only one of id, external_id or name");
                return None;
            }
            return match Uuid::parse_str(id) {
                Ok(u) => Some(Self::Id(u)),
                Err(_) => {
                    v.push(format!("{field}.id"), "must be a UUID");
                    None
                }
            };
        }
        let before = v.list().len();
        check_len(v, &format!("{field}.name"), name, MAX_NAME_LEN);
        if !external_id.is_empty() {
            let ext = match normalize_external_id(external_id) {
                Ok(e) => Some(e),
                Err(msg) => {
                    v.push(format!("{field}.external_id"), msg);
                    None
                }
            };
            if v.list().len() != before {
                return None;
            }
            return ext.map(|external_id| Self::External {
                external_id,
                name: (!name.is_empty()).then(|| name.to_string()),
                kind,
            });
        }
        if !name.is_empty() {
            if v.list().len() != before {
                return None;
            }
            return Some(Self::Name {
                name: name.to_string(),
                kind,
            });
        }
        if required {
            v.push(field, "is required: give an id, an external_id or a name");
        }
        None
    }

    /// The folded name this reference resolves by, if it resolves by name.
    pub fn folded_name(&self) -> Option<String> {
        match self {
            Self::Name { name, .. } => Some(super::text::fold_name(name)),
            Self::External { name: Some(n), .. } => Some(super::text::fold_name(n)),
            _ => None,
        }
    }
}

/// Normalizes an external id: trimmed, no whitespace inside, `scheme:value`;
/// a bare Wikidata id (`Q1234`) becomes `wikidata:Q1234`.
pub fn normalize_external_id(raw: &str) -> Result<String, String> {
    let s = raw.trim();
    if s.chars().any(char::is_whitespace) {
        return Err("must not contain whitespace".into());
    }
    if s.chars().count() > 200 {
        return Err("must be at most 200 characters".into());
    }
    let is_qid = s.len() > 1 && s.starts_with('Q') && s[1..].bytes().all(|b| b.is_ascii_digit());
    if is_qid {
        return Ok(format!("wikidata:{s}"));
    }
    match s.split_once(':') {
        Some((scheme, value)) if !scheme.is_empty() && !value.is_empty() => {
            Ok(format!("{}:{value}", scheme.to_lowercase()))
        }
        _ => Err(
            "must look like `scheme:value` (e.g. `wikidata:Q1234`) or a bare Wikidata id".into(),
        ),
    }
}

/// A new entity, validated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewEntity {
    /// Its kind.
    pub kind: EntityKind,
    /// Canonical name (trimmed, non-empty).
    pub name: String,
    /// Other names (trimmed, non-empty, deduplicated by folded form).
    pub aliases: Vec<String>,
    /// Normalized external ids.
    pub external_ids: Vec<String>,
    /// Free-text description.
    pub description: String,
}

impl NewEntity {
    /// Validates the parts of a new entity; field names are relative to
    /// `prefix` (e.g. `entity`).
    pub fn parse(
        prefix: &str,
        kind: Option<EntityKind>,
        name: &str,
        aliases: &[String],
        external_ids: &[String],
        description: &str,
    ) -> Result<Self, Violations> {
        let mut v = Violations::new();
        let kind = kind.unwrap_or_else(|| {
            v.push(format!("{prefix}.kind"), "is required");
            EntityKind::Other
        });
        let name = parse_name(&mut v, &format!("{prefix}.name"), name);
        let aliases = parse_aliases(&mut v, &format!("{prefix}.aliases"), aliases);
        let external_ids =
            parse_external_ids(&mut v, &format!("{prefix}.external_ids"), external_ids);
        check_len(&mut v, &format!("{prefix}.description"), description, 5000);
        v.into_result(Self {
            kind,
            name,
            aliases,
            external_ids,
            description: description.trim().to_string(),
        })
    }
}

/// Validates a canonical name.
pub fn parse_name(v: &mut Violations, field: &str, name: &str) -> String {
    let name = name.trim();
    if name.is_empty() {
        v.push(field, "is required");
    }
    check_len(v, field, name, MAX_NAME_LEN);
    name.to_string()
}

/// Validates a list of aliases: each non-empty and short; duplicates (by
/// folded form) dropped.
pub fn parse_aliases(v: &mut Violations, field: &str, aliases: &[String]) -> Vec<String> {
    if aliases.len() > MAX_NAMES {
        v.push(field, format!("at most {MAX_NAMES} aliases"));
    }
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::new();
    for (i, a) in aliases.iter().enumerate() {
        let a = a.trim();
        if a.is_empty() {
            v.push(format!("{field}[{i}]"), "must not be empty");
            continue;
        }
        check_len(v, &format!("{field}[{i}]"), a, MAX_NAME_LEN);
        if seen.insert(super::text::fold_name(a)) {
            out.push(a.to_string());
        }
    }
    out
}

/// Validates and normalizes a list of external ids (duplicates dropped).
pub fn parse_external_ids(v: &mut Violations, field: &str, ids: &[String]) -> Vec<String> {
    if ids.len() > MAX_NAMES {
        v.push(field, format!("at most {MAX_NAMES} external ids"));
    }
    let mut out: Vec<String> = Vec::new();
    for (i, raw) in ids.iter().enumerate() {
        match normalize_external_id(raw) {
            Ok(id) if !out.contains(&id) => out.push(id),
            Ok(_) => {}
            Err(msg) => v.push(format!("{field}[{i}]"), msg),
        }
    }
    out
}

/// A stored entity.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Entity {
    /// Its id.
    pub id: Uuid,
    /// Its kind.
    pub kind: EntityKind,
    /// Canonical name.
    pub name: String,
    /// Other names, alphabetically.
    pub aliases: Vec<String>,
    /// External ids, alphabetically.
    pub external_ids: Vec<String>,
    /// Free-text description.
    pub description: String,
    /// The survivor, when this entity was merged into another.
    pub merged_into: Option<Uuid>,
    /// Incremented on every change.
    pub revision: i64,
    /// First recorded.
    pub create_time: DateTime<Utc>,
    /// Last changed.
    pub update_time: DateTime<Utc>,
}

/// The fields of an entity shown inside claims and articles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntitySummary {
    /// Its id.
    pub id: Uuid,
    /// Canonical name.
    pub name: String,
    /// Its kind.
    pub kind: EntityKind,
}

/// A validated change to an entity: `None` leaves a field as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EntityPatch {
    /// New canonical name.
    pub name: Option<String>,
    /// New kind.
    pub kind: Option<EntityKind>,
    /// New alias list (replaces the old one).
    pub aliases: Option<Vec<String>>,
    /// New external id list (replaces the old one).
    pub external_ids: Option<Vec<String>>,
    /// New description.
    pub description: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bare_wikidata_ids_get_their_scheme() {
        assert_eq!(normalize_external_id(" Q42 ").unwrap(), "wikidata:Q42");
        assert_eq!(
            normalize_external_id("Wikidata:Q42").unwrap(),
            "wikidata:Q42"
        );
        assert!(normalize_external_id("nonsense").is_err());
        assert!(normalize_external_id("a b:c").is_err());
    }

    #[test]
    fn a_reference_needs_exactly_one_way_to_find_it() {
        let cases = [
            ("", "", "", true, false),
            ("", "", "", false, true),
            ("not-a-uuid", "", "", true, false),
            ("0190e6b0-0000-7000-8000-000000000000", "", "X", true, false),
            ("", "Q1", "", true, true),
            ("", "", "Ana Veloso", true, true),
        ];
        for (id, ext, name, required, ok) in cases {
            let mut v = Violations::new();
            let r = EntityRef::parse(&mut v, "speaker", id, ext, name, None, required);
            assert_eq!(v.is_empty(), ok, "{id:?} {ext:?} {name:?}: {v}");
            if ok && required {
                assert!(r.is_some());
            }
        }
    }

    #[test]
    fn a_new_entity_reports_every_bad_field() {
        let err =
            NewEntity::parse("entity", None, " ", &["".into()], &["x".into()], "").unwrap_err();
        let fields: Vec<_> = err.list().iter().map(|f| f.field.as_str()).collect();
        assert_eq!(
            fields,
            [
                "entity.kind",
                "entity.name",
                "entity.aliases[0]",
                "entity.external_ids[0]"
            ]
        );
    }
}
