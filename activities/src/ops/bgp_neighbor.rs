//! add_bgp_neighbor / remove_bgp_neighbor: a BGP peer and its address family.
//!
//! The key form follows the BGP daemon the device runs. frrcfgd runs when
//! DEVICE_METADATA|localhost `frr_mgmt_framework_config` is "true" (the FRR
//! container's supervisord template), bgpcfgd otherwise; the routing config
//! mode only lays out FRR's files, and frrcfgd drops one-part keys:
//! ```text
//! frrcfgd:  + BGP_NEIGHBOR|<vrf>|<ip>  asn=.. admin_status=true [name=..] [local_addr=..]
//!           + BGP_NEIGHBOR_AF|<vrf>|<ip>|<af>  admin_status=true
//! bgpcfgd:  + BGP_NEIGHBOR|<ip>  (default VRF) or BGP_NEIGHBOR|<vrf>|<ip>  admin_status=up
//! ```
//! frrcfgd activates a neighbor's address family only for `admin_status`
//! "true" (it runs `no bgp default ipv4-unicast`), so its rows carry what
//! it reads; bgpcfgd's carry "up".
//! The address family defaults to the peer's: ipv6_unicast for an IPv6
//! neighbor, ipv4_unicast otherwise.
//! On bgpcfgd a peer without a description is named by its address (its
//! template renders `description <name>` for every peer).
//! Preconditions: a `local_addr` is an address of an interface in the peer's
//! VRF (bgpcfgd waits for it before starting the session); the VRF exists
//! (unless default) and has its BGP instance
//! (BGP_GLOBALS|<vrf> with local_asn; bgpcfgd's default VRF may run on
//! DEVICE_METADATA's bgp_asn instead). Remove deletes both rows.
//! Built-in check (`checks.builtin`): the session is Established in STATE_DB
//! `NEIGH_STATE_TABLE|<ip>`, as bgpmon reports it (default VRF only).
//!
//! BGP unnumbered: a neighbor named by an interface (EthernetN,
//! PortChannelN, VlanN) peers over its IPv6 link-local address, as frrcfgd
//! renders `neighbor <interface> interface` (every frrcfgd release; bgpcfgd
//! keys neighbors by address and is refused). The interface must be routed
//! (no VLAN or LAG membership) and is given `ipv6_use_link_local_only`
//! (its base row made when absent); the neighbor carries
//! `capability_ext_nexthop` so IPv4 routes travel over the IPv6 session.
//! ```text
//! ~ INTERFACE|<if>  ipv6_use_link_local_only <old> → enable
//! + BGP_NEIGHBOR|<vrf>|<if>  admin_status=true asn=.. capability_ext_nexthop=true
//! + BGP_NEIGHBOR_AF|<vrf>|<if>|ipv4_unicast  admin_status=true
//! ```
//! Its removal keeps the interface's link-local setting (other sessions and
//! router advertisements may need it); a rollback restores it.

use switchyard_proto::v1::{BgpNeighbor, Check, CheckDb};

use super::bgp_daemon::{ADMIN_TRUE_WHY, DAEMON_FIELD, METADATA, admin_up, frrcfgd};
use super::keys::peer_group_key;
use super::plan::{Catalogued, PlanBuilder, PlanError, Planned, Reads, View, expect_equal, expect_success, must_exist};
use super::keys::vrf_or_default;

/// Says which daemon's key form the plan chose, and from what.
fn form_note(unified: bool, neighbor: &str) -> String {
    if unified {
        format!("frrcfgd runs here (DEVICE_METADATA {DAEMON_FIELD}=true): {neighbor} with its BGP_NEIGHBOR_AF row")
    } else {
        format!("bgpcfgd runs here (DEVICE_METADATA has no {DAEMON_FIELD}=true): {neighbor}")
    }
}

/// Whether the neighbor is an interface (BGP unnumbered).
fn on_interface(p: &BgpNeighbor) -> bool {
    p.neighbor.parse::<std::net::IpAddr>().is_err()
}

