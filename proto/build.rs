//! Generates the contract types from `switchyard/v1/*.proto`.
//!
//! protox compiles the .proto files in pure Rust, so no `protoc` is needed;
//! pbjson adds canonical proto3 JSON serde impls, so every payload in
//! Temporal history reads as JSON with field and enum names in the Web UI.

use std::{env, path::PathBuf};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let files = [
        "switchyard/v1/operations.proto",
        "switchyard/v1/changeset.proto",
        "switchyard/v1/trust.proto",
        "switchyard/v1/checks.proto",
        "switchyard/v1/suite.proto",
    ];
    for file in files {
        println!("cargo:rerun-if-changed={file}");
    }
    let descriptors = protox::compile(files, ["."])?;
    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let descriptor_bytes = prost::Message::encode_to_vec(&descriptors);

    prost_build::Config::new()
        // BTreeMap keeps field order stable, so a ChangeSet serialises the
        // same way every time: plan hashes and replays depend on it.
        .btree_map(["."])
        .compile_fds(descriptors)?;

    pbjson_build::Builder::new()
        .register_descriptors(&descriptor_bytes)?
        .btree_map(["."])
        // Canonical proto3 JSON: fields left at their defaults are left
        // out, so results and histories carry only what says something.
        .out_dir(&out_dir)
        .build(&[".switchyard"])?;
    Ok(())
}
