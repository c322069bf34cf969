//! The one HTTP client of switchyard: one HTTP/1.1 request on a fresh
//! connection, `http://` or `https://` (verified against the system's trust
//! roots, or a private CA's, and with a client certificate where the server
//! asks for one; the ring provider already in the tree). The CLI's requests
//! to the service and the worker's webhook deliveries go through it.
//!
//! Through the proxy the environment names (`HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY`, minus `NO_PROXY`; see `proxy`), as curl would go.
//!
//! A fresh connection per request is deliberate: the CLI makes a handful,
//! a webhook delivery one, and nothing is left open between them.
//!
//! Must never: follow a redirect (it would carry a key or a signed body
//! elsewhere), or put a header's value in an error.

#![warn(missing_docs)]

mod proxy;

use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper_util::rt::TokioIo;

pub use hyper::{Method, Uri};

/// What the server answered.
#[derive(Debug, Clone)]
pub struct Response {
    /// The status code.
    pub status: u16,
    /// The whole body.
    pub body: Vec<u8>,
}

/// `text` percent-encoded for a path segment or a query value: every byte
/// but RFC 3986's unreserved characters.
pub fn encode_component(text: &str) -> String {
    text.bytes().map(|b| match b {
        b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
        _ => format!("%{b:02X}"),
    }).collect()
}

/// Sends `method` to `url` with `headers` (Host and Content-Length are
/// added) and `body`, `https://` verified against the system's roots; the
/// answer, or why there is none, in words that name the host but never a
/// header's value.
pub async fn request(method: Method, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Result<Response, String> {
    Client::system().request(method, url, headers, body).await
}

/// How `https://` is trusted and who the client is to the server. The
/// default: the system's roots, no client certificate.
#[derive(Debug, Clone, Default)]
pub struct TlsFiles {
    /// PEM file of CA certificates trusted besides the system's roots
    /// (a private CA that signed the server's certificate).
    pub ca: Option<PathBuf>,
    /// PEM client certificate (chain), sent when the server asks for one.
    pub client_cert: Option<PathBuf>,
    /// PEM private key of `client_cert`.
    pub client_key: Option<PathBuf>,
}

/// Requests with one TLS setting.
#[derive(Clone)]
pub struct Client {
    tls: Result<tokio_rustls::TlsConnector, String>,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client").finish_non_exhaustive()
    }
}

impl Client {
    /// `https://` verified against the system's roots, no client certificate.
    pub fn system() -> Self {
        static SYSTEM: OnceLock<Client> = OnceLock::new();
        SYSTEM.get_or_init(|| Self { tls: system_roots().and_then(|roots| connector(roots, None)) }).clone()
    }

    /// `https://` with `files`: their CA trusted besides the system's roots
    /// (a system without roots is fine when a CA is given), their client
    /// certificate offered. Every file is read now; a refusal names the
    /// file and what is wrong with it.
    pub fn with_files(files: &TlsFiles) -> Result<Self, String> {
        if files.ca.is_none() && files.client_cert.is_none() && files.client_key.is_none() {
            return Ok(Self::system());
        }
        let mut roots = system_roots().unwrap_or_else(|_| rustls::RootCertStore::empty());
        if let Some(ca) = &files.ca {
            let (added, _) = roots.add_parsable_certificates(read_certs(ca)?);
            if added == 0 {
                return Err(format!("CA file {}: holds a certificate that is not a usable CA certificate", ca.display()));
            }
        }
        if roots.is_empty() {
            return Err("no trusted root certificates found on this system; give a CA file".into());
        }
        let identity = match (&files.client_cert, &files.client_key) {
            (Some(cert), Some(key)) => Some((read_certs(cert)?, read_key(key)?)),
            (None, None) => None,
            (Some(_), None) => return Err("a client certificate needs its key file too".into()),
            (None, Some(_)) => return Err("a client key needs its certificate file too".into()),
        };
        Ok(Self { tls: connector(roots, identity) })
    }

