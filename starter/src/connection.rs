//! How switchyard reaches Temporal: the address, the namespace, TLS, mTLS
//! and an API key, for the CLI, the service and the worker alike.
//!
//! Temporal's own configuration is read first (its environment variables,
//! `TEMPORAL_ADDRESS`, `TEMPORAL_NAMESPACE`, `TEMPORAL_API_KEY`,
//! `TEMPORAL_TLS_*`, and the profile `TEMPORAL_PROFILE` names in its
//! configuration file, as the `temporal` CLI reads them); each of
//! switchyard's options that is given takes precedence. Every file is read
//! and checked before anything connects, so a missing, unreadable or
//! expired certificate is named with its reason at start. Must never: put
//! an API key or a private key's content in an error, a log line or a
//! result.

use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use clap::Args;
use switchyard_proto::time::format_rfc3339;
use temporalio_client::envconfig::{ClientConfigProfile, DataSource, LoadClientConfigProfileOptions};
use temporalio_client::{ClientTlsOptions, TlsOptions};
use url::Url;

/// The address used when neither switchyard's options nor Temporal's
/// configuration name one: a dev server on this machine (over TLS when
/// TLS settings are given).
pub const DEFAULT_ADDRESS: &str = "127.0.0.1:7233";
const DEFAULT_NAMESPACE: &str = "default";

/// switchyard's options for reaching Temporal. Each one left out falls back
/// to Temporal's own environment variables and configuration profile.
#[derive(Debug, Clone, Default, Args)]
pub struct TemporalArgs {
    /// Temporal frontend: host:port, http://host:port or https://host:port
    /// (default: TEMPORAL_ADDRESS or the profile's, else 127.0.0.1:7233).
    #[arg(long = "temporal-address", global = true, env = "SWITCHYARD_TEMPORAL_ADDRESS")]
    pub address: Option<String>,
    /// Temporal namespace (default: TEMPORAL_NAMESPACE or the profile's, else default).
    #[arg(long, global = true, env = "SWITCHYARD_NAMESPACE")]
    pub namespace: Option<String>,
    /// Connect with TLS (implied by https://, a CA, a client certificate or an API key).
    #[arg(long = "temporal-tls", global = true, env = "SWITCHYARD_TEMPORAL_TLS")]
    pub tls: bool,
    /// PEM file of the CA that signed the frontend's certificate (default: the system's roots).
    #[arg(long = "temporal-ca-cert", global = true, env = "SWITCHYARD_TEMPORAL_CA_CERT", value_name = "FILE")]
    pub ca_cert: Option<PathBuf>,
    /// Name the frontend's certificate must carry, when it is not the address's host.
    #[arg(long = "temporal-server-name", global = true, env = "SWITCHYARD_TEMPORAL_SERVER_NAME", value_name = "NAME")]
    pub server_name: Option<String>,
    /// PEM file of this client's certificate, for mTLS (with --temporal-client-key).
    #[arg(long = "temporal-client-cert", global = true, env = "SWITCHYARD_TEMPORAL_CLIENT_CERT", value_name = "FILE")]
    pub client_cert: Option<PathBuf>,
    /// PEM file of this client's private key, for mTLS (with --temporal-client-cert).
    #[arg(long = "temporal-client-key", global = true, env = "SWITCHYARD_TEMPORAL_CLIENT_KEY", value_name = "FILE")]
    pub client_key: Option<PathBuf>,
    /// File holding the API key sent as `authorization: Bearer` (Temporal
    /// Cloud's); or set SWITCHYARD_TEMPORAL_API_KEY or TEMPORAL_API_KEY. Never
    /// an option's value: command lines are visible to every user.
    #[arg(long = "temporal-api-key-file", global = true, env = "SWITCHYARD_TEMPORAL_API_KEY_FILE", value_name = "FILE")]
    pub api_key_file: Option<PathBuf>,
    /// The profile of Temporal's configuration file to read (default: TEMPORAL_PROFILE, else default).
    #[arg(long = "temporal-profile", global = true, env = "SWITCHYARD_TEMPORAL_PROFILE", value_name = "NAME")]
    pub profile: Option<String>,
}

