//! The organisation's policy file: who may change what, and who must agree.
//!
//! Principals (a name, groups, SSH public keys) and rules by device selector
//! (names, roles, sites, tags, as suite targets select): who may request,
//! which approvals from which groups, who may operate a running suite,
//! whether a change window is required, the largest parallelism and the
//! operations allowed. A device that no rule covers is never changed
//! (default deny). [`Policy::effective`] turns the file and one suite into
//! the [`EffectivePolicy`] the suite records at plan time; the helpers at
//! the end answer "is this principal one of these" for the workflow.
//!
//! Must never: read a key file or a clock (the caller passes the time), or
//! trust a device fact the requester supplies (roles, sites and tags come
//! from the inventory given here).

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

use serde::Deserialize;
use serde_saphyr::{Location, Spanned};
use ssh_key::{Algorithm, PublicKey};

use crate::checks;
use crate::inventory::Inventory;
use crate::selector::{self, Selector};
use crate::operation;
use crate::time::parse_duration;
use crate::trust::{self, Binding, Kind};
use crate::v1::{ApprovalRequirement, CoveringRule, EffectivePolicy, PolicyDevice, PolicyPrincipal, PolicyRequest, Signer, SuiteInput};
use crate::SourceError;

/// "Any principal" in a list of groups.
pub const ANYONE: &str = "*";

/// A loaded policy file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Policy {
    /// The file as it was named.
    pub file: String,
    /// SHA-256 of its bytes: the suite records it, and the audit shows it.
    pub hash: String,
    /// Whether decisions without a signature count (for a lab).
    pub allow_unsigned: bool,
    /// Every principal.
    pub principals: Vec<PolicyPrincipal>,
    /// Rules in file order; every rule that covers a device applies to it.
    pub rules: Vec<Rule>,
}

/// One rule of the policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// Unique name, quoted in every refusal it causes.
    pub name: String,
    /// The devices it covers.
    pub selector: Selector,
    /// Groups whose members may request (or `*`).
    pub request: Vec<String>,
    /// Groups whose members may operate a running suite (or `*`).
    pub operate: Vec<String>,
    /// Approvals the rule requires; every entry must be met.
    pub approvals: Vec<ApprovalRequirement>,
    /// Whether a suite must have a change window.
    pub window_required: bool,
    /// Largest parallelism; 0: no limit.
    pub max_parallelism: u32,
    /// Operations allowed; empty: every operation.
    pub operations: Vec<String>,
    /// Longest approval wait, in seconds; 0: the suite's own.
    pub approval_timeout_seconds: u64,
    /// Whether a suite must read post-checks on the devices it covers.
    pub checks_required: bool,
    /// Shortest settle time a suite's checks may have, in seconds; 0: any.
    pub min_check_within_seconds: u32,
    /// Whether a suite may turn confirmed commit off (`confirm: optional`);
    /// by default every device it covers arms a revert on the switch.
    pub confirm_optional: bool,
    /// Whether a plan warning on a device it covers refuses the suite
    /// (`warnings: block`); by default a warning is shown and approved with
    /// the plan.
    pub block_warnings: bool,
}

impl Rule {
    /// Why a device's launched checks fall short of the rule, if they do.
    pub fn checks_refusal(&self, checked: &checks::Coverage) -> Option<String> {
        let has_checks = checked.post > 0 || checked.builtin;
        if self.checks_required && !has_checks {
            return Some(format!("rule {} requires post-checks and the suite reads none (add checks.post, or checks.builtin: true)", self.name));
        }
        if has_checks && self.min_check_within_seconds > checked.shortest_within {
            return Some(format!("rule {} requires checks to settle for at least {}s and the suite's shortest is {}s (checks.within)",
                self.name, self.min_check_within_seconds, checked.shortest_within));
        }
        None
    }

