//! The service over HTTPS: `switchyard serve --tls-cert --tls-key` against
//! real clients (curl and the CLI's `--api https://…` trusting the test's
//! CA), a renewed certificate served without a restart (and a broken
//! renewal not served), client certificates required with
//! `--tls-client-ca`, and certificates that cannot be used refused at
//! start, named. Certificates are made here with openssl. Needs
//! `tests/run.sh` (curl and openssl from lab/tools.txt); fails loudly
//! without it.

use std::io::{BufRead, BufReader};
use std::path::PathBuf;
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use switchyard_tests::TestEnv;
use switchyard_tests::certs::Certs;

/// A `switchyard serve` over HTTPS of the test's own; killed when dropped.
struct Service {
    child: Child,
    address: String,
    keys: PathBuf,
    log: PathBuf,
}

impl Service {
    fn start(env: &TestEnv, dir: &std::path::Path, name: &str, tls: &[String]) -> Self {
        let keys = dir.join(format!("{name}-keys.json"));
        let log = dir.join(format!("{name}.log"));
        let mut child = serve(env, &keys, tls).stdout(Stdio::piped()).stderr(std::fs::File::create(&log).unwrap()).spawn().expect("start switchyard serve");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("stdout")).read_line(&mut line).expect("read the serve line");
        let address = line.trim().strip_prefix("serving on https://")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}: {}", std::fs::read_to_string(&log).unwrap_or_default())).to_string();
        Self { child, address, keys, log }
    }

    fn key(&self, env: &TestEnv, principal: &str) -> String {
        let out = Command::new(env.bin("switchyard")).args(["keys", "create", "--principal", principal, "--scopes", "write"])
            .arg("--keys").arg(&self.keys).output().expect("switchyard keys create");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    fn url(&self, path: &str) -> String {
        // The certificate names localhost and 127.0.0.1; the address is 127.0.0.1:port.
        format!("https://{}{path}", self.address)
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn serve(env: &TestEnv, keys: &std::path::Path, tls: &[String]) -> Command {
    let mut command = Command::new(env.bin("switchyard"));
    command.args(["serve", "--listen", "127.0.0.1:0"]).arg("--keys").arg(keys).arg("--inventory").arg(env.inventory()).args(tls)
        .env("SWITCHYARD_TEMPORAL_ADDRESS", &env.temporal)
        .env("SWITCHYARD_TASK_QUEUE", &env.task_queue);
    command
}

/// curl with `args`; its exit code, body and verbose log.
fn curl(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new("curl").args(["-sS", "-v", "--max-time", "10"]).args(args).output()
        .expect("curl (lab/tools.txt installs it; run the tests with tests/run.sh)");
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn cli(env: &TestEnv, service: &Service, key: &str, tls: &[&str], args: &[&str]) -> Output {
    Command::new(env.bin("switchyard"))
        .arg("--api").arg(service.url(""))
        .args(tls).args(args)
        .env("SWITCHYARD_API_KEY", key)
        // Nothing of Temporal's: the service is the only way in.
        .env("SWITCHYARD_TEMPORAL_ADDRESS", "http://127.0.0.1:9")
        .env_remove("SWITCHYARD_INVENTORY")
        .output()
        .expect("run switchyard --api")
}

fn text(out: &Output) -> (Option<i32>, String, String) {
    (out.status.code(), String::from_utf8_lossy(&out.stdout).into_owned(), String::from_utf8_lossy(&out.stderr).into_owned())
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("switchyard-service-tls-{name}-{}", std::process::id()))
}

/// Waits until curl sees a certificate whose subject says `cn`.
fn wait_for_subject(service: &Service, certs: &Certs, cn: &str) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (code, _, verbose) = curl(&["--cacert", &certs.path("ca.pem"), &service.url("/livez")]);
        if code == Some(0) && verbose.contains(&format!("CN={cn}")) {
            return;
        }
        assert!(Instant::now() < deadline, "the service never served the certificate of {cn}: {verbose}");
        std::thread::sleep(Duration::from_millis(250));
    }
}

