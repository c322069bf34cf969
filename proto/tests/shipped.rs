//! Every suite and catalogue the project ships (the benchmark's change, the
//! lab's example suites and service catalogue, the end-to-end fixtures)
//! passes the static rules, so a rule made stricter to match SONiC cannot
//! leave an example that SONiC would refuse. Resolved against two lab-shaped
//! devices (`tests/shipped/inventory.yaml`).

use std::path::{Path, PathBuf};

use switchyard_proto::inventory::Inventory;
use switchyard_proto::services::Catalogue;
use switchyard_proto::suite_file::SuiteFile;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn shipped_suites_and_catalogues_pass_the_static_rules() {
    let root = root();
    let inventory = Inventory::load(&root.join("proto/tests/shipped/inventory.yaml")).unwrap_or_else(|e| panic!("{e}"));
    Catalogue::load(&root.join("lab/services.yaml")).unwrap_or_else(|e| panic!("lab/services.yaml: {e}"));
    let mut suites = vec![root.join("bench/tenant.yaml")];
    for dir in ["lab/suites", "tests/fixtures"] {
        for entry in std::fs::read_dir(root.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            // bad-vlan.yaml is refused on purpose (the e2e test of a refusal).
            if path.extension().is_some_and(|e| e == "yaml") && !path.ends_with("bad-vlan.yaml") && !path.ends_with("inventory.yaml") {
                suites.push(path);
            }
        }
    }
    assert!(suites.len() >= 6, "{suites:?}");
    for path in &suites {
        let suite = SuiteFile::load(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        suite.resolve(&inventory).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    }
}