    /// Why a suite launched with confirmed commit off may not change the
    /// rule's devices, if it may not.
    pub fn confirm_refusal(&self, confirm_timeout_seconds: u32) -> Option<String> {
        (confirm_timeout_seconds == 0 && !self.confirm_optional).then(|| format!(
            "rule {} requires confirmed commit (a revert armed on the switch) and the suite turns it off (rollout.confirm: off; the rule may say confirm: optional)",
            self.name))
    }

    /// Whether the rule covers a device.
    pub fn covers(&self, device: &crate::inventory::Device) -> bool {
        self.selector.selects(device)
    }
}

/// Why a suite may not run under a policy, with the suite-file field it
/// concerns (empty when no one field is to blame), so the CLI can point at
/// the line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    /// `approval.required`, `rollout.parallelism`, `window`, `targets`,
    /// `steps` or empty.
    pub field: &'static str,
    /// What is wrong, naming the device, rule and policy file.
    pub message: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPolicy {
    #[serde(default)]
    principals: Vec<Spanned<RawPrincipal>>,
    unsigned: Option<Spanned<String>>,
    rules: Spanned<Vec<Spanned<RawRule>>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPrincipal {
    name: Spanned<String>,
    #[serde(default)]
    groups: Vec<Spanned<String>>,
    #[serde(default)]
    keys: Vec<Spanned<String>>,
    #[serde(default)]
    attester: bool,
}


#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRequirement {
    count: Spanned<u32>,
    from: Vec<Spanned<String>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    name: Spanned<String>,
    devices: Spanned<selector::Located>,
    request: Spanned<Vec<Spanned<String>>>,
    operate: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    approvals: Vec<Spanned<RawRequirement>>,
    window: Option<Spanned<String>>,
    max_parallelism: Option<Spanned<u32>>,
    operations: Option<Vec<Spanned<String>>>,
    approval_timeout: Option<Spanned<String>>,
    checks: Option<Spanned<String>>,
    min_check_within: Option<Spanned<String>>,
    confirm: Option<Spanned<String>>,
    warnings: Option<Spanned<String>>,
}

/// Key types whose signatures this build verifies.
fn supported(algorithm: &Algorithm) -> bool {
    matches!(algorithm, Algorithm::Ed25519 | Algorithm::Ecdsa { .. } | Algorithm::SkEd25519 | Algorithm::SkEcdsaSha2NistP256)
}

fn is_name(text: &str) -> bool {
    !text.is_empty() && text.len() <= 64 && text.chars().all(|c| c.is_ascii_alphanumeric() || "-_.@".contains(c))
}

struct Reader<'a> {
    file: &'a str,
}

