//! A real HTTP/1.1 receiver for webhook deliveries: it records every
//! request and answers as the test's script says (a status after a
//! pause), so tests can fail deliveries, hold them, and count them.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// One request the receiver took.
#[derive(Debug, Clone)]
pub struct Received {
    /// Request path.
    pub path: String,
    /// Headers, names in lower case.
    pub headers: BTreeMap<String, String>,
    /// The body as text.
    pub body: String,
    /// The status it was answered with.
    pub answered: u16,
}

impl Received {
    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
    /// Its `webhook-id`.
    pub fn id(&self) -> String {
        self.headers.get("webhook-id").cloned().unwrap_or_default()
    }
    /// The event's `type`.
    pub fn event_type(&self) -> String {
        self.json()["type"].as_str().unwrap_or_default().to_string()
    }
}

/// How the receiver answers a request: a status, after a pause.
pub type Script = dyn Fn(&Received, usize) -> (u16, Duration) + Send + Sync;

/// A real HTTP/1.1 server on a free port, recording every request.
pub struct Receiver {
    /// `host:port` it listens on.
    pub address: String,
    got: Arc<Mutex<Vec<Received>>>,
    /// Every request as it arrived (before its answer): path, id and type.
    arrived: Arc<Mutex<Vec<(String, String, String)>>>,
}

impl Receiver {
    /// `script` gets each request and how many with its id came before on its path.
    pub fn start(script: Box<Script>) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the receiver");
        let address = listener.local_addr().unwrap().to_string();
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let arrived: Arc<Mutex<Vec<(String, String, String)>>> = Arc::default();
        let (record, arrivals, script) = (got.clone(), arrived.clone(), Arc::new(script));
        std::thread::spawn(move || {
            for stream in listener.incoming().flatten() {
                let (record, arrivals, script) = (record.clone(), arrivals.clone(), script.clone());
                std::thread::spawn(move || {
                    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
                    let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                    let mut line = String::new();
                    if reader.read_line(&mut line).is_err() {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or_default().to_string();
                    let mut headers = BTreeMap::new();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).is_err() || h.trim().is_empty() {
                            break;
                        }
                        if let Some((n, v)) = h.split_once(':') {
                            headers.insert(n.trim().to_lowercase(), v.trim().to_string());
                        }
                    }
                    let length: usize = headers.get("content-length").and_then(|l| l.parse().ok()).unwrap_or(0);
                    let mut body = vec![0u8; length];
                    if reader.read_exact(&mut body).is_err() {
                        return;
                    }
                    let mut request = Received { path, headers, body: String::from_utf8_lossy(&body).into_owned(), answered: 0 };
                    let before = {
                        let mut arrivals = arrivals.lock().unwrap();
                        let before = arrivals.iter().filter(|(path, id, _)| *path == request.path && *id == request.id()).count();
                        arrivals.push((request.path.clone(), request.id(), request.event_type()));
                        before
                    };
                    let (status, pause) = script(&request, before);
                    std::thread::sleep(pause);
                    let mut stream = stream;
                    let answer = format!("HTTP/1.1 {status} Answer\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
                    if stream.write_all(answer.as_bytes()).is_err() {
                        return;
                    }
                    request.answered = status;
                    record.lock().unwrap().push(request);
                });
            }
        });
        Self { address, got, arrived }
    }

    /// Whether a request carrying an event of `event_type` has arrived
    /// (answered or not yet).
    pub fn arrived(&self, event_type: &str) -> bool {
        self.arrived.lock().unwrap().iter().any(|(_, _, t)| t == event_type)
    }

    /// Every request answered so far.
    pub fn got(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until a request answered 2xx carries an event of `event_type` on `path`.
    pub fn wait_delivered(&self, path: &str, event_type: &str) -> Received {
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            if let Some(r) = self.got().into_iter().find(|r| r.path == path && r.answered == 200 && r.event_type() == event_type) {
                return r;
            }
            assert!(Instant::now() < deadline, "no {event_type} delivered on {path}; got {:#?}", self.got());
            std::thread::sleep(Duration::from_millis(200));
        }
    }
}

