//! The `claimdb` command-line client: subcommands that talk to a server over
//! gRPC (`--server` / `CLAIMDB_SERVER`), plus `extract`, which runs the
//! built-in extractor locally.

pub mod claimreview;
pub mod claims;
pub mod client;
pub mod entities;
pub mod extract;
pub mod ingest;
pub mod json;
pub mod keys;
pub mod text;
pub mod watch;
