//! What the deployment files configure, run for real where no container
//! engine is needed: `switchyard serve` started with exactly the
//! environment docker-compose.yml gives its service (paths moved into a
//! scratch folder, Temporal the test's), its signing key provisioned as
//! compose's secret, under deploy/policy.example.yaml with real keys put
//! in: a signed launch through it is accepted (201) and planned, where a
//! service without its key is refused (403) under the same policy.
//! Needs `tests/run.sh`; fails loudly without it.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use switchyard_tests::{TestEnv, http};

struct Serve(Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn root() -> &'static Path {
    Path::new(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn keygen(path: &Path, comment: &str) -> String {
    let out = Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"]).arg(path).output().expect("ssh-keygen");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let public = std::fs::read_to_string(path.with_extension("pub")).unwrap();
    public.split_whitespace().take(2).collect::<Vec<_>>().join(" ")
}

/// `switchyard serve` with `environment`, paths under `/etc/switchyard`,
/// `/run/secrets` and `/var/lib/switchyard` moved into `dir`.
fn serve(env: &TestEnv, task_queue: &str, dir: &Path, environment: &serde_json::Map<String, serde_json::Value>) -> (Serve, String) {
    let mut command = Command::new(env.bin("switchyard"));
    command.arg("serve");
    for (name, value) in environment {
        let value = value.as_str().unwrap_or_else(|| panic!("{name}: compose values are strings"))
            .replace("/etc/switchyard", &dir.join("etc").display().to_string())
            .replace("/run/secrets", &dir.join("secrets").display().to_string())
            .replace("/var/lib/switchyard", &dir.join("state").display().to_string());
        command.env(name, value);
    }
    // Where this test's Temporal, task queue and a free port are.
    command.env("SWITCHYARD_TEMPORAL_ADDRESS", &env.temporal).env("SWITCHYARD_TASK_QUEUE", task_queue).env("SWITCHYARD_LISTEN", "127.0.0.1:0");
    let mut child = command.stdout(Stdio::piped()).stderr(Stdio::inherit()).spawn().expect("switchyard serve");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let address = line.trim().strip_prefix("serving on http://").unwrap_or_else(|| panic!("unexpected first line {line:?}")).to_string();
    (Serve(child), address)
}

#[tokio::test]
async fn the_composed_service_launches_under_the_example_signed_policy() {
    let env = TestEnv::get();
    let _lab = env.read_lab();
    let compose: serde_json::Value = serde_saphyr::from_str(&std::fs::read_to_string(root().join("docker-compose.yml")).unwrap()).unwrap();
    let service = &compose["services"]["service"];
    let environment = service["environment"].as_object().expect("the service's environment").clone();
    // The signing key is a secret compose declares and mounts.
    let key_path = environment["SWITCHYARD_SIGNING_KEY"].as_str().expect("compose gives the service SWITCHYARD_SIGNING_KEY");
    let secret = key_path.strip_prefix("/run/secrets/").expect("the signing key is a compose secret");
    assert!(service["secrets"].as_array().unwrap().iter().any(|s| s == secret), "the service mounts secret {secret}");
    assert!(compose["secrets"][secret]["file"].is_string(), "secret {secret} is declared with its file");

    let dir = std::env::temp_dir().join(format!("switchyard-deploy-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for sub in ["etc", "secrets", "state"] {
        std::fs::create_dir_all(dir.join(sub)).unwrap();
    }
    let service_key = keygen(&dir.join("secrets").join(secret), "switchyard-service");
    let alice = keygen(&dir.join("alice"), "alice");
    let bob = keygen(&dir.join("bob"), "bob");
    let policy = std::fs::read_to_string(root().join("deploy/policy.example.yaml")).unwrap()
        .replace("KEY-OF-ALICE", &alice).replace("KEY-OF-BOB", &bob).replace("KEY-OF-SWITCHYARD-SERVICE", &service_key);
    std::fs::write(dir.join("etc/policy.yaml"), policy).unwrap();
    std::fs::copy(env.inventory(), dir.join("etc/inventory.yaml")).unwrap();
    let out = Command::new(env.bin("switchyard")).args(["keys", "create", "--principal", "alice", "--scopes", "write", "--keys"])
        .arg(dir.join("etc/keys.json")).output().unwrap();
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    let api_key = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let bearer = format!("Bearer {api_key}");
    let suite = format!("name: composed\ntargets:\n  names: [{}]\nsteps:\n  - create_vlan: {{ vlan_id: 343, description: composed }}\n", TestEnv::device_name(17));

    // A worker under the same policy, as compose's reads the same file.
    let queue = "switchyard-deploy";
    let _worker = env.spawn_worker_under(queue, &dir.join("etc/inventory.yaml"), &dir.join("etc/policy.yaml"), &[]);
    // As composed: the plan is launched, signed for alice, and planned.
    let (_serve, address) = serve(&env, queue, &dir, &environment);
    let created = http(&address, "POST", "/v1/suites?plan_only=true", &[("Authorization", &bearer), ("Content-Type", "application/yaml")], suite.as_bytes()).unwrap();
    assert_eq!(created.status, 201, "{}", created.body);
    let suite_id = created.json()["suite_id"].as_str().expect("the suite's id").to_string();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let status = http(&address, "GET", &format!("/v1/suites/{suite_id}"), &[("Authorization", &bearer)], b"").unwrap();
        let phase = status.json()["phase"].as_str().unwrap_or_default().to_string();
        if status.status == 200 && ["planned", "failed", "succeeded"].contains(&phase.as_str()) {
            assert_eq!(phase, "planned", "{}", status.body);
            assert_eq!(status.json()["requester"], "alice", "{}", status.body);
            break;
        }
        assert!(Instant::now() < deadline, "not planned: {}", status.body);
        std::thread::sleep(Duration::from_millis(300));
    }

    // Without the secret, under the same signed policy, nothing launches.
    let mut unkeyed = environment.clone();
    unkeyed.remove("SWITCHYARD_SIGNING_KEY");
    let (_serve, address) = serve(&env, queue, &dir, &unkeyed);
    let refused = http(&address, "POST", "/v1/suites?plan_only=true", &[("Authorization", &bearer), ("Content-Type", "application/yaml")], suite.as_bytes()).unwrap();
    assert_eq!(refused.status, 403, "{}", refused.body);
}
