//! `claimdb-bench`: measures the claimdb server against the raw-PostgreSQL
//! limit. One command loads (or reuses) a deterministic dataset, starts the
//! server as a separate process, runs every workload through gRPC and as
//! direct SQL (or COPY) on the same database in the same run, prints a
//! table and writes the same figures as JSON.
//!
//! ```sh
//! cargo build --release --bins && target/release/claimdb-bench
//! cargo run --bin claimdb-bench -- --smoke   # the quick CI run
//! ```
//!
//! Modules: [`args`] (flags), [`gen`] and [`rng`] (the data generator),
//! [`cluster`] (the PostgreSQL), [`dataset`] (loading and picking ids),
//! [`copy`] (the rows an ingest writes: COPY and INSERT baselines),
//! [`direct`] (the read SQL), [`raw`] (the service reads, undecoded), [`server`] (the server process), [`load`]
//! (the load generator), [`workloads`] (the suite), [`run`] (the order of
//! it all), [`report`] (table and JSON).

use std::process::ExitCode;

use clap::Parser;

mod args;
mod cluster;
mod copy;
mod cpu;
mod dataset;
mod direct;
mod gen;
mod load;
mod raw;
mod report;
mod rng;
mod run;
mod server;
mod workloads;

#[tokio::main]
async fn main() -> ExitCode {
    let args = args::Args::parse();
    let result = match args.settings() {
        Ok(settings) => run::run(settings).await,
        Err(e) => Err(e),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("claimdb-bench: {e:#}");
            ExitCode::FAILURE
        }
    }
}
