//! Proto3 JSON for the command-line client, through the server's own
//! descriptors (the same mapping grpcurl and every other client use).

use std::sync::OnceLock;

use anyhow::{anyhow, Context};
use prost::Message;
use prost_reflect::{DescriptorPool, DynamicMessage};

fn pool() -> anyhow::Result<&'static DescriptorPool> {
    static POOL: OnceLock<Result<DescriptorPool, String>> = OnceLock::new();
    POOL.get_or_init(|| {
        DescriptorPool::decode(crate::pb::FILE_DESCRIPTOR_SET).map_err(|e| e.to_string())
    })
    .as_ref()
    .map_err(|e| anyhow!("loading the API descriptors: {e}"))
}

/// Parses proto3 JSON (field names in snake_case or camelCase) into `M`,
/// whose full protobuf name is `name` (e.g. `claimdb.v1.IngestArticleRequest`).
pub fn from_json<M: Message + Default>(name: &str, json: &str) -> anyhow::Result<M> {
    let desc = pool()?
        .get_message_by_name(name)
        .ok_or_else(|| anyhow!("unknown message {name}"))?;
    let mut de = serde_json::Deserializer::from_str(json);
    let dynamic = DynamicMessage::deserialize(desc, &mut de).context("not a valid request")?;
    de.end()
        .context("trailing characters after the JSON object")?;
    M::decode(dynamic.encode_to_vec().as_slice()).context("re-encoding the request")
}

/// Renders `msg` (full name `name`) as proto3 JSON.
pub fn to_json<M: Message>(name: &str, msg: &M) -> anyhow::Result<serde_json::Value> {
    let desc = pool()?
        .get_message_by_name(name)
        .ok_or_else(|| anyhow!("unknown message {name}"))?;
    let dynamic = DynamicMessage::decode(desc, msg.encode_to_vec().as_slice())?;
    Ok(serde_json::to_value(&dynamic)?)
}