    /// Sends `method` to `url` (see [`request`]), through the proxy the
    /// environment names for it.
    pub async fn request(&self, method: Method, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Result<Response, String> {
        let uri: Uri = url.parse().map_err(|e| format!("bad URL: {e}"))?;
        let https = match uri.scheme_str() {
            Some("https") => true,
            Some("http") => false,
            other => return Err(format!("scheme {} is neither http nor https", other.unwrap_or("(none)"))),
        };
        let host = uri.host().ok_or("the URL has no host")?.trim_start_matches('[').trim_end_matches(']').to_string();
        let proxy = proxy::from_env(https, &host)?;
        self.request_via(proxy, method, &uri, headers, body).await
    }

    async fn request_via(&self, proxy: Option<proxy::Proxy>, method: Method, uri: &Uri, headers: &[(&str, &str)], body: Vec<u8>) -> Result<Response, String> {
        let https = uri.scheme_str() == Some("https");
        let host = uri.host().ok_or("the URL has no host")?.trim_start_matches('[').trim_end_matches(']').to_string();
        let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
        let path = uri.path_and_query().map_or("/".to_string(), |p| p.to_string());
        // Through a proxy, plain HTTP names the whole URL; HTTPS tunnels.
        let target = match &proxy {
            Some(_) if !https => format!("http://{}{path}", uri.authority().map_or(host.clone(), |a| a.to_string())),
            _ => path,
        };
        let mut request = hyper::Request::builder().method(method).uri(target)
            .header(hyper::header::HOST, uri.authority().map_or(host.clone(), |a| a.to_string()));
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        if let Some(auth) = proxy.as_ref().filter(|_| !https).and_then(|p| p.authorization.as_deref()) {
            request = request.header(hyper::header::PROXY_AUTHORIZATION, auth);
        }
        let request = request.body(Full::new(Bytes::from(body))).map_err(|_| "a header is not valid in HTTP".to_string())?;
        let tcp = match &proxy {
            None => tokio::net::TcpStream::connect((host.as_str(), port)).await.map_err(|e| format!("cannot connect: {e}"))?,
            Some(p) if https => proxy::tunnel(p, &host, port).await?,
            Some(p) => tokio::net::TcpStream::connect((p.host.as_str(), p.port)).await
                .map_err(|e| format!("cannot connect to the proxy {}:{}: {e}", p.host, p.port))?,
        };
        if https {
            let name = rustls::pki_types::ServerName::try_from(host).map_err(|e| e.to_string())?;
            let stream = self.tls.clone()?.connect(name, tcp).await.map_err(|e| format!("TLS: {e}"))?;
            send(TokioIo::new(stream), request).await
        } else {
            send(TokioIo::new(tcp), request).await
        }
    }
}

async fn send<T>(io: T, request: hyper::Request<Full<Bytes>>) -> Result<Response, String>
where
    T: hyper::rt::Read + hyper::rt::Write + Unpin + Send + 'static,
{
    let (mut sender, connection) = hyper::client::conn::http1::handshake(io).await.map_err(|e| e.to_string())?;
    tokio::spawn(async move {
        let _ = connection.await;
    });
    let response = sender.send_request(request).await.map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let body = response.into_body().collect().await.map_err(|e| e.to_string())?.to_bytes().to_vec();
    Ok(Response { status, body })
}

/// The system's trusted roots (none is an error: nothing could be verified).
fn system_roots() -> Result<rustls::RootCertStore, String> {
    let mut roots = rustls::RootCertStore::empty();
    for cert in rustls_native_certs::load_native_certs().certs {
        let _ = roots.add(cert);
    }
    if roots.is_empty() {
        return Err("no trusted root certificates found on this system".into());
    }
    Ok(roots)
}

type Identity = (Vec<rustls::pki_types::CertificateDer<'static>>, rustls::pki_types::PrivateKeyDer<'static>);

fn connector(roots: rustls::RootCertStore, identity: Option<Identity>) -> Result<tokio_rustls::TlsConnector, String> {
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
        .with_safe_default_protocol_versions()
        .map_err(|e| e.to_string())?
        .with_root_certificates(roots);
    let config = match identity {
        Some((certs, key)) => builder.with_client_auth_cert(certs, key).map_err(|e| format!("the client certificate and key do not go together: {e}"))?,
        None => builder.with_no_client_auth(),
    };
    Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
}

/// Every certificate of a PEM file (at least one).
pub fn read_certs(path: &Path) -> Result<Vec<rustls::pki_types::CertificateDer<'static>>, String> {
    use rustls::pki_types::pem::PemObject;
    let bytes = std::fs::read(path).map_err(|e| format!("certificate file {}: cannot be read: {}", path.display(), e.kind()))?;
    let certs = rustls::pki_types::CertificateDer::pem_slice_iter(&bytes).collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("certificate file {}: not PEM certificates: {e}", path.display()))?;
    if certs.is_empty() {
        return Err(format!("certificate file {}: holds no certificate (no BEGIN CERTIFICATE block)", path.display()));
    }
    Ok(certs)
}

