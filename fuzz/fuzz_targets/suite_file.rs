//! Any text as a suite file: parsed with a fixed service catalogue and, when
//! it parses, resolved against a fixed inventory. Refusing the text is the
//! expected outcome; a panic anywhere on the way is a bug.

#![no_main]

use std::sync::LazyLock;

use libfuzzer_sys::fuzz_target;
use switchyard_proto::inventory::Inventory;
use switchyard_proto::services::Catalogue;
use switchyard_proto::suite_file::SuiteFile;

// The malformed corpus's fixtures: small, valid, and what its suites name.
static INVENTORY: LazyLock<Inventory> = LazyLock::new(|| {
    Inventory::parse("fixtures/inventory.yaml", include_str!("../../proto/tests/malformed/fixtures/inventory.yaml"))
        .expect("the fixture inventory parses")
});
static CATALOGUE: LazyLock<Catalogue> = LazyLock::new(|| {
    Catalogue::parse("fixtures/services.yaml", include_str!("../../proto/tests/malformed/fixtures/services.yaml"))
        .expect("the fixture catalogue parses")
});

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(suite) = SuiteFile::parse_with("suite.yaml", text, Some(CATALOGUE.clone())) {
        let _ = suite.resolve(&INVENTORY);
    }
});
