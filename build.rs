//! Compiles `proto/` with protox (pure Rust: no system `protoc`), generates
//! tonic/prost code from the descriptors, and writes the encoded descriptor
//! set that server reflection serves.
//!
//! A second pass generates `ClaimService`'s server once more, for the
//! server only: its two claim reads answer with `crate::api::wire` types,
//! which carry each `Claim` already encoded (see that module). Every other
//! type is the first pass's; clients keep the plain generated types.

use prost::Message;
use std::{env, fs, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // Every .proto of the package, in a stable order.
    let mut protos: Vec<PathBuf> = fs::read_dir("proto/claimdb/v1")?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "proto"))
        .collect();
    protos.sort();
    let fds = protox::compile(&protos, ["proto"])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    fs::write(out_dir.join("claimdb_descriptor.bin"), fds.encode_to_vec())?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(true)
        .compile_fds(fds.clone())?;
    // The second pass: only `ClaimService`, only its server, every message
    // taken from the first pass except the two read responses.
    let mut wire = fds;
    for file in &mut wire.file {
        file.message_type.clear();
        file.enum_type.clear();
        file.service.retain(|s| s.name() == "ClaimService");
    }
    let wire_dir = out_dir.join("wire");
    fs::create_dir_all(&wire_dir)?;
    tonic_prost_build::configure()
        .build_server(true)
        .build_client(false)
        .out_dir(&wire_dir)
        .extern_path(".claimdb.v1", "crate::pb::v1")
        .extern_path(
            ".claimdb.v1.ListClaimsResponse",
            "crate::api::wire::ListClaimsResponse",
        )
        .extern_path(
            ".claimdb.v1.GetClaimResponse",
            "crate::api::wire::GetClaimResponse",
        )
        .compile_fds(wire)?;
    // New migrations must rebuild the crate: `sqlx::migrate!` embeds them.
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
