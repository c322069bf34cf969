//! Any text as a service catalogue, including the static checks of its
//! steps' literal parameters.

#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_proto::services::Catalogue;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Catalogue::parse("services.yaml", text);
});