/// The routed interface table of an unnumbered neighbor's interface.
fn routed_table(interface: &str) -> &'static str {
    if interface.starts_with("PortChannel") {
        "PORTCHANNEL_INTERFACE"
    } else if interface.starts_with("Vlan") {
        "VLAN_INTERFACE"
    } else {
        "INTERFACE"
    }
}

/// The row that says the interface exists.
fn interface_row(interface: &str) -> String {
    if let Some(id) = interface.strip_prefix("Vlan") {
        format!("VLAN|Vlan{id}")
    } else if interface.starts_with("PortChannel") {
        format!("PORTCHANNEL|{interface}")
    } else {
        format!("PORT|{interface}")
    }
}

fn af(p: &BgpNeighbor) -> &str {
    match p.address_family.as_str() {
        "" if p.neighbor.contains(':') => "ipv6_unicast",
        "" => "ipv4_unicast",
        af => af,
    }
}

fn keys(p: &BgpNeighbor, unified: bool) -> (String, Option<String>) {
    let vrf = vrf_or_default(&p.vrf);
    if unified {
        (format!("BGP_NEIGHBOR|{vrf}|{}", p.neighbor), Some(format!("BGP_NEIGHBOR_AF|{vrf}|{}|{}", p.neighbor, af(p))))
    } else if vrf == "default" {
        (format!("BGP_NEIGHBOR|{}", p.neighbor), None)
    } else {
        (format!("BGP_NEIGHBOR|{vrf}|{}", p.neighbor), None)
    }
}

fn reads(p: &BgpNeighbor) -> Reads {
    let mut reads = Reads::default().key(METADATA);
    for unified in [true, false] {
        let (n, a) = keys(p, unified);
        reads = reads.key(n);
        if let Some(a) = a {
            reads = reads.key(a);
        }
    }
    for map in [&p.route_map_in, &p.route_map_out].into_iter().filter(|m| !m.is_empty()) {
        reads = reads.key(format!("ROUTE_MAP_SET|{map}"));
    }
    if vrf_or_default(&p.vrf) != "default" {
        reads = reads.key(format!("VRF|{}", p.vrf));
    }
    if !p.local_addr.is_empty() {
        for table in LOCAL_TABLES {
            reads = reads.pattern(format!("{table}|*|{}/*", p.local_addr)).pattern(format!("{table}|*"));
        }
    }
    if !p.peer_group.is_empty() {
        reads = reads.key(peer_group_key(&p.vrf, &p.peer_group));
    }
    if on_interface(p) {
        let name = &p.neighbor;
        reads = reads.key(interface_row(name)).key(format!("{}|{name}", routed_table(name)))
            .pattern(format!("VLAN_MEMBER|*|{name}")).pattern(format!("PORTCHANNEL_MEMBER|*|{name}"));
    }
    reads.key(super::keys::bgp_globals_key(&p.vrf))
}

/// Where a session's local address can live.
const LOCAL_TABLES: [&str; 4] = ["INTERFACE", "VLAN_INTERFACE", "PORTCHANNEL_INTERFACE", "LOOPBACK_INTERFACE"];

/// The interface carrying `addr`, if one in `vrf` does: bgpcfgd starts a
/// session only once its local address exists on an interface of the VRF.
fn local_interface(view: &View, vrf: &str, addr: &str) -> Option<String> {
    LOCAL_TABLES.iter().flat_map(|t| view.keys(&format!("{t}|*|{addr}/*"))).find(|key| {
        let base = key.rsplit_once('|').map_or("", |(b, _)| b);
        let bound = view.row(base).and_then(|r| r.get("vrf_name")).map_or("default", String::as_str);
        bound == vrf
    })
}

/// add_bgp_neighbor.
pub(crate) struct Add<'a>(pub(crate) &'a BgpNeighbor);
/// remove_bgp_neighbor.
pub(crate) struct Remove<'a>(pub(crate) &'a BgpNeighbor);

