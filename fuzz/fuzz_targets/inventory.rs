//! Any text as an inventory. `Inventory::parse` never touches the files an
//! inventory names (only `load` checks them), so this stays off the disk.

#![no_main]

use libfuzzer_sys::fuzz_target;
use switchyard_proto::inventory::Inventory;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    let _ = Inventory::parse("inventory.yaml", text);
});
