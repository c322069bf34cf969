//! The proxy a request goes through, as `HTTPS_PROXY`, `HTTP_PROXY`,
//! `ALL_PROXY` and `NO_PROXY` say (either case, as curl and most tools read
//! them), and the tunnel through it: `CONNECT` for `https://`, the absolute
//! URL for `http://`.
//!
//! Must never: put the proxy's credentials in an error, or send a request
//! for a host `NO_PROXY` names through the proxy.

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

/// A proxy to go through: where it is and, when its URL carries them, the
/// credentials it is sent (`Proxy-Authorization: Basic`).
#[derive(Clone, PartialEq, Eq)]
pub(crate) struct Proxy {
    pub(crate) host: String,
    pub(crate) port: u16,
    pub(crate) authorization: Option<String>,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Proxy({}:{})", self.host, self.port)
    }
}

/// The proxy the environment names for a request to `host` over `https`
/// or plain `http`; none when it names none or `NO_PROXY` covers `host`.
pub(crate) fn from_env(https: bool, host: &str) -> Result<Option<Proxy>, String> {
    let get = |name: &str| {
        std::env::var(name.to_ascii_lowercase()).ok().or_else(|| std::env::var(name).ok()).filter(|v| !v.trim().is_empty())
    };
    let proxy = if https { get("HTTPS_PROXY") } else { get("HTTP_PROXY") }.or_else(|| get("ALL_PROXY"));
    choose(proxy.as_deref(), get("NO_PROXY").as_deref(), host)
}

/// [`from_env`] on given values.
pub(crate) fn choose(proxy: Option<&str>, no_proxy: Option<&str>, host: &str) -> Result<Option<Proxy>, String> {
    let Some(proxy) = proxy else { return Ok(None) };
    if no_proxy.is_some_and(|list| bypassed(list, host)) {
        return Ok(None);
    }
    parse(proxy).map(Some)
}

/// Whether `NO_PROXY` (comma-separated: `*`, host names, domain suffixes
/// with or without a leading dot, addresses; a port is ignored) covers `host`.
fn bypassed(list: &str, host: &str) -> bool {
    let host = host.trim_end_matches('.').to_ascii_lowercase();
    list.split(',').map(str::trim).filter(|e| !e.is_empty()).any(|entry| {
        if entry == "*" {
            return true;
        }
        let entry = entry.rsplit_once(':').filter(|(_, port)| port.chars().all(|c| c.is_ascii_digit())).map_or(entry, |(name, _)| name);
        let entry = entry.trim_start_matches("*.").trim_start_matches('.').trim_end_matches('.').to_ascii_lowercase();
        host == entry || host.ends_with(&format!(".{entry}"))
    })
}

/// `http://[user:password@]host[:port]`, or `host:port` alone.
fn parse(url: &str) -> Result<Proxy, String> {
    let url = url.trim();
    let rest = match url.split_once("://") {
        None => url,
        Some(("http", rest)) => rest,
        Some((scheme, _)) => return Err(format!("proxy scheme {scheme}:// is not supported (an http:// proxy is)")),
    };
    let rest = rest.split('/').next().unwrap_or_default();
    let (credentials, address) = match rest.rsplit_once('@') {
        Some((credentials, address)) => (Some(credentials), address),
        None => (None, rest),
    };
    let (host, port) = match address.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || address.starts_with('[') => {
            (host, port.parse::<u16>().map_err(|_| format!("proxy {address:?}: the port is not a number"))?)
        }
        _ => (address, 80),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err("the proxy URL has no host".into());
    }
    let authorization = credentials.map(|c| format!("Basic {}", base64(&decode_percent(c))));
    Ok(Proxy { host: host.to_string(), port, authorization })
}

