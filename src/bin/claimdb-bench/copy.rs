//! The raw-PostgreSQL baseline of ingest: every row the service writes for
//! a set of articles, built in Rust and written with `COPY ... FROM STDIN`
//! (or, for the `mixed` workload's direct side, plain multi-row INSERTs).
//!
//! This is the only place that knows which tables and columns an ingest
//! writes. Each table is one row struct with one `impl TableRow` holding its
//! table name, its column list ([`TableRow::COLUMNS`]) and, right below, the
//! one writer that lists the fields in that same order, into any
//! [`RowSink`]: COPY text or INSERT binds. A schema change is one edit per
//! table here: add the field, the column name, and one line in the writer.
//!
//! The rows are built from the same parsed requests the service uses
//! (`claimdb::api::claims::parse_ingest`), with `claimdb::domain` types and
//! rules (fingerprints, folded names, normalized statement text, speaker
//! keys, `match_score`), so they are the rows the service would write. Two
//! things the service works out in the database are known here from the
//! generator instead: which entity a name means (an in-memory book), and
//! which statement a claim joins (the remark it reports).
//!
//! Order of writes (foreign keys, then the link rows after the revisions
//! whose digests they carry): entities, entity_names, entity_revisions,
//! articles, statements, claims, claim_revisions, claim_speakers,
//! claim_subjects, claim_events, statement_members, statement_decisions.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::{anyhow, Context};
use chrono::{DateTime, SecondsFormat, Utc};
use claimdb::domain::statement::{
    match_score, normalize_text, sketch, speaker_key, DEFAULT_SIMILARITY,
};
use claimdb::domain::text::fold_name;
use claimdb::domain::{
    ClaimRecord, ClaimState, Entity, EntityKind, EntityRef, NewClaim, Provenance, SubjectLink,
};
use sqlx::postgres::Postgres;
use sqlx::query_builder::Separated;
use sqlx::types::Json;
use sqlx::{PgConnection, QueryBuilder};
use uuid::Uuid;

use crate::gen::GenArticle;
use crate::rng::Rng;

/// The actor every bench write records (the service gets it as the
/// `claimdb-actor` header; authentication is off).
pub(crate) const ACTOR: &str = "claimdb-bench";

/// Every table an ingest writes, in foreign-key order (for row counts and
/// cleanup).
pub(crate) const TABLES: [&str; 12] = [
    EntityRow::TABLE,
    EntityNameRow::TABLE,
    EntityRevisionRow::TABLE,
    ArticleRow::TABLE,
    StatementRow::TABLE,
    ClaimRow::TABLE,
    ClaimSpeakerRow::TABLE,
    ClaimSubjectRow::TABLE,
    ClaimRevisionRow::TABLE,
    ClaimEventRow::TABLE,
    StatementMemberRow::TABLE,
    StatementDecisionRow::TABLE,
];

/// One row type: its table, its columns, and one writer of its values in
/// the order of [`Self::COLUMNS`].
pub(crate) trait TableRow {
    /// The table.
    const TABLE: &'static str;
    /// The columns written, in order. Columns left out take their defaults
    /// (as they do when the service inserts).
    const COLUMNS: &'static [&'static str];
    /// Writes the row's values, in the order of [`Self::COLUMNS`].
    fn write<S: RowSink>(&self, out: &mut S);
}

/// Where a row's values go: COPY text ([`CopyBuf`]) or the binds of a
/// multi-row INSERT ([`Binds`]). One method per kind of column value.
pub(crate) trait RowSink {
    /// A text value.
    fn text(&mut self, s: &str);
    /// A uuid.
    fn uuid(&mut self, u: Uuid);
    /// A nullable uuid.
    fn opt_uuid(&mut self, u: Option<Uuid>);
    /// A uuid[].
    fn uuids(&mut self, ids: &[Uuid]);
    /// A bigint[].
    fn ints(&mut self, values: &[i64]);
    /// An integer (any width: INSERT casts it to the column's).
    fn int(&mut self, v: i64);
    /// A nullable float8.
    fn opt_float(&mut self, v: Option<f64>);
    /// A boolean.
    fn bool(&mut self, v: bool);
    /// A timestamptz.
    fn time(&mut self, t: DateTime<Utc>);
    /// A nullable timestamptz.
    fn opt_time(&mut self, t: Option<DateTime<Utc>>);
    /// A JSON value (serialized with serde_json, as sqlx's `Json` does).
    fn json<T: serde::Serialize>(&mut self, v: &T);
}

/// The binds of one row of a multi-row INSERT.
pub(crate) struct Binds<'b, 'q>(&'b mut Separated<'q, Postgres, &'static str>);

impl RowSink for Binds<'_, '_> {
    fn text(&mut self, s: &str) {
        self.0.push_bind(s.to_string());
    }
    fn uuid(&mut self, u: Uuid) {
        self.0.push_bind(u);
    }
    fn opt_uuid(&mut self, u: Option<Uuid>) {
        self.0.push_bind(u);
    }
    fn uuids(&mut self, ids: &[Uuid]) {
        self.0.push_bind(ids.to_vec());
    }
    fn ints(&mut self, values: &[i64]) {
        self.0.push_bind(values.to_vec());
    }
    fn int(&mut self, v: i64) {
        self.0.push_bind(v);
    }
    fn opt_float(&mut self, v: Option<f64>) {
        self.0.push_bind(v);
    }
    fn bool(&mut self, v: bool) {
        self.0.push_bind(v);
    }
    fn time(&mut self, t: DateTime<Utc>) {
        self.0.push_bind(t);
    }
    fn opt_time(&mut self, t: Option<DateTime<Utc>>) {
        self.0.push_bind(t);
    }
    fn json<T: serde::Serialize>(&mut self, v: &T) {
        // Serializing plain data structs cannot fail.
        let value = serde_json::to_value(v).unwrap_or(serde_json::Value::Null);
        self.0.push_bind(Json(value));
    }
}

/// `entities`: one per entity a name created.
#[derive(Debug, Clone)]
pub(crate) struct EntityRow {
    id: Uuid,
    kind: EntityKind,
    name: String,
    time: DateTime<Utc>,
}

impl TableRow for EntityRow {
    const TABLE: &'static str = "entities";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "kind",
        "name",
        "description",
        "revision",
        "create_time",
        "update_time",
    ];
    fn write<S: RowSink>(&self, o: &mut S) {
        o.uuid(self.id);
        o.text(self.kind.as_str());
        o.text(&self.name);
        o.text("");
        o.int(1);
        o.time(self.time);
        o.time(self.time);
    }
}

