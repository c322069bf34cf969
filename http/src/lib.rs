//! The one HTTP client of switchyard: one HTTP/1.1 request on a fresh
//! connection, `http://` or `https://` (verified against the system's trust
//! roots, with the ring provider already in the tree). The CLI's requests
//! to the service and the worker's webhook deliveries go through it.
//!
//! A fresh connection per request is deliberate: the CLI makes a handful,
//! a webhook delivery one, and nothing is left open between them.
//!
//! Must never: follow a redirect (it would carry a key or a signed body
//! elsewhere), or put a header's value in an error.

#![warn(missing_docs)]

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
/// added) and `body`; the answer, or why there is none, in words that name
/// the host but never a header's value.
pub async fn request(method: Method, url: &str, headers: &[(&str, &str)], body: Vec<u8>) -> Result<Response, String> {
    let uri: Uri = url.parse().map_err(|e| format!("bad URL: {e}"))?;
    let https = match uri.scheme_str() {
        Some("https") => true,
        Some("http") => false,
        other => return Err(format!("scheme {} is neither http nor https", other.unwrap_or("(none)"))),
    };
    let host = uri.host().ok_or("the URL has no host")?.trim_start_matches('[').trim_end_matches(']').to_string();
    let port = uri.port_u16().unwrap_or(if https { 443 } else { 80 });
    let path = uri.path_and_query().map_or("/".to_string(), |p| p.to_string());
    let mut request = hyper::Request::builder().method(method).uri(path)
        .header(hyper::header::HOST, uri.authority().map_or(host.clone(), |a| a.to_string()));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let request = request.body(Full::new(Bytes::from(body))).map_err(|_| "a header is not valid in HTTP".to_string())?;
    let tcp = tokio::net::TcpStream::connect((host.as_str(), port)).await.map_err(|e| format!("cannot connect: {e}"))?;
    if https {
        let name = rustls::pki_types::ServerName::try_from(host).map_err(|e| e.to_string())?;
        let stream = tls()?.connect(name, tcp).await.map_err(|e| format!("TLS: {e}"))?;
        send(TokioIo::new(stream), request).await
    } else {
        send(TokioIo::new(tcp), request).await
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

/// TLS verified against the system's roots, read once per process.
fn tls() -> Result<tokio_rustls::TlsConnector, String> {
    static CONNECTOR: OnceLock<Result<tokio_rustls::TlsConnector, String>> = OnceLock::new();
    CONNECTOR.get_or_init(|| {
        let mut roots = rustls::RootCertStore::empty();
        for cert in rustls_native_certs::load_native_certs().certs {
            let _ = roots.add(cert);
        }
        if roots.is_empty() {
            return Err("no trusted root certificates found on this system".into());
        }
        let config = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::ring::default_provider()))
            .with_safe_default_protocol_versions()
            .map_err(|e| e.to_string())?
            .with_root_certificates(roots)
            .with_no_client_auth();
        Ok(tokio_rustls::TlsConnector::from(Arc::new(config)))
    }).clone()
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
}