impl Reader<'_> {
    fn err(&self, loc: Location, field: impl Into<String>, message: impl Into<String>) -> SourceError {
        SourceError::at(self.file, loc, field, message)
    }

    /// The principals that read well, and the first mistake of each other.
    fn principals(&self, raw: &[Spanned<RawPrincipal>]) -> (Vec<PolicyPrincipal>, Vec<SourceError>) {
        let mut out: Vec<PolicyPrincipal> = Vec::with_capacity(raw.len());
        let mut errors = Vec::new();
        // Each key read so far: its identity, owner, field and line.
        let mut key_owner: Vec<(Vec<u8>, String, String, u64)> = Vec::new();
        for (i, p) in raw.iter().enumerate() {
            match self.principal(i, &p.value, &out, &mut key_owner) {
                Ok(principal) => out.push(principal),
                Err(e) => errors.push(e),
            }
        }
        (out, errors)
    }

    fn principal(&self, i: usize, p: &RawPrincipal, out: &[PolicyPrincipal], key_owner: &mut Vec<(Vec<u8>, String, String, u64)>) -> Result<PolicyPrincipal, SourceError> {
        {
            let name = p.name.value.trim().to_lowercase();
            if !is_name(&name) || name != p.name.value {
                return Err(self.err(p.name.referenced, format!("principals[{i}].name"),
                    format!("principal name {:?} must be lower-case letters, digits, '-', '_', '.' or '@' (at most 64)", p.name.value)));
            }
            if let Some(first) = out.iter().find(|q| q.name == name) {
                return Err(self.err(p.name.referenced, format!("principals[{i}].name"), format!("principal {:?} is listed twice", first.name)));
            }
            let mut groups = Vec::new();
            for (g, group) in p.groups.iter().enumerate() {
                if !is_name(&group.value) || group.value == ANYONE {
                    return Err(self.err(group.referenced, format!("principals[{i}].groups[{g}]"),
                        format!("group name {:?} must use only letters, digits, '-', '_', '.' or '@'", group.value)));
                }
                groups.push(group.value.clone());
            }
            if p.keys.is_empty() {
                return Err(self.err(p.name.referenced, format!("principals[{i}].keys"),
                    format!("principal {name:?} has no keys: nothing they sign could be checked")));
            }
            let mut keys = Vec::new();
            for (k, key) in p.keys.iter().enumerate() {
                let field = format!("principals[{i}].keys[{k}]");
                let parsed = PublicKey::from_openssh(key.value.trim())
                    .map_err(|e| self.err(key.referenced, field.clone(), format!("not an OpenSSH public key (\"ssh-ed25519 AAAA... comment\"): {e}")))?;
                if !supported(&parsed.algorithm()) {
                    return Err(self.err(key.referenced, field, format!("{} keys are not supported; use an ed25519 or ecdsa key", parsed.algorithm())));
                }
                if trust::non_canonical(parsed.key_data()) {
                    return Err(self.err(key.referenced, field,
                        "a compressed ECDSA point: write the key as OpenSSH does (`ssh-keygen -y -f KEY`), so one key has one spelling"));
                }
                // A key is its point, not its text: the same key with another
                // comment, or wrapped as a security key, is the same key.
                let identity = trust::key_identity(parsed.key_data());
                if let Some((_, owner, first, line)) = key_owner.iter().find(|(k, ..)| *k == identity) {
                    return Err(self.err(key.referenced, field, format!("this key is already {owner}'s ({first}, line {line}); a key names one principal")));
                }
                key_owner.push((identity, name.clone(), field.clone(), key.referenced.line()));
                keys.push(key.value.trim().to_string());
            }
            Ok(PolicyPrincipal { name, groups, keys, attester: p.attester })
        }
    }

    /// A list of groups: each `*` or a group some principal is in.
    fn groups(&self, list: &[Spanned<String>], field: &str, known: &BTreeSet<String>) -> Result<Vec<String>, SourceError> {
        let mut out = Vec::new();
        for (i, g) in list.iter().enumerate() {
            if g.value != ANYONE && !known.contains(&g.value) {
                return Err(self.err(g.referenced, format!("{field}[{i}]"), format!("no principal is in group {:?}", g.value)));
            }
            out.push(g.value.clone());
        }
        Ok(out)
    }

    /// One rule; `memberships` are the groups of each principal the file
    /// names (whether or not it read well, so one principal's mistake is
    /// not every rule's).
    fn rule(&self, i: usize, r: &RawRule, memberships: &[Vec<String>], known: &BTreeSet<String>) -> Result<Rule, SourceError> {
        let field = |f: &str| format!("rules[{i}].{f}");
        let name = r.name.value.trim().to_string();
        if !is_name(&name) {
            return Err(self.err(r.name.referenced, field("name"), format!("rule name {:?} must use only letters, digits, '-', '_', '.' or '@'", r.name.value)));
        }
        let selector = r.devices.value.selector();
        if selector.is_all() {
            return Err(self.err(r.devices.referenced, field("devices"),
                "the selector is empty; name names, roles, sites or tags (names: [\"*\"] covers every device)"));
        }
        if r.request.value.is_empty() {
            return Err(self.err(r.request.referenced, field("request"), "no group may request under this rule; list groups, or \"*\" for any principal"));
        }
        let request = self.groups(&r.request.value, &field("request"), known)?;
        let mut approvals = Vec::new();
        for (a, req) in r.approvals.iter().enumerate() {
            let from = self.groups(&req.value.from, &field(&format!("approvals[{a}].from")), known)?;
            let count = req.value.count.value;
            let members = memberships.iter().filter(|groups| from.iter().any(|g| g == ANYONE || groups.contains(g))).count();
            if count == 0 {
                return Err(self.err(req.value.count.referenced, field(&format!("approvals[{a}].count")), "a count of 0 requires nothing; remove the entry"));
            }
            if from.is_empty() {
                return Err(self.err(req.referenced, field(&format!("approvals[{a}].from")), "name the groups whose members approve, or \"*\""));
            }
            // The requester never counts: a count equal to the group's size
            // needs a requester from outside it.
            if !from.iter().any(|g| g == ANYONE) && (count as usize) > members {
                return Err(self.err(req.value.count.referenced, field(&format!("approvals[{a}].count")),
                    format!("{count} approvals from {} but only {members} principal(s) are in them; no suite could be approved", from.join(", "))));
            }
            approvals.push(ApprovalRequirement { count, groups: from, principals: vec![], source: format!("rule {name}") });
        }
        let operate = match &r.operate {
            Some(list) => self.groups(list, &field("operate"), known)?,
            // By default whoever may request or approve may answer a pause.
            None => {
                let mut all: Vec<String> = request.clone();
                all.extend(approvals.iter().flat_map(|a| a.groups.iter().cloned()));
                all.sort();
                all.dedup();
                all
            }
        };
        let window_required = match &r.window {
            None => false,
            Some(w) => match w.value.as_str() {
                "required" => true,
                "optional" => false,
                other => return Err(self.err(w.referenced, field("window"), format!("window must be required or optional, not {other:?}"))),
            },
        };
        let max_parallelism = match &r.max_parallelism {
            Some(p) if p.value == 0 => return Err(self.err(p.referenced, field("max_parallelism"), "max_parallelism must be at least 1")),
            Some(p) => p.value,
            None => 0,
        };
        let mut operations = Vec::new();
        for (o, op) in r.operations.iter().flatten().enumerate() {
            if op.value != ANYONE && operation::find(&op.value).is_none() {
                return Err(self.err(op.referenced, field(&format!("operations[{o}]")),
                    format!("unknown operation {:?}{}; known: {}", op.value, crate::vocabulary::did_you_mean(&op.value, operation::OPERATIONS.iter().map(|d| d.name)), operation::OPERATIONS.iter().map(|d| d.name).collect::<Vec<_>>().join(", "))));
            }
            operations.push(op.value.clone());
        }
        if operations.iter().any(|o| o == ANYONE) {
            operations.clear();
        } else if r.operations.as_ref().is_some_and(|l| l.is_empty()) {
            return Err(self.err(r.name.referenced, field("operations"), "an empty list allows no operation; remove the rule or list operations (\"*\" for all)"));
        }
        let approval_timeout_seconds = match &r.approval_timeout {
            None => 0,
            Some(t) => match parse_duration(&t.value) {
                Some(s) if s > 0 => s,
                _ => return Err(self.err(t.referenced, field("approval_timeout"), format!("{:?} is not a duration like 30m, 4h or 1h30m", t.value))),
            },
        };
        let checks_required = match &r.checks {
            None => false,
            Some(c) => match c.value.as_str() {
                "required" => true,
                "optional" => false,
                other => return Err(self.err(c.referenced, field("checks"), format!("checks must be required or optional, not {other:?}"))),
            },
        };
        let min_check_within_seconds = match &r.min_check_within {
            None => 0,
            Some(t) => match parse_duration(&t.value) {
                Some(s) if s > 0 && s <= 3_600 => s as u32,
                _ => return Err(self.err(t.referenced, field("min_check_within"), format!("{:?} is not a settle time like 30s or 2m (at most an hour)", t.value))),
            },
        };
        let confirm_optional = match &r.confirm {
            None => false,
            Some(c) => match c.value.as_str() {
                "required" => false,
                "optional" => true,
                other => return Err(self.err(c.referenced, field("confirm"), format!("confirm must be required or optional, not {other:?}"))),
            },
        };
        let block_warnings = match &r.warnings {
            None => false,
            Some(w) => match w.value.as_str() {
                "block" => true,
                "warn" => false,
                other => return Err(self.err(w.referenced, field("warnings"), format!("warnings must be warn or block, not {other:?}"))),
            },
        };
        Ok(Rule {
            name, selector, request, operate, approvals, window_required, max_parallelism, operations, approval_timeout_seconds,
            checks_required, min_check_within_seconds, confirm_optional, block_warnings,
        })
    }
}