/// `entity_names`: the canonical name of each created entity.
#[derive(Debug, Clone)]
pub(crate) struct EntityNameRow {
    entity_id: Uuid,
    name: String,
}

impl TableRow for EntityNameRow {
    const TABLE: &'static str = "entity_names";
    const COLUMNS: &'static [&'static str] = &["entity_id", "name", "name_norm", "is_canonical"];
    fn write<S: RowSink>(&self, o: &mut S) {
        o.uuid(self.entity_id);
        o.text(&self.name);
        o.text(&fold_name(&self.name));
        o.bool(true);
    }
}

/// `entity_revisions`: revision 1 of each created entity.
#[derive(Debug, Clone)]
pub(crate) struct EntityRevisionRow {
    entity: Entity,
}

impl TableRow for EntityRevisionRow {
    const TABLE: &'static str = "entity_revisions";
    const COLUMNS: &'static [&'static str] =
        &["entity_id", "revision", "snapshot", "actor", "record_time"];
    fn write<S: RowSink>(&self, o: &mut S) {
        o.uuid(self.entity.id);
        o.int(self.entity.revision);
        o.json(&self.entity);
        o.text(ACTOR);
        o.time(self.entity.create_time);
    }
}

/// `articles`.
#[derive(Debug, Clone)]
pub(crate) struct ArticleRow {
    id: Uuid,
    url: String,
    title: String,
    publisher_id: Option<Uuid>,
    published_time: Option<DateTime<Utc>>,
    language: String,
    body: String,
    body_sha256: String,
    sort_time: DateTime<Utc>,
    create_time: DateTime<Utc>,
}

impl TableRow for ArticleRow {
    const TABLE: &'static str = "articles";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "url",
        "title",
        "publisher_id",
        "published_time",
        "language",
        "body",
        "body_sha256",
        "sort_time",
        "create_time",
    ];
    fn write<S: RowSink>(&self, o: &mut S) {
        o.uuid(self.id);
        o.text(&self.url);
        o.text(&self.title);
        o.opt_uuid(self.publisher_id);
        o.opt_time(self.published_time);
        o.text(&self.language);
        o.text(&self.body);
        o.text(&self.body_sha256);
        o.time(self.sort_time);
        o.time(self.create_time);
    }
}

/// `statements`, with the aggregates `statements::refresh` keeps.
#[derive(Debug, Clone)]
pub(crate) struct StatementRow {
    id: Uuid,
    speaker_key: String,
    speaker_ids: Vec<Uuid>,
    canonical_text: String,
    normalized_text: String,
    first_claim_id: Option<Uuid>,
    first_time: Option<DateTime<Utc>>,
    appearance_count: i64,
    outlet_count: i64,
    create_time: DateTime<Utc>,
    update_time: DateTime<Utc>,
}

impl TableRow for StatementRow {
    const TABLE: &'static str = "statements";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "speaker_key",
        "speaker_ids",
        "canonical_text",
        "normalized_text",
        "first_claim_id",
        "first_time",
        "appearance_count",
        "outlet_count",
        "create_time",
        "update_time",
    ];
    fn write<S: RowSink>(&self, o: &mut S) {
        o.uuid(self.id);
        o.text(&self.speaker_key);
        o.uuids(&self.speaker_ids);
        o.text(&self.canonical_text);
        o.text(&self.normalized_text);
        o.opt_uuid(self.first_claim_id);
        o.opt_time(self.first_time);
        o.int(self.appearance_count);
        o.int(self.outlet_count);
        o.time(self.create_time);
        o.time(self.update_time);
    }
}

/// `claims`: the current version's filter and sort columns.
#[derive(Debug, Clone)]
pub(crate) struct ClaimRow {
    rec: Arc<ClaimRecord>,
}

impl TableRow for ClaimRow {
    const TABLE: &'static str = "claims";
    const COLUMNS: &'static [&'static str] = &[
        "id",
        "article_id",
        "publisher_id",
        "fingerprint",
        "kind",
        "text",
        "state",
        "revision",
        "said_time",
        "sort_time",
        "create_time",
        "update_time",
        "statement_id",
    ];
    fn write<S: RowSink>(&self, o: &mut S) {
        let r = &self.rec;
        o.uuid(r.id);
        o.uuid(r.article_id);
        o.opt_uuid(r.publisher_id);
        o.text(&r.fingerprint());
        o.text(r.kind.as_str());
        o.text(&r.text);
        o.text(r.state.as_str());
        o.int(r.revision);
        o.opt_time(r.said.time);
        o.time(r.sort_time());
        o.time(r.create_time);
        o.time(r.update_time);
        o.opt_uuid(r.statement_id);
    }
}

/// What every link row carries of its claim's current version: the
/// revision, the state, and the snapshot digest (migration 0036). The
/// digest is PostgreSQL's (a generated column of `claim_revisions`), so it
/// is filled in by [`fill_digests`] once the revisions are written.
#[derive(Debug, Clone)]
pub(crate) struct LinkVersion {
    revision: i64,
    state: ClaimState,
    digest: Uuid,
}

impl LinkVersion {
    fn of(rec: &ClaimRecord) -> Self {
        Self {
            revision: rec.revision,
            state: rec.state,
            digest: Uuid::nil(),
        }
    }

    fn write<S: RowSink>(&self, o: &mut S) {
        o.int(self.revision);
        o.text(self.state.as_str());
        o.uuid(self.digest);
    }
}

/// `claim_speakers`: one per speaker, positions from 1.
#[derive(Debug, Clone)]
pub(crate) struct ClaimSpeakerRow {
    claim_id: Uuid,
    position: i32,
    entity_id: Uuid,
    sort_time: DateTime<Utc>,
    version: LinkVersion,
}

