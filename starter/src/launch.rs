//! A parsed suite and an inventory → the suite workflow's input, signed by
//! the requester's key when one is given, and checked against the
//! organisation's policy when there is one. The CLI (from files) and the
//! service (from request bodies) both launch through here, so a suite is
//! validated, refused and located the same way wherever it comes from.
//!
//! Must never: read files or talk to Temporal (its callers do), or start
//! anything: a refusal here means nothing started.

use switchyard_proto::SourceError;
use switchyard_proto::names;
use switchyard_proto::inventory::Inventory;
use switchyard_proto::policy::{self, Policy};
use switchyard_proto::suite_file::SuiteFile;
use switchyard_proto::trust::{self, Kind};
use switchyard_proto::v1::SuiteInput;

use crate::signing::{self, About, SigningKey, now};

/// How long a launch signature stays valid: the worker checks it when the
/// suite is planned, moments after it starts.
pub const LAUNCH_VALID_SECS: i64 = signing::SENT_VALID_SECS;

/// What a launch may not be: refused with the place in the suite to blame.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LaunchError {
    /// The suite (or the policy's verdict on it) is refused at a place in
    /// the suite's text.
    #[error("{0}")]
    Suite(SourceError),
    /// The policy refuses the suite; the first refusal, located.
    #[error("{refusal}{more}; nothing started")]
    Policy {
        /// The first refusal, at the field of the suite it concerns (boxed:
        /// an error's size is every `Result`'s).
        refusal: Box<SourceError>,
        /// How many more refusals there were, in words (may be empty).
        more: String,
    },
    /// The launch could not be signed.
    #[error("cannot sign the launch: {0}")]
    Sign(String),
    /// The suite id asked for (`--suite-id`) cannot name a suite.
    #[error("--suite-id: {0}; nothing started")]
    SuiteId(String),
}

/// How to launch: who asks, under which id, and with which key and policy.
#[derive(Debug, Default)]
pub struct Launch<'a> {
    /// The requester of an unsigned launch (a signed one's is the key's
    /// principal), before the suite's own `requester:`.
    pub requester: Option<String>,
    /// The requester when neither names one (the CLI: the login name).
    pub default_requester: Option<String>,
    /// The suite id; `<name>-<UTC time>` when empty.
    pub suite_id: Option<String>,
    /// Plan only: devices are read, never written.
    pub plan_only: bool,
    /// Signs the launch when given.
    pub signing_key: Option<&'a SigningKey>,
    /// The principal the signing key attests for (the service signs for the
    /// caller it authenticated); none: the key's owner launches.
    pub on_behalf: Option<String>,
    /// Refuses what the policy refuses before anything starts, when given
    /// (the worker enforces its own copy either way).
    pub policy: Option<&'a Policy>,
    /// Launched by a schedule until this time (Unix seconds): each run is
    /// `<suite_id>-<time>`, and the launch signature lasts until then.
    pub scheduled_until: Option<i64>,
}

/// The principal of `policy` whose keys hold `key`'s public half.
fn principal_of(policy: &Policy, key: &SigningKey) -> Option<String> {
    let public = key.public_key()?;
    let material = |text: &str| text.split_whitespace().take(2).collect::<Vec<_>>().join(" ");
    let wanted = material(&public);
    policy.principals.iter().find(|p| p.keys.iter().any(|k| material(k) == wanted)).map(|p| p.name.clone())
}

