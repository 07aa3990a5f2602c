//! schema.org `ClaimReview` JSON-LD: rendering statements with their
//! verdicts (`ExportClaimReviews`) and reading the documents fact-checkers
//! publish (`ImportClaimReviews`).
//!
//! Mapping: `claimReviewed` is the statement's canonical text;
//! `itemReviewed` is a `Claim` whose `author` are the speakers,
//! `firstAppearance` and `appearance` the articles that carried it
//! (`CreativeWork` with `url`, `datePublished`, `publisher` and, as our
//! addition, the claim's own `text`); `author`, `url`, `datePublished` and
//! `reviewRating` (`ratingValue`, `bestRating`, `worstRating`,
//! `alternateName` = the verdict as worded) are the review.

use chrono::{DateTime, NaiveDate, Utc};
use serde_json::{json, Map, Value};
use tonic::Status;
use uuid::Uuid;

use super::error::{from_store, invalid};
use super::statements::parse_list;
use crate::domain::statement::{ImportedStatement, NewReview, Review};
use crate::domain::{
    ClaimKind, EntityKind, EntityRef, NewArticle, NewClaim, Provenance, SaidPrecision, SaidTime,
    Violations,
};
use crate::pb::v1 as pb;
use crate::store::{Directory, ExportedStatement, Store};

/// Most ClaimReviews one import may carry.
const MAX_ITEMS: usize = 1000;
/// Most appearances one ClaimReview may list.
const MAX_APPEARANCES: usize = 1000;

/// Serves `ExportClaimReviews`.
pub async fn export(
    store: &Store,
    req: &pb::ExportClaimReviewsRequest,
) -> Result<pb::ExportClaimReviewsResponse, Status> {
    let mut v = Violations::new();
    let ids: Vec<Uuid> = req
        .statement_ids
        .iter()
        .enumerate()
        .filter_map(|(i, id)| super::convert::uuid(&mut v, &format!("statement_ids[{i}]"), id))
        .collect();
    let mut next_page_token = String::new();
    let ids = if req.statement_ids.is_empty() {
        let list = req.list.clone().unwrap_or_default();
        let (filter, paging) = parse_list(&mut v, "list.", &list);
        v.into_result(()).map_err(|v| invalid(&v))?;
        let page = store
            .list_statements(&filter, paging.size, paging.after.as_ref())
            .await
            .map_err(from_store)?;
        next_page_token = paging.token(page.next);
        page.items.iter().map(|s| s.id).collect()
    } else {
        v.into_result(ids).map_err(|v| invalid(&v))?
    };
    let (items, dir) = store.export_statements(&ids).await.map_err(from_store)?;
    let docs: Vec<Value> = items.iter().flat_map(|s| render(s, &dir)).collect();
    Ok(pb::ExportClaimReviewsResponse {
        json_ld: serde_json::to_string_pretty(&docs).unwrap_or_else(|_| "[]".into()),
        statement_count: i32::try_from(items.len()).unwrap_or(i32::MAX),
        next_page_token,
    })
}

/// Serves `ImportClaimReviews`.
pub async fn import(
    store: &Store,
    json_ld: &str,
    actor: &str,
) -> Result<pb::ImportClaimReviewsResponse, Status> {
    let items = parse_document(json_ld).map_err(|v| invalid(&v))?;
    let out = store
        .import_statements(&items, actor)
        .await
        .map_err(from_store)?;
    Ok(pb::ImportClaimReviewsResponse {
        statement_ids: out.statement_ids.iter().map(Uuid::to_string).collect(),
        claims_created: i32::try_from(out.claims_created).unwrap_or(i32::MAX),
        reviews_created: i32::try_from(out.reviews_created).unwrap_or(i32::MAX),
    })
}

fn date(t: Option<DateTime<Utc>>) -> Value {
    t.map(|t| Value::String(t.to_rfc3339()))
        .unwrap_or(Value::Null)
}

fn named(dir: &Directory, id: Uuid, default_type: &str) -> Value {
    let (name, ty) = match dir.get(&id) {
        Some(s) => (
            s.name.clone(),
            match s.kind {
                EntityKind::Person => "Person",
                _ => "Organization",
            },
        ),
        None => (String::new(), default_type),
    };
    json!({ "@type": ty, "name": name })
}

