//! The inventory file: which devices exist and how to reach them.
//!
//! Devices carry references to credentials (a key file, an environment
//! variable), never secret values. The starter reads the inventory to pick
//! targets and resolve per-device values; the worker reads it to reach devices.
//! Loading a file also checks that the key and known_hosts files it names
//! exist, so a typo is refused at its line before anything starts rather
//! than on first contact with each device; parsing text alone never looks.
//! Devices come from the file's `devices:`, from a source of truth its
//! `source:` names (Nautobot or NetBox, read by the starter's
//! `inventory_source`, which hands the devices it read to
//! [`Inventory::add_fetched`]), or both; a source's devices take their
//! user, credential and known_hosts from `defaults:`.
//! A path may start with `~/` (the home directory of the process reading
//! the file, as a shell would expand it).
//! Must never: open key files or read environment variables (the worker
//! resolves credentials; `HOME` for `~/` aside), or touch the network.

use std::collections::BTreeMap;
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};

use crate::SourceError;

/// How the worker authenticates to a device. Only a reference: the secret
/// itself stays in the file or variable named here.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum CredentialRef {
    /// An OpenSSH private key file (relative paths are from the inventory file).
    KeyFile(String),
    /// An environment variable of the worker holding the password.
    PasswordEnv(String),
}

/// One device, with defaults applied and paths resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    /// Unique name, used in workflow ids and results.
    pub name: String,
    /// Management address (IP or host name).
    pub address: String,
    /// SSH port.
    pub ssh_port: u16,
    /// SSH user.
    pub user: String,
    /// Credential reference.
    pub credential: CredentialRef,
    /// known_hosts file used for strict host-key checking.
    pub known_hosts: String,
    /// SONiC platform string.
    pub platform: String,
    /// Hardware SKU.
    pub hwsku: String,
    /// SONiC version.
    pub sonic_version: String,
    /// Role, e.g. leaf or spine.
    pub role: String,
    /// Site.
    pub site: String,
    /// Free-form tags.
    pub tags: Vec<String>,
    /// Per-device values for suite templates (`{{ device.vars.x }}`).
    pub vars: BTreeMap<String, String>,
    /// The source of truth's id of the device (`nautobot:<id>`), empty for
    /// a device of the file.
    pub source_ref: String,
}

/// Which source of truth an inventory reads its devices from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SourceKind {
    /// Nautobot (2.x REST API).
    Nautobot,
    /// NetBox (4.x REST API).
    Netbox,
}

impl SourceKind {
    /// Its name in the file and in a device's `source_ref`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Nautobot => "nautobot",
            Self::Netbox => "netbox",
        }
    }

    /// The filters it takes, by the names the file uses (each the
    /// source's own name for what it filters devices by).
    pub fn filters(self) -> &'static [&'static str] {
        match self {
            Self::Nautobot => &["location", "role", "tag", "status", "platform"],
            Self::Netbox => &["site", "role", "tag", "status", "platform"],
        }
    }
}

/// The `source:` of an inventory: where its devices are read, with what
/// token (named, never given), selected how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventorySource {
    /// Nautobot or NetBox.
    pub kind: SourceKind,
    /// Its base URL (http or https), without `/api`.
    pub url: String,
    /// The environment variable holding the API token.
    pub token_env: String,
    /// Filter name → values (any value matches; every filter must).
    pub filter: BTreeMap<String, Vec<String>>,
    /// Place of `source:` in the file, for errors about what it read.
    pub line: u64,
}

/// A device as a source of truth describes it, before the inventory's
/// defaults apply. `None`: the source has no value for it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FetchedDevice {
    /// Its name.
    pub name: String,
    /// The source's own id of it.
    pub id: String,
    /// Its management address (the primary IP, without the prefix length).
    pub address: String,
    /// Role name.
    pub role: String,
    /// Location or site name.
    pub site: String,
    /// SONiC platform string.
    pub platform: Option<String>,
    /// Hardware SKU.
    pub hwsku: Option<String>,
    /// SONiC version.
    pub sonic_version: Option<String>,
    /// Tag names.
    pub tags: Vec<String>,
    /// Template values.
    pub vars: BTreeMap<String, String>,
}