impl Policy {
    /// Parses policy text; `file` names it in errors and in what suites record.
    pub fn parse(file: &str, text: &str) -> Result<Self, SourceError> {
        let raw: RawPolicy = serde_saphyr::from_str(text).map_err(|e| SourceError::from_yaml(file, text, &e))?;
        let reader = Reader { file };
        // Every principal and rule is read, so a file's mistakes are all
        // said at once (the first of each principal or rule).
        let (principals, mut errors) = reader.principals(&raw.principals);
        // Groups as the file names them, so a principal refused for its key
        // does not make every rule naming its group a mistake too.
        let memberships: Vec<Vec<String>> = raw.principals.iter().map(|p| p.value.groups.iter().map(|g| g.value.clone()).collect()).collect();
        let known: BTreeSet<String> = memberships.iter().flatten().cloned().collect();
        let allow_unsigned = match &raw.unsigned {
            None => false,
            Some(u) => match u.value.as_str() {
                "allow" => true,
                "refuse" => false,
                other => {
                    errors.push(reader.err(u.referenced, "unsigned", format!("unsigned must be allow or refuse, not {other:?}")));
                    false
                }
            },
        };
        if raw.rules.value.is_empty() {
            errors.push(reader.err(raw.rules.referenced, "rules", "no rules: every device would be refused (default deny)"));
        }
        let mut rules: Vec<Rule> = Vec::new();
        for (i, r) in raw.rules.value.iter().enumerate() {
            match reader.rule(i, &r.value, &memberships, &known) {
                Ok(rule) if rules.iter().any(|q| q.name == rule.name) => {
                    errors.push(reader.err(r.value.name.referenced, format!("rules[{i}].name"), format!("rule {:?} is listed twice", rule.name)));
                }
                Ok(rule) => rules.push(rule),
                Err(e) => errors.push(e),
            }
        }
        if let Some(e) = SourceError::all(errors) {
            return Err(e);
        }
        let hash = trust::hex(&<sha2::Sha256 as sha2::Digest>::digest(text.as_bytes()));
        Ok(Self { file: file.to_string(), hash, allow_unsigned, principals, rules })
    }

