//! `claimdb claims`: a claim history, page after page, as a table or JSON.

use anyhow::Context;
use chrono::{DateTime, NaiveDate, Utc};
use clap::{Args, ValueEnum};

use super::client::{status_error, ServerArgs};
use super::json::to_json;
use crate::pb::v1 as pb;

/// History order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Order {
    /// Oldest said first.
    Said,
    /// Newest said first.
    SaidDesc,
    /// Oldest recorded first.
    Recorded,
    /// Newest recorded first.
    RecordedDesc,
}

/// Arguments of `claimdb claims`.
#[derive(Debug, Args)]
pub struct ClaimsArgs {
    /// Claims said by this person or organization (name, alias or id).
    #[arg(long)]
    pub speaker: Option<String>,
    /// Claims about this entity.
    #[arg(long)]
    pub about: Option<String>,
    /// Claims reported by this publisher.
    #[arg(long)]
    pub publisher: Option<String>,
    /// Said on or after this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_parser = parse_time)]
    pub from: Option<DateTime<Utc>>,
    /// Said before this date (YYYY-MM-DD or RFC 3339).
    #[arg(long, value_parser = parse_time)]
    pub to: Option<DateTime<Utc>>,
    /// Full-text query (websearch syntax: `gas transit`, `"exact words"`, `-not`).
    #[arg(long)]
    pub text: Option<String>,
    /// Show the history as the database stood at this time.
    #[arg(long, value_parser = parse_time)]
    pub as_of: Option<DateTime<Utc>>,
    /// Include retracted claims.
    #[arg(long)]
    pub include_retracted: bool,
    /// Order.
    #[arg(long, value_enum, default_value_t = Order::Said)]
    pub order: Order,
    /// Stop after this many claims (default: all).
    #[arg(long)]
    pub limit: Option<usize>,
    /// One JSON object per claim instead of a table.
    #[arg(long)]
    pub json: bool,
    /// The server.
    #[command(flatten)]
    pub server: ServerArgs,
}

/// Parses `YYYY-MM-DD` (midnight UTC) or an RFC 3339 time.
pub fn parse_time(s: &str) -> Result<DateTime<Utc>, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.with_timezone(&Utc));
    }
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| t.and_utc())
        .ok_or_else(|| format!("{s:?} is neither YYYY-MM-DD nor an RFC 3339 time"))
}

/// A name, alias or id as an entity reference (an id when it parses as one).
pub fn entity_ref(s: &str) -> pb::EntityRef {
    if uuid::Uuid::parse_str(s.trim()).is_ok() {
        return pb::EntityRef {
            id: s.trim().into(),
            ..Default::default()
        };
    }
    pb::EntityRef {
        name: s.into(),
        ..Default::default()
    }
}

fn timestamp(t: Option<DateTime<Utc>>) -> Option<prost_types::Timestamp> {
    t.map(crate::api::convert::timestamp)
}

/// Shortens text for a table cell.
pub fn clip(s: &str, max: usize) -> String {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if one_line.chars().count() <= max {
        return one_line;
    }
    let cut: String = one_line.chars().take(max.saturating_sub(1)).collect();
    format!("{cut}…")
}

fn request(args: &ClaimsArgs) -> pb::ListClaimsRequest {
    let order = match args.order {
        Order::Said => pb::ClaimOrder::SaidTimeAsc,
        Order::SaidDesc => pb::ClaimOrder::SaidTimeDesc,
        Order::Recorded => pb::ClaimOrder::RecordTimeAsc,
        Order::RecordedDesc => pb::ClaimOrder::RecordTimeDesc,
    };
    pb::ListClaimsRequest {
        speaker: args.speaker.as_deref().map(entity_ref),
        subject: args.about.as_deref().map(entity_ref),
        publisher: args.publisher.as_deref().map(entity_ref),
        said_after: timestamp(args.from),
        said_before: timestamp(args.to),
        query: args.text.clone().unwrap_or_default(),
        include_retracted: args.include_retracted,
        as_of: timestamp(args.as_of),
        order_by: order as i32,
        page_size: 500,
        ..Default::default()
    }
}

/// The said date of a claim, with its precision, for a table.
pub fn said(c: &pb::Claim) -> String {
    let Some(t) = c
        .said_time
        .as_ref()
        .and_then(|t| DateTime::from_timestamp(t.seconds, 0))
    else {
        return "unknown".into();
    };
    let p = pb::SaidPrecision::try_from(c.said_precision).unwrap_or_default();
    let text = match p {
        pb::SaidPrecision::Exact => t.format("%Y-%m-%d %H:%M").to_string(),
        pb::SaidPrecision::Week => format!("{} (week)", t.format("%Y-%m-%d")),
        pb::SaidPrecision::Month => t.format("%Y-%m").to_string(),
        pb::SaidPrecision::Year => t.format("%Y").to_string(),
        _ => t.format("%Y-%m-%d").to_string(),
    };
    if c.said_time_inferred {
        format!("{text}~")
    } else {
        text
    }
}

/// One table row.
pub fn row(c: &pb::Claim) -> String {
    let speakers: Vec<&str> = c.speakers.iter().map(|s| s.name.as_str()).collect();
    let kind = pb::ClaimKind::try_from(c.kind)
        .map(|k| {
            k.as_str_name()
                .trim_start_matches("CLAIM_KIND_")
                .to_lowercase()
        })
        .unwrap_or_default();
    let state = if c.state == pb::ClaimState::Retracted as i32 {
        " [retracted]"
    } else {
        ""
    };
    format!(
        "{:<18}  {:<24}  {:<8}  {}{state}",
        said(c),
        clip(&speakers.join(" & "), 24),
        kind,
        clip(&c.text, 100)
    )
}

/// Runs `claimdb claims`.
pub async fn run(args: ClaimsArgs) -> anyhow::Result<()> {
    let mut client = args.server.connect()?.claims;
    let mut req = request(&args);
    let limit = args.limit.unwrap_or(usize::MAX);
    let mut shown = 0usize;
    if !args.json {
        println!("{:<18}  {:<24}  {:<8}  TEXT", "SAID", "SPEAKER", "KIND");
    }
    loop {
        let page = client
            .list_claims(req.clone())
            .await
            .map_err(|s| status_error("listing claims", s))?
            .into_inner();
        for c in &page.claims {
            if shown == limit {
                return Ok(());
            }
            if args.json {
                println!(
                    "{}",
                    to_json("claimdb.v1.Claim", c).context("rendering a claim")?
                );
            } else {
                println!("{}", row(c));
            }
            shown += 1;
        }
        if page.next_page_token.is_empty() {
            break;
        }
        req.page_token = page.next_page_token;
    }
    if !args.json {
        eprintln!("{shown} claims");
    }
    Ok(())
}