/// What a source's devices take from `defaults:`.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SourceDefaults {
    user: String,
    ssh_port: u16,
    credential: CredentialRef,
    known_hosts: String,
    platform: String,
    hwsku: String,
    sonic_version: String,
}

/// A parsed inventory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inventory {
    /// The file it came from.
    pub file: String,
    /// Devices in file order, then those read from the source.
    pub devices: Vec<Device>,
    /// The source of truth the file names, if any.
    pub source: Option<InventorySource>,
    source_defaults: Option<SourceDefaults>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDefaults {
    user: Option<String>,
    ssh_port: Option<u16>,
    credential: Option<Spanned<CredentialRef>>,
    known_hosts: Option<Spanned<String>>,
    platform: Option<String>,
    hwsku: Option<String>,
    sonic_version: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDevice {
    name: Spanned<String>,
    address: Spanned<String>,
    ssh_port: Option<u16>,
    user: Option<String>,
    credential: Option<Spanned<CredentialRef>>,
    known_hosts: Option<Spanned<String>>,
    platform: Option<String>,
    hwsku: Option<String>,
    sonic_version: Option<String>,
    #[serde(default)]
    role: String,
    #[serde(default)]
    site: String,
    #[serde(default)]
    tags: Vec<String>,
    #[serde(default)]
    vars: BTreeMap<String, String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawInventory {
    #[serde(default)]
    defaults: RawDefaults,
    #[serde(default)]
    devices: Vec<Spanned<RawDevice>>,
    source: Option<Spanned<RawSource>>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
enum RawSource {
    Nautobot(RawSourceQuery),
    Netbox(RawSourceQuery),
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawSourceQuery {
    url: Spanned<String>,
    token_env: Spanned<String>,
    #[serde(default)]
    filter: BTreeMap<String, Spanned<OneOrMany>>,
}

#[derive(Debug, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

/// A file the inventory names (a key file or a known_hosts file), resolved,
/// with the place that names it.
struct NamedFile {
    path: String,
    what: &'static str,
    field: String,
    loc: Location,
}

impl NamedFile {
    /// Refuses a file that does not exist or is not a regular file. Only its
    /// metadata is read; the content is the worker's business.
    fn check(&self, inventory: &str) -> Result<(), SourceError> {
        let problem = match std::fs::metadata(&self.path) {
            Ok(meta) if meta.is_file() => return Ok(()),
            Ok(_) => format!("{} {} is not a regular file", self.what, self.path),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => format!("{} {} does not exist", self.what, self.path),
            Err(e) => format!("{} {} cannot be checked: {e}", self.what, self.path),
        };
        Err(SourceError::at(inventory, self.loc, self.field.clone(), problem))
    }
}

/// A name a device may have (it becomes part of workflow ids).
fn is_device_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c))
}

/// One device of the file with the defaults applied, and the files it
/// names; or every mistake of it.
/// The device's own value, else the defaults', with the field that gave
/// it (`own_field`, or `defaults.<what>`); none when neither has one.
fn given<'a, T>(own: &'a Option<T>, default: &'a Option<T>, own_field: String, what: &str) -> Option<(&'a T, String)> {
    match (own, default) {
        (Some(v), _) => Some((v, own_field)),
        (None, Some(v)) => Some((v, format!("defaults.{what}"))),
        (None, None) => None,
    }
}