    /// Reads and parses a policy file.
    pub fn load(path: &Path) -> Result<Self, SourceError> {
        let (file, text) = crate::source::read_text(path, "policy")?;
        Self::parse(&file, &text)
    }

    /// The policy as it governs one suite: the rules covering its devices,
    /// the approvals they and the suite require, and every reason the suite
    /// may not run (each device no rule covers, a requester or operation
    /// a rule does not allow, a missing window, too much parallelism, a
    /// suite approval that asks for less than the policy). The launch
    /// signature is checked here against `now`; the devices' facts come
    /// from `inventory`.
    pub fn effective(&self, inventory: &Inventory, req: &PolicyRequest, now: i64) -> (EffectivePolicy, Vec<Refusal>) {
        let mut refusals = Vec::new();
        let mut refuse = |field: &'static str, message: String| refusals.push(Refusal { field, message });
        let mut effective = EffectivePolicy {
            file: self.file.clone(),
            hash: self.hash.clone(),
            allow_unsigned: self.allow_unsigned,
            principals: self.principals.clone(),
            ..Default::default()
        };
        let requester = self.requester(&effective, req, now);
        let requester = match requester {
            Ok(signer) => Some(signer),
            Err(why) => {
                refuse("", format!("the launch is not accepted: {why}"));
                None
            }
        };
        let mut covering: BTreeMap<usize, Vec<String>> = BTreeMap::new();
        for target in &req.devices {
            let Some(device) = inventory.device(&target.device) else {
                refuse("targets", format!("{}: not in the worker's inventory {}", target.device, inventory.file));
                continue;
            };
            let rules: Vec<(usize, &Rule)> = self.rules.iter().enumerate().filter(|(_, r)| r.covers(device)).collect();
            if rules.is_empty() {
                refuse("targets", format!("{}: no rule of policy {} covers this device (default deny)", device.name, self.file));
                continue;
            }
            let checked = checks::Coverage { post: target.post_checks, builtin: target.builtin_checks, shortest_within: target.shortest_check_within_seconds };
            for (i, rule) in rules {
                covering.entry(i).or_default().push(device.name.clone());
                if let Some(why) = rule.checks_refusal(&checked) {
                    refuse("checks", format!("{}: {why} of {}", device.name, self.file));
                }
                for op in &target.operations {
                    if !rule.operations.is_empty() && !rule.operations.contains(op) {
                        refuse("steps", format!("{}: operation {op} is not allowed by rule {} of {} (allowed: {})",
                            device.name, rule.name, self.file, rule.operations.join(", ")));
                    }
                }
            }
        }
        for (i, devices) in covering {
            let rule = &self.rules[i];
            if let Some(signer) = requester.as_ref().filter(|s| !admits(&effective, &rule.request, &s.principal)) {
                refuse("", format!("{} may not request changes on {} under rule {} of {} (requests from: {})",
                    signer.principal, devices.join(", "), rule.name, self.file, rule.request.join(", ")));
            }
            if let Some(why) = rule.confirm_refusal(req.confirm_timeout_seconds) {
                refuse("rollout.confirm", format!("{why}, for {}, of {}", devices.join(", "), self.file));
            }
            if rule.window_required && !req.has_window {
                refuse("window", format!("rule {} of {} requires a change window for {}; the suite has none", rule.name, self.file, devices.join(", ")));
            }
            if rule.max_parallelism > 0 {
                if req.parallelism > rule.max_parallelism {
                    refuse("rollout.parallelism", format!("parallelism {} is above the {} rule {} of {} allows",
                        req.parallelism, rule.max_parallelism, rule.name, self.file));
                }
                effective.max_parallelism = match effective.max_parallelism {
                    0 => rule.max_parallelism,
                    m => m.min(rule.max_parallelism),
                };
            }
            effective.window_required |= rule.window_required;
            if rule.approval_timeout_seconds > 0 {
                effective.approval_timeout_seconds = match effective.approval_timeout_seconds {
                    0 => rule.approval_timeout_seconds,
                    t => t.min(rule.approval_timeout_seconds),
                };
            }
            effective.approvals.extend(rule.approvals.iter().cloned());
            effective.rules.push(CoveringRule {
                name: rule.name.clone(),
                request: rule.request.clone(),
                operate: rule.operate.clone(),
                devices,
                block_warnings: rule.block_warnings,
            });
        }
        if let Some(own) = &req.approval {
            let (least, source) = effective.approvals.iter().map(|a| (a.count, a.source.as_str())).max().unwrap_or((0, ""));
            if own.required < least {
                refuse("approval.required", format!("approval.required is {} but {source} of {} requires {least}; a suite may add to the policy, not lower it",
                    own.required, self.file));
            }
            if own.required > 0 {
                effective.approvals.push(ApprovalRequirement {
                    count: own.required,
                    groups: vec![],
                    principals: own.reviewers.iter().map(|r| trust::person(r)).collect(),
                    source: "the suite's approval".into(),
                });
            }
        }
        effective.requester = requester;
        effective.refusals = refusals.iter().map(|r| r.message.clone()).collect();
        (effective, refusals)
    }