impl TableRow for ClaimSpeakerRow {
    const TABLE: &'static str = "claim_speakers";
    const COLUMNS: &'static [&'static str] = &[
        "claim_id",
        "position",
        "entity_id",
        "sort_time",
        "revision",
        "state",
        "snapshot_digest",
    ];
    fn write<S: RowSink>(&self, o: &mut S) {
        o.uuid(self.claim_id);
        o.int(i64::from(self.position));
        o.uuid(self.entity_id);
        o.time(self.sort_time);
        self.version.write(o);
    }
}

/// `claim_subjects`: one per subject, positions from 1.
#[derive(Debug, Clone)]
pub(crate) struct ClaimSubjectRow {
    claim_id: Uuid,
    position: i32,
    entity_id: Uuid,
    role: String,
    sort_time: DateTime<Utc>,
    version: LinkVersion,
}

impl TableRow for ClaimSubjectRow {
    const TABLE: &'static str = "claim_subjects";
    const COLUMNS: &'static [&'static str] = &[
        "claim_id",
        "position",
        "entity_id",
        "role",
        "sort_time",
        "revision",
        "state",
        "snapshot_digest",
    ];
    fn write<S: RowSink>(&self, o: &mut S) {
        o.uuid(self.claim_id);
        o.int(i64::from(self.position));
        o.uuid(self.entity_id);
        o.text(&self.role);
        o.time(self.sort_time);
        self.version.write(o);
    }
}

/// `claim_revisions`: revision 1 (CREATED) with the record as JSON.
#[derive(Debug, Clone)]
pub(crate) struct ClaimRevisionRow {
    rec: Arc<ClaimRecord>,
}

impl TableRow for ClaimRevisionRow {
    const TABLE: &'static str = "claim_revisions";
    const COLUMNS: &'static [&'static str] = &[
        "claim_id",
        "revision",
        "change",
        "snapshot",
        "reason",
        "actor",
        "record_time",
        "article_id",
        "publisher_id",
        "kind",
        "state",
        "sort_time",
        "create_time",
        "speaker_ids",
        "subject_ids",
        "text",
    ];
    fn write<S: RowSink>(&self, o: &mut S) {
        let r = &self.rec;
        o.uuid(r.id);
        o.int(r.revision);
        o.text("created");
        o.json(r.as_ref());
        o.text("");
        o.text(ACTOR);
        o.time(r.update_time);
        o.uuid(r.article_id);
        o.opt_uuid(r.publisher_id);
        o.text(r.kind.as_str());
        o.text(r.state.as_str());
        o.time(r.sort_time());
        o.time(r.create_time);
        o.uuids(&r.speaker_ids);
        o.uuids(&subject_ids(r));
        o.text(&r.text);
    }
}

/// `claim_events`: the CREATED event (`seq` is the table's sequence).
#[derive(Debug, Clone)]
pub(crate) struct ClaimEventRow {
    rec: Arc<ClaimRecord>,
}

impl TableRow for ClaimEventRow {
    const TABLE: &'static str = "claim_events";
    const COLUMNS: &'static [&'static str] = &[
        "claim_id",
        "revision",
        "change",
        "record_time",
        "article_id",
        "publisher_id",
        "kind",
        "speaker_ids",
        "subject_ids",
        "text",
    ];
    fn write<S: RowSink>(&self, o: &mut S) {
        let r = &self.rec;
        o.uuid(r.id);
        o.int(r.revision);
        o.text("created");
        o.time(r.update_time);
        o.uuid(r.article_id);
        o.opt_uuid(r.publisher_id);
        o.text(r.kind.as_str());
        o.uuids(&r.speaker_ids);
        o.uuids(&subject_ids(r));
        o.text(&r.text);
    }
}

/// `statement_members`: each claim's matching keys (the sketch is
/// `domain::statement::sketch` of the speaker key and normalized text).
#[derive(Debug, Clone)]
pub(crate) struct StatementMemberRow {
    claim_id: Uuid,
    statement_id: Uuid,
    speaker_key: String,
    normalized_text: String,
    sketch: Vec<i64>,
}

impl TableRow for StatementMemberRow {
    const TABLE: &'static str = "statement_members";
    const COLUMNS: &'static [&'static str] = &[
        "claim_id",
        "statement_id",
        "speaker_key",
        "normalized_text",
        "sketch",
    ];
    fn write<S: RowSink>(&self, o: &mut S) {
        o.uuid(self.claim_id);
        o.uuid(self.statement_id);
        o.text(&self.speaker_key);
        o.text(&self.normalized_text);
        o.ints(&self.sketch);
    }
}

/// `statement_decisions`: how each claim joined its statement (`id` is an
/// identity column).
#[derive(Debug, Clone)]
pub(crate) struct StatementDecisionRow {
    claim_id: Uuid,
    statement_id: Uuid,
    method: &'static str,
    score: Option<f64>,
    threshold: f64,
    record_time: DateTime<Utc>,
}

impl TableRow for StatementDecisionRow {
    const TABLE: &'static str = "statement_decisions";
    const COLUMNS: &'static [&'static str] = &[
        "claim_id",
        "statement_id",
        "previous_statement_id",
        "method",
        "score",
        "threshold",
        "actor",
        "reason",
        "record_time",
    ];
    fn write<S: RowSink>(&self, o: &mut S) {
        o.uuid(self.claim_id);
        o.uuid(self.statement_id);
        o.opt_uuid(None);
        o.text(self.method);
        o.opt_float(self.score);
        o.opt_float(Some(self.threshold));
        o.text(ACTOR);
        o.text("");
        o.time(self.record_time);
    }
}

fn subject_ids(r: &ClaimRecord) -> Vec<Uuid> {
    r.subjects.iter().map(|s| s.entity_id).collect()
}

