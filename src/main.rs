//! The `claimdb` binary: parses the command line and dispatches.

use std::process::ExitCode;

use clap::Parser;

use claimdb::app::{shutdown_signal, Application};
use claimdb::config::{Cli, Command, ServeConfig};

/// mimalloc instead of the system allocator: serving a history page builds
/// and drops thousands of small strings, and glibc's malloc and free were
/// a fifth of the server's CPU (`perf`, speaker history).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = Cli::parse();
    // The server's default is twice the CPUs (see `ServeConfig::worker_threads`);
    // the client commands keep tokio's, one per CPU.
    let workers = match &cli.command {
        Command::Serve(config) => config.worker_threads.map(usize::from).or_else(|| {
            std::thread::available_parallelism()
                .ok()
                .map(|n| 2 * n.get())
        }),
        _ => None,
    };
    let mut runtime = tokio::runtime::Builder::new_multi_thread();
    runtime.enable_all();
    if let Some(n) = workers {
        runtime.worker_threads(n);
    }
    match runtime.build() {
        Ok(rt) => rt.block_on(run(cli)),
        Err(e) => {
            eprintln!("claimdb: starting the runtime: {e}");
            ExitCode::FAILURE
        }
    }
}

/// Runs the command the line asked for.
async fn run(cli: Cli) -> ExitCode {
    claimdb::telemetry::init(cli.log_format);
    let result = match cli.command {
        Command::Serve(config) => serve(config).await.map(|()| true),
        Command::Ingest(args) => claimdb::cli::ingest::run(args).await,
        Command::Claims(args) => claimdb::cli::claims::run(args).await.map(|()| true),
        Command::Watch(args) => claimdb::cli::watch::run(args).await.map(|()| true),
        Command::Entities(args) => claimdb::cli::entities::run_entities(args)
            .await
            .map(|()| true),
        Command::Revisions(args) => claimdb::cli::entities::run_revisions(args)
            .await
            .map(|()| true),
        Command::Extract(args) => claimdb::cli::extract::run(args).map(|()| true),
        Command::Export(args) => claimdb::cli::claimreview::export(args).await.map(|()| true),
        Command::Import(args) => claimdb::cli::claimreview::import(args).await.map(|()| true),
        Command::Keys(args) => claimdb::cli::keys::run(args).await.map(|()| true),
    };
    match result {
        Ok(true) => ExitCode::SUCCESS,
        Ok(false) => ExitCode::FAILURE,
        Err(e) => {
            eprintln!("claimdb: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: ServeConfig) -> anyhow::Result<()> {
    let app = Application::build(&config).await?;
    tracing::info!(addr = %app.local_addr()?, "claimdb listening (gRPC, gRPC-Web)");
    app.run_until(shutdown_signal()).await
}
