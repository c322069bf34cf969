//! Device checks, judged: what a check expects in words, and whether what
//! the device showed meets it. One home for both, so the plan, the worker's
//! reading and the report say the same thing.
//!
//! Must never: read a device or a clock (the worker reads, this judges).

use std::collections::BTreeMap;

use crate::v1::{Check, CheckDb, CheckExpect, CheckWhen, DeviceTarget, Gate, HealthSnapshot};

/// Settle time of a check when neither it nor the suite's `checks.within`
/// gives one.
pub const DEFAULT_WITHIN_SECONDS: u32 = 30;

/// What a device showed for one check's key: none when the key is absent.
pub type Observed = Option<BTreeMap<String, String>>;

/// How well a device's launched target is checked after its change: what
/// a policy rule may require (`checks: required`, `min_check_within`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Coverage {
    /// The suite's own post-checks for the device.
    pub post: u32,
    /// Whether the catalogue's checks are read too.
    pub builtin: bool,
    /// The shortest settle time of those checks; 0 when there are none.
    pub shortest_within: u32,
}

/// The settle time of the catalogue's checks on a target: the suite's
/// `checks.within`, or the default.
pub fn builtin_within(target: &DeviceTarget) -> u32 {
    if target.checks_within_seconds == 0 { DEFAULT_WITHIN_SECONDS } else { target.checks_within_seconds }
}

/// The post-check coverage of a target as the suite launched it.
pub fn coverage(target: &DeviceTarget) -> Coverage {
    let post: Vec<u32> = target.checks.iter().filter(|c| c.when == CheckWhen::Post as i32).map(|c| c.within_seconds).collect();
    let builtin_within = target.builtin_checks.then_some(builtin_within(target));
    let shortest_within = post.iter().copied().chain(builtin_within).min().unwrap_or(0);
    Coverage { post: post.len() as u32, builtin: target.builtin_checks, shortest_within }
}

/// The database a check reads, as SONiC numbers it.
pub fn db_number(db: CheckDb) -> Option<u8> {
    match db {
        CheckDb::Appl => Some(0),
        CheckDb::Counters => Some(2),
        CheckDb::State => Some(6),
        CheckDb::Unspecified => None,
    }
}

/// The database's name as SONiC's tools write it.
pub fn db_name(db: CheckDb) -> &'static str {
    match db {
        CheckDb::Appl => "APPL_DB",
        CheckDb::Counters => "COUNTERS_DB",
        CheckDb::State => "STATE_DB",
        CheckDb::Unspecified => "no database",
    }
}

/// Where a check reads, e.g. `STATE_DB NEIGH_STATE_TABLE|10.0.0.2` or
/// `command ping -c 3 10.0.0.2`.
pub fn source(check: &Check) -> String {
    if check.command.is_empty() {
        format!("{} {}", db_name(check.db()), check.key)
    } else {
        format!("command {}", check.command.join(" "))
    }
}

/// The expectation in words, e.g. `state = Established` or `exit 0`.
pub fn expected(check: &Check) -> String {
    let subject = if check.field.is_empty() { "key".to_string() } else { check.field.clone() };
    match check.expect() {
        CheckExpect::Equals => format!("{subject} = {}", check.value),
        CheckExpect::NotEquals => format!("{subject} ≠ {}", check.value),
        CheckExpect::Exists => format!("{subject} present"),
        CheckExpect::Absent | CheckExpect::Unspecified => format!("{subject} absent"),
        CheckExpect::Succeeds => "exit 0".into(),
        CheckExpect::Fails => "exit not 0".into(),
        CheckExpect::Prints => format!("exit 0, output containing {:?}", check.value),
    }
}

/// The programs a command check may run: each only reads (SONiC's `show`,
/// `ip` with a show verb, and reachability probes).
pub const COMMAND_PROGRAMS: [&str; 5] = ["ping", "ping6", "traceroute", "show", "ip"];

