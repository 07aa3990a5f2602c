//! `claimdb watch`: prints claim events as they happen, reconnecting from its
//! last cursor when the stream drops.

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tokio_stream::StreamExt;
use tonic::Code;

use super::claims::{entity_ref, row};
use super::client::{status_error, ServerArgs};
use super::json::to_json;
use crate::pb::v1 as pb;

/// Arguments of `claimdb watch`.
#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Only claims said by this entity.
    #[arg(long)]
    pub speaker: Option<String>,
    /// Only claims about this entity.
    #[arg(long)]
    pub about: Option<String>,
    /// Only claims reported by this publisher.
    #[arg(long)]
    pub publisher: Option<String>,
    /// Only claims matching this full-text query.
    #[arg(long)]
    pub text: Option<String>,
    /// Resume after this cursor (printed with every event in --json).
    #[arg(long)]
    pub cursor: Option<String>,
    /// Replay the whole log first.
    #[arg(long)]
    pub from_beginning: bool,
    /// Stop after this many events.
    #[arg(long)]
    pub limit: Option<usize>,
    /// One JSON object per event.
    #[arg(long)]
    pub json: bool,
    /// The server.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// A revision change as a short lower-case word ("created", "corrected").
pub fn change_label(change: i32) -> String {
    pb::RevisionChange::try_from(change)
        .map(|c| {
            c.as_str_name()
                .trim_start_matches("REVISION_CHANGE_")
                .to_lowercase()
        })
        .unwrap_or_default()
}

/// Runs `claimdb watch` until interrupted (or `--limit` events).
pub async fn run(args: WatchArgs) -> anyhow::Result<()> {
    let mut client = args.server.connect()?.claims;
    let mut cursor = args.cursor.clone().unwrap_or_default();
    let mut seen = 0usize;
    let limit = args.limit.unwrap_or(usize::MAX);
    loop {
        let req = pb::WatchClaimsRequest {
            speaker: args.speaker.as_deref().map(entity_ref),
            subject: args.about.as_deref().map(entity_ref),
            publisher: args.publisher.as_deref().map(entity_ref),
            query: args.text.clone().unwrap_or_default(),
            cursor: cursor.clone(),
            from_beginning: args.from_beginning && cursor.is_empty(),
            ..Default::default()
        };
        let mut stream = client
            .watch_claims(req)
            .await
            .map_err(|s| status_error("watching", s))?
            .into_inner();
        while let Some(item) = stream.next().await {
            match item {
                Ok(e) => {
                    print_event(&e, args.json)?;
                    cursor = e.cursor.clone();
                    seen += 1;
                    if seen >= limit {
                        return Ok(());
                    }
                }
                Err(s) if matches!(s.code(), Code::ResourceExhausted | Code::Unavailable) => {
                    eprintln!("watch: {}; resuming from the last event", s.message());
                    break;
                }
                Err(s) => return Err(status_error("watching", s)),
            }
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
}

fn print_event(e: &pb::WatchClaimsResponse, json: bool) -> anyhow::Result<()> {
    if json {
        println!(
            "{}",
            to_json("claimdb.v1.WatchClaimsResponse", e).context("rendering an event")?
        );
    } else if let Some(c) = &e.claim {
        println!("{:<10} {}", change_label(e.change), row(c));
    }
    Ok(())
}