#[tokio::test]
async fn the_service_serves_https_to_curl_and_the_cli_and_renews_its_certificate_in_place() {
    let env = TestEnv::get();
    let _lab = env.read_lab();
    let certs = Certs::make(&scratch("serve"));
    // The service serves copies, so the test can renew them in place.
    std::fs::copy(certs.path("server.pem"), certs.path("live.pem")).unwrap();
    std::fs::copy(certs.path("server.key"), certs.path("live.key")).unwrap();
    let service = Service::start(&env, &certs.dir, "serve", &["--tls-cert".into(), certs.path("live.pem"), "--tls-key".into(), certs.path("live.key")]);
    let key = service.key(&env, "alice");

    // curl trusting the test CA: the API answers over TLS.
    let bearer = format!("Authorization: Bearer {key}");
    let (code, body, verbose) = curl(&["--cacert", &certs.path("ca.pem"), "-H", &bearer, &service.url("/v1/suites?limit=1")]);
    assert_eq!(code, Some(0), "{verbose}");
    assert!(body.contains("\"suites\""), "{body}");
    assert!(verbose.contains("CN=server"), "{verbose}");
    // Not trusting it: curl refuses the certificate (60: peer certificate cannot be authenticated).
    let (code, _, verbose) = curl(&[&service.url("/livez")]);
    assert_eq!(code, Some(60), "{verbose}");
    // Plain HTTP to the HTTPS port gets no answer from a handler.
    let (code, body, _) = curl(&[&format!("http://{}/livez", service.address)]);
    assert_ne!((code, body.as_str()), (Some(0), "ok\n"));

    // The CLI with --api https://… and the test CA: a plan through the service.
    let dir = certs.dir.clone();
    let suite = dir.join("tls-plan.yaml");
    std::fs::write(&suite, format!("name: tls-plan\ntargets:\n  names: [{}]\nsteps:\n  - create_vlan: {{ vlan_id: 311, description: over-tls }}\n", TestEnv::device_name(18))).unwrap();
    let ca = certs.path("ca.pem");
    let (code, out, err) = text(&cli(&env, &service, &key, &["--api-ca-cert", &ca], &["plan", suite.to_str().unwrap()]));
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("Vlan311"), "the fleet diff: {out}");
    let (code, out, err) = text(&cli(&env, &service, &key, &["--api-ca-cert", &ca], &["list", "--name", "tls-plan", "--plans"]));
    assert_eq!(code, Some(0), "{out}\n{err}");
    assert!(out.contains("tls-plan"), "{out}");
    // Without the CA the CLI refuses the service's certificate, and says so.
    let (code, _, err) = text(&cli(&env, &service, &key, &[], &["list"]));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("cannot reach the service") && err.to_lowercase().contains("certificate"), "{err}");
    assert!(!err.contains(&key), "the key never shows: {err}");
    // A CA file that is not one is named.
    let (code, _, err) = text(&cli(&env, &service, &key, &["--api-ca-cert", &certs.path("server.key")], &["list"]));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains(&certs.path("server.key")) && err.contains("no certificate"), "{err}");

    // A renewal: new files in place are served without a restart.
    certs.issue("renewed", "server-renewed", "ca");
    std::fs::copy(certs.path("renewed.key"), certs.path("live.key")).unwrap();
    std::fs::copy(certs.path("renewed.pem"), certs.path("live.pem")).unwrap();
    wait_for_subject(&service, &certs, "server-renewed");
    // A broken renewal (an expired certificate) is not served: the one in
    // force stays, and the log says why (in a line after the copy: the
    // renewal above may have logged a half-copied pair).
    let before = std::fs::read_to_string(&service.log).unwrap().len();
    std::fs::copy(certs.path("expired.pem"), certs.path("live.pem")).unwrap();
    std::fs::copy(certs.path("client.key"), certs.path("live.key")).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let log = std::fs::read_to_string(&service.log).unwrap();
        let new = &log[before..];
        if new.lines().any(|l| l.contains("still serving the previous certificate") && l.contains("expired")) {
            break;
        }
        assert!(Instant::now() < deadline, "no warning naming the expiry: {new}");
        std::thread::sleep(Duration::from_millis(250));
    }
    wait_for_subject(&service, &certs, "server-renewed");
}