impl Catalogued for Add<'_> {

    /// The session comes up, as bgpmon reports it in STATE_DB. bgpmon keys
    /// neighbors of the default VRF only, so for a VRF's neighbor (a
    /// tenant's peer) the check is that the peer answers a ping from the
    /// VRF (`ping -I <vrf>`, as SONiC's own VRF tests reach a peer).
    fn checks(&self) -> Vec<Check> {
        let p = self.0;
        if on_interface(p) {
            // bgpmon keys sessions by peer address; an unnumbered peer has
            // none before it is up.
            return Vec::new();
        }
        let vrf = vrf_or_default(&p.vrf);
        if vrf != "default" {
            return vec![expect_success(format!("peer {} reachable in {vrf}", p.neighbor), &["ping", "-c", "3", "-W", "1", "-I", vrf, &p.neighbor])];
        }
        vec![expect_equal(format!("BGP neighbor {} established", p.neighbor), CheckDb::State, format!("NEIGH_STATE_TABLE|{}", p.neighbor), "state", "Established")]
    }

    fn reads(&self) -> Reads {
        reads(self.0)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let p = self.0;
        let vrf = vrf_or_default(&p.vrf);
        if vrf != "default" {
            must_exist(view, &format!("VRF|{vrf}"), "vrf", &format!("VRF {vrf}"))?;
        }
        let unified = frrcfgd(view);
        if on_interface(p) {
            if !unified {
                return Err(PlanError::new("neighbor", format!(
                    "{} is an interface: BGP unnumbered needs frrcfgd, and this device runs bgpcfgd (DEVICE_METADATA has no {DAEMON_FIELD}=true), which keys neighbors by address", p.neighbor)));
            }
            must_exist(view, &interface_row(&p.neighbor), "neighbor", &format!("interface {}", p.neighbor))?;
            if let Some(m) = view.keys(&format!("VLAN_MEMBER|*|{}", p.neighbor)).into_iter().chain(view.keys(&format!("PORTCHANNEL_MEMBER|*|{}", p.neighbor))).next() {
                return Err(PlanError::new("neighbor", format!("{} is not routed ({m}); BGP unnumbered peers over a routed interface", p.neighbor)));
            }
        }
        // sonic-bgp-neighbor.yang: vrf_name is a leafref to BGP_GLOBALS, and
        // frrcfgd ignores a VRF's neighbors until it has a local_asn. Only
        // bgpcfgd's default VRF runs on DEVICE_METADATA's bgp_asn instead.
        let globals = super::keys::bgp_globals_key(vrf);
        let has_globals = view.row(&globals).is_some_and(|r| r.contains_key("local_asn"));
        let metadata_asn = view.row(METADATA).is_some_and(|r| r.contains_key("bgp_asn"));
        if !has_globals && (vrf != "default" || unified || !metadata_asn) {
            return Err(PlanError::new("vrf", format!(
                "VRF {vrf} has no BGP instance ({globals} with local_asn): SONiC's YANG refuses the neighbor and the BGP daemon would not act on it; \
                 add a create_bgp_globals step for {vrf} before it")));
        }
        let (neighbor, family) = keys(p, unified);
        if !p.local_addr.is_empty() && local_interface(view, vrf, &p.local_addr).is_none() {
            return Err(PlanError::new("local_addr", format!(
                "no interface of VRF {vrf} has the address {}; the BGP daemon waits for it and the session never starts", p.local_addr)));
        }
        let mut fields = vec![("admin_status", admin_up(view).to_string())];
        if p.remote_asn > 0 {
            fields.push(("asn", p.remote_asn.to_string()));
        }
        if !p.peer_group.is_empty() {
            // sonic-bgp-neighbor.yang: peer_group_name is a leafref to the
            // VRF's BGP_PEER_GROUP, which only frrcfgd reads.
            let group = peer_group_key(vrf, &p.peer_group);
            if !unified {
                return Err(PlanError::new("peer_group", format!(
                    "this device runs bgpcfgd (DEVICE_METADATA has no {DAEMON_FIELD}=true), which takes no peer groups from CONFIG_DB")));
            }
            let Some(row) = view.row(&group) else {
                return Err(PlanError::new("peer_group", format!("{group} does not exist; add a create_bgp_peer_group step before it")));
            };
            if p.remote_asn == 0 && !row.contains_key("asn") {
                return Err(PlanError::new("remote_asn", format!("{group} gives no remote AS; give the neighbor its remote_asn")));
            }
            fields.push(("peer_group_name", p.peer_group.clone()));
        }
        // bgpcfgd renders `description <name>` for every peer: a peer
        // without one is named by its address, as SONiC's minigraph does.
        let name = if p.description.is_empty() && !unified { p.neighbor.clone() } else { p.description.clone() };
        if !name.is_empty() {
            fields.push(("name", name));
        }
        if !p.local_addr.is_empty() {
            fields.push(("local_addr", p.local_addr.clone()));
        }
        let mut plan = PlanBuilder::new(view);
        if on_interface(p) {
            fields.push(("capability_ext_nexthop", "true".into()));
            let vrf_field: Vec<(&str, String)> = if vrf == "default" { vec![] } else { vec![("vrf_name", vrf.to_string())] };
            let base = format!("{}|{}", routed_table(&p.neighbor), p.neighbor);
            if let Some(bound) = view.row(&base).and_then(|r| r.get("vrf_name")).filter(|b| b.as_str() != vrf) {
                return Err(PlanError::new("vrf", format!("{} is in VRF {bound} ({base}), not {vrf}", p.neighbor)));
            }
            let mut base_fields = vrf_field;
            base_fields.push(("ipv6_use_link_local_only", "enable".into()));
            plan.ensure(&base, &base_fields);
            plan.note(format!("BGP unnumbered over {}'s IPv6 link-local address (frrcfgd: neighbor {} interface)", p.neighbor, p.neighbor));
        }
        plan.note(form_note(unified, &neighbor));
        if unified {
            plan.note(ADMIN_TRUE_WHY.to_string());
        }
        plan.ensure(&neighbor, &fields);
        let maps = [("route_map_in", &p.route_map_in), ("route_map_out", &p.route_map_out)];
        let mut af_fields = vec![("admin_status", admin_up(view).to_string())];
        for (field, map) in maps.into_iter().filter(|(_, m)| !m.is_empty()) {
            if !unified {
                return Err(PlanError::new(field, format!("this device runs bgpcfgd (DEVICE_METADATA has no {DAEMON_FIELD}=true), which takes no route maps from CONFIG_DB")));
            }
            must_exist(view, &format!("ROUTE_MAP_SET|{map}"), field, &format!("route map {map}"))?;
            // sonic-bgp-neighbor.yang: a leaf-list (max 1); frrcfgd's
            // template iterates it, so it is written as a list.
            af_fields.push(match field { "route_map_in" => ("route_map_in@", map.clone()), _ => ("route_map_out@", map.clone()) });
        }
        if let Some(family) = family {
            plan.ensure(&family, &af_fields);
        }
        Ok(plan.finish())
    }
}