/// Rows for every table, in the order they are written.
#[derive(Debug, Default)]
pub(crate) struct Rows {
    entities: Vec<EntityRow>,
    entity_names: Vec<EntityNameRow>,
    entity_revisions: Vec<EntityRevisionRow>,
    articles: Vec<ArticleRow>,
    statements: Vec<StatementRow>,
    claims: Vec<ClaimRow>,
    claim_speakers: Vec<ClaimSpeakerRow>,
    claim_subjects: Vec<ClaimSubjectRow>,
    claim_revisions: Vec<ClaimRevisionRow>,
    claim_events: Vec<ClaimEventRow>,
    statement_members: Vec<StatementMemberRow>,
    statement_decisions: Vec<StatementDecisionRow>,
}

impl Rows {
    /// Claims in this set of rows.
    pub(crate) fn claim_count(&self) -> usize {
        self.claims.len()
    }
}

/// Writes every table's rows with one COPY each, in foreign-key order.
pub(crate) async fn copy_rows(conn: &mut PgConnection, rows: &mut Rows) -> anyhow::Result<()> {
    copy_table(conn, &rows.entities).await?;
    copy_table(conn, &rows.entity_names).await?;
    copy_table(conn, &rows.entity_revisions).await?;
    copy_table(conn, &rows.articles).await?;
    copy_table(conn, &rows.statements).await?;
    copy_table(conn, &rows.claims).await?;
    copy_table(conn, &rows.claim_revisions).await?;
    fill_digests(conn, rows).await?;
    copy_table(conn, &rows.claim_speakers).await?;
    copy_table(conn, &rows.claim_subjects).await?;
    copy_table(conn, &rows.claim_events).await?;
    copy_table(conn, &rows.statement_members).await?;
    copy_table(conn, &rows.statement_decisions).await?;
    Ok(())
}

/// Writes every table's rows with multi-row INSERTs, in foreign-key order.
pub(crate) async fn insert_rows(
    conn: &mut PgConnection,
    rows: &mut Rows,
) -> Result<(), sqlx::Error> {
    insert_table(conn, &rows.entities).await?;
    insert_table(conn, &rows.entity_names).await?;
    insert_table(conn, &rows.entity_revisions).await?;
    insert_table(conn, &rows.articles).await?;
    insert_table(conn, &rows.statements).await?;
    insert_table(conn, &rows.claims).await?;
    insert_table(conn, &rows.claim_revisions).await?;
    fill_digests(conn, rows).await?;
    insert_table(conn, &rows.claim_speakers).await?;
    insert_table(conn, &rows.claim_subjects).await?;
    insert_table(conn, &rows.claim_events).await?;
    insert_table(conn, &rows.statement_members).await?;
    insert_table(conn, &rows.statement_decisions).await?;
    Ok(())
}

/// Gives each link row its claim's snapshot digest, which PostgreSQL
/// computed as the revisions went in: one look-up of the new claims' first
/// revisions, as any writer of the schema has to make (the service gets the
/// same digests back from its INSERT).
async fn fill_digests(conn: &mut PgConnection, rows: &mut Rows) -> Result<(), sqlx::Error> {
    if rows.claim_revisions.is_empty() {
        return Ok(());
    }
    let ids: Vec<Uuid> = rows.claim_revisions.iter().map(|r| r.rec.id).collect();
    let digests: HashMap<Uuid, Uuid> = sqlx::query_as::<_, (Uuid, Uuid)>(
        "SELECT claim_id, snapshot_digest FROM claim_revisions \
         WHERE claim_id = ANY($1) AND revision = 1",
    )
    .bind(&ids)
    .fetch_all(&mut *conn)
    .await?
    .into_iter()
    .collect();
    let digest = |claim: Uuid| {
        digests.get(&claim).copied().ok_or_else(|| {
            sqlx::Error::Protocol(format!("claim {claim}: its first revision is not written"))
        })
    };
    for l in &mut rows.claim_speakers {
        l.version.digest = digest(l.claim_id)?;
    }
    for l in &mut rows.claim_subjects {
        l.version.digest = digest(l.claim_id)?;
    }
    Ok(())
}

/// Bytes of COPY data buffered before a send.
const COPY_CHUNK: usize = 4 << 20;

/// One `COPY table (columns) FROM STDIN` of `rows`.
async fn copy_table<R: TableRow>(conn: &mut PgConnection, rows: &[R]) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let sql = format!("COPY {} ({}) FROM STDIN", R::TABLE, R::COLUMNS.join(", "));
    let mut copy = conn
        .copy_in_raw(&sql)
        .await
        .with_context(|| format!("starting COPY into {}", R::TABLE))?;
    let mut buf = CopyBuf::default();
    for r in rows {
        r.write(&mut buf);
        buf.end_row();
        if buf.out.len() >= COPY_CHUNK {
            copy.send(std::mem::take(&mut buf.out).into_bytes()).await?;
        }
    }
    if !buf.out.is_empty() {
        copy.send(buf.out.into_bytes()).await?;
    }
    copy.finish()
        .await
        .with_context(|| format!("COPY into {}", R::TABLE))?;
    Ok(())
}

/// Most bind parameters of one statement (PostgreSQL's limit is 65535).
const MAX_BINDS: usize = 65_000;

/// Multi-row `INSERT INTO table (columns) VALUES (...), (...)` of `rows`.
async fn insert_table<R: TableRow>(conn: &mut PgConnection, rows: &[R]) -> Result<(), sqlx::Error> {
    for chunk in rows.chunks((MAX_BINDS / R::COLUMNS.len()).max(1)) {
        let mut qb: QueryBuilder<Postgres> = QueryBuilder::new(format!(
            "INSERT INTO {} ({}) ",
            R::TABLE,
            R::COLUMNS.join(", ")
        ));
        qb.push_values(chunk, |mut b, r| r.write(&mut Binds(&mut b)));
        qb.build().execute(&mut *conn).await?;
    }
    Ok(())
}

/// COPY text format: fields separated by tabs, rows by newlines, `\N` for
/// NULL, backslash escapes for backslash, tab, newline and carriage return.
#[derive(Debug, Default)]
pub(crate) struct CopyBuf {
    out: String,
    fields: usize,
}