#[tokio::test]
async fn with_a_client_ca_only_clients_with_its_certificates_are_served() {
    let env = TestEnv::get();
    let certs = Certs::make(&scratch("mtls"));
    certs.issue("stranger", "stranger", "other-ca");
    let service = Service::start(&env, &certs.dir, "mtls", &[
        "--tls-cert".into(), certs.path("server.pem"), "--tls-key".into(), certs.path("server.key"), "--tls-client-ca".into(), certs.path("ca.pem"),
    ]);
    let key = service.key(&env, "alice");
    let ca = certs.path("ca.pem");
    // curl without a client certificate: the handshake is refused, no
    // request is read.
    let (code, body, verbose) = curl(&["--cacert", &ca, &service.url("/livez")]);
    assert_ne!(code, Some(0), "{body}\n{verbose}");
    // With one from another CA: refused too.
    let (code, body, verbose) = curl(&["--cacert", &ca, "--cert", &certs.path("stranger.pem"), "--key", &certs.path("stranger.key"), &service.url("/livez")]);
    assert_ne!(code, Some(0), "{body}\n{verbose}");
    // With the CA's client certificate: served.
    let (code, body, verbose) = curl(&["--cacert", &ca, "--cert", &certs.path("client.pem"), "--key", &certs.path("client.key"), &service.url("/livez")]);
    assert_eq!((code, body.as_str()), (Some(0), "ok\n"), "{verbose}");

    // The CLI with its client certificate; the API key still says who it is.
    let client = ["--api-ca-cert", ca.as_str(), "--api-client-cert", &certs.path("client.pem"), "--api-client-key", &certs.path("client.key")];
    let (code, out, err) = text(&cli(&env, &service, &key, &client, &["list"]));
    assert_eq!(code, Some(0), "{out}\n{err}");
    let (code, _, err) = text(&cli(&env, &service, "sy_not_a_key", &client, &["list"]));
    assert_eq!(code, Some(1), "a certificate is not an API key: {err}");
    assert!(err.contains("401") || err.contains("unauthorized"), "{err}");
    // Without a client certificate the CLI is refused at the handshake.
    let (code, _, err) = text(&cli(&env, &service, &key, &["--api-ca-cert", &ca], &["list"]));
    assert_eq!(code, Some(1), "{err}");
    assert!(err.contains("cannot reach the service"), "{err}");
    // A certificate without its key is a usage error.
    let (code, _, err) = text(&cli(&env, &service, &key, &["--api-ca-cert", &ca, "--api-client-cert", &certs.path("client.pem")], &["list"]));
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("--api-client-key"), "{err}");
}

#[tokio::test]
async fn certificates_that_cannot_be_used_are_refused_at_start_named() {
    let env = TestEnv::get();
    let certs = Certs::make(&scratch("refused"));
    let keys = certs.dir.join("keys.json");
    let refused = |tls: &[String], file: &str, why: &str| {
        let out = serve(&env, &keys, tls).output().expect("switchyard serve");
        let (code, out, err) = text(&out);
        assert_eq!(code, Some(1), "{tls:?}: {out}\n{err}");
        assert!(!out.contains("serving on"), "nothing listens: {out}");
        assert!(err.contains(file) && err.contains(why), "{tls:?}: {err}");
    };
    let s = |p: &str| p.to_string();
    refused(&[s("--tls-cert"), certs.path("expired.pem"), s("--tls-key"), certs.path("client.key")], &certs.path("expired.pem"), "expired");
    refused(&[s("--tls-cert"), certs.path("server.pem"), s("--tls-key"), certs.path("client.key")], &certs.path("client.key"), "is not the key of");
    refused(&[s("--tls-cert"), certs.path("server.pem"), s("--tls-key"), certs.path("nonexistent.key")], &certs.path("nonexistent.key"), "cannot be read");
    refused(&[s("--tls-cert"), certs.path("server.key"), s("--tls-key"), certs.path("server.key")], &certs.path("server.key"), "not a PEM certificate");
    refused(&[s("--tls-cert"), certs.path("server.pem"), s("--tls-key"), certs.path("server.key"), s("--tls-client-ca"), certs.path("missing-ca.pem")],
        &certs.path("missing-ca.pem"), "cannot be read");
    // A key alone is a usage error.
    let out = serve(&env, &keys, &[s("--tls-key"), certs.path("server.key")]).output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{}", String::from_utf8_lossy(&out.stderr));
}