impl Catalogued for Remove<'_> {

    fn reads(&self) -> Reads {
        reads(self.0)
    }

    fn plan(&self, view: &View) -> Result<Planned, PlanError> {
        let unified = frrcfgd(view);
        let (neighbor, family) = keys(self.0, unified);
        let mut plan = PlanBuilder::new(view);
        plan.note(form_note(unified, &neighbor));
        if let Some(family) = family {
            plan.release(&family, false, "neighbor")?;
        }
        plan.release(&neighbor, false, "neighbor")?;
        Ok(plan.finish())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::tests::{check_plan, check_refused, rows};

    fn peer(vrf: &str) -> BgpNeighbor {
        BgpNeighbor { vrf: vrf.into(), neighbor: "10.0.0.0".into(), remote_asn: 65100, local_addr: "10.0.0.1".into(), description: "tenant".into(), ..Default::default() }
    }

    const RED_GLOBALS: (&str, &[(&str, &str)]) = ("BGP_GLOBALS|VrfRed", &[("local_asn", "65001")]);
    const RED_PORT: (&str, &[(&str, &str)]) = ("INTERFACE|Ethernet8", &[("vrf_name", "VrfRed")]);
    const RED_ADDR: (&str, &[(&str, &str)]) = ("INTERFACE|Ethernet8|10.0.0.1/31", &[("NULL", "NULL")]);
    const PLAIN_PORT: (&str, &[(&str, &str)]) = ("INTERFACE|Ethernet8", &[("NULL", "NULL")]);
    const PLAIN_ADDR: (&str, &[(&str, &str)]) = ("INTERFACE|Ethernet8|10.0.0.1/31", &[("NULL", "NULL")]);
    const DEFAULT_GLOBALS: (&str, &[(&str, &str)]) = ("BGP_GLOBALS|default", &[("local_asn", "65001")]);

    /// The catalogue's check of a new neighbor: its session established
    /// where bgpmon reports it (the default VRF), its peer answering a ping
    /// from the VRF otherwise; either is a check the worker will run.
    #[test]
    fn a_new_neighbor_brings_its_check() {
        let default = Add(&peer("")).checks();
        assert_eq!((default[0].key.as_str(), default[0].value.as_str()), ("NEIGH_STATE_TABLE|10.0.0.0", "Established"));
        let tenant = Add(&peer("VrfRed")).checks();
        assert_eq!(tenant[0].name, "peer 10.0.0.0 reachable in VrfRed");
        assert_eq!(tenant[0].command, ["ping", "-c", "3", "-W", "1", "-I", "VrfRed", "10.0.0.0"]);
        assert_eq!(tenant[0].expect(), switchyard_proto::v1::CheckExpect::Succeeds);
        assert_eq!(switchyard_proto::checks::command_refusal(&tenant[0].command), None);
    }

    #[test]
    fn key_form_follows_the_bgp_daemon_the_device_runs() {
        // docker-fpm-frr supervisord.conf.common.j2: frrcfgd only with
        // frr_mgmt_framework_config "true"; the routing mode does not decide.
        let unified = ("DEVICE_METADATA|localhost", &[("frr_mgmt_framework_config", "true"), ("docker_routing_config_mode", "split")][..]);
        let split = ("DEVICE_METADATA|localhost", &[("docker_routing_config_mode", "unified"), ("bgp_asn", "65001")][..]);
        let vrf = ("VRF|VrfRed", &[("NULL", "NULL")][..]);
        check_plan(&Add(&peer("VrfRed")), rows(&[unified, vrf, RED_GLOBALS, RED_PORT, RED_ADDR]),
            "+ BGP_NEIGHBOR|VrfRed|10.0.0.0 admin_status=true asn=65100 local_addr=10.0.0.1 name=tenant\n+ BGP_NEIGHBOR_AF|VrfRed|10.0.0.0|ipv4_unicast admin_status=true\n",
            "created=[BGP_NEIGHBOR|VrfRed|10.0.0.0,BGP_NEIGHBOR_AF|VrfRed|10.0.0.0|ipv4_unicast]");
        check_plan(&Add(&peer("")), rows(&[split, PLAIN_PORT, PLAIN_ADDR]),
            "+ BGP_NEIGHBOR|10.0.0.0 admin_status=up asn=65100 local_addr=10.0.0.1 name=tenant\n", "created=[BGP_NEIGHBOR|10.0.0.0]");
        check_refused(&Add(&peer("VrfRed")), rows(&[split]), "vrf", "VRF VrfRed does not exist");
    }

    #[test]
    fn a_neighbor_needs_its_vrfs_bgp_instance() {
        // sonic-bgp-neighbor.yang: vrf_name is a leafref to BGP_GLOBALS;
        // frrcfgd ignores a VRF's neighbors while the VRF has no local_asn.
        let bgpcfgd = ("DEVICE_METADATA|localhost", &[("bgp_asn", "65001")][..]);
        let frrcfgd = ("DEVICE_METADATA|localhost", &[("frr_mgmt_framework_config", "true"), ("bgp_asn", "65001")][..]);
        let vrf = ("VRF|VrfRed", &[("NULL", "NULL")][..]);
        for metadata in [bgpcfgd, frrcfgd] {
            check_refused(&Add(&peer("VrfRed")), rows(&[metadata, vrf]), "vrf", "add a create_bgp_globals step for VrfRed");
        }
        // The default VRF: bgpcfgd runs it on DEVICE_METADATA's bgp_asn,
        // frrcfgd needs BGP_GLOBALS|default.
        check_refused(&Add(&peer("")), rows(&[frrcfgd]), "vrf", "BGP_GLOBALS|default");
        check_refused(&Add(&peer("")), rows(&[("DEVICE_METADATA|localhost", &[][..])]), "vrf", "BGP_GLOBALS|default");
        assert!(Add(&peer("")).plan(&View::new(rows(&[frrcfgd, DEFAULT_GLOBALS, PLAIN_PORT, PLAIN_ADDR]))).is_ok());
    }

    #[test]
    fn bgpcfgd_peers_are_named_and_sourced_from_an_address_of_their_vrf() {
        // bgpcfgd's instance template renders `description {{ name }}` and
        // waits for local_addr on an interface of the peer's VRF.
        let bgpcfgd = ("DEVICE_METADATA|localhost", &[("bgp_asn", "65001")][..]);
        let vrf = ("VRF|VrfRed", &[("NULL", "NULL")][..]);
        let bare = BgpNeighbor { local_addr: String::new(), description: String::new(), ..peer("VrfRed") };
        check_plan(&Add(&bare), rows(&[bgpcfgd, vrf, RED_GLOBALS]),
            "+ BGP_NEIGHBOR|VrfRed|10.0.0.0 admin_status=up asn=65100 name=10.0.0.0\n", "created=[BGP_NEIGHBOR|VrfRed|10.0.0.0]");
        check_refused(&Add(&peer("VrfRed")), rows(&[bgpcfgd, vrf, RED_GLOBALS]), "local_addr", "no interface of VRF VrfRed has the address 10.0.0.1");
        // The address in another VRF is not the peer's.
        check_refused(&Add(&peer("VrfRed")), rows(&[bgpcfgd, vrf, RED_GLOBALS, PLAIN_PORT, PLAIN_ADDR]), "local_addr", "no interface of VRF VrfRed");
    }

    #[test]
    fn an_ipv6_peer_defaults_to_the_ipv6_address_family() {
        let unified = ("DEVICE_METADATA|localhost", &[("frr_mgmt_framework_config", "true")][..]);
        let v6 = BgpNeighbor { neighbor: "2001:db8::2".into(), local_addr: String::new(), description: String::new(), ..peer("") };
        check_plan(&Add(&v6), rows(&[unified, DEFAULT_GLOBALS]),
            "+ BGP_NEIGHBOR|default|2001:db8::2 admin_status=true asn=65100\n+ BGP_NEIGHBOR_AF|default|2001:db8::2|ipv6_unicast admin_status=true\n",
            "created=[BGP_NEIGHBOR|default|2001:db8::2,BGP_NEIGHBOR_AF|default|2001:db8::2|ipv6_unicast]");
    }

    /// BGP unnumbered where frrcfgd runs (its `neighbor <interface>
    /// interface`); refused on bgpcfgd and on a switched port.
    #[test]
    fn a_neighbor_on_an_interface_peers_over_its_link_local_address() {
        let frr = ("DEVICE_METADATA|localhost", &[("frr_mgmt_framework_config", "true")][..]);
        let port = ("PORT|Ethernet40", &[("mtu", "9100")][..]);
        let op = BgpNeighbor { neighbor: "Ethernet40".into(), remote_asn: 65200, ..Default::default() };
        check_plan(&Add(&op), rows(&[frr, port, DEFAULT_GLOBALS]),
            "+ INTERFACE|Ethernet40 ipv6_use_link_local_only=enable\n\
             + BGP_NEIGHBOR|default|Ethernet40 admin_status=true asn=65200 capability_ext_nexthop=true\n\
             + BGP_NEIGHBOR_AF|default|Ethernet40|ipv4_unicast admin_status=true\n",
            "created=[INTERFACE|Ethernet40,BGP_NEIGHBOR|default|Ethernet40,BGP_NEIGHBOR_AF|default|Ethernet40|ipv4_unicast]");
        check_refused(&Add(&op), rows(&[port, DEFAULT_GLOBALS, ("DEVICE_METADATA|localhost", &[("bgp_asn", "65001")])]), "neighbor", "BGP unnumbered needs frrcfgd");
        check_refused(&Add(&op), rows(&[frr, port, DEFAULT_GLOBALS, ("VLAN_MEMBER|Vlan100|Ethernet40", &[("tagging_mode", "tagged")])]), "neighbor", "is not routed");
        assert!(Add(&op).checks().is_empty(), "bgpmon has no address to key an unnumbered session by");
    }

    /// The plan says which daemon's form it chose, and from which field.
    #[test]
    fn the_plan_names_the_form_it_chose() {
        let frrcfgd = ("DEVICE_METADATA|localhost", &[("frr_mgmt_framework_config", "true")][..]);
        let bgpcfgd = ("DEVICE_METADATA|localhost", &[("bgp_asn", "65001")][..]);
        let bare = BgpNeighbor { local_addr: String::new(), ..peer("") };
        let notes = |metadata| Add(&bare).plan(&View::new(rows(&[metadata, DEFAULT_GLOBALS]))).unwrap().notes;
        assert_eq!(notes(frrcfgd), ["frrcfgd runs here (DEVICE_METADATA frr_mgmt_framework_config=true): BGP_NEIGHBOR|default|10.0.0.0 with its BGP_NEIGHBOR_AF row",
            "admin_status=true, as frrcfgd activates a neighbor or address family only for \"true\" (sonic-bgp-neighbor.yang types it up|down, which frrcfgd ignores)"]);
        assert_eq!(notes(bgpcfgd), ["bgpcfgd runs here (DEVICE_METADATA has no frr_mgmt_framework_config=true): BGP_NEIGHBOR|10.0.0.0"]);
    }

    /// sonic-bgp-neighbor.yang: peer_group_name is a leafref to
    /// BGP_PEER_GROUP, which only frrcfgd reads.
    #[test]
    fn a_neighbor_joins_a_peer_group_where_frrcfgd_runs() {
        let frrcfgd = ("DEVICE_METADATA|localhost", &[("frr_mgmt_framework_config", "true")][..]);
        let bgpcfgd = ("DEVICE_METADATA|localhost", &[("bgp_asn", "65001")][..]);
        let group = ("BGP_PEER_GROUP|default|SPINES", &[("admin_status", "up"), ("asn", "65100")][..]);
        let member = BgpNeighbor { local_addr: String::new(), description: String::new(), remote_asn: 0, peer_group: "SPINES".into(), ..peer("") };
        check_plan(&Add(&member), rows(&[frrcfgd, DEFAULT_GLOBALS, group]),
            "+ BGP_NEIGHBOR|default|10.0.0.0 admin_status=true peer_group_name=SPINES\n+ BGP_NEIGHBOR_AF|default|10.0.0.0|ipv4_unicast admin_status=true\n",
            "created=[BGP_NEIGHBOR|default|10.0.0.0,BGP_NEIGHBOR_AF|default|10.0.0.0|ipv4_unicast]");
        check_refused(&Add(&member), rows(&[frrcfgd, DEFAULT_GLOBALS]), "peer_group", "BGP_PEER_GROUP|default|SPINES does not exist");
        check_refused(&Add(&member), rows(&[bgpcfgd, DEFAULT_GLOBALS, group]), "peer_group", "runs bgpcfgd");
        let asnless = ("BGP_PEER_GROUP|default|SPINES", &[("admin_status", "up")][..]);
        check_refused(&Add(&member), rows(&[frrcfgd, DEFAULT_GLOBALS, asnless]), "remote_asn", "gives no remote AS");
    }
}