impl CopyBuf {
    fn sep(&mut self) {
        if self.fields > 0 {
            self.out.push('\t');
        }
        self.fields += 1;
    }

    fn end_row(&mut self) {
        self.out.push('\n');
        self.fields = 0;
    }

    fn null(&mut self) {
        self.sep();
        self.out.push_str("\\N");
    }
}

impl RowSink for CopyBuf {
    /// A text value, escaped.
    fn text(&mut self, s: &str) {
        self.sep();
        escape_into(&mut self.out, s);
    }

    fn uuid(&mut self, u: Uuid) {
        self.sep();
        self.out
            .push_str(u.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
    }

    fn opt_uuid(&mut self, u: Option<Uuid>) {
        match u {
            Some(u) => self.uuid(u),
            None => self.null(),
        }
    }

    fn uuids(&mut self, ids: &[Uuid]) {
        self.sep();
        self.out.push('{');
        for (i, u) in ids.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out
                .push_str(u.hyphenated().encode_lower(&mut Uuid::encode_buffer()));
        }
        self.out.push('}');
    }

    fn ints(&mut self, values: &[i64]) {
        self.sep();
        self.out.push('{');
        for (i, v) in values.iter().enumerate() {
            if i > 0 {
                self.out.push(',');
            }
            self.out.push_str(&v.to_string());
        }
        self.out.push('}');
    }

    fn int(&mut self, v: i64) {
        self.sep();
        self.out.push_str(&v.to_string());
    }

    fn opt_float(&mut self, v: Option<f64>) {
        match v {
            Some(v) => {
                self.sep();
                self.out.push_str(&v.to_string());
            }
            None => self.null(),
        }
    }

    fn bool(&mut self, v: bool) {
        self.sep();
        self.out.push(if v { 't' } else { 'f' });
    }

    fn time(&mut self, t: DateTime<Utc>) {
        self.sep();
        self.out
            .push_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true));
    }

    fn opt_time(&mut self, t: Option<DateTime<Utc>>) {
        match t {
            Some(t) => self.time(t),
            None => self.null(),
        }
    }

    /// A JSON value (serialized with serde_json, as sqlx's `Json` does).
    fn json<T: serde::Serialize>(&mut self, v: &T) {
        self.sep();
        // Serializing plain data structs into a String cannot fail.
        let text = serde_json::to_string(v).unwrap_or_else(|_| "null".into());
        escape_into(&mut self.out, &text);
    }
}

/// Appends `s` escaped for COPY text format.
fn escape_into(out: &mut String, s: &str) {
    if !s.contains(['\\', '\t', '\n', '\r']) {
        out.push_str(s);
        return;
    }
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\t' => out.push_str("\\t"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
}

/// Makes ids: UUIDv7 from the clock (as the service does), or, for the
/// stored dataset, from the record time and a seeded stream, so a reload
/// gives the same ids.
#[derive(Debug)]
pub(crate) enum IdGen {
    /// `Uuid::now_v7()`.
    Now,
    /// Deterministic v7 ids.
    Seeded(Rng),
}

impl IdGen {
    fn next(&mut self, at: DateTime<Utc>) -> Uuid {
        match self {
            Self::Now => Uuid::now_v7(),
            Self::Seeded(rng) => {
                let ms = u64::try_from(at.timestamp_millis()).unwrap_or(0);
                uuid::Builder::from_unix_timestamp_millis(ms, &rng.bytes10()).into_uuid()
            }
        }
    }
}

/// Which entity each (kind, folded name) means: loaded from a database, or
/// filled as names are first seen (where the service would create them).
#[derive(Debug, Default, Clone)]
pub(crate) struct EntityBook {
    by_name: HashMap<(EntityKind, String), Uuid>,
}

impl EntityBook {
    /// Every entity of a database by its names.
    pub(crate) async fn load(conn: &mut PgConnection) -> anyhow::Result<Self> {
        let rows: Vec<(Uuid, String, String)> = sqlx::query_as(
            "SELECT e.id, e.kind, n.name_norm FROM entities e \
             JOIN entity_names n ON n.entity_id = e.id WHERE e.merged_into IS NULL",
        )
        .fetch_all(&mut *conn)
        .await
        .context("loading entity names")?;
        let mut by_name = HashMap::with_capacity(rows.len());
        for (id, kind, norm) in rows {
            let kind = EntityKind::parse(&kind).ok_or_else(|| anyhow!("entity kind {kind:?}"))?;
            by_name.insert((kind, norm), id);
        }
        Ok(Self { by_name })
    }

    /// The id of an entity by kind and name, if known.
    pub(crate) fn find(&self, kind: EntityKind, name: &str) -> Option<Uuid> {
        self.by_name.get(&(kind, fold_name(name))).copied()
    }
}

/// A statement being built: its row plus what later members need.
#[derive(Debug)]
struct StatementAgg {
    row: StatementRow,
    outlets: HashSet<Uuid>,
    emitted: bool,
}

/// Builds the rows of articles one by one, keeping the state the service
/// keeps in the database (entities by name, statements by remark).
#[derive(Debug)]
pub(crate) struct RowBuilder {
    ids: IdGen,
    base: Arc<EntityBook>,
    created: HashMap<(EntityKind, String), Uuid>,
    statements: HashMap<u64, StatementAgg>,
    speaker_keys: HashSet<String>,
    new_statements: Vec<u64>,
    dirty: HashSet<u64>,
    updates: Vec<StatementRow>,
    rows: Rows,
}

impl RowBuilder {
    /// A builder over the entities of `base` (names missing from it become
    /// new entity rows).
    pub(crate) fn new(ids: IdGen, base: Arc<EntityBook>) -> Self {
        Self {
            ids,
            base,
            created: HashMap::new(),
            statements: HashMap::new(),
            speaker_keys: HashSet::new(),
            new_statements: Vec::new(),
            dirty: HashSet::new(),
            updates: Vec::new(),
            rows: Rows::default(),
        }
    }

