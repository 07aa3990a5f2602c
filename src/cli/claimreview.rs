//! `claimdb export` and `claimdb import`: statements with their verdicts as
//! schema.org ClaimReview JSON-LD, over the server's `StatementService`.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Context;

use super::client::status_error;
use crate::pb::v1 as pb;

/// Arguments of `claimdb export`.
#[derive(Debug, Clone, clap::Args)]
pub struct ExportArgs {
    /// The server and API key.
    #[command(flatten)]
    pub server: super::client::ServerArgs,
    /// Export these statements (repeatable). Without it, every statement
    /// matching the filters below is exported.
    #[arg(long = "statement")]
    pub statements: Vec<String>,
    /// Only statements by this speaker (a name, or an entity id).
    #[arg(long)]
    pub speaker: Option<String>,
    /// Only statements whose words match this full-text query.
    #[arg(long)]
    pub query: Option<String>,
    /// Statements per request while paging through a filter.
    #[arg(long, default_value_t = 200)]
    pub page_size: i32,
    /// Write the JSON-LD here instead of standard output.
    #[arg(long, short)]
    pub output: Option<PathBuf>,
}

/// Arguments of `claimdb import`.
#[derive(Debug, Clone, clap::Args)]
pub struct ImportArgs {
    /// The server and API key.
    #[command(flatten)]
    pub server: super::client::ServerArgs,
    /// The ClaimReview JSON-LD file (one object, an array, or an `@graph`);
    /// `-` reads standard input.
    pub input: PathBuf,
    /// Who is importing (recorded in every revision).
    #[arg(long, env = "CLAIMDB_ACTOR", default_value = "claimdb-cli")]
    pub actor: String,
}

/// Exports statements as one JSON array of ClaimReview objects.
pub async fn export(args: ExportArgs) -> anyhow::Result<()> {
    let mut client = args.server.statements()?;
    let mut docs: Vec<serde_json::Value> = Vec::new();
    let mut token = String::new();
    loop {
        let list = pb::ListStatementsRequest {
            speaker: args.speaker.as_deref().map(super::claims::entity_ref),
            query: args.query.clone().unwrap_or_default(),
            page_size: args.page_size,
            page_token: token.clone(),
            ..Default::default()
        };
        let out = client
            .export_claim_reviews(pb::ExportClaimReviewsRequest {
                statement_ids: args.statements.clone(),
                list: args.statements.is_empty().then_some(list),
            })
            .await
            .map_err(|s| status_error("ExportClaimReviews", s))?
            .into_inner();
        let page: Vec<serde_json::Value> =
            serde_json::from_str(&out.json_ld).context("the server sent malformed JSON-LD")?;
        docs.extend(page);
        if out.next_page_token.is_empty() || !args.statements.is_empty() {
            break;
        }
        token = out.next_page_token;
    }
    let json = serde_json::to_string_pretty(&docs)?;
    match &args.output {
        Some(path) => std::fs::write(path, json + "\n")
            .with_context(|| format!("writing {}", path.display()))?,
        None => writeln!(std::io::stdout(), "{json}")?,
    }
    eprintln!("exported {} ClaimReview objects", docs.len());
    Ok(())
}

/// Imports a ClaimReview JSON-LD document (all or nothing).
pub async fn import(args: ImportArgs) -> anyhow::Result<()> {
    let json_ld = if args.input.as_os_str() == "-" {
        let mut s = String::new();
        std::io::stdin()
            .read_to_string(&mut s)
            .context("reading standard input")?;
        s
    } else {
        std::fs::read_to_string(&args.input)
            .with_context(|| format!("reading {}", args.input.display()))?
    };
    let mut client = args.server.statements()?;
    let mut request = tonic::Request::new(pb::ImportClaimReviewsRequest { json_ld });
    if let Ok(actor) = args.actor.parse() {
        request
            .metadata_mut()
            .insert(crate::api::ACTOR_HEADER, actor);
    }
    let out = client
        .import_claim_reviews(request)
        .await
        .map_err(|s| status_error("ImportClaimReviews", s))?
        .into_inner();
    println!(
        "imported {} statements ({} new claims, {} new reviews)",
        out.statement_ids.len(),
        out.claims_created,
        out.reviews_created
    );
    for id in &out.statement_ids {
        println!("{id}");
    }
    Ok(())
}
