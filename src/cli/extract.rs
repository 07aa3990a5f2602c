//! `claimdb extract FILE…`: runs the built-in extractor locally (no server)
//! and prints one JSON object per claim in the prediction format of the
//! evaluation scorer, or a table for people.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, ValueEnum};

use crate::extract::{extract, parse_article_file, to_prediction_json, ExtractOptions};

/// Output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// One JSON object per claim (the scorer's prediction format).
    Jsonl,
    /// A readable table.
    Table,
}

/// Arguments of `claimdb extract`.
#[derive(Debug, Args)]
pub struct ExtractArgs {
    /// Article files (optionally starting with a `YYYY-MM-DD Publisher`
    /// dateline and a title line).
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Output format.
    #[arg(long, value_enum, default_value_t = Format::Jsonl)]
    pub format: Format,
}

/// Runs `claimdb extract`.
pub fn run(args: ExtractArgs) -> anyhow::Result<()> {
    for path in &args.files {
        let contents =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let file = parse_article_file(&contents);
        let claims = extract(
            &file.body,
            &ExtractOptions {
                published: file.published,
            },
        );
        let doc_id = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or("article")
            .to_string();
        match args.format {
            Format::Jsonl => {
                for c in &claims {
                    println!("{}", to_prediction_json(&doc_id, &file, c));
                }
            }
            Format::Table => {
                println!("{doc_id}: {} claims", claims.len());
                for c in &claims {
                    let speakers: Vec<&str> = c.speakers.iter().map(|s| s.name.as_str()).collect();
                    let date = c
                        .said
                        .date
                        .map(|d| d.to_string())
                        .unwrap_or_else(|| "?".into());
                    println!(
                        "  {date:<10}  {:<24}  {:<8}  {}",
                        super::claims::clip(&speakers.join(" & "), 24),
                        format!("{:?}", c.kind).to_lowercase(),
                        super::claims::clip(&c.text, 90)
                    );
                }
            }
        }
    }
    Ok(())
}
