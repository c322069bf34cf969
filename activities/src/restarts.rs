//! Restarting a SONiC service once a step's rows are written, as SONiC's
//! CLI does after changing tables the service reads only at start (the
//! dhcp_relay plugin's `restart_dhcp_relay_service`: `systemctl stop`,
//! `reset-failed`, `start`). Which service a step restarts is planned and
//! recorded in its receipt (`Receipt.restarted`), under the warrant; the
//! apply restarts after writing and the reverse after undoing.
//!
//! Must never: choose a service (the receipt names it) or run a command
//! for a service it does not list.

/// Each service a step may restart, with the commands SONiC's CLI runs for
/// it: the dhcp_relay plugin's `restart_dhcp_relay_service` (stop,
/// reset-failed, start), and `config snmp …`'s (reset-failed, restart).
const SERVICES: &[(&str, &[&str])] = &[
    ("dhcp_relay", &["systemctl stop dhcp_relay", "systemctl reset-failed dhcp_relay", "systemctl start dhcp_relay"]),
    ("snmp", &["systemctl reset-failed snmp.service", "systemctl restart snmp.service"]),
];

/// The command that restarts `service` the way SONiC's CLI does, or None
/// for a service switchyard does not restart (the receipt is a claim until
/// the warrant is checked; only these commands ever run).
pub fn command(service: &str) -> Option<String> {
    let (_, steps) = SERVICES.iter().find(|(name, _)| *name == service)?;
    Some(steps.iter().map(|s| format!("sudo {s}")).collect::<Vec<_>>().join(" && "))
}

/// The services a set of written steps restart, each once, in plan order.
pub fn of<'a>(steps: impl IntoIterator<Item = &'a switchyard_proto::v1::StepPlan>) -> Vec<String> {
    let mut services: Vec<String> = Vec::new();
    for step in steps {
        for s in step.receipt.iter().flat_map(|r| r.restarted.iter()) {
            if !services.contains(s) {
                services.push(s.clone());
            }
        }
    }
    services
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_proto::v1::{Receipt, StepPlan};

    #[test]
    fn a_service_is_restarted_as_sonics_cli_does() {
        assert_eq!(command("dhcp_relay").unwrap(),
            "sudo systemctl stop dhcp_relay && sudo systemctl reset-failed dhcp_relay && sudo systemctl start dhcp_relay");
        assert_eq!(command("snmp").unwrap(), "sudo systemctl reset-failed snmp.service && sudo systemctl restart snmp.service");
        for bad in ["", "dhcp_relay; reboot", "../x", "Snmp", "sshd"] {
            assert_eq!(command(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn each_service_once_in_plan_order() {
        let step = |s: &[&str]| StepPlan { receipt: Some(Receipt { restarted: s.iter().map(|x| x.to_string()).collect(), ..Default::default() }), ..Default::default() };
        let steps = [step(&["dhcp_relay"]), step(&[]), step(&["snmp", "dhcp_relay"])];
        assert_eq!(of(&steps), ["dhcp_relay", "snmp"]);
    }
}