/// A TCP stream to `host:port` through `proxy`'s `CONNECT`, ready for TLS.
pub(crate) async fn tunnel(proxy: &Proxy, host: &str, port: u16) -> Result<TcpStream, String> {
    let mut tcp = TcpStream::connect((proxy.host.as_str(), proxy.port)).await
        .map_err(|e| format!("cannot connect to the proxy {}:{}: {e}", proxy.host, proxy.port))?;
    let target = if host.contains(':') { format!("[{host}]:{port}") } else { format!("{host}:{port}") };
    let mut ask = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(auth) = &proxy.authorization {
        ask.push_str(&format!("Proxy-Authorization: {auth}\r\n"));
    }
    ask.push_str("\r\n");
    tcp.write_all(ask.as_bytes()).await.map_err(|e| format!("the proxy {}:{}: {e}", proxy.host, proxy.port))?;
    // The proxy's answer ends with an empty line; a tunnel's has no body.
    let mut answer = Vec::new();
    let mut byte = [0u8; 1];
    while !answer.ends_with(b"\r\n\r\n") {
        if answer.len() > 8192 {
            return Err(format!("the proxy {}:{} answered CONNECT with more than 8 KiB of headers", proxy.host, proxy.port));
        }
        let n = tcp.read(&mut byte).await.map_err(|e| format!("the proxy {}:{}: {e}", proxy.host, proxy.port))?;
        if n == 0 {
            return Err(format!("the proxy {}:{} closed the connection before answering CONNECT", proxy.host, proxy.port));
        }
        answer.push(byte[0]);
    }
    let status = String::from_utf8_lossy(&answer);
    let line = status.lines().next().unwrap_or_default();
    match line.split_whitespace().nth(1) {
        Some(code) if code.starts_with('2') => Ok(tcp),
        _ => Err(format!("the proxy {}:{} refused the tunnel to {target}: {line}", proxy.host, proxy.port)),
    }
}

fn decode_percent(text: &str) -> Vec<u8> {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        let hex = |b: u8| (b as char).to_digit(16);
        match (bytes[i], bytes.get(i + 1).and_then(|b| hex(*b)), bytes.get(i + 2).and_then(|b| hex(*b))) {
            (b'%', Some(hi), Some(lo)) => {
                out.push((hi * 16 + lo) as u8);
                i += 3;
            }
            (b, _, _) => {
                out.push(b);
                i += 1;
            }
        }
    }
    out
}

/// Standard base64 with padding, for Basic credentials.
fn base64(bytes: &[u8]) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_proxy_covers_hosts_domains_and_everything() {
        let proxy = Some("http://proxy.corp:3128");
        assert_eq!(choose(proxy, None, "hooks.slack.com").unwrap().map(|p| (p.host, p.port)), Some(("proxy.corp".into(), 3128)));
        for (list, host) in [("*", "x"), ("localhost,.corp.net", "api.corp.net"), ("corp.net", "corp.net"), ("a, *.corp.net:443", "b.corp.net"), ("10.0.0.5", "10.0.0.5")] {
            assert_eq!(choose(proxy, Some(list), host).unwrap(), None, "{list} covers {host}");
        }
        assert!(choose(proxy, Some("corp.net"), "notcorp.net").unwrap().is_some(), "a suffix is a whole label");
        assert_eq!(choose(None, None, "x").unwrap(), None);
    }

    #[test]
    fn proxy_urls_parse_and_credentials_never_show() {
        let p = parse("http://us%40er:p%3Ass@10.1.1.1:8080/").unwrap();
        assert_eq!((p.host.as_str(), p.port), ("10.1.1.1", 8080));
        assert_eq!(p.authorization.as_deref(), Some(format!("Basic {}", base64(b"us@er:p:ss")).as_str()));
        assert_eq!(format!("{p:?}"), "Proxy(10.1.1.1:8080)");
        assert_eq!(parse("proxy:3128").unwrap().port, 3128);
        assert!(parse("socks5://proxy:1080").unwrap_err().contains("socks5:// is not supported"));
        assert!(parse("http://proxy:x").unwrap_err().contains("not a number"));
        assert_eq!(base64(b"Aladdin:open sesame"), "QWxhZGRpbjpvcGVuIHNlc2FtZQ==");
        assert_eq!(base64(b"ab"), "YWI=");
    }
}