/// The private key of a PEM file (PKCS#8, PKCS#1 or SEC1). The error never
/// quotes the file's content.
pub fn read_key(path: &Path) -> Result<rustls::pki_types::PrivateKeyDer<'static>, String> {
    use rustls::pki_types::pem::PemObject;
    let bytes = std::fs::read(path).map_err(|e| format!("key file {}: cannot be read: {}", path.display(), e.kind()))?;
    rustls::pki_types::PrivateKeyDer::from_pem_slice(&bytes).map_err(|_| format!("key file {}: holds no PEM private key", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn refusals_name_what_is_wrong() {
        assert!(request(Method::GET, "ftp://x/", &[], vec![]).await.unwrap_err().contains("neither http nor https"));
        assert!(request(Method::GET, "not a url", &[], vec![]).await.unwrap_err().contains("bad URL"));
        // A closed port: nobody answers.
        assert!(request(Method::GET, "http://127.0.0.1:9/", &[], vec![]).await.unwrap_err().contains("cannot connect"));
    }

    use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
    use tokio::net::TcpListener;

    /// An origin that answers every request with the first line it read.
    async fn origin() -> u16 {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                tokio::spawn(async move {
                    let mut reader = BufReader::new(tcp);
                    let mut first = String::new();
                    reader.read_line(&mut first).await.unwrap();
                    let mut line = String::new();
                    while reader.read_line(&mut line).await.unwrap() > 2 {
                        line.clear();
                    }
                    let body = first.trim().to_string();
                    let answer = format!("HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}", body.len());
                    reader.into_inner().write_all(answer.as_bytes()).await.unwrap();
                });
            }
        });
        port
    }

    /// A forward proxy, as a corporate one behaves: `CONNECT` opens a
    /// tunnel, an absolute URL is fetched for the client; every request
    /// must carry the credentials. Returns its port and what it was asked.
    async fn forward_proxy() -> (u16, std::sync::Arc<std::sync::Mutex<Vec<String>>>) {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let asked = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let log = asked.clone();
        tokio::spawn(async move {
            while let Ok((tcp, _)) = listener.accept().await {
                let log = log.clone();
                tokio::spawn(async move {
                    let mut reader = BufReader::new(tcp);
                    let mut head = Vec::new();
                    loop {
                        let mut line = String::new();
                        reader.read_line(&mut line).await.unwrap();
                        if line == "\r\n" || line.is_empty() {
                            break;
                        }
                        head.push(line.trim_end().to_string());
                    }
                    log.lock().unwrap().push(head.join(" | "));
                    let authorized = head.iter().any(|h| h == "Proxy-Authorization: Basic dTpw" || h == "proxy-authorization: Basic dTpw");
                    let mut client = reader.into_inner();
                    if !authorized {
                        client.write_all(b"HTTP/1.1 407 Proxy Authentication Required\r\nContent-Length: 0\r\n\r\n").await.unwrap();
                        return;
                    }
                    let request_line: Vec<&str> = head[0].split_whitespace().collect();
                    if request_line[0] == "CONNECT" {
                        let mut upstream = tokio::net::TcpStream::connect(request_line[1]).await.unwrap();
                        client.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n").await.unwrap();
                        let _ = tokio::io::copy_bidirectional(&mut client, &mut upstream).await;
                    } else {
                        let url: Uri = request_line[1].parse().unwrap();
                        let mut upstream = tokio::net::TcpStream::connect(url.authority().unwrap().as_str()).await.unwrap();
                        let forwarded = format!("{} {} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\n\r\n", request_line[0], url.path(), url.authority().unwrap());
                        upstream.write_all(forwarded.as_bytes()).await.unwrap();
                        let mut answer = Vec::new();
                        upstream.read_to_end(&mut answer).await.unwrap();
                        client.write_all(&answer).await.unwrap();
                    }
                });
            }
        });
        (port, asked)
    }

    #[tokio::test]
    async fn requests_go_through_the_proxy_with_its_credentials() {
        let origin = origin().await;
        let (proxy_port, asked) = forward_proxy().await;
        let proxy = proxy::choose(Some(&format!("http://u:p@127.0.0.1:{proxy_port}")), None, "127.0.0.1").unwrap();

        // Plain HTTP: the proxy is asked for the whole URL.
        let uri: Uri = format!("http://127.0.0.1:{origin}/hook").parse().unwrap();
        let answer = Client::system().request_via(proxy.clone(), Method::POST, &uri, &[], b"{}".to_vec()).await.unwrap();
        assert_eq!((answer.status, String::from_utf8_lossy(&answer.body).into_owned()), (200, "POST /hook HTTP/1.1".to_string()));
        assert!(asked.lock().unwrap()[0].starts_with(&format!("POST http://127.0.0.1:{origin}/hook HTTP/1.1")), "{:?}", asked.lock().unwrap());

        // The tunnel HTTPS takes: CONNECT, then the origin's own bytes.
        let mut tunnel = proxy::tunnel(proxy.as_ref().unwrap(), "127.0.0.1", origin).await.unwrap();
        tunnel.write_all(b"GET /through HTTP/1.1\r\nHost: x\r\n\r\n").await.unwrap();
        let mut answer = String::new();
        tunnel.read_to_string(&mut answer).await.unwrap();
        assert!(answer.ends_with("GET /through HTTP/1.1"), "{answer}");
        assert!(asked.lock().unwrap()[1].starts_with(&format!("CONNECT 127.0.0.1:{origin} HTTP/1.1")), "{:?}", asked.lock().unwrap());

        // Wrong credentials: refused, and the error never shows them.
        let wrong = proxy::choose(Some(&format!("http://u:secret@127.0.0.1:{proxy_port}")), None, "x").unwrap().unwrap();
        let refused = proxy::tunnel(&wrong, "127.0.0.1", origin).await.unwrap_err();
        assert!(refused.contains("refused the tunnel") && refused.contains("407") && !refused.contains("secret"), "{refused}");
    }
}
