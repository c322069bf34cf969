//! add_route_map / remove_route_map: a statement of a route map, as
//! frrcfgd reads it.
//!
//! Writes (sonic-route-map.yang; frrcfgd renders `route-map <name>
//! <permit|deny> <seq>` with its match and set lines):
//! ```text
//! + ROUTE_MAP_SET|<name>          NULL           when absent, first (what neighbors' route_map_in/out name)
//! + ROUTE_MAP|<name>|<seq>        route_operation=permit|deny [match_prefix_set=..] [set_local_pref=..] [set_med=..] [set_community_inline@=..]
//! - ROUTE_MAP|<name>|<seq>; ROUTE_MAP_SET|<name> with its last statement, once no neighbor uses it
//! ```
//! `route_operation` is written `permit`/`deny`, the words frrcfgd passes
//! to FRR (a statement without it is never made). A matched prefix list
//! exists first (frrcfgd picks `ip` or `ipv6` from its mode). Only frrcfgd
//! reads these tables: a bgpcfgd switch is refused.

use switchyard_proto::operation::list_items;
use switchyard_proto::v1::RouteMapStatement;

use super::bgp_daemon::{METADATA, frrcfgd_only};
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, must_exist, release_reads};

fn set_key(name: &str) -> String {
    format!("ROUTE_MAP_SET|{name}")
}

fn key(p: &RouteMapStatement) -> String {
    format!("ROUTE_MAP|{}|{}", p.name, p.seq)
}

/// add_route_map.
pub(crate) struct Add<'a>(pub(crate) &'a RouteMapStatement);
/// remove_route_map.
pub(crate) struct Remove<'a>(pub(crate) &'a RouteMapStatement);

impl Catalogued for Add<'_> {

    fn reads(&self) -> Reads {
        let p = self.0;
        let mut reads = Reads::default().key(METADATA).key(set_key(&p.name)).key(key(p));
        if !p.match_prefix_list.is_empty() {
            reads = reads.key(format!("PREFIX_SET|{}", p.match_prefix_list));
        }
        reads
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        frrcfgd_only(view, "name")?;
        let mut fields = vec![("route_operation", if p.action.is_empty() { "permit".to_string() } else { p.action.clone() })];
        if !p.match_prefix_list.is_empty() {
            must_exist(view, &format!("PREFIX_SET|{}", p.match_prefix_list), "match_prefix_list", &format!("prefix list {}", p.match_prefix_list))?;
            fields.push(("match_prefix_set", p.match_prefix_list.clone()));
        }
        if p.set_local_pref > 0 {
            fields.push(("set_local_pref", p.set_local_pref.to_string()));
        }
        if p.set_med > 0 {
            fields.push(("set_med", p.set_med.to_string()));
        }
        let communities = list_items(&p.set_community);
        if !communities.is_empty() {
            fields.push(("set_community_inline@", communities.join(",")));
        }
        let mut plan = PlanBuilder::new(view);
        plan.ensure(&set_key(&p.name), &[]);
        plan.ensure(&key(p), &fields);
        Ok(plan.finish())
    }
}

impl Catalogued for Remove<'_> {

    fn reads(&self) -> Reads {
        release_reads(&set_key(&self.0.name)).key(key(self.0)).key(set_key(&self.0.name))
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let mut plan = PlanBuilder::new(view);
        plan.release(&key(self.0), false, "seq")?;
        plan.release(&set_key(&self.0.name), true, "name")?;
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    const FRR: (&str, &[(&str, &str)]) = ("DEVICE_METADATA|localhost", &[("frr_mgmt_framework_config", "true")]);
    const LIST: (&str, &[(&str, &str)]) = ("PREFIX_SET|LOOPBACKS", &[("mode", "IPv4")]);

    #[test]
    fn a_statement_as_frrcfgd_reads_it() {
        let op = RouteMapStatement { name: "FROM_SPINES".into(), seq: 10, match_prefix_list: "LOOPBACKS".into(), set_local_pref: 200,
            set_community: "65000:100,no-export".into(), ..Default::default() };
        check_plan(&Add(&op), rows(&[FRR, LIST]),
            "+ ROUTE_MAP_SET|FROM_SPINES NULL=NULL\n+ ROUTE_MAP|FROM_SPINES|10 match_prefix_set=LOOPBACKS route_operation=permit set_community_inline@=65000:100,no-export set_local_pref=200\n",
            "created=[ROUTE_MAP_SET|FROM_SPINES,ROUTE_MAP|FROM_SPINES|10]");
        check_refused(&Add(&op), rows(&[FRR]), "match_prefix_list", "prefix list LOOPBACKS does not exist");
        check_refused(&Add(&op), rows(&[LIST]), "name", "runs bgpcfgd");
        // A map a neighbor applies stays when its last statement goes.
        let stmt = ("ROUTE_MAP|FROM_SPINES|10", &[("route_operation", "permit")][..]);
        let set = ("ROUTE_MAP_SET|FROM_SPINES", &[("NULL", "NULL")][..]);
        let neighbor = ("BGP_NEIGHBOR_AF|default|10.0.0.1|ipv4_unicast", &[("admin_status", "true"), ("route_map_in@", "FROM_SPINES")][..]);
        check_plan(&Remove(&op), rows(&[stmt, set]), "- ROUTE_MAP|FROM_SPINES|10\n- ROUTE_MAP_SET|FROM_SPINES\n", "deleted=[ROUTE_MAP|FROM_SPINES|10,ROUTE_MAP_SET|FROM_SPINES]");
        check_plan(&Remove(&op), rows(&[stmt, set, neighbor]), "- ROUTE_MAP|FROM_SPINES|10\n",
            "deleted=[ROUTE_MAP|FROM_SPINES|10] kept=[ROUTE_MAP_SET|FROM_SPINES: still used by BGP_NEIGHBOR_AF|default|10.0.0.1|ipv4_unicast]");
    }
}