/// Resolves `suite` against `inventory` into the workflow's input.
pub fn prepare(suite: &SuiteFile, inventory: &Inventory, launch: &Launch<'_>) -> Result<SuiteInput, LaunchError> {
    let resolved = suite.resolve(inventory).map_err(LaunchError::Suite)?;
    // For an unsigned launch, as typed less surrounding space (which the
    // rules ignore anyway, so "alice " is never a second person); a signed
    // launch's requester is the key's principal.
    let requester = launch.requester.clone().or(resolved.requester.clone()).or(launch.default_requester.clone())
        .map(|r| r.trim().to_string())
        .filter(|r| !r.is_empty())
        .unwrap_or_else(|| "unknown".into());
    if let Some(w) = &resolved.window {
        let end = switchyard_proto::time::parse_rfc3339(&w.end).unwrap_or(0);
        if !launch.plan_only && end <= now() {
            return Err(LaunchError::Suite(suite.refusal_at("window", format!("the change window ended at {}; nothing started", w.end))));
        }
    }
    // An id given is the id used; one made up for a plan says it is one.
    let suite_id = match &launch.suite_id {
        Some(id) => id.clone(),
        None if launch.plan_only => format!("{}-{}-plan", resolved.name, utc_stamp()),
        None => format!("{}-{}", resolved.name, utc_stamp()),
    };
    names::check_suite_id(&suite_id).map_err(LaunchError::SuiteId)?;
    let mut input = SuiteInput {
        suite_id,
        name: resolved.name,
        requester,
        source_file: suite.file().to_string(),
        rollout: Some(resolved.rollout),
        approval: suite.has_approval().then_some(resolved.approval),
        devices: resolved.devices,
        plan_only: launch.plan_only,
        window: resolved.window,
        launch: None,
        scheduled: launch.scheduled_until.is_some(),
        reverts: String::new(),
        step_pool: Vec::new(),
        check_pool: Vec::new(),
        shared: Vec::new(),
    };
    // Each distinct step once: what is signed and started is the compact input.
    switchyard_proto::targets::compact(&mut input);
    if let Some(key) = launch.signing_key {
        // The requester a signed launch names is the principal it is
        // signed for, where that is known here: the Web UI shows the input.
        if let Some(principal) = launch.on_behalf.clone().or_else(|| launch.policy.and_then(|p| principal_of(p, key))) {
            input.requester = principal;
        }
        // A schedule's runs are planned long after it is signed.
        let valid = launch.scheduled_until.map_or(LAUNCH_VALID_SECS, |until| (until - now()).max(LAUNCH_VALID_SECS));
        sign(&mut input, key, launch.on_behalf.as_deref(), valid)?;
    }
    if let Some(policy) = launch.policy {
        let (_, refusals) = policy.effective(inventory, &policy::request(&input), now());
        if let Some(first) = refusals.first() {
            let more = if refusals.len() > 1 { format!(" (and {} more refusal(s))", refusals.len() - 1) } else { String::new() };
            return Err(LaunchError::Policy { refusal: Box::new(suite.refusal_at(first.field, first.message.clone())), more });
        }
    }
    Ok(input)
}

/// Signs `input`'s launch with `key` (for `on_behalf`, when an attester
/// signs), valid for `valid_secs` (the default: [`sign_now`]).
pub fn sign(input: &mut SuiteInput, key: &SigningKey, on_behalf: Option<&str>, valid_secs: i64) -> Result<(), LaunchError> {
    input.launch = None;
    let about = About { suite: input.suite_id.clone(), input: trust::input_digest(input), ..Default::default() };
    let channel = if on_behalf.is_some() { "service" } else { "cli" };
    let mut decision = signing::decision(Kind::Launch, about, channel, "", valid_secs).map_err(|e| LaunchError::Sign(e.to_string()))?;
    decision.on_behalf = on_behalf.unwrap_or_default().to_string();
    input.launch = Some(key.sign(&decision).map_err(|e| LaunchError::Sign(e.to_string()))?);
    Ok(())
}

/// Signs a launch that starts at once (a suite built by the CLI itself,
/// such as a drift check's remediation).
pub fn sign_now(input: &mut SuiteInput, key: &SigningKey) -> Result<(), LaunchError> {
    sign(input, key, None, LAUNCH_VALID_SECS)
}

/// A suite id no other launch picks, `<name>-<UTC time>-<6 hex digits>`,
/// for a caller that launches many suites a second (the service): the
/// plain `<name>-<UTC time>` would collide.
pub fn fresh_suite_id(name: &str) -> String {
    format!("{name}-{}-{}", utc_stamp(), trust::hex(&crate::random::unique::<3>()))
}

/// `YYYYMMDD-HHMMSS` in UTC, from the starter's clock (never the workflow's).
fn utc_stamp() -> String {
    // 2026-11-22T17:20:05Z → 20261122-172005
    switchyard_proto::time::format_rfc3339(now()).replace(['-', ':', 'Z'], "").replace('T', "-")
}