fn device_of(
    file: &str,
    i: usize,
    spanned: &Spanned<RawDevice>,
    defaults: &RawDefaults,
    resolve: &dyn Fn(&str) -> String,
) -> Result<(Device, Vec<NamedFile>), Vec<SourceError>> {
    let d = &spanned.value;
    let field = |name: &str| format!("devices[{i}].{name}");
    let name = d.name.value.trim();
    let mut errors = Vec::new();
    let mut files = Vec::new();
    if d.address.value.trim().is_empty() {
        errors.push(SourceError::at(file, d.address.referenced, field("address"), "address must not be empty"));
    }
    let missing = |what: &str| SourceError::at(file, spanned.referenced, field(what),
        format!("no {what} for device {name:?} and none in defaults"));
    let credential = given(&d.credential, &defaults.credential, field("credential"), "credential");
    let known_hosts = given(&d.known_hosts, &defaults.known_hosts, field("known_hosts"), "known_hosts");
    if credential.is_none() {
        errors.push(missing("credential"));
    }
    if known_hosts.is_none() {
        errors.push(missing("known_hosts"));
    }
    let credential = credential.map(|(credential, cred_field)| match &credential.value {
        CredentialRef::KeyFile(p) => {
            files.push(NamedFile { path: resolve(p), what: "key file", field: format!("{cred_field}.key_file"), loc: credential.referenced });
            CredentialRef::KeyFile(resolve(p))
        }
        other => other.clone(),
    });
    if let Some((known_hosts, kh_field)) = &known_hosts {
        files.push(NamedFile { path: resolve(&known_hosts.value), what: "known_hosts file", field: kh_field.clone(), loc: known_hosts.referenced });
    }
    let user = d.user.clone().or_else(|| defaults.user.clone());
    if user.is_none() {
        errors.push(missing("user"));
    }
    let (Some(credential), Some((known_hosts, _)), Some(user), true) = (credential, known_hosts, user, errors.is_empty()) else {
        return Err(errors);
    };
    let device = Device {
        name: name.to_string(),
        address: d.address.value.trim().to_string(),
        ssh_port: d.ssh_port.or(defaults.ssh_port).unwrap_or(22),
        user,
        credential,
        known_hosts: resolve(&known_hosts.value),
        platform: d.platform.clone().or_else(|| defaults.platform.clone()).unwrap_or_default(),
        hwsku: d.hwsku.clone().or_else(|| defaults.hwsku.clone()).unwrap_or_default(),
        sonic_version: d.sonic_version.clone().or_else(|| defaults.sonic_version.clone()).unwrap_or_default(),
        role: d.role.clone(),
        site: d.site.clone(),
        tags: d.tags.clone(),
        vars: d.vars.clone(),
        source_ref: String::new(),
    };
    Ok((device, files))
}

/// The `source:` block, checked: a URL, a variable name, known filters.
fn parse_source(file: &str, spanned: &Spanned<RawSource>) -> Result<InventorySource, SourceError> {
    let (kind, query) = match &spanned.value {
        RawSource::Nautobot(q) => (SourceKind::Nautobot, q),
        RawSource::Netbox(q) => (SourceKind::Netbox, q),
    };
    let field = |f: &str| format!("source.{}.{f}", kind.name());
    let url = query.url.value.trim().trim_end_matches('/').to_string();
    let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or("");
    if host.is_empty() || host.starts_with('/') {
        return Err(SourceError::at(file, query.url.referenced, field("url"), format!("{url:?} is not an http:// or https:// URL")));
    }
    let var = query.token_env.value.trim();
    if var.is_empty() || !var.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(SourceError::at(file, query.token_env.referenced, field("token_env"),
            format!("{var:?} is not an environment variable's name (the token itself never goes in the file)")));
    }
    let mut filter = BTreeMap::new();
    for (name, values) in &query.filter {
        if !kind.filters().contains(&name.as_str()) {
            return Err(SourceError::at(file, values.referenced, field(&format!("filter.{name}")),
                format!("{} filters devices by {}; not by {name:?}", kind.name(), kind.filters().join(", "))));
        }
        let values = match &values.value {
            OneOrMany::One(v) => vec![v.clone()],
            OneOrMany::Many(v) => v.clone(),
        };
        if values.is_empty() || values.iter().any(|v| v.trim().is_empty()) {
            return Err(SourceError::at(file, query.filter[name].referenced, field(&format!("filter.{name}")), "an empty value selects nothing"));
        }
        filter.insert(name.clone(), values);
    }
    Ok(InventorySource { kind, url, token_env: var.to_string(), filter, line: spanned.referenced.line() })
}

