//! A Prometheus server of the test's own (the Debian package `tests/run.sh`
//! installs), scraping what the test names; killed on drop.

use std::process::{Child, Command};
use std::time::{Duration, Instant};

use crate::{http_get, url_encode};

/// A running Prometheus.
pub struct Prometheus {
    child: Child,
    /// host:port of its HTTP API.
    pub address: String,
}

impl Drop for Prometheus {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A port free on 127.0.0.1 now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

impl Prometheus {
    /// Starts Prometheus scraping `targets` (host:port) every second as the
    /// job `switchyard-worker`; `name` keeps its files apart.
    pub fn start(name: &str, targets: &[&str]) -> Self {
        Self::start_on(name, free_port(), targets)
    }

    /// [`Prometheus::start`] on a port chosen before (for a worker that
    /// must know Prometheus's address before Prometheus knows its own).
    pub fn start_on(name: &str, port: u16, targets: &[&str]) -> Self {
        let dir = std::env::temp_dir().join(format!("switchyard-prometheus-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let config = dir.join("prometheus.yml");
        let targets: Vec<String> = targets.iter().map(|t| format!("\"{t}\"")).collect();
        std::fs::write(&config, format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: switchyard-worker\n    static_configs:\n      - targets: [{}]\n", targets.join(", "))).unwrap();
        let address = format!("127.0.0.1:{port}");
        let log = std::fs::File::create(dir.join("prometheus.log")).unwrap();
        let child = Command::new("prometheus")
            .arg(format!("--config.file={}", config.display()))
            .arg(format!("--storage.tsdb.path={}", dir.join("data").display()))
            .arg(format!("--web.listen-address={address}"))
            .stdout(log.try_clone().unwrap()).stderr(log)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start prometheus ({e}): tests/run.sh installs it (`lab/lab.sh install tests`, as root)"));
        Prometheus { child, address }
    }

    /// The value of an instant query's first series, once it is at least `want`.
    pub fn wait_for_value(&self, query: &str, want: f64) -> f64 {
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut last = String::new();
        while Instant::now() < deadline {
            if let Ok((200, body)) = http_get(&self.address, &format!("/api/v1/query?query={}", url_encode(query))) {
                let json: serde_json::Value = serde_json::from_str(&body).unwrap_or_default();
                let value = json["data"]["result"][0]["value"][1].as_str().and_then(|v| v.parse::<f64>().ok());
                if let Some(v) = value.filter(|v| *v >= want) {
                    return v;
                }
                last = body;
            }
            std::thread::sleep(Duration::from_millis(500));
        }
        panic!("Prometheus never had {query} >= {want}; last answer: {last}");
    }
}