fn one_or_many(mut values: Vec<Value>) -> Value {
    if values.len() == 1 {
        values.remove(0)
    } else {
        Value::Array(values)
    }
}

/// One ClaimReview per review of the statement (one without a rating when
/// it has none).
fn render(s: &ExportedStatement, dir: &Directory) -> Vec<Value> {
    let appearances: Vec<Value> = s
        .appearances
        .iter()
        .map(|(c, url)| {
            let mut w = json!({
                "@type": "CreativeWork",
                "url": url,
                "datePublished": date(c.published_time.or(Some(c.create_time))),
                "text": c.text,
            });
            if let Some(p) = c.publisher_id {
                w["publisher"] = named(dir, p, "Organization");
            }
            w
        })
        .collect();
    let authors = s
        .statement
        .speaker_ids
        .iter()
        .map(|id| named(dir, *id, "Person"))
        .collect();
    let item = json!({
        "@type": "Claim",
        "author": one_or_many(authors),
        "datePublished": date(s.statement.first_time),
        "firstAppearance": appearances.first().cloned().unwrap_or(Value::Null),
        "appearance": appearances,
    });
    let base = json!({
        "@context": "https://schema.org",
        "@type": "ClaimReview",
        "claimReviewed": s.statement.canonical_text,
        "itemReviewed": item,
    });
    if s.reviews.is_empty() {
        return vec![base];
    }
    s.reviews
        .iter()
        .map(|r| with_review(base.clone(), r, dir))
        .collect()
}

fn with_review(mut doc: Value, r: &Review, dir: &Directory) -> Value {
    let mut rating = json!({ "@type": "Rating", "alternateName": r.rating_text });
    for (k, x) in [
        ("ratingValue", r.rating_value),
        ("bestRating", r.best_rating),
        ("worstRating", r.worst_rating),
    ] {
        if let Some(x) = x {
            rating[k] = json!(x);
        }
    }
    doc["url"] = json!(r.url);
    doc["datePublished"] = date(r.review_time);
    doc["author"] = named(dir, r.reviewer_id, "Organization");
    doc["reviewRating"] = rating;
    doc
}

/// Parses a ClaimReview document (an object, an array, or an `@graph`),
/// naming every bad field as `json_ld[i].path`.
pub fn parse_document(raw: &str) -> Result<Vec<ImportedStatement>, Violations> {
    let root: Value = serde_json::from_str(raw)
        .map_err(|e| Violations::single("json_ld", format!("is not JSON: {e}")))?;
    let items: Vec<Value> = match root {
        Value::Array(a) => a,
        Value::Object(mut o) => match o.remove("@graph") {
            Some(Value::Array(a)) => a,
            _ => vec![Value::Object(o)],
        },
        _ => {
            return Err(Violations::single(
                "json_ld",
                "must be a JSON object or array",
            ))
        }
    };
    if items.is_empty() || items.len() > MAX_ITEMS {
        return Err(Violations::single(
            "json_ld",
            format!("must hold 1 to {MAX_ITEMS} ClaimReview objects"),
        ));
    }
    let mut v = Violations::new();
    let parsed: Vec<ImportedStatement> = items
        .iter()
        .enumerate()
        .filter_map(|(i, item)| parse_item(&mut v, &format!("json_ld[{i}]"), item))
        .collect();
    v.into_result(parsed)
}

fn is_type(o: &Map<String, Value>, ty: &str) -> bool {
    match o.get("@type") {
        Some(Value::String(s)) => s == ty || s.ends_with(&format!("/{ty}")),
        Some(Value::Array(a)) => a.iter().any(|t| t.as_str() == Some(ty)),
        _ => false,
    }
}

fn text<'a>(o: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    o.get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn list(value: Option<&Value>) -> Vec<&Value> {
    match value {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.iter().collect(),
        Some(other) => vec![other],
    }
}