/// `p` as a path: `~/…` under `home`, a relative path under `base` (the
/// inventory's folder), an absolute one as it is.
fn expand_path(p: &str, base: &Path, home: Option<&Path>) -> String {
    if let (Some(rest), Some(home)) = (p.strip_prefix("~/"), home) {
        return home.join(rest).to_string_lossy().into_owned();
    }
    let path = Path::new(p);
    if path.is_absolute() { p.to_string() } else { base.join(path).to_string_lossy().into_owned() }
}

impl Inventory {
    /// Parses inventory text. `file` names it in errors; relative paths in it
    /// are resolved against the file's directory. Never touches the files
    /// it names (see [`Inventory::load`]).
    pub fn parse(file: &str, text: &str) -> Result<Self, SourceError> {
        Self::parse_naming_files(file, text).map(|(inventory, _)| inventory)
    }

    /// Parses, and lists the files the inventory names with their places.
    fn parse_naming_files(file: &str, text: &str) -> Result<(Self, Vec<NamedFile>), SourceError> {
        let raw: RawInventory = serde_saphyr::from_str(text).map_err(|e| SourceError::from_yaml(file, text, &e))?;
        let base = Path::new(file).parent().unwrap_or(Path::new("."));
        let home = std::env::var_os("HOME").map(std::path::PathBuf::from);
        let resolve = |p: &str| expand_path(p, base, home.as_deref());
        let mut devices: Vec<Device> = Vec::with_capacity(raw.devices.len());
        let mut files = Vec::new();
        let mut seen: BTreeMap<String, u64> = BTreeMap::new();
        // Every device is read, so a file's mistakes are all said at once.
        let mut errors = Vec::new();
        for (i, spanned) in raw.devices.iter().enumerate() {
            let d = &spanned.value;
            let field = |name: &str| format!("devices[{i}].{name}");
            let name = d.name.value.trim();
            if !is_device_name(name) {
                errors.push(SourceError::at(file, d.name.referenced, field("name"),
                    format!("device name {:?} must be non-empty and use only letters, digits, '-', '_' and '.'", d.name.value)));
                continue;
            }
            if let Some(first) = seen.insert(name.to_string(), d.name.referenced.line()) {
                errors.push(SourceError::at(file, d.name.referenced, field("name"),
                    format!("duplicate device name {name:?} (first defined on line {first})")));
                continue;
            }
            match device_of(file, i, spanned, &raw.defaults, &resolve) {
                Ok((device, named)) => {
                    devices.push(device);
                    files.extend(named);
                }
                Err(e) => errors.extend(e),
            }
        }
        let (source, source_defaults) = match &raw.source {
            None => (None, None),
            // The source's mistakes join the devices'.
            Some(spanned) => match (|| {
                let source = parse_source(file, spanned)?;
                let need = |what: &str| SourceError::at(file, spanned.referenced, format!("defaults.{what}"),
                    format!("a source's devices take their {what} from defaults: set defaults.{what}"));
                let credential = raw.defaults.credential.as_ref().ok_or_else(|| need("credential"))?;
                let known_hosts = raw.defaults.known_hosts.as_ref().ok_or_else(|| need("known_hosts"))?;
                let credential = match &credential.value {
                    CredentialRef::KeyFile(p) => {
                        files.push(NamedFile { path: resolve(p), what: "key file", field: "defaults.credential.key_file".into(), loc: credential.referenced });
                        CredentialRef::KeyFile(resolve(p))
                    }
                    other => other.clone(),
                };
                files.push(NamedFile { path: resolve(&known_hosts.value), what: "known_hosts file", field: "defaults.known_hosts".into(), loc: known_hosts.referenced });
                let defaults = SourceDefaults {
                    user: raw.defaults.user.clone().ok_or_else(|| need("user"))?,
                    ssh_port: raw.defaults.ssh_port.unwrap_or(22),
                    credential,
                    known_hosts: resolve(&known_hosts.value),
                    platform: raw.defaults.platform.clone().unwrap_or_default(),
                    hwsku: raw.defaults.hwsku.clone().unwrap_or_default(),
                    sonic_version: raw.defaults.sonic_version.clone().unwrap_or_default(),
                };
                Ok((Some(source), Some(defaults)))
            })() {
                Ok(read) => read,
                Err(e) => {
                    errors.push(e);
                    (None, None)
                }
            },
        };
        if raw.source.is_none() && raw.devices.is_empty() {
            errors.push(SourceError::at(file, Location::UNKNOWN, "devices", "no devices and no source: list devices, or name a source (nautobot, netbox)"));
        }
        if let Some(e) = SourceError::all(errors) {
            return Err(e);
        }
        Ok((Self { file: file.to_string(), devices, source, source_defaults }, files))
    }

