//! switchyard's NetBox reader against NetBox's own answers: responses a
//! NetBox 4.6.8 gave (recorded in tests/fixtures/netbox, see SCHEMA.md
//! there: no NetBox server can be installed on the test machines), served
//! by a real HTTP server this test starts, which answers each request by
//! its path, query and token as NetBox did. The devices come out with the
//! primary IP as their address, slugs for site, role and tags, the SONiC
//! facts from the custom fields and the vars from the config context,
//! across pages; a refused token, an unknown site and a device without a
//! primary IP are each refused, named.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::Path;

use switchyard_proto::inventory::Inventory;
use switchyard_starter::inventory_source::fetch;

const TOKEN: &str = "nbt_swyrecord001.SwitchyardRecordingToken0000000000000001";

fn fixtures() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/netbox"))
}

/// A NetBox stand-in serving the recordings on 127.0.0.1: a request is
/// answered with the recording whose path and query parameters (all but
/// `limit`, which only sizes pages) it has, under the recording's token;
/// any other token gets the 403 NetBox gave a wrong one.
fn serve() -> String {
    serve_linking_to(None)
}

/// As [`serve`], its answers' links (`next`) pointing at `elsewhere` when given.
fn serve_linking_to(elsewhere: Option<String>) -> String {
    let index: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(fixtures().join("INDEX.json")).unwrap()).unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let served = elsewhere.unwrap_or_else(|| base.clone());
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut line = String::new();
            reader.read_line(&mut line).unwrap();
            let target = line.split(' ').nth(1).unwrap_or("/").to_string();
            let mut auth = String::new();
            loop {
                let mut header = String::new();
                reader.read_line(&mut header).unwrap();
                if header.trim().is_empty() {
                    break;
                }
                if let Some((name, value)) = header.split_once(':') && name.eq_ignore_ascii_case("authorization") {
                    auth = value.trim().to_string();
                }
            }
            let (path, query) = target.split_once('?').unwrap_or((&target, ""));
            let key = params(query);
            let recording = index["recordings"].as_array().unwrap().iter().find(|r| {
                let good = auth == format!("Bearer {TOKEN}");
                let wanted = r["request"]["headers"]["Authorization"].as_str() == Some(&format!("Bearer {TOKEN}"));
                r["request"]["path"] == path && params(r["request"]["query"].as_str().unwrap()) == key && (good == wanted)
                    && (good || r["file"] == "error-403-invalid-v2-token.json")
            });
            let (status, body) = match recording {
                Some(r) => (r["response"]["status"].as_u64().unwrap(),
                    std::fs::read_to_string(fixtures().join(r["file"].as_str().unwrap())).unwrap().replace("http://NETBOX", &served)),
                None => (404, "{\"detail\":\"Not found.\"}".to_string()),
            };
            let _ = write!(stream, "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
        }
    });
    base
}

/// Query parameters but `limit`, as a set.
fn params(query: &str) -> BTreeMap<String, String> {
    query.split('&').filter(|p| !p.is_empty()).filter_map(|p| p.split_once('='))
        .filter(|(k, _)| *k != "limit").map(|(k, v)| (k.to_string(), v.to_string())).collect()
}

fn inventory(base: &str, filter: &str) -> Inventory {
    let text = format!(
        "source:\n  netbox:\n    url: {base}\n    token_env: NETBOX_TOKEN\n    filter: {{ {filter} }}\n\
         defaults:\n  user: admin\n  credential: {{ key_file: /keys/id }}\n  known_hosts: /keys/known_hosts\n"
    );
    Inventory::parse("inv.yaml", &text).unwrap()
}

#[tokio::test]
async fn the_leaves_of_a_site_are_read_with_their_facts_and_ids() {
    let base = serve();
    let mut inv = inventory(&base, "site: lab1, role: leaf");
    let source = inv.source.clone().unwrap();
    let fetched = fetch(&inv.file, &source, TOKEN).await.unwrap();
    inv.add_fetched(fetched).unwrap();
    let names: Vec<&str> = inv.devices.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["sonic-d001", "sonic-d002", "sonic-d003"]);
    let d1 = &inv.devices[0];
    assert_eq!((d1.address.as_str(), d1.site.as_str(), d1.role.as_str()), ("198.19.1.1", "lab1", "leaf"));
    assert_eq!((d1.platform.as_str(), d1.hwsku.as_str(), d1.sonic_version.as_str()), ("x86_64-kvm_x86_64-r0", "Force10-S6000", "202305"));
    assert_eq!(d1.tags, ["bgpcfgd", "lab"]);
    assert_eq!(d1.vars.get("uplink").map(String::as_str), Some("Ethernet0"));
    assert_eq!(d1.vars.get("index").map(String::as_str), Some("1"));
    assert_eq!(d1.source_ref, "netbox:1");
    // Credentials are the file's defaults, never the source's.
    assert_eq!(d1.user, "admin");
    assert_eq!(inv.devices[1].sonic_version, "202411");
}

