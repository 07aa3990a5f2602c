//! Code generated from `proto/` by `build.rs`, and the encoded descriptor
//! set that server reflection serves.

/// The `claimdb.v1` package: messages, enums, clients and servers.
#[allow(missing_docs, unreachable_pub, clippy::all, clippy::pedantic)]
pub mod v1 {
    tonic::include_proto!("claimdb.v1");
}

/// The encoded `FileDescriptorSet` of every `.proto` file in `proto/`.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/claimdb_descriptor.bin"));