fn parse_time(v: &mut Violations, field: &str, raw: Option<&Value>) -> Option<DateTime<Utc>> {
    let s = raw.and_then(Value::as_str)?;
    let parsed = DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .ok()
        .or_else(|| {
            let d = NaiveDate::parse_from_str(s.get(..10).unwrap_or(s), "%Y-%m-%d").ok()?;
            Some(d.and_hms_opt(0, 0, 0)?.and_utc())
        });
    if parsed.is_none() {
        v.push(field, "must be an ISO 8601 date or date-time");
    }
    parsed
}

fn number(v: &mut Violations, field: &str, raw: Option<&Value>) -> Option<f64> {
    match raw? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s
            .trim()
            .parse()
            .map_err(|_| v.push(field, "must be a number"))
            .ok(),
        Value::Null => None,
        _ => {
            v.push(field, "must be a number");
            None
        }
    }
}

/// An entity named by a JSON-LD `Person`/`Organization` object (or a bare
/// name string).
fn entity(v: &mut Violations, field: &str, raw: &Value, default: EntityKind) -> Option<EntityRef> {
    let (name, kind) = match raw {
        Value::String(s) => (s.trim(), default),
        Value::Object(o) => {
            let kind = if is_type(o, "Person") {
                EntityKind::Person
            } else if is_type(o, "Organization") || is_type(o, "NewsMediaOrganization") {
                EntityKind::Organization
            } else {
                default
            };
            (text(o, "name").unwrap_or(""), kind)
        }
        _ => ("", default),
    };
    if name.is_empty() {
        v.push(format!("{field}.name"), "is required");
        return None;
    }
    EntityRef::parse(v, field, "", "", name, Some(kind), true)
}

fn parse_item(v: &mut Violations, p: &str, item: &Value) -> Option<ImportedStatement> {
    let before = v.list().len();
    let Some(o) = item.as_object() else {
        v.push(p, "must be a ClaimReview object");
        return None;
    };
    if !is_type(o, "ClaimReview") {
        v.push(format!("{p}.@type"), "must be ClaimReview");
    }
    let claimed = text(o, "claimReviewed");
    if claimed.is_none() {
        v.push(
            format!("{p}.claimReviewed"),
            "is required: the words reviewed",
        );
    }
    let item_field = format!("{p}.itemReviewed");
    let reviewed = o.get("itemReviewed").and_then(Value::as_object);
    if reviewed.is_none() {
        v.push(
            item_field.as_str(),
            "is required: the Claim with its author and appearances",
        );
    }
    let speakers = reviewed
        .map(|r| speakers(v, &item_field, r))
        .unwrap_or_default();
    let appearances = reviewed
        .map(|r| appearances(v, &item_field, r, claimed.unwrap_or(""), &speakers))
        .unwrap_or_default();
    let review = parse_review(v, p, o);
    (v.list().len() == before).then_some(ImportedStatement {
        appearances,
        review,
    })
}

fn speakers(v: &mut Violations, p: &str, item: &Map<String, Value>) -> Vec<EntityRef> {
    let authors = list(item.get("author"));
    if authors.is_empty() {
        v.push(format!("{p}.author"), "is required: who made the claim");
    }
    let many = authors.len() > 1;
    authors
        .iter()
        .enumerate()
        .filter_map(|(j, a)| {
            let f = if many {
                format!("{p}.author[{j}]")
            } else {
                format!("{p}.author")
            };
            entity(v, &f, a, EntityKind::Person)
        })
        .collect()
}

/// The appearances: `firstAppearance` first, then `appearance`, each URL
/// once; each becomes an article with one direct claim.
fn appearances(
    v: &mut Violations,
    p: &str,
    item: &Map<String, Value>,
    claimed: &str,
    speakers: &[EntityRef],
) -> Vec<(NewArticle, NewClaim)> {
    let mut fields: Vec<(String, &Value)> = list(item.get("firstAppearance"))
        .into_iter()
        .map(|w| (format!("{p}.firstAppearance"), w))
        .collect();
    let many = list(item.get("appearance"));
    let plural = many.len() > 1 || matches!(item.get("appearance"), Some(Value::Array(_)));
    for (j, w) in many.into_iter().enumerate() {
        let f = if plural {
            format!("{p}.appearance[{j}]")
        } else {
            format!("{p}.appearance")
        };
        fields.push((f, w));
    }
    if fields.is_empty() || fields.len() > MAX_APPEARANCES {
        v.push(
            format!("{p}.appearance"),
            format!("give 1 to {MAX_APPEARANCES} appearances (firstAppearance or appearance) with a url"),
        );
        return Vec::new();
    }
    let mut seen = std::collections::HashSet::new();
    fields
        .into_iter()
        .filter_map(|(f, w)| appearance(v, &f, w, claimed, speakers))
        .filter(|(a, _)| seen.insert(a.url.clone()))
        .collect()
}

