//! Integration tests: the real server over real gRPC on a TCP port, against
//! real PostgreSQL, a fresh database per test.
//!
//! PostgreSQL comes from a private cluster this binary starts from the
//! machine's binaries (stopped when the binary exits), or from
//! `TEST_DATABASE_URL` when set.

mod articles;
mod auth;
mod bad_input;
mod claimreview;
mod claims;
mod cli;
mod entities;
mod faults;
mod health;
mod helpers;
mod history;
mod import;
mod ingest;
mod merges;
mod readme;
mod statements;
mod tls;
mod transport;
mod watch;