#[tokio::test]
async fn every_page_is_read() {
    let base = serve();
    let mut inv = inventory(&base, "site: lab1");
    let source = inv.source.clone().unwrap();
    inv.add_fetched(fetch(&inv.file, &source, TOKEN).await.unwrap()).unwrap();
    let names: Vec<&str> = inv.devices.iter().map(|d| d.name.as_str()).collect();
    assert_eq!(names, ["sonic-d001", "sonic-d002", "sonic-d003", "sonic-d004"]);
    assert_eq!(inv.devices[3].role, "spine");
}

#[tokio::test]
async fn what_netbox_refuses_or_cannot_give_is_named() {
    let base = serve();
    let inv = inventory(&base, "site: lab1");
    let source = inv.source.clone().unwrap();
    let e = fetch(&inv.file, &source, "nbt_swyrecord001.WrongWrongWrong").await.unwrap_err();
    assert_eq!(e.field, "source.netbox.token_env");
    assert!(e.message.contains("refused the token in NETBOX_TOKEN") && e.message.contains("403") && e.message.contains("Invalid v2 token"), "{e}");
    assert!(!e.to_string().contains("WrongWrong"), "the token never shows: {e}");
    let e = fetch(&inv.file, &source, "").await.unwrap_err();
    assert!(e.message.contains("NETBOX_TOKEN is not set"), "{e}");

    let inv = inventory(&base, "site: nosuch");
    let e = fetch(&inv.file, inv.source.as_ref().unwrap(), TOKEN).await.unwrap_err();
    assert_eq!(e.field, "source.netbox.filter.site");
    assert!(e.message.contains("nosuch is not one of the available choices"), "{e}");

    let inv = inventory(&base, "site: lab2");
    let e = fetch(&inv.file, inv.source.as_ref().unwrap(), TOKEN).await.unwrap_err();
    assert!(e.field.starts_with("source.netbox device sonic-d101 (id ") && e.field.ends_with(".primary_ip4"), "{e}");
    assert!(e.message.contains("no primary IP address"), "{e}");
    assert_eq!((e.file.as_str(), e.line), ("inv.yaml", 2));

    // Nothing answers: the URL is named.
    let inv = inventory("http://127.0.0.1:9", "site: lab1");
    let e = fetch(&inv.file, inv.source.as_ref().unwrap(), TOKEN).await.unwrap_err();
    assert_eq!(e.field, "source.netbox.url");
    assert!(e.message.contains("cannot read devices from http://127.0.0.1:9"), "{e}");
}

#[test]
fn a_source_is_checked_where_it_is_written() {
    let bad = |text: &str| Inventory::parse("inv.yaml", text).unwrap_err();
    let defaults = "defaults:\n  user: admin\n  credential: { key_file: /k }\n  known_hosts: /kh\n";
    let e = bad(&format!("source:\n  netbox:\n    url: http://nb\n    token_env: T\n    filter: {{ location: lab1 }}\n{defaults}"));
    assert_eq!(e.field, "source.netbox.filter.location");
    assert!(e.message.contains("site, role, tag, status, platform"), "{e}");
    let e = bad(&format!("source:\n  nautobot:\n    url: nautobot.example.net\n    token_env: T\n{defaults}"));
    assert_eq!((e.field.as_str(), e.line), ("source.nautobot.url", 3));
    let e = bad(&format!("source:\n  nautobot:\n    url: https://nb.example.net\n    token_env: \"abc123-secret!\"\n{defaults}"));
    assert!(e.message.contains("the token itself never goes in the file"), "{e}");
    let e = bad("source:\n  nautobot:\n    url: https://nb.example.net\n    token_env: T\ndefaults:\n  user: admin\n  known_hosts: /kh\n");
    assert_eq!(e.field, "defaults.credential");
    let e = bad("defaults:\n  user: admin\n");
    assert!(e.message.contains("no devices and no source"), "{e}");
}

#[tokio::test]
async fn a_next_page_on_another_host_is_refused_and_never_asked() {
    // A listener that only counts who connects.
    let other = TcpListener::bind("127.0.0.1:0").unwrap();
    let other_base = format!("http://{}", other.local_addr().unwrap());
    other.set_nonblocking(true).unwrap();
    let base = serve_linking_to(Some(other_base.clone()));
    let inv = inventory(&base, "site: lab1");
    let e = fetch(&inv.file, inv.source.as_ref().unwrap(), TOKEN).await.unwrap_err();
    assert_eq!(e.field, "source.netbox.url");
    assert!(e.message.contains(&format!("next page is at {other_base}")) && e.message.contains(&format!("not under {base}")), "{e}");
    assert!(other.accept().is_err(), "the other host was never asked (the token stays with the source)");
}