/// What reaching Temporal takes, resolved and checked.
#[derive(Clone)]
pub struct Resolved {
    /// The frontend's URL.
    pub target: Url,
    /// The namespace.
    pub namespace: String,
    /// TLS settings; none for plain TCP.
    pub tls: Option<TlsOptions>,
    /// The API key, if any (sent as `authorization: Bearer`).
    pub api_key: Option<String>,
    /// gRPC headers Temporal's profile adds.
    pub headers: Option<std::collections::HashMap<String, String>>,
    /// Where each setting came from, for errors: the CA file, whether a
    /// client certificate and an API key are configured.
    pub ca_file: Option<String>,
    /// The client certificate's file, when mTLS is configured.
    pub client_cert_file: Option<String>,
}

impl std::fmt::Debug for Resolved {
    // The API key and the client's key never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Resolved")
            .field("target", &self.target.as_str())
            .field("namespace", &self.namespace)
            .field("tls", &self.tls.is_some())
            .field("api_key", &self.api_key.as_ref().map(|_| "<set>"))
            .field("ca_file", &self.ca_file)
            .field("client_cert_file", &self.client_cert_file)
            .finish()
    }
}

/// Why the connection settings cannot be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// Temporal's environment or configuration file is malformed.
    #[error("Temporal's configuration (environment or profile): {0}")]
    Profile(String),
    /// The address is not one switchyard can connect to.
    #[error("Temporal address {address:?}: {why}")]
    Address {
        /// The address as given.
        address: String,
        /// Why.
        why: String,
    },
    /// A file named in the settings cannot be used.
    #[error("{what} {path}: {why}")]
    File {
        /// What the file is for (e.g. "--temporal-client-cert").
        what: &'static str,
        /// Its path.
        path: String,
        /// Why it cannot be used.
        why: String,
    },
    /// Settings that do not go together.
    #[error("{0}")]
    Conflict(String),
}

impl TemporalArgs {
    /// The settings from these options over Temporal's own configuration.
    pub fn resolve(&self) -> Result<Resolved, SettingsError> {
        let options = LoadClientConfigProfileOptions::builder().maybe_config_file_profile(self.profile.clone()).build();
        let profile = temporalio_common::envconfig::load_client_config_profile(options, None).map_err(|e| SettingsError::Profile(e.to_string()))?;
        self.resolve_over(profile, std::env::var("SWITCHYARD_TEMPORAL_API_KEY").ok().filter(|k| !k.is_empty()), now_secs())
    }

