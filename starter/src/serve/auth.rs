//! Who is asking: the API key of each request (`Authorization: Bearer
//! sy_...`), read from the keys file, which is re-read whenever it changes,
//! so a key created or revoked with `switchyard keys` counts at once; and
//! each key's request rate, limited per key.
//!
//! Each key's last use is written beside the keys file (to the minute).
//!
//! Must never: log or return a presented secret; let a request through
//! without a key the file holds unrevoked and unexpired.

use std::collections::BTreeMap;
use std::num::NonZeroU32;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::SystemTime;

use axum::http::HeaderMap;
use governor::clock::Clock;
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use switchyard_starter::keys::{ApiKey, KeyFile, Scope, record_usage};
use switchyard_starter::signing::now;

use super::problem::Problem;

/// The keys file as last read, and which version of the file that was.
pub(crate) struct KeyStore {
    path: PathBuf,
    usage: PathBuf,
    loaded: Mutex<(Option<Version>, KeyFile)>,
    /// Each key's last use, and when it was last written down.
    used: Mutex<(BTreeMap<String, i64>, BTreeMap<String, i64>)>,
}

/// How stale a key's recorded last use may get: to the minute is what an
/// operator asks ("is this key still used?"), and it keeps writes rare.
const USAGE_RESOLUTION_SECS: i64 = 60;

/// What tells one version of the keys file from the next: `keys` replaces
/// the file (a new inode), and a write within one clock tick still changes
/// its length or inode.
type Version = (SystemTime, u64, u64);

fn version(path: &std::path::Path) -> Option<Version> {
    let meta = std::fs::metadata(path).ok()?;
    #[cfg(unix)]
    let inode = std::os::unix::fs::MetadataExt::ino(&meta);
    #[cfg(not(unix))]
    let inode = 0;
    Some((meta.modified().ok()?, meta.len(), inode))
}

impl KeyStore {
    /// Reads the keys file once (a missing file holds no key yet); each
    /// key's last use goes to the file `usage`.
    pub(crate) fn open(path: PathBuf, usage: PathBuf) -> anyhow::Result<Self> {
        let file = KeyFile::load(&path)?;
        let version = version(&path);
        Ok(Self { path, usage, loaded: Mutex::new((version, file)), used: Mutex::new(Default::default()) })
    }

    /// The key a request presents, checked against the file as it is now.
    pub(crate) fn authenticate(&self, headers: &HeaderMap) -> Result<ApiKey, Problem> {
        let value = headers.get(axum::http::header::AUTHORIZATION)
            .ok_or_else(|| Problem::unauthenticated("no Authorization header; send `Authorization: Bearer <API key>` (switchyard keys create)"))?;
        let token = value.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).map(str::trim)
            .ok_or_else(|| Problem::unauthenticated("the Authorization header is not `Bearer <API key>`"))?;
        let mut loaded = self.loaded.lock().expect("keys lock");
        let now_version = version(&self.path);
        if now_version != loaded.0 {
            // A file being rewritten may fail to parse for a moment: keep
            // the keys last read rather than refusing everyone.
            match KeyFile::load(&self.path) {
                Ok(file) => *loaded = (now_version, file),
                Err(e) => tracing::warn!(error = %e, "Keys file not re-read"),
            }
        }
        let key = loaded.1.authenticate(token, now()).cloned().map_err(Problem::unauthenticated)?;
        drop(loaded);
        self.note_use(&key.id);
        Ok(key)
    }

    /// Records a key's use, writing the usage file when the key's last
    /// written use is older than the resolution.
    fn note_use(&self, id: &str) {
        let now = now();
        let mut used = self.used.lock().expect("usage lock");
        used.0.insert(id.to_string(), now);
        if used.1.get(id).is_some_and(|at| now - at < USAGE_RESOLUTION_SECS) {
            return;
        }
        let seen = used.0.clone();
        if let Err(e) = record_usage(&self.usage, &seen) {
            tracing::warn!(error = %e, "Key usage not recorded (--keys-usage names a writable file)");
        }
        // Tried: not again within the resolution, written or not.
        used.1 = seen;
    }
}

/// Refuses a key that lacks `scope`, naming what it has.
pub(crate) fn require(key: &ApiKey, scope: Scope) -> Result<(), Problem> {
    if key.grants(scope) {
        return Ok(());
    }
    let has: Vec<&str> = key.scopes.iter().map(|s| s.name()).collect();
    Err(Problem::forbidden(format!("key {} ({}) has scopes {}; this needs {}", key.id, key.principal, has.join(", "), scope.name()))
        .with("required_scope", scope.name()))
}

/// Requests per key per minute, by the generic cell rate algorithm: a key
/// may spend its whole minute at once, and then gets one request back every
/// `60 / per_minute` seconds. Unlike fixed windows, no boundary lets a key
/// through at twice the rate.
pub(crate) struct RateLimit {
    per_minute: NonZeroU32,
    limiter: DefaultKeyedRateLimiter<String>,
}

impl RateLimit {
    pub(crate) fn new(per_minute: u32) -> Self {
        let per_minute = NonZeroU32::new(per_minute).unwrap_or(NonZeroU32::MIN);
        Self { per_minute, limiter: RateLimiter::keyed(Quota::per_minute(per_minute)) }
    }

    /// The policy's name as `RateLimit-Policy` gives it.
    pub(crate) fn policy(&self) -> String {
        format!("\"per-key\";q={};w=60", self.per_minute)
    }

    /// Counts one request of `key`, or says when the next one may come.
    pub(crate) fn take(&self, key: &str) -> Result<(), Problem> {
        let key = key.to_string();
        let Err(not_until) = self.limiter.check_key(&key) else {
            return Ok(());
        };
        let wait = not_until.wait_time_from(self.limiter.clock().now());
        let retry_after = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
        let retry_after = retry_after.max(1);
        Err(Problem::rate_limited(&self.policy(), retry_after)
            .header(axum::http::HeaderName::from_static("ratelimit-policy"), self.policy())
            .header(axum::http::HeaderName::from_static("ratelimit"), format!("\"per-key\";r=0;t={retry_after}")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A key spends its minute at once, then waits for one request's share
    /// of it (ten seconds at six a minute), not for a window to end.
    #[test]
    fn a_key_spends_its_minute_then_waits_for_one_requests_share() {
        let rate = RateLimit::new(6);
        for _ in 0..6 {
            rate.take("k1").expect("within the quota");
        }
        let refused = rate.take("k1").expect_err("the seventh in a minute");
        let detail = format!("{refused:?}");
        assert!(detail.contains("retry in 10s") || detail.contains("retry in 9s"), "{detail}");
        rate.take("k2").expect("another key has its own budget");
    }
}