    /// Who launched: the principal whose key signed the launch, or, where
    /// the policy allows unsigned decisions, the name the launch gives.
    fn requester(&self, effective: &EffectivePolicy, req: &PolicyRequest, now: i64) -> Result<Signer, String> {
        match &req.launch {
            None => trust::unsigned(effective, &req.requester),
            Some(signed) => {
                let binding = Binding { suite: &req.suite_id, run: "", plan: "", input: &req.input_digest, now };
                let ok = trust::establish(signed, &self.principals, &binding)?;
                if ok.decision.kind != Kind::Launch {
                    return Err(format!("the launch carries a signed {} decision, not a launch", ok.decision.kind.name()));
                }
                Ok(ok.signer)
            }
        }
    }
}

/// What the policy is asked about a suite: its devices with the operations
/// their steps use, its own approval section, parallelism and window, and
/// its launch. The worker's policy activity and the CLI's early check ask
/// the same question.
pub fn request(input: &SuiteInput) -> PolicyRequest {
    // A target naming a step its input lacks is judged on the steps it
    // has: such a suite ends before planning, and a write for it is
    // refused by its warrant.
    let whole = input.expanded().unwrap_or_else(|_| input.clone());
    PolicyRequest {
        suite_id: input.suite_id.clone(),
        input_digest: trust::input_digest(input),
        launch: input.launch.clone(),
        requester: input.requester.clone(),
        devices: whole.devices.iter().map(|t| {
            let mut operations: Vec<String> = t.steps.iter()
                .filter_map(|s| s.operation.as_ref()?.op.as_ref())
                .map(|op| operation::name(op).to_string())
                .collect();
            operations.sort();
            operations.dedup();
            let checked = checks::coverage(t);
            PolicyDevice {
                device: t.device.clone(), operations,
                post_checks: checked.post, builtin_checks: checked.builtin, shortest_check_within_seconds: checked.shortest_within,
            }
        }).collect(),
        approval: input.approval.clone(),
        parallelism: input.rollout.as_ref().map_or(1, |r| r.parallelism.max(1)),
        has_window: input.window.is_some(),
        confirm_timeout_seconds: input.rollout.as_ref().map_or(0, |r| r.confirm_timeout_seconds),
    }
}

