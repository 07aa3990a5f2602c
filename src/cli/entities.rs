//! `claimdb entities` and `claimdb revisions`: small look-ups for people.

use anyhow::Context;
use clap::Args;

use super::client::{status_error, ServerArgs};
use super::json::to_json;
use crate::pb::v1 as pb;

/// Arguments of `claimdb entities`.
#[derive(Debug, Args)]
pub struct EntitiesArgs {
    /// Fuzzy name or alias search; without it, every entity alphabetically.
    pub query: Option<String>,
    /// Stop after this many entities.
    #[arg(long, default_value_t = 50)]
    pub limit: usize,
    /// One JSON object per entity.
    #[arg(long)]
    pub json: bool,
    /// The server.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// Runs `claimdb entities`.
pub async fn run_entities(args: EntitiesArgs) -> anyhow::Result<()> {
    let mut client = args.server.connect()?.entities;
    let mut req = pb::ListEntitiesRequest {
        query: args.query.clone().unwrap_or_default(),
        page_size: args.limit.min(1000) as i32,
        ..Default::default()
    };
    let mut shown = 0;
    loop {
        let page = client
            .list_entities(req.clone())
            .await
            .map_err(|s| status_error("listing entities", s))?
            .into_inner();
        for e in &page.entities {
            if shown == args.limit {
                return Ok(());
            }
            if args.json {
                println!(
                    "{}",
                    to_json("claimdb.v1.Entity", e).context("rendering an entity")?
                );
            } else {
                let kind = pb::EntityKind::try_from(e.kind)
                    .map(|k| {
                        k.as_str_name()
                            .trim_start_matches("ENTITY_KIND_")
                            .to_lowercase()
                    })
                    .unwrap_or_default();
                let aliases = if e.aliases.is_empty() {
                    String::new()
                } else {
                    format!("  (also: {})", e.aliases.join(", "))
                };
                println!("{}  {:<12}  {}{aliases}", e.id, kind, e.name);
            }
            shown += 1;
        }
        if page.next_page_token.is_empty() {
            return Ok(());
        }
        req.page_token = page.next_page_token;
    }
}

/// Arguments of `claimdb revisions`.
#[derive(Debug, Args)]
pub struct RevisionsArgs {
    /// The claim's id.
    pub claim_id: String,
    /// One JSON object per revision.
    #[arg(long)]
    pub json: bool,
    /// The server.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// Runs `claimdb revisions`.
pub async fn run_revisions(args: RevisionsArgs) -> anyhow::Result<()> {
    let mut client = args.server.connect()?.claims;
    let mut req = pb::ListClaimRevisionsRequest {
        id: args.claim_id.clone(),
        page_size: 1000,
        ..Default::default()
    };
    loop {
        let page = client
            .list_claim_revisions(req.clone())
            .await
            .map_err(|s| status_error("listing revisions", s))?
            .into_inner();
        for r in &page.revisions {
            if args.json {
                println!(
                    "{}",
                    to_json("claimdb.v1.ClaimRevision", r).context("rendering a revision")?
                );
                continue;
            }
            let change = super::watch::change_label(r.change);
            let when = r
                .record_time
                .as_ref()
                .and_then(|t| chrono::DateTime::from_timestamp(t.seconds, t.nanos as u32))
                .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                .unwrap_or_default();
            println!(
                "revision {}  {change:<9}  {when}  by {}  {}",
                r.revision, r.actor, r.reason
            );
            if let Some(c) = &r.claim {
                println!("    {}", super::claims::row(c));
            }
        }
        if page.next_page_token.is_empty() {
            return Ok(());
        }
        req.page_token = page.next_page_token;
    }
}