    /// Adds the devices read from the file's source, with the file's
    /// defaults. A device the file lists too, or one the source gives
    /// twice, is refused, named.
    pub fn add_fetched(&mut self, fetched: Vec<FetchedDevice>) -> Result<(), SourceError> {
        let (Some(source), Some(defaults)) = (&self.source, &self.source_defaults) else {
            return Err(SourceError::at(&self.file, Location::UNKNOWN, "source", "this inventory names no source"));
        };
        let at = |field: String, why: String| SourceError { file: self.file.clone(), line: source.line, column: 0, field, message: why, also: Vec::new() };
        let mut added = Vec::with_capacity(fetched.len());
        for d in fetched {
            let field = format!("source.{} device {} (id {})", source.kind.name(), d.name, d.id);
            if !is_device_name(&d.name) {
                return Err(at(field, format!("device name {:?} must be non-empty and use only letters, digits, '-', '_' and '.'", d.name)));
            }
            if self.devices.iter().chain(added.iter()).any(|known: &Device| known.name == d.name) {
                return Err(at(field, format!("device {} is listed twice (in the file's devices or by the source)", d.name)));
            }
            added.push(Device {
                name: d.name,
                address: d.address,
                ssh_port: defaults.ssh_port,
                user: defaults.user.clone(),
                credential: defaults.credential.clone(),
                known_hosts: defaults.known_hosts.clone(),
                platform: d.platform.unwrap_or_else(|| defaults.platform.clone()),
                hwsku: d.hwsku.unwrap_or_else(|| defaults.hwsku.clone()),
                sonic_version: d.sonic_version.unwrap_or_else(|| defaults.sonic_version.clone()),
                role: d.role,
                site: d.site,
                tags: d.tags,
                vars: d.vars,
                source_ref: format!("{}:{}", source.kind.name(), d.id),
            });
        }
        self.devices.extend(added);
        Ok(())
    }

    /// Reads and parses an inventory file, and checks that every key file
    /// and known_hosts file it names exists.
    pub fn load(path: &Path) -> Result<Self, SourceError> {
        let (file, text) = crate::source::read_text(path, "inventory")?;
        let (inventory, files) = Self::parse_naming_files(&file, &text)?;
        // Every missing file at once, as every mistake of the text.
        let missing = files.iter().filter_map(|named| named.check(&file).err()).collect();
        match SourceError::all(missing) {
            Some(e) => Err(e),
            None => Ok(inventory),
        }
    }

    /// The device with this name.
    pub fn device(&self, name: &str) -> Option<&Device> {
        self.devices.iter().find(|d| d.name == name)
    }
}

