//! The service over HTTPS: the certificate and key it serves, re-read when
//! either file changes (a renewal needs no restart), and optional mutual
//! TLS, a client certificate from a CA the operator names before any
//! request is read.
//!
//! A connection's handshake runs in its own task, so a slow or silent
//! client never holds up the others; axum sees only finished TLS streams.
//!
//! Must never: serve an expired certificate it could refuse at start, drop
//! the certificate in force because a renewal is broken (it says why and
//! keeps serving the one it has), or put a key's bytes in an error.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use std::time::{Duration, SystemTime};

use rustls::server::{ClientHello, ResolvesServerCert, WebPkiClientVerifier};
use rustls::sign::CertifiedKey;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::server::TlsStream;

/// How often the certificate files are looked at for a change.
const RELOAD_CHECK: Duration = Duration::from_secs(2);
/// A client that has not finished its handshake by then is dropped.
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(10);
/// Finished handshakes waiting for axum to take them.
const ACCEPTED_QUEUE: usize = 64;

/// The files the service's TLS comes from.
#[derive(Debug, Clone)]
pub(crate) struct TlsFiles {
    pub(crate) cert: PathBuf,
    pub(crate) key: PathBuf,
    pub(crate) client_ca: Option<PathBuf>,
}

/// The certificate in force, replaced when its files change.
#[derive(Debug)]
struct Reloading {
    files: TlsFiles,
    current: RwLock<Arc<CertifiedKey>>,
}

impl ResolvesServerCert for Reloading {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.current.read().unwrap_or_else(|e| e.into_inner()).clone())
    }
}

/// The certificate chain and key of `files`, checked: the leaf is valid
/// now and the key is the leaf's.
fn load(files: &TlsFiles) -> anyhow::Result<Arc<CertifiedKey>> {
    switchyard_starter::connection::check_certificate_file("--tls-cert", &files.cert)?;
    let chain = switchyard_http::read_certs(&files.cert).map_err(anyhow::Error::msg)?;
    let key = switchyard_http::read_key(&files.key).map_err(anyhow::Error::msg)?;
    let signer = rustls::crypto::ring::sign::any_supported_type(&key)
        .map_err(|e| anyhow::anyhow!("--tls-key {}: not a key this service can sign with: {e}", files.key.display()))?;
    let certified = CertifiedKey::new(chain, signer);
    certified.keys_match().map_err(|e| anyhow::anyhow!("--tls-key {} is not the key of --tls-cert {}: {e}", files.key.display(), files.cert.display()))?;
    Ok(Arc::new(certified))
}

/// What identifies a version of the files: their modification times and sizes.
fn stamp(files: &TlsFiles) -> Option<[(SystemTime, u64); 2]> {
    let one = |path: &Path| std::fs::metadata(path).ok().and_then(|m| Some((m.modified().ok()?, m.len())));
    Some([one(&files.cert)?, one(&files.key)?])
}

/// The acceptor for `files`, refused at start when any file cannot be used,
/// and the task that re-reads the certificate when its files change.
pub(crate) fn acceptor(files: TlsFiles) -> anyhow::Result<TlsAcceptor> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let reloading = Arc::new(Reloading { current: RwLock::new(load(&files)?), files });
    let builder = rustls::ServerConfig::builder_with_provider(provider.clone()).with_safe_default_protocol_versions()?;
    let builder = match &reloading.files.client_ca {
        Some(ca) => {
            switchyard_starter::connection::check_certificate_file("--tls-client-ca", ca)?;
            let mut roots = rustls::RootCertStore::empty();
            let (added, _) = roots.add_parsable_certificates(switchyard_http::read_certs(ca).map_err(anyhow::Error::msg)?);
            anyhow::ensure!(added > 0, "--tls-client-ca {}: holds no usable CA certificate", ca.display());
            let verifier = WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider).build()
                .map_err(|e| anyhow::anyhow!("--tls-client-ca {}: {e}", ca.display()))?;
            builder.with_client_cert_verifier(verifier)
        }
        None => builder.with_no_client_auth(),
    };
    let mut config = builder.with_cert_resolver(reloading.clone());
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    tokio::spawn(reload(reloading));
    Ok(TlsAcceptor::from(Arc::new(config)))
}

/// Re-reads the certificate whenever its files change; a broken renewal
/// (half-written, expired, key of another certificate) is logged and the
/// certificate in force kept, and tried again at the next change.
async fn reload(reloading: Arc<Reloading>) {
    let mut seen = stamp(&reloading.files);
    loop {
        tokio::time::sleep(RELOAD_CHECK).await;
        let now = stamp(&reloading.files);
        if now == seen || now.is_none() {
            continue;
        }
        seen = now;
        match load(&reloading.files) {
            Ok(certified) => {
                *reloading.current.write().unwrap_or_else(|e| e.into_inner()) = certified;
                tracing::info!(cert = %reloading.files.cert.display(), "Serving the renewed TLS certificate");
            }
            Err(why) => tracing::warn!(%why, "The TLS certificate files changed but cannot be used; still serving the previous certificate"),
        }
    }
}

/// TLS connections, handshakes done, for `axum::serve`.
pub(crate) struct TlsListener {
    accepted: mpsc::Receiver<(TlsStream<TcpStream>, SocketAddr)>,
    local: SocketAddr,
}

impl TlsListener {
    /// Accepts on `tcp`, each handshake in its own task.
    pub(crate) fn new(tcp: TcpListener, acceptor: TlsAcceptor) -> std::io::Result<Self> {
        let local = tcp.local_addr()?;
        let (tx, accepted) = mpsc::channel(ACCEPTED_QUEUE);
        tokio::spawn(async move {
            loop {
                let (stream, peer) = match tcp.accept().await {
                    Ok(conn) => conn,
                    Err(e) => {
                        // Out of descriptors and the like: wait, do not spin.
                        tracing::warn!(error = %e, "Cannot accept a connection");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                        continue;
                    }
                };
                let (acceptor, tx) = (acceptor.clone(), tx.clone());
                tokio::spawn(async move {
                    match tokio::time::timeout(HANDSHAKE_TIMEOUT, acceptor.accept(stream)).await {
                        Ok(Ok(tls)) => {
                            let _ = tx.send((tls, peer)).await;
                        }
                        // A client without an acceptable certificate, or
                        // speaking plain HTTP, ends here: nothing of it
                        // reaches a handler.
                        Ok(Err(e)) => tracing::info!(%peer, error = %e, "TLS handshake refused"),
                        Err(_) => tracing::info!(%peer, "TLS handshake timed out"),
                    }
                });
            }
        });
        Ok(Self { accepted, local })
    }
}

impl axum::serve::Listener for TlsListener {
    type Io = TlsStream<TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, Self::Addr) {
        match self.accepted.recv().await {
            Some(conn) => conn,
            // The accepting task never ends while the service runs.
            None => std::future::pending().await,
        }
    }

    fn local_addr(&self) -> std::io::Result<Self::Addr> {
        Ok(self.local)
    }
}
