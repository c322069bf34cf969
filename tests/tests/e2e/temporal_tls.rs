//! switchyard on a secured Temporal: a real nginx in front of the dev
//! server terminates TLS, one port requiring a client certificate signed
//! by the test's CA (mTLS), another an API key (as Temporal Cloud's
//! `authorization: Bearer`). Certificates are made here with openssl. A
//! suite runs end to end through mTLS (worker and CLI); a wrong CA, a
//! missing client certificate, an expired one and a missing API key are
//! each refused at start, named. Needs `tests/run.sh` (nginx from
//! lab/tools.txt); fails loudly without it.

use std::path::PathBuf;
use std::process::{Child, Command, Output};
use std::time::{Duration, Instant};

use switchyard_tests::certs::Certs;
use switchyard_tests::{started_suite_id, vlan_suite, TestEnv};

/// nginx in front of the dev server: `mtls` requires a client certificate
/// of the test CA, `keyed` the API key `API_KEY`.
struct Front {
    child: Child,
    mtls: u16,
    keyed: u16,
}

const API_KEY: &str = "sy-test-api-key-7c1e";

impl Front {
    fn start(env: &TestEnv, certs: &Certs) -> Self {
        let dir = &certs.dir;
        let upstream = env.temporal.trim_start_matches("http://").to_string();
        let (mtls, keyed) = (free_port(), free_port());
        let tls = format!(
            "ssl_certificate {}; ssl_certificate_key {}; grpc_read_timeout 300s; grpc_send_timeout 300s;",
            certs.path("server.pem"), certs.path("server.key")
        );
        let temp = |name: &str| format!("{name}_temp_path {};", dir.join(name).display());
        let conf = format!(
            "daemon off; worker_processes 1; pid {pid}; error_log {log} info;\n\
             events {{ worker_connections 512; }}\n\
             http {{ access_log off; {body} {proxy} {fastcgi} {uwsgi} {scgi}\n\
               server {{ listen 127.0.0.1:{mtls} ssl http2; {tls} ssl_client_certificate {ca}; ssl_verify_client on;\n\
                 location / {{ grpc_pass grpc://{upstream}; }} }}\n\
               server {{ listen 127.0.0.1:{keyed} ssl http2; {tls}\n\
                 location / {{ if ($http_authorization != \"Bearer {API_KEY}\") {{ return 401; }} grpc_pass grpc://{upstream}; }} }}\n\
             }}\n",
            pid = dir.join("nginx.pid").display(), log = dir.join("nginx.log").display(), ca = certs.path("ca.pem"),
            body = temp("client_body"), proxy = temp("proxy"), fastcgi = temp("fastcgi"), uwsgi = temp("uwsgi"), scgi = temp("scgi"),
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let child = Command::new("nginx").arg("-p").arg(dir).arg("-c").arg(dir.join("nginx.conf"))
            .stderr(std::fs::File::create(dir.join("nginx.stderr")).unwrap())
            .spawn()
            .expect("nginx (lab/tools.txt installs it; run the tests with tests/run.sh)");
        let front = Self { child, mtls, keyed };
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", keyed)).is_err() {
            assert!(Instant::now() < deadline, "nginx did not listen: {}", std::fs::read_to_string(dir.join("nginx.stderr")).unwrap_or_default());
            std::thread::sleep(Duration::from_millis(50));
        }
        front
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// The CLI with exactly these Temporal settings in its environment.
fn cli(env: &TestEnv, task_queue: &str, settings: &[(&str, &str)], args: &[&str]) -> Output {
    Command::new(env.bin("switchyard"))
        .args(args)
        .env_remove("SWITCHYARD_TEMPORAL_ADDRESS")
        .env("SWITCHYARD_TASK_QUEUE", task_queue)
        .env("SWITCHYARD_INVENTORY", env.inventory())
        // Temporal's own configuration file is never this machine's.
        .env("TEMPORAL_CONFIG_FILE", "/nonexistent/temporal.toml")
        .envs(settings.iter().copied())
        .output()
        .expect("run switchyard")
}

fn text(out: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr))
}

fn scratch(name: &str) -> PathBuf {
    std::env::temp_dir().join(format!("switchyard-tls-{name}-{}", std::process::id()))
}