/// The policy's principal of this name.
pub fn principal<'a>(policy: &'a EffectivePolicy, name: &str) -> Option<&'a PolicyPrincipal> {
    policy.principals.iter().find(|p| p.name == name)
}

/// Whether `principal` is `*`-admitted or in one of `groups`. `*` means
/// any principal the policy names (any name at all only where the policy
/// lets unsigned decisions count: a lab). An attester (a service that signs
/// for the people it authenticated) is never a person the rules admit.
pub fn admits(policy: &EffectivePolicy, groups: &[String], principal: &str) -> bool {
    let named = self::principal(policy, principal);
    if named.is_some_and(|p| p.attester) {
        return false;
    }
    let anyone = groups.iter().any(|g| g == ANYONE) && (named.is_some() || policy.allow_unsigned);
    anyone || principal_in(policy, groups, principal)
}


fn principal_in(policy: &EffectivePolicy, groups: &[String], name: &str) -> bool {
    self::principal(policy, name).is_some_and(|p| p.groups.iter().any(|g| groups.contains(g)))
}

/// Whether an approval by `principal` counts towards `requirement`.
pub fn qualifies(policy: &EffectivePolicy, requirement: &ApprovalRequirement, principal: &str) -> bool {
    if self::principal(policy, principal).is_some_and(|p| p.attester) {
        return false;
    }
    let open = requirement.groups.is_empty() && requirement.principals.is_empty();
    open || requirement.principals.iter().any(|p| p == principal) || admits(policy, &requirement.groups, principal)
}

/// Whether `principal` may answer pauses, extend the window and change the
/// parallelism: every covering rule must let them operate.
pub fn may_operate(policy: &EffectivePolicy, principal: &str) -> Result<(), String> {
    match policy.rules.iter().find(|r| !admits(policy, &r.operate, principal)) {
        None => Ok(()),
        Some(rule) => Err(format!("{principal} may not operate this suite: rule {} lets {} operate", rule.name, rule.operate.join(", "))),
    }
}

#[cfg(test)]
mod tests;
