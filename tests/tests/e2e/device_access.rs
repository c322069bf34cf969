//! Device access against the lab's real sshd and redis: strict host keys,
//! and a distinct, clear error for each way a device can refuse us.
//! Needs `tests/run.sh`; fails loudly without it.

use std::sync::Arc;
use std::time::Duration;

use switchyard_activities::device::Sessions;
use switchyard_activities::error::DeviceError;
use switchyard_activities::SessionConfig;
use switchyard_proto::inventory::{CredentialRef, Inventory};
use switchyard_tests::TestEnv;

fn sessions(env: &TestEnv, edit: impl FnOnce(&mut Inventory)) -> Sessions {
    let mut inventory = Inventory::load(&env.inventory()).unwrap();
    edit(&mut inventory);
    let config = SessionConfig { connect_timeout: Duration::from_secs(10), ..SessionConfig::standard() };
    Sessions::new(Arc::new(inventory), config)
}

fn scratch(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("switchyard-access-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

#[tokio::test]
async fn reads_config_db_through_the_ssh_tunnel() {
    let env = TestEnv::get();
    let _lab = env.read_lab();
    let s = sessions(&env, |_| {});
    let mut conn = s.redis("sonic-d002").await.unwrap();
    let hostname: String = redis::cmd("HGET").arg("DEVICE_METADATA|localhost").arg("hostname").query_async(&mut conn).await.unwrap();
    assert_eq!(hostname, "sonic-d002", "the tunnel reaches the device's own 127.0.0.1:6379");
    // A second connection reuses the device's SSH session.
    let mut again = s.redis("sonic-d002").await.unwrap();
    let pong: String = redis::cmd("PING").query_async(&mut again).await.unwrap();
    assert_eq!(pong, "PONG");
}

#[tokio::test]
async fn host_key_mismatch_is_refused() {
    let env = TestEnv::get();
    let _lab = env.read_lab();
    // A known_hosts that lists device 1's address with device 2's key.
    let theirs = std::fs::read_to_string(env.lab_dir.join("dev/2/known_hosts")).unwrap();
    let addr1 = std::fs::read_to_string(env.lab_dir.join("dev/1/known_hosts")).unwrap();
    let forged = format!("{} {}", addr1.split_whitespace().next().unwrap(), theirs.split_once(' ').unwrap().1);
    let path = scratch("forged_known_hosts");
    std::fs::write(&path, forged).unwrap();
    let s = sessions(&env, |inv| inv.devices[0].known_hosts = path.display().to_string());
    let err = s.redis("sonic-d001").await.unwrap_err();
    assert!(matches!(err, DeviceError::HostKey { .. }), "{err}");
    assert!(err.to_string().contains("host key does not match"), "{err}");
}

#[tokio::test]
async fn unknown_host_is_refused() {
    let env = TestEnv::get();
    let _lab = env.read_lab();
    let path = scratch("empty_known_hosts");
    std::fs::write(&path, "").unwrap();
    let s = sessions(&env, |inv| inv.devices[0].known_hosts = path.display().to_string());
    let err = s.redis("sonic-d001").await.unwrap_err();
    assert!(matches!(err, DeviceError::HostKey { .. }), "{err}");
    assert!(err.to_string().contains("is not in"), "{err}");
}

#[tokio::test]
async fn refused_credentials_say_so_and_never_show_the_secret() {
    let env = TestEnv::get();
    let _lab = env.read_lab();
    let key = scratch("stranger_key");
    let _ = std::fs::remove_file(&key);
    let made = std::process::Command::new("ssh-keygen").args(["-q", "-t", "ed25519", "-N", "", "-f"]).arg(&key).status().unwrap();
    assert!(made.success());
    let s = sessions(&env, |inv| inv.devices[0].credential = CredentialRef::KeyFile(key.display().to_string()));
    let err = s.redis("sonic-d001").await.unwrap_err();
    assert!(matches!(err, DeviceError::AuthRefused { .. }), "{err}");
    let key_text = std::fs::read_to_string(&key).unwrap();
    assert!(!err.to_string().contains(key_text.lines().nth(1).unwrap()), "key material in an error");

    let secret = "correct-horse-battery-staple";
    // SAFETY: set before any thread of this test reads the environment.
    unsafe { std::env::set_var("SWITCHYARD_TEST_D1_PASSWORD", secret) };
    let s = sessions(&env, |inv| inv.devices[0].credential = CredentialRef::PasswordEnv("SWITCHYARD_TEST_D1_PASSWORD".into()));
    let err = s.redis("sonic-d001").await.unwrap_err();
    assert!(matches!(err, DeviceError::AuthRefused { .. }), "{err}");
    assert!(!format!("{err} {err:?}").contains(secret), "password in an error");
}

#[tokio::test]
async fn unreachable_device_is_reported_as_such() {
    let env = TestEnv::get();
    let _lab = env.read_lab();
    let s = sessions(&env, |inv| inv.devices[0].ssh_port = 2222);
    let err = s.redis("sonic-d001").await.unwrap_err();
    assert!(matches!(err, DeviceError::Unreachable { .. }), "{err}");
    assert!(err.to_string().contains(":2222"), "{err}");

    let s = sessions(&env, |inv| inv.devices[0].credential = CredentialRef::KeyFile("/nonexistent/key".into()));
    let err = s.redis("sonic-d001").await.unwrap_err();
    assert!(matches!(err, DeviceError::Config { .. }), "{err}");
}

#[tokio::test]
async fn an_idle_session_is_closed_and_the_next_use_dials_again() {
    let env = TestEnv::get();
    let _lab = env.read_lab();
    let s = sessions(&env, |_| {});
    let timeout = Duration::from_secs(10);
    // sshd's SSH_CONNECTION names the client's port: one per connection.
    let first = s.run("sonic-d005", "echo $SSH_CONNECTION", timeout).await.unwrap();
    assert!(!first.is_empty(), "sshd sets SSH_CONNECTION");
    assert_eq!(s.open_sessions(), 1);
    assert_eq!(s.close_idle(Duration::from_secs(60)).await, 0, "used just now: kept");
    assert_eq!(s.run("sonic-d005", "echo $SSH_CONNECTION", timeout).await.unwrap(), first, "the same connection");

    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(s.close_idle(Duration::from_millis(200)).await, 1, "unused for longer than asked: closed");
    assert_eq!(s.open_sessions(), 0);
    let second = s.run("sonic-d005", "echo $SSH_CONNECTION", timeout).await.unwrap();
    assert_ne!(second, first, "the next use dials a new connection");
    let mut conn = s.redis("sonic-d005").await.unwrap();
    let pong: String = redis::cmd("PING").query_async(&mut conn).await.unwrap();
    assert_eq!(pong, "PONG");
}

#[tokio::test]
async fn a_worker_holds_at_most_max_sessions_and_never_closes_one_in_use() {
    let env = TestEnv::get();
    let _lab = env.read_lab();
    let mut inventory = Inventory::load(&env.inventory()).unwrap();
    inventory.devices.truncate(5);
    let s = Sessions::new(Arc::new(inventory), SessionConfig { max_sessions: 2, ..SessionConfig::standard() });
    let timeout = Duration::from_secs(10);
    let ping = |conn: &mut redis::aio::MultiplexedConnection| {
        let mut conn = conn.clone();
        async move { redis::cmd("PING").query_async::<String>(&mut conn).await.unwrap() }
    };

    // A redis connection keeps its session from being closed for room.
    let first = s.run("sonic-d001", "echo $SSH_CONNECTION", timeout).await.unwrap();
    let mut held = s.redis("sonic-d001").await.unwrap();
    s.run("sonic-d002", "true", timeout).await.unwrap();
    s.run("sonic-d003", "true", timeout).await.unwrap();
    assert_eq!(s.open_sessions(), 2, "d002, idle, was closed to open d003");
    assert_eq!(ping(&mut held).await, "PONG", "the session in use was kept");
    assert_eq!(s.run("sonic-d001", "echo $SSH_CONNECTION", timeout).await.unwrap(), first, "the same connection");

    // Every open session in use: one more opens anyway.
    let mut also = s.redis("sonic-d003").await.unwrap();
    s.run("sonic-d004", "true", timeout).await.unwrap();
    assert_eq!(s.open_sessions(), 3, "work in flight is never cut off");
    assert_eq!(ping(&mut also).await, "PONG");

    // Once their connections are gone, the least recently used go first.
    drop((held, also));
    tokio::time::sleep(Duration::from_millis(500)).await;
    s.run("sonic-d005", "true", timeout).await.unwrap();
    assert_eq!(s.open_sessions(), 2, "back under the cap: d001 and d003 closed");
    assert_ne!(s.run("sonic-d001", "echo $SSH_CONNECTION", timeout).await.unwrap(), first, "d001 dials again");
}
