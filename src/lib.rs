//! claimdb: a fact-claim tracking database with a gRPC API.
//!
//! People feed claimdb news articles; it keeps every claim — who said what,
//! when, about whom, and where it was reported — in PostgreSQL with full
//! provenance, and answers questions about claim histories over gRPC.
//!
//! # Layout
//!
//! - [`config`]: one typed configuration per command (clap + environment).
//! - [`app`]: the [`app::Application`]: binds, serves, shuts down.
//! - [`auth`], [`limits`], [`metrics`]: the tower layers every request
//!   passes (API keys and roles; load shedding and deadlines; request ids,
//!   logs and Prometheus metrics).
//! - [`domain`]: pure types and rules (no tonic, no sqlx): parsing of every
//!   request into validated values, spans, fingerprints, page tokens.
//! - [`store`]: the only code that speaks SQL; small functions over a
//!   connection behind the [`store::Store`] facade.
//! - [`api`]: one module per gRPC service: proto ↔ domain conversion and
//!   error → status mapping.
//! - [`pg_local`]: the private PostgreSQL that `serve` (without
//!   `DATABASE_URL`) and the tests run from the machine's binaries.
//! - [`extract`]: the built-in rule-based claim extractor (pure functions).
//! - [`cli`]: the `claimdb` command-line client subcommands.
//! - [`pb`]: code generated from `proto/`.
//! - [`web`]: the embedded web UI, served on the gRPC port.
//!
//! Dependencies point inwards: `api` and `store` depend on `domain`, never
//! the other way round.

pub mod api;
pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod domain;
pub mod extract;
pub mod limits;
pub mod metrics;
pub mod pb;
pub mod pg_local;
pub mod store;
pub mod telemetry;
pub mod web;
