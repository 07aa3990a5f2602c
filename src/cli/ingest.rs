//! `claimdb ingest PATH…`: bulk loading from files, through `ImportArticles`.
//!
//! Inputs: `.json` files holding one `IngestArticleRequest` (or an array of
//! them), `.jsonl` files with one per line, and `.txt` article files (a
//! `YYYY-MM-DD Publisher` dateline, a title line, then the body) whose claims
//! the server extracts. Directories are walked recursively. Re-running is
//! safe: what is already stored comes back as unchanged.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use tokio_stream::wrappers::ReceiverStream;

use super::client::{status_error, ServerArgs};
use super::json::from_json;
use crate::pb::v1 as pb;

/// Items sent per `ImportArticles` call.
const CHUNK: usize = 500;

/// Arguments of `claimdb ingest`.
#[derive(Debug, Args)]
pub struct IngestArgs {
    /// Files or directories to load.
    #[arg(required = true)]
    pub paths: Vec<PathBuf>,
    /// The server.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// One item to send, with where it came from.
struct Item {
    label: String,
    request: anyhow::Result<pb::IngestArticleRequest>,
}

/// Every input file under `paths`, in a stable order.
fn collect_files(paths: &[PathBuf]) -> anyhow::Result<Vec<PathBuf>> {
    let mut files = Vec::new();
    for p in paths {
        if p.is_dir() {
            walk(p, &mut files)?;
        } else if p.is_file() {
            files.push(p.clone());
        } else {
            anyhow::bail!("{} does not exist", p.display());
        }
    }
    Ok(files)
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> anyhow::Result<()> {
    let mut entries: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        if p.is_dir() {
            walk(&p, out)?;
        } else if matches!(extension(&p).as_str(), "json" | "jsonl" | "txt") {
            out.push(p);
        }
    }
    Ok(())
}

fn extension(p: &Path) -> String {
    p.extension()
        .and_then(|e| e.to_str())
        .unwrap_or("")
        .to_ascii_lowercase()
}

const REQUEST: &str = "claimdb.v1.IngestArticleRequest";

/// The items of one file.
fn read_items(path: &Path) -> Vec<Item> {
    let label = path.display().to_string();
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            return vec![Item {
                label,
                request: Err(e.into()),
            }]
        }
    };
    match extension(path).as_str() {
        "jsonl" => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(n, l)| Item {
                label: format!("{label}:{}", n + 1),
                request: from_json(REQUEST, l),
            })
            .collect(),
        "txt" => vec![Item {
            request: super::text::request_from_article_file(path, &text),
            label,
        }],
        _ => json_items(&label, &text),
    }
}

/// A `.json` file: one request object or an array of them.
fn json_items(label: &str, text: &str) -> Vec<Item> {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(serde_json::Value::Array(values)) => values
            .iter()
            .enumerate()
            .map(|(i, v)| Item {
                label: format!("{label}[{i}]"),
                request: from_json(REQUEST, &v.to_string()),
            })
            .collect(),
        Ok(_) => vec![Item {
            label: label.to_string(),
            request: from_json(REQUEST, text),
        }],
        Err(e) => vec![Item {
            label: label.to_string(),
            request: Err(anyhow::anyhow!("not JSON: {e}")),
        }],
    }
}

/// Progress: a bar on a terminal, a line every few seconds otherwise.
struct Progress {
    bar: Option<ProgressBar>,
    total: u64,
    done: u64,
    started: Instant,
    last_line: Instant,
}

impl Progress {
    fn new(total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::new(total);
            if let Ok(style) = ProgressStyle::with_template(
                "{spinner} [{elapsed_precise}] {wide_bar} {pos}/{len} articles · {per_sec} · ETA {eta}",
            ) {
                bar.set_style(style);
            }
            bar
        });
        Self {
            bar,
            total,
            done: 0,
            started: Instant::now(),
            last_line: Instant::now(),
        }
    }

    fn advance(&mut self, n: u64) {
        self.done += n;
        match &self.bar {
            Some(b) => b.set_position(self.done),
            None if self.last_line.elapsed() >= Duration::from_secs(2)
                || self.done == self.total =>
            {
                let rate = self.done as f64 / self.started.elapsed().as_secs_f64().max(0.001);
                eprintln!(
                    "ingest: {}/{} articles ({rate:.0}/s)",
                    self.done, self.total
                );
                self.last_line = Instant::now();
            }
            None => {}
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}

#[derive(Default)]
struct Totals {
    stored: i64,
    unchanged: i64,
    failed: i64,
    claims: i64,
}

/// Runs `claimdb ingest`; returns whether every item was stored.
pub async fn run(args: IngestArgs) -> anyhow::Result<bool> {
    let files = collect_files(&args.paths)?;
    let items: Vec<Item> = files.iter().flat_map(|f| read_items(f)).collect();
    let clients = args.server.connect()?;
    let mut progress = Progress::new(items.len() as u64);
    let mut totals = Totals::default();
    for chunk in items.chunks(CHUNK) {
        send_chunk(&clients, chunk, &mut totals).await?;
        progress.advance(chunk.len() as u64);
    }
    progress.finish();
    println!(
        "{} stored, {} unchanged, {} failed ({} new claims)",
        totals.stored, totals.unchanged, totals.failed, totals.claims
    );
    Ok(totals.failed == 0)
}

async fn send_chunk(
    clients: &super::client::Clients,
    chunk: &[Item],
    totals: &mut Totals,
) -> anyhow::Result<()> {
    // Items that failed locally are reported here; the rest are sent, and
    // the server's indexes map back to them through `sent`.
    let mut sent: Vec<&Item> = Vec::new();
    let (tx, rx) = tokio::sync::mpsc::channel(64);
    let mut requests = Vec::new();
    for item in chunk {
        match &item.request {
            Ok(r) => {
                sent.push(item);
                requests.push(pb::ImportArticlesRequest {
                    article: Some(r.clone()),
                });
            }
            Err(e) => {
                totals.failed += 1;
                eprintln!("{}: {e:#}", item.label);
            }
        }
    }
    if requests.is_empty() {
        return Ok(());
    }
    tokio::spawn(async move {
        for r in requests {
            if tx.send(r).await.is_err() {
                break;
            }
        }
    });
    let summary = clients
        .claims
        .clone()
        .import_articles(ReceiverStream::new(rx))
        .await
        .map_err(|s| status_error("import", s))?
        .into_inner();
    totals.stored += summary.stored;
    totals.unchanged += summary.unchanged;
    totals.failed += summary.failed;
    totals.claims += summary.claims_stored;
    for e in &summary.errors {
        let label = sent
            .get(e.index as usize)
            .map(|i| i.label.as_str())
            .unwrap_or("?");
        eprintln!("{label}: {}", e.message);
        for v in &e.field_violations {
            eprintln!("  {}: {}", v.field, v.description);
        }
    }
    Ok(())
}
