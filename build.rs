//! Compiles `proto/` with protox (pure Rust: no system `protoc`), generates
//! tonic/prost code from the descriptors, and writes the encoded descriptor
//! set that server reflection serves.

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
        .compile_fds(fds)?;
    // New migrations must rebuild the crate: `sqlx::migrate!` embeds them.
    println!("cargo:rerun-if-changed=migrations");
    println!("cargo:rerun-if-changed=proto");
    Ok(())
}