#[tokio::test]
async fn a_suite_runs_end_to_end_through_mtls_and_each_bad_credential_is_refused_at_start() {
    let env = TestEnv::get();
    let _lab = env.lock_lab();
    let certs = Certs::make(&scratch("mtls"));
    let front = Front::start(&env, &certs);
    let address = format!("https://127.0.0.1:{}", front.mtls);
    let (ca, cert, key) = (certs.path("ca.pem"), certs.path("client.pem"), certs.path("client.key"));
    let mtls = [
        ("SWITCHYARD_TEMPORAL_ADDRESS", address.as_str()),
        ("SWITCHYARD_TEMPORAL_CA_CERT", ca.as_str()),
        ("SWITCHYARD_TEMPORAL_CLIENT_CERT", cert.as_str()),
        ("SWITCHYARD_TEMPORAL_CLIENT_KEY", key.as_str()),
        ("TEMPORAL_CONFIG_FILE", "/nonexistent/temporal.toml"),
    ];

    // A worker and the CLI through the front: plan, apply, succeed.
    let queue = "tls-mtls";
    let _worker = env.on_server(&address).spawn_worker_with(queue, &env.inventory(), &mtls[1..]);
    let suite = vlan_suite("tls-vlan", "rollout:\n  confirm: off\n");
    let out = cli(&env, queue, &mtls, &["run", suite.to_str().unwrap(), "--requester", "alice", "--watch"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    let suite_id = started_suite_id(&String::from_utf8_lossy(&out.stdout)).unwrap();
    let status = cli(&env, queue, &mtls, &["status", &suite_id]);
    assert!(text(&status).contains("succeeded"), "{}", text(&status));
    for i in 1..=env.device_count() {
        assert!(env.rows(i).contains_key("VLAN|Vlan100"), "device {i} changed through the TLS front");
    }

    // A CA that did not sign the frontend's certificate: named.
    let other = certs.path("other-ca.pem");
    let wrong_ca = cli(&env, queue, &[mtls[0], ("SWITCHYARD_TEMPORAL_CA_CERT", &other), mtls[2], mtls[3]], &["list"]);
    assert_ne!(wrong_ca.status.code(), Some(0));
    assert!(text(&wrong_ca).contains(&format!("not signed by the CA in --temporal-ca-cert {other}")), "{}", text(&wrong_ca));

    // No client certificate where the front requires one.
    let no_cert = cli(&env, queue, &mtls[..2], &["list"]);
    assert_ne!(no_cert.status.code(), Some(0));
    assert!(text(&no_cert).contains("client certificate"), "{}", text(&no_cert));

    // An expired client certificate is refused before anything connects,
    // by the CLI and by the worker, the file and the date named.
    let expired = certs.path("expired.pem");
    let stale = [mtls[0], mtls[1], ("SWITCHYARD_TEMPORAL_CLIENT_CERT", expired.as_str()), mtls[3]];
    let out = cli(&env, queue, &stale, &["list"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out).contains(&format!("--temporal-client-cert {expired}: the certificate expired at 2020-01-02T00:00:00Z")), "{}", text(&out));
    let worker = Command::new(env.bin("switchyard-worker"))
        .args(["--temporal-address", &address, "--task-queue", "tls-expired", "--metrics-address", "127.0.0.1:0"])
        .arg("--inventory").arg(env.inventory()).arg("--policy").arg(env.unsigned_policy())
        .envs(stale[1..].iter().copied())
        .env("TEMPORAL_CONFIG_FILE", "/nonexistent/temporal.toml")
        .output()
        .unwrap();
    assert_ne!(worker.status.code(), Some(0));
    assert!(text(&worker).contains(&format!("{expired}: the certificate expired at 2020-01-02T00:00:00Z")), "{}", text(&worker));
    drop(front);
}

#[tokio::test]
async fn an_api_key_is_sent_and_its_absence_refused_and_temporal_own_settings_are_read() {
    let env = TestEnv::get();
    let certs = Certs::make(&scratch("key"));
    let front = Front::start(&env, &certs);
    let ca = certs.path("ca.pem");
    let host_port = format!("127.0.0.1:{}", front.keyed);

    // Temporal's own variables, the address as host:port: TLS from the key.
    let temporal_env = [("TEMPORAL_ADDRESS", host_port.as_str()), ("TEMPORAL_TLS_SERVER_CA_CERT_PATH", ca.as_str()), ("TEMPORAL_API_KEY", API_KEY)];
    let out = cli(&env, "tls-key", &temporal_env, &["list"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // switchyard's own key variable, and its file option.
    let key_file = scratch("api-key");
    std::fs::write(&key_file, format!("{API_KEY}\n")).unwrap();
    let ours = [("SWITCHYARD_TEMPORAL_ADDRESS", host_port.as_str()), ("SWITCHYARD_TEMPORAL_CA_CERT", ca.as_str())];
    let out = cli(&env, "tls-key", &ours, &["--temporal-api-key-file", key_file.to_str().unwrap(), "list"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));

    // Without a key (TLS asked for explicitly): refused, and said so; the
    // key itself never appears in what the CLI prints.
    let out = cli(&env, "tls-key", &ours, &["--temporal-tls", "list"]);
    assert_ne!(out.status.code(), Some(0));
    assert!(text(&out).contains("the frontend asks for credentials"), "{}", text(&out));
    let wrong = [ours[0], ours[1], ("SWITCHYARD_TEMPORAL_API_KEY", "not-the-key")];
    let out = cli(&env, "tls-key", &wrong, &["list"]);
    assert!(text(&out).contains("the frontend refused the API key") && !text(&out).contains("not-the-key"), "{}", text(&out));

    // switchyard's option wins over Temporal's variable: the dev server
    // itself, over plain TCP, whatever TEMPORAL_ADDRESS says.
    let out = cli(&env, "tls-key", &[("TEMPORAL_ADDRESS", "127.0.0.1:1"), ("SWITCHYARD_TEMPORAL_ADDRESS", env.temporal.as_str())], &["list"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out));
    drop(front);
}