    /// [`resolve`](Self::resolve) over a given profile, API key variable and time.
    fn resolve_over(&self, profile: ClientConfigProfile, api_key_var: Option<String>, now: i64) -> Result<Resolved, SettingsError> {
        let ClientConfigProfile { address, namespace, api_key, tls, grpc_meta, .. } = profile;
        let tls_profile = tls.unwrap_or_default();
        let api_key = match &self.api_key_file {
            Some(path) => Some(read_key_file(path)?),
            None => api_key_var.or(api_key),
        };
        let address = self.address.clone().or(address).unwrap_or_else(|| DEFAULT_ADDRESS.to_string());
        let ca = match &self.ca_cert {
            Some(path) => Some(Source::File("--temporal-ca-cert", path.clone())),
            None => tls_profile.server_ca_cert.map(|d| Source::of(d, "TEMPORAL_TLS_SERVER_CA_CERT_PATH")),
        };
        let cert = match &self.client_cert {
            Some(path) => Some(Source::File("--temporal-client-cert", path.clone())),
            None => tls_profile.client_cert.map(|d| Source::of(d, "TEMPORAL_TLS_CLIENT_CERT_PATH")),
        };
        let key = match &self.client_key {
            Some(path) => Some(Source::File("--temporal-client-key", path.clone())),
            None => tls_profile.client_key.map(|d| Source::of(d, "TEMPORAL_TLS_CLIENT_KEY_PATH")),
        };
        let server_name = self.server_name.clone().or(tls_profile.server_name);
        let https = address.starts_with("https://");
        let explicitly_off = tls_profile.disabled == Some(true) && !self.tls;
        let use_tls = https || self.tls || ca.is_some() || cert.is_some() || server_name.is_some()
            || (!explicitly_off && (tls_profile.disabled == Some(false) || api_key.is_some()));
        if address.starts_with("http://") && use_tls {
            return Err(SettingsError::Address {
                address,
                why: "http:// is plain TCP, but TLS is asked for (a CA, a client certificate, an API key or --temporal-tls): use https:// or host:port".into(),
            });
        }
        let target = parse_address(&address, use_tls)?;
        let client = match (cert, key) {
            (Some(cert), Some(key)) => {
                let cert_pem = cert.read()?;
                check_certificate(&cert, &cert_pem, now)?;
                let key_pem = key.read()?;
                if !String::from_utf8_lossy(&key_pem).contains("PRIVATE KEY-----") {
                    return Err(key.refused("not a PEM private key".into()));
                }
                Some((ClientTlsOptions::builder().client_cert(cert_pem).client_private_key(key_pem).build(), cert.describe()))
            }
            (Some(cert), None) => return Err(SettingsError::Conflict(format!("{} is given without its key (--temporal-client-key)", cert.describe()))),
            (None, Some(key)) => return Err(SettingsError::Conflict(format!("{} is given without its certificate (--temporal-client-cert)", key.describe()))),
            (None, None) => None,
        };
        let ca_pem = match &ca {
            Some(ca) => {
                let pem = ca.read()?;
                check_certificate(ca, &pem, now)?;
                Some(pem)
            }
            None => None,
        };
        let tls = use_tls.then(|| {
            let mut options = TlsOptions::default();
            options.server_root_ca_cert = ca_pem;
            options.domain = server_name;
            options.client_tls_options = client.as_ref().map(|(c, _)| c.clone());
            options
        });
        Ok(Resolved {
            target,
            namespace: self.namespace.clone().or(namespace).unwrap_or_else(|| DEFAULT_NAMESPACE.to_string()),
            tls,
            api_key,
            headers: (!grpc_meta.is_empty()).then_some(grpc_meta),
            ca_file: ca.map(|c| c.describe()),
            client_cert_file: client.map(|(_, file)| file),
        })
    }
}

impl Resolved {
    /// Why a connection failed, in an operator's words, naming the setting
    /// to look at: the CA the frontend's certificate does not chain to, a
    /// client certificate the frontend requires, an API key it refused.
    /// None when the error itself says all that is known.
    pub fn explain(&self, error: &str) -> Option<String> {
        let text = error.to_ascii_lowercase();
        let hint = if text.contains("unknownissuer") || text.contains("invalid peer certificate") || text.contains("certificate verify") {
            match &self.ca_file {
                Some(ca) => format!("the frontend's certificate is not signed by the CA in {ca} (or does not name {})", self.target.host_str().unwrap_or_default()),
                None => "the frontend's certificate does not chain to the system's roots: name its CA with --temporal-ca-cert".to_string(),
            }
        } else if self.tls.is_none() && (text.contains("connection reset") || text.contains("broken pipe") || text.contains("frame with invalid size")) {
            "the frontend may expect TLS: use https:// or --temporal-tls".to_string()
        } else if text.contains("unauthenticated") || text.contains("401") || text.contains("permission denied") || text.contains("403") {
            match &self.api_key {
                Some(_) => "the frontend refused the API key".to_string(),
                None => "the frontend asks for credentials: an API key (SWITCHYARD_TEMPORAL_API_KEY, TEMPORAL_API_KEY or --temporal-api-key-file) or a client certificate".to_string(),
            }
        } else if self.tls.is_some() && (text.contains("certificate") || text.contains("400") || text.contains("handshake") || text.contains("tls")) {
            match &self.client_cert_file {
                Some(cert) => format!("the frontend refused the TLS session with the client certificate {cert}"),
                None => "the frontend refused the TLS session: it may require a client certificate (--temporal-client-cert and --temporal-client-key)".to_string(),
            }
        } else if text.contains("connection refused") {
            "nothing listens there: is Temporal running, and is the address right (--temporal-address or SWITCHYARD_TEMPORAL_ADDRESS)?".to_string()
        } else if text.contains("dns error") || text.contains("failed to lookup address") || text.contains("name or service not known") {
            format!("the host name {} does not resolve", self.target.host_str().unwrap_or_default())
        } else if text.contains("timed out") || text.contains("deadline has elapsed") {
            "no answer in time: a firewall, or the wrong host or port".to_string()
        } else {
            return None;
        };
        Some(hint)
    }
}