    /// Adds the rows of one article recorded at `ts` (the transaction time
    /// the service would stamp). Returns the number of claims added.
    pub(crate) fn add(&mut self, art: &GenArticle, ts: DateTime<Utc>) -> anyhow::Result<usize> {
        let (article, claims) = claimdb::api::claims::parse_ingest(&art.request)
            .map_err(|v| anyhow!("generated request is invalid: {v}"))?;
        let publisher_id = match &article.publisher {
            Some(r) => Some(self.resolve(r, ts)?),
            None => None,
        };
        let article_id = self.ids.next(ts);
        self.rows.articles.push(ArticleRow {
            id: article_id,
            url: article.url.clone(),
            title: article.title.clone(),
            publisher_id,
            published_time: article.published_time,
            language: article.language.clone(),
            body: article.body.clone(),
            body_sha256: claimdb::domain::article::body_sha256(&article.body),
            sort_time: article.published_time.unwrap_or(ts),
            create_time: ts,
        });
        for (c, remark) in claims.iter().zip(&art.remarks) {
            let rec = self.record(c, article_id, publisher_id, article.published_time, ts)?;
            self.add_claim(rec, *remark, article.published_time, ts);
        }
        Ok(claims.len())
    }

    /// The stored record of a claim, as the store makes it (`bulk::record`).
    fn record(
        &mut self,
        c: &NewClaim,
        article_id: Uuid,
        publisher_id: Option<Uuid>,
        published_time: Option<DateTime<Utc>>,
        ts: DateTime<Utc>,
    ) -> anyhow::Result<ClaimRecord> {
        let mut speaker_ids = Vec::with_capacity(c.speakers.len());
        for r in &c.speakers {
            let id = self.resolve(r, ts)?;
            if !speaker_ids.contains(&id) {
                speaker_ids.push(id);
            }
        }
        let mut subjects: Vec<SubjectLink> = Vec::with_capacity(c.subjects.len());
        for s in &c.subjects {
            let entity_id = self.resolve(&s.entity, ts)?;
            if subjects.iter().all(|x| x.entity_id != entity_id) {
                subjects.push(SubjectLink {
                    entity_id,
                    role: s.role.clone(),
                });
            }
        }
        let recipient_id = c
            .recipient
            .as_ref()
            .map(|r| self.resolve(r, ts))
            .transpose()?;
        let via_id = c.via.as_ref().map(|r| self.resolve(r, ts)).transpose()?;
        let mut provenance: Provenance = c.provenance.clone();
        if provenance.extractor.is_empty() && provenance.human.is_empty() {
            provenance.human = ACTOR.to_string();
        }
        Ok(ClaimRecord {
            id: self.ids.next(ts),
            article_id,
            publisher_id,
            published_time,
            speaker_ids,
            speaker_role: c.speaker_role.clone(),
            kind: c.kind,
            text: c.text.clone(),
            spans: c.spans.clone(),
            cue: c.cue.clone(),
            venue: c.venue.clone(),
            recipient_id,
            via_id,
            via_text: c.via_text.clone(),
            said: c.said.clone(),
            subjects,
            confidence: c.confidence,
            provenance,
            state: ClaimState::Active,
            revision: 1,
            create_time: ts,
            update_time: ts,
            statement_id: None,
        })
    }

    /// Puts a claim into its remark's statement and adds its rows.
    fn add_claim(
        &mut self,
        mut rec: ClaimRecord,
        remark: u64,
        published: Option<DateTime<Utc>>,
        ts: DateTime<Utc>,
    ) {
        let key = speaker_key(&rec.speaker_ids);
        let norm = normalize_text(&rec.text);
        let appeared = published.unwrap_or_else(|| rec.sort_time());
        let (method, score, agg) = match self.statements.entry(remark) {
            std::collections::hash_map::Entry::Occupied(e) => {
                let agg = e.into_mut();
                let (score, method) = match_score(&norm, &agg.row.normalized_text);
                agg.row.appearance_count += 1;
                let earlier = match (agg.row.first_time, agg.row.first_claim_id) {
                    (Some(t), Some(id)) => (appeared, rec.id) < (t, id),
                    _ => true,
                };
                if earlier {
                    agg.row.first_time = Some(appeared);
                    agg.row.first_claim_id = Some(rec.id);
                    agg.row.canonical_text = rec.text.clone();
                }
                if let Some(p) = rec.publisher_id {
                    agg.outlets.insert(p);
                }
                agg.row.outlet_count = agg.outlets.len() as i64;
                agg.row.update_time = ts;
                if agg.emitted {
                    self.dirty.insert(remark);
                }
                (method.as_str(), Some(score), agg)
            }
            std::collections::hash_map::Entry::Vacant(e) => {
                let mut ids = rec.speaker_ids.clone();
                ids.sort();
                ids.dedup();
                let row = StatementRow {
                    id: self.ids.next(ts),
                    speaker_key: key.clone(),
                    speaker_ids: ids,
                    canonical_text: rec.text.clone(),
                    normalized_text: norm.clone(),
                    first_claim_id: Some(rec.id),
                    first_time: Some(appeared),
                    appearance_count: 1,
                    outlet_count: i64::from(rec.publisher_id.is_some()),
                    create_time: ts,
                    update_time: ts,
                };
                self.new_statements.push(remark);
                // The service records the best candidate's score: none for
                // a speaker set's first statement, and for later ones the
                // best of different remarks, which the guards make 0.
                let score = (!self.speaker_keys.insert(key.clone())).then_some(0.0);
                let agg = e.insert(StatementAgg {
                    row,
                    outlets: rec.publisher_id.into_iter().collect(),
                    emitted: false,
                });
                ("new", score, agg)
            }
        };
        let statement_id = agg.row.id;
        rec.statement_id = Some(statement_id);
        let rec = Arc::new(rec);
        let sort_time = rec.sort_time();
        for (i, s) in rec.speaker_ids.iter().enumerate() {
            self.rows.claim_speakers.push(ClaimSpeakerRow {
                claim_id: rec.id,
                position: i as i32 + 1,
                entity_id: *s,
                sort_time,
                version: LinkVersion::of(&rec),
            });
        }
        for (i, s) in rec.subjects.iter().enumerate() {
            self.rows.claim_subjects.push(ClaimSubjectRow {
                claim_id: rec.id,
                position: i as i32 + 1,
                entity_id: s.entity_id,
                role: s.role.clone(),
                sort_time,
                version: LinkVersion::of(&rec),
            });
        }
        self.rows.statement_members.push(StatementMemberRow {
            claim_id: rec.id,
            statement_id,
            sketch: sketch(&key, &norm),
            speaker_key: key,
            normalized_text: norm,
        });
        self.rows.statement_decisions.push(StatementDecisionRow {
            claim_id: rec.id,
            statement_id,
            method,
            score,
            threshold: DEFAULT_SIMILARITY,
            record_time: ts,
        });
        self.rows.claims.push(ClaimRow { rec: rec.clone() });
        self.rows
            .claim_revisions
            .push(ClaimRevisionRow { rec: rec.clone() });
        self.rows.claim_events.push(ClaimEventRow { rec });
    }

