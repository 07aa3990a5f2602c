//! Connecting to a server, and explaining its errors to a person.

use std::time::Duration;

use anyhow::Context;
use clap::Args;
use tonic::metadata::{Ascii, MetadataValue};
use tonic::service::interceptor::InterceptedService;
use tonic::service::Interceptor;
use tonic::transport::Channel;
use tonic_types::StatusExt;

use crate::pb::v1::article_service_client::ArticleServiceClient;
use crate::pb::v1::claim_service_client::ClaimServiceClient;
use crate::pb::v1::entity_service_client::EntityServiceClient;
use crate::pb::v1::statement_service_client::StatementServiceClient;

/// Largest message sent or received (big imports and exports).
const MAX_MESSAGE: usize = 64 << 20;

/// Where the server is, and the key to show it.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// The claimdb server (`host:port` or `http://host:port`).
    #[arg(long, env = "CLAIMDB_SERVER", default_value = "http://127.0.0.1:50051")]
    pub server: String,
    /// API key, sent as `authorization: Bearer …` (see `claimdb keys`).
    #[arg(long, env = "CLAIMDB_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
}

/// Adds the API key to every call.
#[derive(Debug, Clone, Default)]
pub struct Auth {
    header: Option<MetadataValue<Ascii>>,
}

impl Interceptor for Auth {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(h) = &self.header {
            req.metadata_mut().insert("authorization", h.clone());
        }
        Ok(req)
    }
}

/// A channel that carries the API key.
pub type Authed = InterceptedService<Channel, Auth>;

/// Clients for every service over one connection.
#[derive(Debug, Clone)]
pub struct Clients {
    /// Claims.
    pub claims: ClaimServiceClient<Authed>,
    /// Entities.
    pub entities: EntityServiceClient<Authed>,
    /// Articles.
    pub articles: ArticleServiceClient<Authed>,
}

impl ServerArgs {
    fn channel(&self) -> anyhow::Result<(Channel, Auth)> {
        let url = if self.server.contains("://") {
            self.server.clone()
        } else {
            format!("http://{}", self.server)
        };
        let channel = Channel::from_shared(url.clone())
            .with_context(|| format!("{url} is not a server address"))?
            .connect_timeout(Duration::from_secs(10))
            .connect_lazy();
        let header = match &self.api_key {
            Some(k) => Some(
                format!("Bearer {}", k.trim())
                    .parse()
                    .context("the API key contains characters a header cannot carry")?,
            ),
            None => None,
        };
        Ok((channel, Auth { header }))
    }

    /// Connects (lazily) to the server.
    pub fn connect(&self) -> anyhow::Result<Clients> {
        let (channel, auth) = self.channel()?;
        Ok(Clients {
            claims: ClaimServiceClient::with_interceptor(channel.clone(), auth.clone())
                .max_decoding_message_size(MAX_MESSAGE)
                .max_encoding_message_size(MAX_MESSAGE),
            entities: EntityServiceClient::with_interceptor(channel.clone(), auth.clone())
                .max_decoding_message_size(MAX_MESSAGE),
            articles: ArticleServiceClient::with_interceptor(channel, auth)
                .max_decoding_message_size(MAX_MESSAGE),
        })
    }

    /// A statement-service client (exports and imports).
    pub fn statements(&self) -> anyhow::Result<StatementServiceClient<Authed>> {
        let (channel, auth) = self.channel()?;
        Ok(StatementServiceClient::with_interceptor(channel, auth)
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE))
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
