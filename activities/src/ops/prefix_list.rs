//! add_prefix_list / remove_prefix_list: an entry of a prefix list, as
//! frrcfgd reads it.
//!
//! Writes (sonic-routing-policy-sets.yang; frrcfgd renders `ip prefix-list
//! <name> <action> <prefix> [ge ..] [le ..]`, or `ipv6 prefix-list`):
//! ```text
//! + PREFIX_SET|<name>                     mode=IPv4|IPv6   when absent, first
//! + PREFIX|<name>|<prefix>|<range>        action=permit|deny
//! - PREFIX|<name>|<prefix>|<range>; PREFIX_SET|<name> with its last entry, once no route map or neighbor uses it
//! ```
//! The entry's key has no sequence number: frrcfgd up to 202505 parses
//! only `<name>|<prefix>|<range>` (a key with the YANG model's sequence
//! number makes it fail, sonic-buildimage #22888), and from 202511 the
//! models key it the same way. The set's `mode` is what frrcfgd needs to
//! pick `ip` or `ipv6`. Only frrcfgd reads these tables: a bgpcfgd switch
//! is refused.

use switchyard_proto::v1::PrefixListEntry;

use super::bgp_daemon::{METADATA, frrcfgd_only};
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, release_reads};
use super::sonic_release;

fn set_key(name: &str) -> String {
    format!("PREFIX_SET|{name}")
}

fn range(p: &PrefixListEntry) -> &str {
    if p.range.is_empty() { "exact" } else { p.range.as_str() }
}

fn entry_key(p: &PrefixListEntry) -> String {
    format!("PREFIX|{}|{}|{}", p.name, p.prefix, range(p))
}

/// add_prefix_list.
pub(crate) struct Add<'a>(pub(crate) &'a PrefixListEntry);
/// remove_prefix_list.
pub(crate) struct Remove<'a>(pub(crate) &'a PrefixListEntry);

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        Reads::default().key(METADATA).key(set_key(&self.0.name)).key(entry_key(self.0)).key(sonic_release::KEY)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        frrcfgd_only(view, "name")?;
        let mode = if p.prefix.contains(':') { "IPv6" } else { "IPv4" };
        let set = set_key(&p.name);
        if let Some(other) = view.row(&set).and_then(|r| r.get("mode")).filter(|m| !m.eq_ignore_ascii_case(mode)) {
            return Err(PlanError::new("prefix", format!("{set} is an {other} list; {} is {mode}", p.prefix)));
        }
        let action = if p.action.is_empty() { "permit" } else { p.action.as_str() };
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&set, &[("mode", mode.to_string())]);
        plan.ensure(&entry_key(p), &[("action", action.to_string())]);
        if sonic_release::of(view).is_some_and(|r| r.at_most < 202511) {
            plan.note("PREFIX keyed <name>|<prefix>|<range>, the form this release's frrcfgd parses (its YANG models add a sequence number frrcfgd cannot read before 202511)".into());
        }
        Ok(plan.finish())
    }
}

impl Catalogued for Remove<'_> {

    fn reads(&self) -> Reads {
        let mut reads = release_reads(&set_key(&self.0.name)).key(entry_key(self.0));
        reads.merge(Reads::default().key(set_key(&self.0.name)));
        reads
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let mut plan = PlanBuilder::new(view);
        plan.release(&entry_key(self.0), false, "prefix")?;
        // The list goes with its last entry, unless a route map or a
        // neighbor still names it.
        plan.release(&set_key(&self.0.name), true, "name")?;
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    const FRR: (&str, &[(&str, &str)]) = ("DEVICE_METADATA|localhost", &[("frr_mgmt_framework_config", "true")]);

    #[test]
    fn an_entry_in_the_form_frrcfgd_reads() {
        let op = PrefixListEntry { name: "LOOPBACKS".into(), prefix: "10.1.0.0/16".into(), range: "32..32".into(), action: String::new() };
        check_plan(&Add(&op), rows(&[FRR]), "+ PREFIX_SET|LOOPBACKS mode=IPv4\n+ PREFIX|LOOPBACKS|10.1.0.0/16|32..32 action=permit\n",
            "created=[PREFIX_SET|LOOPBACKS,PREFIX|LOOPBACKS|10.1.0.0/16|32..32]");
        check_refused(&Add(&op), rows(&[]), "name", "runs bgpcfgd");
        let v6 = PrefixListEntry { prefix: "2001:db8::/32".into(), range: String::new(), ..op.clone() };
        check_refused(&Add(&v6), rows(&[FRR, ("PREFIX_SET|LOOPBACKS", &[("mode", "IPv4")])]), "prefix", "is an IPv4 list");
        // The last entry takes the list; one a route map names stays.
        let set = ("PREFIX_SET|LOOPBACKS", &[("mode", "IPv4")][..]);
        let entry = ("PREFIX|LOOPBACKS|10.1.0.0/16|32..32", &[("action", "permit")][..]);
        check_plan(&Remove(&op), rows(&[set, entry]), "- PREFIX|LOOPBACKS|10.1.0.0/16|32..32\n- PREFIX_SET|LOOPBACKS\n",
            "deleted=[PREFIX|LOOPBACKS|10.1.0.0/16|32..32,PREFIX_SET|LOOPBACKS]");
        let map = ("ROUTE_MAP|FROM_SPINES|10", &[("route_operation", "permit"), ("match_prefix_set", "LOOPBACKS")][..]);
        check_plan(&Remove(&op), rows(&[set, entry, map]), "- PREFIX|LOOPBACKS|10.1.0.0/16|32..32\n",
            "deleted=[PREFIX|LOOPBACKS|10.1.0.0/16|32..32] kept=[PREFIX_SET|LOOPBACKS: still used by ROUTE_MAP|FROM_SPINES|10]");
    }
}