    /// The id a reference means, creating the entity's rows when the name
    /// is new (as the service's resolver does).
    fn resolve(&mut self, r: &EntityRef, ts: DateTime<Utc>) -> anyhow::Result<Uuid> {
        let EntityRef::Name { name, kind } = r else {
            return Err(anyhow!("the generator names entities; got {r:?}"));
        };
        let kind = kind.unwrap_or(EntityKind::Other);
        let key = (kind, fold_name(name));
        if let Some(id) = self
            .base
            .by_name
            .get(&key)
            .or_else(|| self.created.get(&key))
        {
            return Ok(*id);
        }
        let id = self.ids.next(ts);
        self.created.insert(key, id);
        self.rows.entities.push(EntityRow {
            id,
            kind,
            name: name.clone(),
            time: ts,
        });
        self.rows.entity_names.push(EntityNameRow {
            entity_id: id,
            name: name.clone(),
        });
        self.rows.entity_revisions.push(EntityRevisionRow {
            entity: Entity {
                id,
                kind,
                name: name.clone(),
                aliases: Vec::new(),
                external_ids: Vec::new(),
                description: String::new(),
                merged_into: None,
                revision: 1,
                create_time: ts,
                update_time: ts,
            },
        });
        Ok(id)
    }

    /// The rows built since the last call. Statements started since then
    /// are included with their aggregates as they stand; a later member of
    /// one of them makes it dirty (see [`Self::take_updates`]).
    pub(crate) fn take(&mut self) -> Rows {
        let mut rows = std::mem::take(&mut self.rows);
        for remark in std::mem::take(&mut self.new_statements) {
            if let Some(agg) = self.statements.get_mut(&remark) {
                agg.emitted = true;
                rows.statements.push(agg.row.clone());
            }
        }
        rows
    }

    /// Forgets statements of remarks below `remark` (the generator never
    /// re-reports them again), keeping the final aggregates of the dirty
    /// ones for [`Self::take_updates`]. Bounds memory on large datasets.
    pub(crate) fn forget_before(&mut self, remark: u64) {
        let old: Vec<u64> = self
            .statements
            .keys()
            .copied()
            .filter(|r| *r < remark && !self.new_statements.contains(r))
            .collect();
        for r in old {
            if let Some(agg) = self.statements.remove(&r) {
                if self.dirty.remove(&r) {
                    self.updates.push(agg.row);
                }
            }
        }
    }

    /// Final aggregates of statements written earlier that gained members
    /// since: they must be updated in place.
    pub(crate) fn take_updates(&mut self) -> Vec<StatementRow> {
        let mut out = std::mem::take(&mut self.updates);
        for r in std::mem::take(&mut self.dirty) {
            if let Some(agg) = self.statements.get(&r) {
                out.push(agg.row.clone());
            }
        }
        out
    }
}