/// Matches `text` against a glob with `*` (any run) and `?` (one
/// character), as inventory selectors and redis `KEYS` patterns use them.
/// switchyard's own key patterns contain no `[`, `]` or `\\` (the names
/// they are built from cannot), so this and redis agree on every pattern
/// it guards with.
pub fn glob_match(pattern: &str, text: &str) -> bool {
    wildmatch::WildMatch::new(pattern).matches(text)
}

#[cfg(test)]
mod tests {

    #[test]
    fn a_path_under_home_is_expanded_and_a_relative_one_is_from_the_file() {
        let base = Path::new("/etc/switchyard");
        assert_eq!(expand_path("~/.ssh/id_ed25519", base, Some(Path::new("/home/netops"))), "/home/netops/.ssh/id_ed25519");
        assert_eq!(expand_path("keys/id", base, Some(Path::new("/home/netops"))), "/etc/switchyard/keys/id");
        assert_eq!(expand_path("/abs/id", base, None), "/abs/id");
        // Without a home, `~` is an ordinary folder name.
        assert_eq!(expand_path("~/id", base, None), "/etc/switchyard/~/id");
    }

    use super::*;

    const GOOD: &str = "defaults:\n  user: admin\n  credential: { key_file: id_ed25519 }\n  known_hosts: known_hosts\ndevices:\n  - name: a1\n    address: 10.0.0.1\n    role: leaf\n    vars: { uplink: Ethernet0 }\n  - name: a2\n    address: 10.0.0.2\n    credential: { password_env: A2_PASSWORD }\n";

    #[test]
    fn parses_and_applies_defaults() {
        let inv = Inventory::parse("lab/inv.yaml", GOOD).unwrap();
        assert_eq!(inv.devices.len(), 2);
        assert_eq!(inv.devices[0].credential, CredentialRef::KeyFile("lab/id_ed25519".into()));
        assert_eq!(inv.devices[0].known_hosts, "lab/known_hosts");
        assert_eq!(inv.devices[1].credential, CredentialRef::PasswordEnv("A2_PASSWORD".into()));
        assert_eq!(inv.devices[0].vars["uplink"], "Ethernet0");
        assert_eq!(inv.devices[1].ssh_port, 22);
    }

    #[test]
    fn duplicate_names_name_the_line() {
        let text = GOOD.replace("name: a2", "name: a1");
        let err = Inventory::parse("inv.yaml", &text).unwrap_err();
        assert_eq!((err.line, err.field.as_str()), (10, "devices[1].name"));
        assert!(err.message.contains("duplicate device name \"a1\" (first defined on line 6)"), "{err}");
    }

    #[test]
    fn every_mistake_of_the_file_is_said_at_once_in_file_order() {
        let text = "defaults:\n  credential: { key_file: id_ed25519 }\ndevices:\n  - name: b1\n    address: ''\n    user: admin\n    known_hosts: kh\n  - name: b2\n    address: 10.0.0.2\n  - name: b1\n    address: 10.0.0.3\n";
        let err = Inventory::parse("inv.yaml", text).unwrap_err();
        let each: Vec<(u64, String)> = err.into_each().into_iter().map(|e| (e.line, e.field)).collect();
        assert_eq!(each, [
            (5, "devices[0].address".to_string()),
            (8, "devices[1].known_hosts".to_string()),
            (8, "devices[1].user".to_string()),
            (10, "devices[2].name".to_string()),
        ]);
    }

    #[test]
    fn unknown_keys_are_refused_with_their_line() {
        let text = GOOD.replace("    role: leaf\n", "    role: leaf\n    rol: spine\n");
        let err = Inventory::parse("inv.yaml", &text).unwrap_err();
        assert_eq!(err.line, 9, "{err}");
        assert!(err.message.contains("rol"), "{err}");
    }

    #[test]
    fn globs() {
        assert!(glob_match("sonic-d00*", "sonic-d001"));
        assert!(glob_match("*", ""));
        assert!(glob_match("a?c", "abc"));
        assert!(!glob_match("a?c", "abbc"));
        assert!(glob_match("*-d*1", "sonic-d011"));
    }
}