fn appearance(
    v: &mut Violations,
    f: &str,
    w: &Value,
    claimed: &str,
    speakers: &[EntityRef],
) -> Option<(NewArticle, NewClaim)> {
    let empty = Map::new();
    let (url, o) = match w {
        Value::String(u) => (u.as_str(), &empty),
        Value::Object(o) => (text(o, "url").unwrap_or(""), o),
        _ => ("", &empty),
    };
    let publisher = o
        .get("publisher")
        .and_then(|p| entity(v, &format!("{f}.publisher"), p, EntityKind::Organization));
    let published = parse_time(v, &format!("{f}.datePublished"), o.get("datePublished"));
    let title = text(o, "headline").or(text(o, "name")).unwrap_or("");
    let mut av = Violations::new();
    let article = NewArticle::parse(&mut av, url, title, publisher, published, "", "");
    for bad in av.list() {
        let field = bad.field.replace("article.", &format!("{f}."));
        v.push(field, bad.description.clone());
    }
    let words = text(o, "text").unwrap_or(claimed);
    let claim = NewClaim {
        speakers: speakers.to_vec(),
        speaker_role: String::new(),
        kind: ClaimKind::Direct,
        text: crate::domain::claim::parse_text(v, &format!("{f}.text"), words),
        spans: Vec::new(),
        cue: String::new(),
        venue: String::new(),
        recipient: None,
        via: None,
        via_text: String::new(),
        said: SaidTime {
            time: None,
            precision: SaidPrecision::Unknown,
            text: String::new(),
            inferred: false,
        },
        subjects: Vec::new(),
        confidence: None,
        provenance: Provenance {
            extractor: "schema.org ClaimReview".into(),
            extractor_version: "1".into(),
            human: String::new(),
        },
    };
    Some((article?, claim))
}

/// The verdict: absent when the document has no `reviewRating`.
fn parse_review(v: &mut Violations, p: &str, o: &Map<String, Value>) -> Option<NewReview> {
    let rating = o.get("reviewRating")?;
    let rf = format!("{p}.reviewRating");
    let Some(r) = rating.as_object() else {
        v.push(rf, "must be a Rating object");
        return None;
    };
    let reviewer = match o.get("author") {
        Some(a) => entity(v, &format!("{p}.author"), a, EntityKind::Organization),
        None => {
            v.push(
                format!("{p}.author"),
                "is required: the fact-checking organization",
            );
            None
        }
    };
    let scale = (
        number(v, &format!("{rf}.ratingValue"), r.get("ratingValue")),
        number(v, &format!("{rf}.bestRating"), r.get("bestRating")),
        number(v, &format!("{rf}.worstRating"), r.get("worstRating")),
    );
    let rating_text = text(r, "alternateName").or(text(r, "name")).unwrap_or("");
    let url = text(o, "url").unwrap_or("");
    let time = parse_time(v, &format!("{p}.datePublished"), o.get("datePublished"));
    let mut rv = Violations::new();
    let review = NewReview::parse(&mut rv, "", reviewer, rating_text, scale, url, time);
    for bad in rv.list() {
        let field = match bad.field.as_str() {
            "url" => format!("{p}.url"),
            "rating_text" => format!("{rf}.alternateName"),
            "rating_value" => format!("{rf}.ratingValue"),
            "best_rating" => format!("{rf}.bestRating"),
            "worst_rating" => format!("{rf}.worstRating"),
            other => format!("{p}.{other}"),
        };
        v.push(field, bad.description.clone());
    }
    review
}
