//! Connecting to a server, and explaining its errors to a person.

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tonic::transport::Channel;
use tonic_types::StatusExt;

use crate::pb::v1::article_service_client::ArticleServiceClient;
use crate::pb::v1::claim_service_client::ClaimServiceClient;
use crate::pb::v1::entity_service_client::EntityServiceClient;

/// Where the server is.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// The claimdb server (`host:port` or `http://host:port`).
    #[arg(long, env = "CLAIMDB_SERVER", default_value = "http://127.0.0.1:50051")]
    pub server: String,
}

/// Clients for every service over one connection.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Claims.
    pub claims: ClaimServiceClient<Channel>,
    /// Entities.
    pub entities: EntityServiceClient<Channel>,
    /// Articles.
    pub articles: ArticleServiceClient<Channel>,
}

impl ServerArgs {
    /// Connects (lazily) to the server.
    pub fn connect(&self) -> anyhow::Result<Clients> {
        let url = if self.server.contains("://") {
            self.server.clone()
        } else {
            format!("http://{}", self.server)
        };
        let channel = Channel::from_shared(url.clone())
            .with_context(|| format!("{url} is not a server address"))?
            .connect_timeout(Duration::from_secs(10))
            .connect_lazy();
        let max = 64 << 20;
        Ok(Clients {
            claims: ClaimServiceClient::new(channel.clone())
                .max_decoding_message_size(max)
                .max_encoding_message_size(max),
            entities: EntityServiceClient::new(channel.clone()).max_decoding_message_size(max),
            articles: ArticleServiceClient::new(channel).max_decoding_message_size(max),
        })
    }
}

/// A status as lines a person can act on: code, message, every bad field,
/// every failed precondition.
pub fn describe(status: &tonic::Status) -> String {
    let mut out = format!("{:?}: {}", status.code(), status.message());
    let details = status.get_error_details();
    if let Some(bad) = details.bad_request() {
        for v in &bad.field_violations {
            out.push_str(&format!("\n  {}: {}", v.field, v.description));
        }
    }
    if let Some(pre) = details.precondition_failure() {
        for v in &pre.violations {
            out.push_str(&format!("\n  {}: {}", v.subject, v.description));
        }
    }
    out
}

/// Wraps a status into an error with [`describe`]'s text.
pub fn status_error(what: &str, status: tonic::Status) -> anyhow::Error {
    anyhow::anyhow!("{what} failed: {}", describe(&status))
}