/// Words of a command check, at most.
const COMMAND_WORDS: usize = 24;
/// Bytes of one word, at most.
const COMMAND_WORD_BYTES: usize = 128;
/// Pings a ping check may send.
const MAX_PINGS: u32 = 10;
/// What `ip` may be asked about, and the verbs that only read.
const IP_OBJECTS: [&str; 9] = ["address", "addr", "a", "link", "route", "r", "neighbor", "neigh", "vrf"];
const IP_VERBS: [&str; 3] = ["show", "list", "get"];

/// The words of a command as written: split on white space (no quoting:
/// a word holds no space).
pub fn command_words(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// Why a command may not run as a check, if it may not. The worker asks
/// this again before it runs one, since a check is a claim: only a program
/// of [`COMMAND_PROGRAMS`] used to read, every word a plain token (letters,
/// digits and `. _ : / @ , = + % -`, so the line means the same to the
/// switch's shell as it does here), a ping with a count of at most 10.
pub fn command_refusal(words: &[String]) -> Option<String> {
    let Some(program) = words.first() else { return Some("the command is empty".into()) };
    if words.len() > COMMAND_WORDS {
        return Some(format!("{} words; a command check takes at most {COMMAND_WORDS}", words.len()));
    }
    let plain = |c: char| c.is_ascii_alphanumeric() || "._:/@,=+%-".contains(c);
    if let Some(word) = words.iter().find(|w| w.is_empty() || w.len() > COMMAND_WORD_BYTES || !w.chars().all(plain)) {
        return Some(format!("{word:?} is not a plain word (letters, digits and . _ : / @ , = + % - only, at most {COMMAND_WORD_BYTES} bytes): the switch's shell must not read more into it"));
    }
    let args = &words[1..];
    match program.as_str() {
        "ping" | "ping6" => {
            let count = args.iter().position(|w| w == "-c").and_then(|i| args.get(i + 1)).and_then(|n| n.parse::<u32>().ok());
            match count {
                Some(n) if (1..=MAX_PINGS).contains(&n) => {}
                _ => return Some(format!("a ping check gives its count: -c N, N in 1..={MAX_PINGS}")),
            }
            if args.iter().any(|w| w == "-f" || w.starts_with("-i")) {
                return Some("a ping check may not flood or set its own interval".into());
            }
            None
        }
        "traceroute" | "show" => None,
        "ip" => {
            let mut rest = args.iter().skip_while(|w| w.starts_with('-'));
            match (rest.next(), rest.next()) {
                (Some(object), verb) if IP_OBJECTS.contains(&object.as_str()) && verb.is_none_or(|v| IP_VERBS.contains(&v.as_str())) => None,
                _ => Some(format!("ip may only show: ip [-j] {{{}}} [{}] …", IP_OBJECTS.join("|"), IP_VERBS.join("|"))),
            }
        }
        other => Some(format!("{other:?} is not a program a check may run; allowed: {}", COMMAND_PROGRAMS.join(", "))),
    }
}

/// The shell line a command check runs: bounded on the switch too, so a
/// read the worker gave up on does not linger there.
pub fn command_line(words: &[String], seconds: u32) -> String {
    format!("timeout {} {}", seconds.max(1), words.join(" "))
}

/// Whether a command's outcome (its output when it exited 0, else why
/// not) meets the check, and what it showed in words.
pub fn judge_command(check: &Check, outcome: &Result<String, String>) -> (bool, String) {
    match (check.expect(), outcome) {
        (CheckExpect::Fails, Ok(_)) => (false, "exit 0".into()),
        (CheckExpect::Fails, Err(why)) => (true, why.clone()),
        (CheckExpect::Prints, Ok(out)) if out.contains(&check.value) => (true, format!("exit 0, printed {:?}", check.value)),
        (CheckExpect::Prints, Ok(out)) => (false, format!("exit 0, output without {:?}: {}", check.value, tail(out))),
        (_, Ok(_)) => (true, "exit 0".into()),
        (_, Err(why)) => (false, why.clone()),
    }
}

/// The end of a command's output, enough to say what it showed.
fn tail(out: &str) -> String {
    let out = out.trim();
    match out.char_indices().rev().nth(199) {
        Some((i, _)) => format!("…{}", &out[i..]),
        None => out.to_string(),
    }
}

/// A name for a check its author did not name.
pub fn describe(check: &Check) -> String {
    format!("{}: {}", source(check), expected(check))
}

/// Whether `observed` meets the check, and what it showed in words.
pub fn judge(check: &Check, observed: &Observed) -> (bool, String) {
    let Some(row) = observed else {
        let passed = match check.expect() {
            CheckExpect::NotEquals | CheckExpect::Absent => true,
            // A command's expectations are judged by `judge_command`.
            CheckExpect::Equals | CheckExpect::Exists | CheckExpect::Unspecified
            | CheckExpect::Succeeds | CheckExpect::Fails | CheckExpect::Prints => false,
        };
        return (passed, "no such key".into());
    };
    if check.field.is_empty() {
        return (check.expect() == CheckExpect::Exists, "key present".into());
    }
    let value = row.get(&check.field);
    let shown = match value {
        Some(v) => format!("{} = {v}", check.field),
        None => format!("no field {}", check.field),
    };
    let passed = match check.expect() {
        CheckExpect::Equals => value == Some(&check.value),
        CheckExpect::NotEquals => value != Some(&check.value),
        CheckExpect::Exists => value.is_some(),
        CheckExpect::Absent | CheckExpect::Unspecified => value.is_none(),
        CheckExpect::Succeeds | CheckExpect::Fails | CheckExpect::Prints => false,
    };
    (passed, shown)
}

/// Names of ports not up and neighbors not Established a snapshot keeps.
const HEALTH_NAMED: usize = 8;

/// A device's health from what it reports: (`port` or `bgp`, name, state)
/// for each port and default-VRF BGP neighbor. `at` is left to the reader.
pub fn health(entries: &[(String, String, String)]) -> HealthSnapshot {
    let mut snapshot = HealthSnapshot::default();
    let mut sorted: Vec<&(String, String, String)> = entries.iter().collect();
    sorted.sort();
    for (kind, name, state) in sorted {
        match kind.as_str() {
            "port" => {
                snapshot.ports += 1;
                if state == "up" {
                    snapshot.ports_up += 1;
                } else if snapshot.not_up.len() < HEALTH_NAMED {
                    snapshot.not_up.push(format!("{name} {state}"));
                }
            }
            "bgp" => {
                snapshot.bgp_neighbors += 1;
                if state == "Established" {
                    snapshot.bgp_established += 1;
                } else if snapshot.not_established.len() < HEALTH_NAMED {
                    snapshot.not_established.push(format!("{name} {state}"));
                }
            }
            _ => {}
        }
    }
    snapshot
}

/// A snapshot in words, e.g. `ports up 31/32, BGP established 2/3`.
pub fn describe_health(h: &HealthSnapshot) -> String {
    format!("ports up {}/{}, BGP established {}/{}", h.ports_up, h.ports, h.bgp_established, h.bgp_neighbors)
}

/// A gate's bounds in words, e.g. `every sample <= 0 for 60s`.
pub fn gate_expected(gate: &Gate) -> String {
    let mut bounds = Vec::new();
    if gate.has_min {
        bounds.push(format!(">= {}", gate.min));
    }
    if gate.has_max {
        bounds.push(format!("<= {}", gate.max));
    }
    let held = if gate.for_seconds > 0 { format!(" for {}s", gate.for_seconds) } else { String::new() };
    format!("every sample {}{held}", bounds.join(" and "))
}

/// The query with `{{ wave.devices }}` replaced by a regular expression
/// that matches exactly the wave's device names.
pub fn gate_query(gate: &Gate, devices: &[String]) -> String {
    let alternatives: Vec<String> = devices.iter().map(|d| regex_escape(d)).collect();
    gate.query.replace("{{ wave.devices }}", &alternatives.join("|"))
}

fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// Whether one reading of a gate's query (each sample as its labels in
/// words and its value) is within bounds, and what it showed.
pub fn judge_gate(gate: &Gate, samples: &[(String, f64)]) -> (bool, String) {
    if samples.is_empty() {
        return (gate.pass_when_empty, "no samples".into());
    }
    let outside = |v: f64| v.is_nan() || (gate.has_max && v > gate.max) || (gate.has_min && v < gate.min);
    match samples.iter().find(|(_, v)| outside(*v)) {
        Some((labels, v)) => (false, format!("{labels} = {v}")),
        None => {
            let shown: Vec<String> = samples.iter().take(3).map(|(l, v)| format!("{l} = {v}")).collect();
            let more = if samples.len() > 3 { format!(" (and {} more)", samples.len() - 3) } else { String::new() };
            (true, format!("{}{more}", shown.join(", ")))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::v1::CheckWhen;

    fn check(field: &str, expect: CheckExpect, value: &str) -> Check {
        Check {
            name: String::new(), when: CheckWhen::Post as i32, db: CheckDb::State as i32, key: "NEIGH_STATE_TABLE|10.0.0.2".into(),
            field: field.into(), expect: expect as i32, value: value.into(), within_seconds: 30, origin: "suite".into(), command: vec![],
        }
    }

    fn row(pairs: &[(&str, &str)]) -> Observed {
        Some(pairs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect())
    }

    #[test]
    fn each_expectation_is_judged_and_said() {
        let established = check("state", CheckExpect::Equals, "Established");
        assert_eq!(describe(&established), "STATE_DB NEIGH_STATE_TABLE|10.0.0.2: state = Established");
        assert_eq!(judge(&established, &row(&[("state", "Established")])), (true, "state = Established".into()));
        assert_eq!(judge(&established, &row(&[("state", "Active")])), (false, "state = Active".into()));
        assert_eq!(judge(&established, &None), (false, "no such key".into()));
        let not_down = check("oper_status", CheckExpect::NotEquals, "down");
        assert!(judge(&not_down, &row(&[("oper_status", "up")])).0 && judge(&not_down, &None).0);
        assert!(!judge(&not_down, &row(&[("oper_status", "down")])).0);
        let exists = check("", CheckExpect::Exists, "");
        assert_eq!(judge(&exists, &row(&[("nexthop", "10.0.0.1")])), (true, "key present".into()));
        assert!(!judge(&exists, &None).0);
        let absent = check("", CheckExpect::Absent, "");
        assert!(judge(&absent, &None).0 && !judge(&absent, &row(&[])).0);
        let field_present = check("mtu", CheckExpect::Exists, "");
        assert_eq!(judge(&field_present, &row(&[("speed", "1")])), (false, "no field mtu".into()));
    }

    #[test]
    fn health_counts_ports_up_and_sessions_established_and_names_the_rest() {
        let entry = |k: &str, n: &str, s: &str| (k.to_string(), n.to_string(), s.to_string());
        let h = health(&[entry("port", "Ethernet4", "up"), entry("port", "Ethernet0", "down"), entry("bgp", "10.0.0.9", "Active"), entry("bgp", "10.1.0.2", "Established")]);
        assert_eq!((h.ports, h.ports_up, h.bgp_neighbors, h.bgp_established), (2, 1, 2, 1));
        assert_eq!((h.not_up, h.not_established), (vec!["Ethernet0 down".to_string()], vec!["10.0.0.9 Active".to_string()]));
        assert_eq!(describe_health(&health(&[])), "ports up 0/0, BGP established 0/0");
    }

    #[test]
    fn a_gate_judges_every_sample_and_names_the_one_outside() {
        let gate = Gate { name: "errors".into(), query: "sum by (device) (errs{device=~\"{{ wave.devices }}\"})".into(), has_max: true, max: 0.0, for_seconds: 60, ..Default::default() };
        assert_eq!(gate_expected(&gate), "every sample <= 0 for 60s");
        assert_eq!(gate_query(&gate, &["sonic-d001".into(), "leaf.1".into()]), "sum by (device) (errs{device=~\"sonic-d001|leaf\\.1\"})");
        let samples = vec![("{device=\"a\"}".to_string(), 0.0), ("{device=\"b\"}".to_string(), 3.0)];
        assert_eq!(judge_gate(&gate, &samples), (false, "{device=\"b\"} = 3".into()));
        assert_eq!(judge_gate(&gate, &samples[..1]), (true, "{device=\"a\"} = 0".into()));
        assert_eq!(judge_gate(&gate, &[]), (false, "no samples".into()));
        let floor = Gate { has_min: true, min: 4.0, pass_when_empty: true, ..Default::default() };
        assert!(judge_gate(&floor, &[]).0 && !judge_gate(&floor, &[("{}".into(), 3.0)]).0);
        assert!(!judge_gate(&floor, &[("{}".into(), f64::NAN)]).0, "NaN is never within bounds");
    }

    fn refusal(text: &str) -> Option<String> {
        command_refusal(&command_words(text))
    }

    /// Only reads run, each word plain, so the switch's shell runs exactly
    /// the words judged here.
    #[test]
    fn only_allowed_read_only_commands_run_as_checks() {
        for ok in ["ping -c 3 -W 1 -I Vrf-red 10.1.0.2", "ping6 -c 1 fd00::2", "show interfaces status", "show ip bgp summary --json",
            "ip -j route show vrf Vrf-red", "ip neigh", "traceroute -n 10.0.0.2"] {
            assert_eq!(refusal(ok), None, "{ok}");
        }
        for (bad, says) in [
            ("", "empty"),
            ("rm -rf /", "not a program a check may run"),
            ("sudo show version", "not a program a check may run"),
            ("config vlan add 10", "not a program a check may run"),
            ("show version;reboot", "not a plain word"),
            ("show $(reboot)", "not a plain word"),
            ("ping -c 3 10.0.0.2|reboot", "not a plain word"),
            ("show `id`", "not a plain word"),
            ("show a>b", "not a plain word"),
            ("ping 10.0.0.2", "gives its count"),
            ("ping -c 100 10.0.0.2", "gives its count"),
            ("ping -c 3 -f 10.0.0.2", "may not flood"),
            ("ip route add 10.0.0.0/8 via 1.1.1.1", "ip may only show"),
            ("ip link set Ethernet0 down", "ip may only show"),
            ("ip vrf exec Vrf-red reboot", "ip may only show"),
            ("ip netns exec x reboot", "ip may only show"),
        ] {
            let why = refusal(bad).unwrap_or_else(|| panic!("{bad:?} was allowed"));
            assert!(why.contains(says), "{bad:?}: {why}");
        }
        assert_eq!(command_line(&command_words("ping -c 3 10.0.0.2"), 5), "timeout 5 ping -c 3 10.0.0.2");
    }

    #[test]
    fn a_command_is_judged_by_its_exit_and_output() {
        let with = |expect: CheckExpect, value: &str| Check { expect: expect as i32, value: value.into(), command: command_words("show version"), ..Default::default() };
        let ok: Result<String, String> = Ok("SONiC.202411".into());
        let failed: Result<String, String> = Err("exit status 1: 100% packet loss".into());
        assert_eq!(judge_command(&with(CheckExpect::Succeeds, ""), &ok), (true, "exit 0".into()));
        assert_eq!(judge_command(&with(CheckExpect::Succeeds, ""), &failed), (false, "exit status 1: 100% packet loss".into()));
        assert!(judge_command(&with(CheckExpect::Fails, ""), &failed).0 && !judge_command(&with(CheckExpect::Fails, ""), &ok).0);
        assert!(judge_command(&with(CheckExpect::Prints, "202411"), &ok).0);
        assert_eq!(judge_command(&with(CheckExpect::Prints, "202505"), &ok), (false, "exit 0, output without \"202505\": SONiC.202411".into()));
        assert_eq!(describe(&with(CheckExpect::Prints, "202411")), "command show version: exit 0, output containing \"202411\"");
    }
}