/// Where a setting's bytes come from: a file named by an option, or
/// Temporal's configuration (a path or the PEM itself).
enum Source {
    File(&'static str, PathBuf),
    Inline(&'static str, Vec<u8>),
}

impl Source {
    fn of(data: DataSource, what: &'static str) -> Self {
        match data {
            DataSource::Path(path) => Source::File(what, PathBuf::from(path)),
            DataSource::Data(bytes) => Source::Inline(what, bytes),
            _ => Source::Inline(what, Vec::new()),
        }
    }

    fn read(&self) -> Result<Vec<u8>, SettingsError> {
        match self {
            Source::File(_, path) => std::fs::read(path).map_err(|e| self.refused(format!("cannot be read: {}", e.kind()))),
            Source::Inline(_, bytes) => Ok(bytes.clone()),
        }
    }

    fn describe(&self) -> String {
        match self {
            Source::File(what, path) => format!("{what} {}", path.display()),
            Source::Inline(what, _) => format!("{what} (given inline)"),
        }
    }

    fn refused(&self, why: String) -> SettingsError {
        match self {
            Source::File(what, path) => SettingsError::File { what, path: path.display().to_string(), why },
            Source::Inline(what, _) => SettingsError::File { what, path: "(given inline)".into(), why },
        }
    }
}

/// The PEM certificate file `path` (named `what` in the error) holds a
/// certificate valid now (the first one: the leaf of a chain).
pub fn check_certificate_file(what: &'static str, path: &Path) -> Result<(), SettingsError> {
    let source = Source::File(what, path.to_path_buf());
    check_certificate(&source, &source.read()?, now_secs())
}

/// A PEM certificate that is one and is valid now.
fn check_certificate(source: &Source, pem: &[u8], now: i64) -> Result<(), SettingsError> {
    use x509_cert::der::DecodePem;
    let text = String::from_utf8_lossy(pem);
    let Some(start) = text.find("-----BEGIN CERTIFICATE-----") else {
        return Err(source.refused("not a PEM certificate (no BEGIN CERTIFICATE block)".into()));
    };
    let end = text[start..].find("-----END CERTIFICATE-----").map_or(text.len(), |e| start + e + "-----END CERTIFICATE-----".len());
    let cert = x509_cert::Certificate::from_pem(&text[start..end]).map_err(|e| source.refused(format!("not a readable certificate: {e}")))?;
    let validity = &cert.tbs_certificate().validity();
    let secs = |t: &x509_cert::time::Time| t.to_unix_duration().as_secs() as i64;
    let (from, until) = (secs(&validity.not_before), secs(&validity.not_after));
    if now > until {
        return Err(source.refused(format!("the certificate expired at {}", format_rfc3339(until))));
    }
    if now < from {
        return Err(source.refused(format!("the certificate is not valid until {}", format_rfc3339(from))));
    }
    Ok(())
}

fn read_key_file(path: &Path) -> Result<String, SettingsError> {
    let refused = |why: String| SettingsError::File { what: "--temporal-api-key-file", path: path.display().to_string(), why };
    let text = std::fs::read_to_string(path).map_err(|e| refused(format!("cannot be read: {}", e.kind())))?;
    let key = text.trim();
    if key.is_empty() {
        return Err(refused("is empty".into()));
    }
    Ok(key.to_string())
}

/// `host:port`, `http://…` or `https://…` as a URL; a bare `host:port`
/// takes https when TLS is on.
fn parse_address(address: &str, tls: bool) -> Result<Url, SettingsError> {
    let refused = |why: String| SettingsError::Address { address: address.to_string(), why };
    let text = if address.contains("://") { address.to_string() } else { format!("{}://{address}", if tls { "https" } else { "http" }) };
    let url = Url::parse(&text).map_err(|e| refused(format!("not host:port or a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(refused(format!("scheme {} is neither http nor https", url.scheme())));
    }
    if url.host().is_none() {
        return Err(refused("no host".into()));
    }
    Ok(url)
}

fn now_secs() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args() -> TemporalArgs {
        TemporalArgs::default()
    }

    #[test]
    fn host_port_and_urls_are_addresses() {
        let plain = args().resolve_over(ClientConfigProfile::default(), None, 0).unwrap();
        assert_eq!((plain.target.as_str(), plain.namespace.as_str(), plain.tls.is_none()), ("http://127.0.0.1:7233/", "default", true));
        let bare = TemporalArgs { address: Some("temporal.example.net:7233".into()), ..args() }.resolve_over(ClientConfigProfile::default(), None, 0).unwrap();
        assert_eq!(bare.target.as_str(), "http://temporal.example.net:7233/");
        let key = TemporalArgs { address: Some("ns.tmprl.cloud:7233".into()), ..args() }
            .resolve_over(ClientConfigProfile::default(), Some("k".into()), 0).unwrap();
        assert_eq!(key.target.as_str(), "https://ns.tmprl.cloud:7233/", "an API key implies TLS");
        assert!(key.tls.is_some());
        assert!(!format!("{key:?}").contains("\"k\""), "the key stays out of Debug: {key:?}");
        let https = TemporalArgs { address: Some("https://t:7233".into()), ..args() }.resolve_over(ClientConfigProfile::default(), None, 0).unwrap();
        assert!(https.tls.is_some());
    }

    #[test]
    fn switchyard_options_win_over_temporal_configuration() {
        let profile = ClientConfigProfile::builder().address("from-env:7233".to_string()).namespace("env-ns".to_string()).build();
        let env = args().resolve_over(profile.clone(), None, 0).unwrap();
        assert_eq!((env.target.as_str(), env.namespace.as_str()), ("http://from-env:7233/", "env-ns"));
        let ours = TemporalArgs { address: Some("ours:7233".into()), namespace: Some("ours".into()), ..args() }.resolve_over(profile, None, 0).unwrap();
        assert_eq!((ours.target.as_str(), ours.namespace.as_str()), ("http://ours:7233/", "ours"));
    }

    #[test]
    fn bad_settings_are_named() {
        let missing = TemporalArgs { ca_cert: Some("/nonexistent/ca.pem".into()), ..args() }.resolve_over(ClientConfigProfile::default(), None, 0).unwrap_err();
        assert_eq!(missing.to_string(), "--temporal-ca-cert /nonexistent/ca.pem: cannot be read: entity not found");
        let half = TemporalArgs { client_cert: Some("/c.pem".into()), ..args() }.resolve_over(ClientConfigProfile::default(), None, 0).unwrap_err();
        assert!(half.to_string().contains("without its key"), "{half}");
        let http = TemporalArgs { address: Some("http://t:7233".into()), tls: true, ..args() }.resolve_over(ClientConfigProfile::default(), None, 0).unwrap_err();
        assert!(http.to_string().contains("http:// is plain TCP"), "{http}");
        let scheme = TemporalArgs { address: Some("ftp://t:7233".into()), ..args() }.resolve_over(ClientConfigProfile::default(), None, 0).unwrap_err();
        assert!(scheme.to_string().contains("neither http nor https"), "{scheme}");
    }
}