/// Applies statement aggregates computed in Rust to rows already written
/// (COPY into a temporary table, one UPDATE).
pub(crate) async fn update_statements(
    conn: &mut PgConnection,
    rows: &[StatementRow],
) -> anyhow::Result<()> {
    if rows.is_empty() {
        return Ok(());
    }
    let cols = StatementRow::COLUMNS.join(", ");
    sqlx::query(sqlx::AssertSqlSafe(format!(
        "CREATE TEMP TABLE bench_statement_updates ON COMMIT DROP AS \
         SELECT {cols} FROM statements WITH NO DATA"
    )))
    .execute(&mut *conn)
    .await?;
    let sql = format!("COPY bench_statement_updates ({cols}) FROM STDIN");
    let mut copy = conn.copy_in_raw(&sql).await?;
    let mut buf = CopyBuf::default();
    for r in rows {
        r.write(&mut buf);
        buf.end_row();
    }
    copy.send(buf.out.into_bytes()).await?;
    copy.finish().await?;
    sqlx::query(
        "UPDATE statements s SET first_claim_id = u.first_claim_id, first_time = u.first_time, \
         canonical_text = u.canonical_text, appearance_count = u.appearance_count, \
         outlet_count = u.outlet_count, update_time = u.update_time \
         FROM bench_statement_updates u WHERE s.id = u.id",
    )
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// The URL prefix of every article a write workload stores in the kept
/// dataset; [`delete_live_rows`] removes them afterwards.
pub(crate) const LIVE_URL_PREFIX: &str = "https://bench-live.invalid/";

/// Deletes every row written for articles under [`LIVE_URL_PREFIX`] (by the
/// service or the direct writer), so the kept dataset stays as loaded.
/// Statements that lost members get their aggregates recomputed (the SQL of
/// `statements::refresh`). Returns the number of claims removed.
pub(crate) async fn delete_live_rows(conn: &mut PgConnection) -> anyhow::Result<u64> {
    let pattern = format!("{LIVE_URL_PREFIX}%");
    sqlx::query(
        "CREATE TEMP TABLE bench_gone ON COMMIT DROP AS SELECT c.id, c.statement_id \
         FROM claims c JOIN articles a ON a.id = c.article_id WHERE a.url LIKE $1",
    )
    .bind(&pattern)
    .execute(&mut *conn)
    .await?;
    let gone: i64 = sqlx::query_scalar("SELECT count(*) FROM bench_gone")
        .fetch_one(&mut *conn)
        .await?;
    if gone == 0 {
        sqlx::query("DELETE FROM articles WHERE url LIKE $1")
            .bind(&pattern)
            .execute(&mut *conn)
            .await?;
        return Ok(0);
    }
    // Two foreign keys have no index on the referencing side (nothing in
    // the service deletes): without these, every deleted claim or statement
    // would scan claim_events or statements. Dropped again below, in the
    // same transaction, so the schema stays as migrated.
    sqlx::query("ANALYZE bench_gone")
        .execute(&mut *conn)
        .await?;
    sqlx::query("CREATE INDEX bench_tmp_events_claim ON claim_events (claim_id)")
        .execute(&mut *conn)
        .await?;
    sqlx::query("CREATE INDEX bench_tmp_statements_merged ON statements (merged_into)")
        .execute(&mut *conn)
        .await?;
    for table in [
        StatementDecisionRow::TABLE,
        StatementMemberRow::TABLE,
        ClaimEventRow::TABLE,
        ClaimRevisionRow::TABLE,
        ClaimSpeakerRow::TABLE,
        ClaimSubjectRow::TABLE,
    ] {
        sqlx::query(sqlx::AssertSqlSafe(format!(
            "DELETE FROM {table} WHERE claim_id IN (SELECT id FROM bench_gone)"
        )))
        .execute(&mut *conn)
        .await?;
    }
    sqlx::query("DELETE FROM claims WHERE id IN (SELECT id FROM bench_gone)")
        .execute(&mut *conn)
        .await?;
    sqlx::query(
        "DELETE FROM statements s WHERE s.id IN (SELECT statement_id FROM bench_gone) \
         AND NOT EXISTS (SELECT 1 FROM claims c WHERE c.statement_id = s.id) \
         AND NOT EXISTS (SELECT 1 FROM statement_members m WHERE m.statement_id = s.id) \
         AND NOT EXISTS (SELECT 1 FROM statement_decisions d WHERE d.statement_id = s.id) \
         AND NOT EXISTS (SELECT 1 FROM reviews r WHERE r.statement_id = s.id) \
         AND NOT EXISTS (SELECT 1 FROM statements x WHERE x.merged_into = s.id)",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query(
        "UPDATE statements s SET first_claim_id = f.id, first_time = f.t, \
           canonical_text = coalesce(f.text, s.canonical_text), \
           appearance_count = m.n, outlet_count = m.outlets \
         FROM (SELECT DISTINCT statement_id FROM bench_gone) g, \
         LATERAL (SELECT count(*) AS n, count(DISTINCT c.publisher_id) AS outlets \
                  FROM claims c WHERE c.statement_id = g.statement_id) m, \
         LATERAL (SELECT c.id, c.text, coalesce(a.published_time, c.sort_time) AS t \
                  FROM claims c JOIN articles a ON a.id = c.article_id \
                  WHERE c.statement_id = g.statement_id ORDER BY t, c.id LIMIT 1) f \
         WHERE s.id = g.statement_id",
    )
    .execute(&mut *conn)
    .await?;
    sqlx::query("DELETE FROM articles WHERE url LIKE $1")
        .bind(&pattern)
        .execute(&mut *conn)
        .await?;
    sqlx::query("DROP INDEX bench_tmp_events_claim, bench_tmp_statements_merged")
        .execute(&mut *conn)
        .await?;
    Ok(u64::try_from(gone).unwrap_or(0))
}

/// Row counts of every ingest table in a database.
pub(crate) async fn row_counts(conn: &mut PgConnection) -> anyhow::Result<Vec<(String, i64)>> {
    let mut out = Vec::with_capacity(TABLES.len());
    for t in TABLES {
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!("SELECT count(*) FROM {t}")))
            .fetch_one(&mut *conn)
            .await
            .with_context(|| format!("counting {t}"))?;
        out.push((t.to_string(), n));
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn copy_text_escapes_and_nulls() {
        let mut b = CopyBuf::default();
        b.text("a\tb\\c\nd");
        b.null();
        b.uuids(&[Uuid::nil(), Uuid::nil()]);
        b.bool(true);
        b.end_row();
        assert_eq!(
            b.out,
            "a\\tb\\\\c\\nd\t\\N\t{00000000-0000-0000-0000-000000000000,00000000-0000-0000-0000-000000000000}\tt\n"
        );
    }

    #[test]
    fn every_table_lists_each_column_once() {
        fn check<R: TableRow>() {
            let set: HashSet<&str> = R::COLUMNS.iter().copied().collect();
            assert_eq!(set.len(), R::COLUMNS.len(), "{}", R::TABLE);
        }
        check::<EntityRow>();
        check::<EntityNameRow>();
        check::<EntityRevisionRow>();
        check::<ArticleRow>();
        check::<StatementRow>();
        check::<ClaimRow>();
        check::<ClaimSpeakerRow>();
        check::<ClaimSubjectRow>();
        check::<ClaimRevisionRow>();
        check::<ClaimEventRow>();
        check::<StatementMemberRow>();
        check::<StatementDecisionRow>();
    }

    #[test]
    fn builder_groups_rereports_and_creates_each_entity_once() {
        let world = crate::gen::World::new(crate::gen::GenParams::for_claims(2000, 1));
        let mut b = RowBuilder::new(IdGen::Seeded(Rng::new(1)), Arc::default());
        let ts = Utc::now();
        let mut claims = 0;
        let mut remarks = HashSet::new();
        for a in world.dataset() {
            claims += b.add(&a, ts).unwrap_or(0);
            remarks.extend(a.remarks.iter().copied());
        }
        let rows = b.take();
        assert_eq!(claims, 2000);
        assert_eq!(rows.claims.len(), 2000);
        assert_eq!(rows.statements.len(), remarks.len());
        let names: HashSet<&str> = rows.entities.iter().map(|e| e.name.as_str()).collect();
        assert_eq!(names.len(), rows.entities.len());
        let counted: i64 = rows.statements.iter().map(|s| s.appearance_count).sum();
        assert_eq!(counted, 2000);
    }
}
