//! Value checks: is this a VLAN id, a VRF name, a CIDR, a port name. The
//! operations' static rules in [`crate::operation`] are made of these;
//! nothing else calls them, so each rule lives in one place.

use std::net::IpAddr;

/// A VLAN id SONiC takes: 2..=4094 (sonic-vlan.yang `vlanid`; VLAN 1 is
/// the switch's default VLAN, which config/vlan.py will not manage).
pub fn vlan_id(id: u32) -> Result<(), String> {
    match id {
        1 => Err("VLAN 1 is the switch's default VLAN, which SONiC does not let you create, change or delete \
                  (sonic-vlan.yang: vlanid 2..4094); expected an integer in 2..=4094".into()),
        2..=4094 => Ok(()),
        _ => Err(format!("VLAN id {id} is out of range; expected an integer in 2..=4094")),
    }
}

fn numbered(name: &str, prefix: &str, max_digits: usize) -> bool {
    name.strip_prefix(prefix).is_some_and(|n| !n.is_empty() && n.len() <= max_digits && n.chars().all(|c| c.is_ascii_digit()))
}

/// A front-panel port or PortChannel: `EthernetN` or `PortChannelN`.
pub fn port(name: &str) -> Result<(), String> {
    if numbered(name, "Ethernet", 4) || numbered(name, "PortChannel", 4) { Ok(()) } else {
        Err(format!("{name:?} is not a port name; expected EthernetN or PortChannelN"))
    }
}

/// A physical port: `EthernetN`.
pub fn ethernet(name: &str) -> Result<(), String> {
    if numbered(name, "Ethernet", 4) { Ok(()) } else { Err(format!("{name:?} is not a physical port; expected EthernetN")) }
}

/// A PortChannel: `PortChannelN`, N up to 4 digits.
pub fn portchannel(name: &str) -> Result<(), String> {
    if numbered(name, "PortChannel", 4) { Ok(()) } else { Err(format!("{name:?} is not a PortChannel name; expected PortChannelN (N up to 4 digits)")) }
}

/// An interface that can carry an address: a port, a PortChannel or a Loopback.
pub fn interface(name: &str) -> Result<(), String> {
    if numbered(name, "Ethernet", 4) || numbered(name, "PortChannel", 4) || numbered(name, "Loopback", 4) { Ok(()) } else {
        Err(format!("{name:?} is not an interface; expected EthernetN, PortChannelN or LoopbackN"))
    }
}

/// A VRF name: `Vrf` and at least one more character (sonic-vrf.yang
/// pattern `Vrf[a-zA-Z0-9_-]+`), at most 15 characters (Linux IFNAMSIZ).
pub fn vrf(name: &str) -> Result<(), String> {
    if !name.starts_with("Vrf") {
        return Err(format!("VRF name {name:?} must start with \"Vrf\""));
    }
    if name == "Vrf" {
        return Err("VRF name \"Vrf\" needs a name after the prefix, e.g. VrfRed (sonic-vrf.yang: Vrf[a-zA-Z0-9_-]+)".into());
    }
    if name.len() > 15 {
        return Err(format!("VRF name {name:?} is {} characters; at most 15 fit a Linux interface name", name.len()));
    }
    if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(format!("VRF name {name:?} may use only letters, digits, '_' and '-'"));
    }
    Ok(())
}

/// A VRF reference: empty or "default" for the default VRF, else a VRF name.
pub fn vrf_ref(name: &str) -> Result<(), String> {
    if name.is_empty() || name == "default" { Ok(()) } else { vrf(name) }
}

/// An IP address, in the form SONiC's CLI writes (lower case, IPv6
/// compressed, as `ipaddress` prints it): another spelling of the same
/// address is refused with the canonical one, so a key is never written
/// twice under two spellings.
pub fn ip(text: &str) -> Result<IpAddr, String> {
    let addr = text.parse::<IpAddr>().map_err(|_| format!("{text:?} is not an IP address"))?;
    if addr.to_string() != text {
        return Err(format!("{text:?} is written {:?} on SONiC (the form its CLI writes); use that", addr.to_string()));
    }
    Ok(addr)
}

/// A network prefix with no host bits set, as SONiC's CLI writes route
/// prefixes (`ipaddress.ip_network(strict=True)`), e.g. `10.9.0.0/16`.
pub fn network(text: &str) -> Result<(IpAddr, u8), String> {
    let (addr, len) = cidr(text)?;
    let network = match addr {
        IpAddr::V4(a) => IpAddr::V4((u32::from(a) & u32::MAX.checked_shl(32 - u32::from(len)).unwrap_or(0)).into()),
        IpAddr::V6(a) => IpAddr::V6((u128::from(a) & u128::MAX.checked_shl(128 - u32::from(len)).unwrap_or(0)).into()),
    };
    if network != addr {
        return Err(format!("{text:?} has host bits set; the network is {network}/{len}"));
    }
    Ok((addr, len))
}

/// A description SONiC stores: at most 255 characters (sonic-vlan.yang,
/// sonic-port.yang, sonic-acl.yang `policy_desc`).
pub fn description(text: &str) -> Result<(), String> {
    let n = text.chars().count();
    if n <= 255 { Ok(()) } else { Err(format!("a description is at most 255 characters in SONiC's YANG models; this one is {n}")) }
}

/// An address with prefix length, e.g. `10.0.0.1/24` or `2001:db8::1/64`.
pub fn cidr(text: &str) -> Result<(IpAddr, u8), String> {
    let bad = || format!("{text:?} is not an address with prefix length (CIDR), e.g. 10.0.0.1/24");
    let (written, len) = text.split_once('/').ok_or_else(bad)?;
    let addr: IpAddr = written.parse().map_err(|_| bad())?;
    if addr.to_string() != written {
        return Err(format!("{text:?} is written \"{addr}/{len}\" on SONiC (the form its CLI writes); use that"));
    }
    let len: u8 = len.parse().map_err(|_| bad())?;
    let max = if addr.is_ipv4() { 32 } else { 128 };
    if len > max {
        return Err(format!("{text:?}: prefix length {len} exceeds {max}"));
    }
    Ok((addr, len))
}

/// A name for an ACL table or rule.
pub fn acl_name(name: &str) -> Result<(), String> {
    if !name.is_empty() && name.len() <= 64 && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) { Ok(()) } else {
        Err(format!("{name:?} is not an ACL name; use 1..64 letters, digits, '_', '-' or '.'"))
    }
}

/// One of `choices`.
pub fn choice(value: &str, choices: &[&str]) -> Result<(), String> {
    if choices.contains(&value) { Ok(()) } else { Err(format!("{value:?} is not one of: {}", choices.join(", "))) }
}

/// An MTU in 68..=9216.
pub fn mtu(mtu: u32) -> Result<(), String> {
    if (68..=9216).contains(&mtu) { Ok(()) } else { Err(format!("MTU {mtu} is out of range 68..=9216")) }
}

/// A port speed in Mb/s within sonic-port.yang's range, 1..=1600000 (100M
/// to 1.6T ports exist). Whether the port supports it is the device's to
/// say.
pub fn speed(speed: u32) -> Result<(), String> {
    if (1..=1_600_000).contains(&speed) { Ok(()) } else { Err(format!("speed {speed} Mb/s is out of SONiC's range 1..=1600000 (sonic-port.yang)")) }
}

/// A BGP peer group's name (FRR's peer-group WORD): letters, digits, '_', '-'.
pub fn peer_group(name: &str) -> Result<(), String> {
    if !name.is_empty() && name.len() <= 63 && name.chars().all(|c| c.is_ascii_alphanumeric() || "_-".contains(c)) { Ok(()) } else {
        Err(format!("{name:?} is not a peer group name; use 1..63 letters, digits, '_' or '-'"))
    }
}

/// An L4 port range `low-high` (sonic-acl.yang L4_SRC_PORT_RANGE), low <= high.
pub fn port_range(text: &str) -> Result<(u16, u16), String> {
    let bad = || format!("{text:?} is not a port range; write low-high, e.g. 49152-65535");
    let (low, high) = text.split_once('-').ok_or_else(bad)?;
    let (low, high): (u16, u16) = (low.parse().map_err(|_| bad())?, high.parse().map_err(|_| bad())?);
    if low > high {
        return Err(format!("{text:?}: the range starts above its end"));
    }
    Ok((low, high))
}

/// An EtherType as aclorch reads it: hexadecimal `0x0800` (or decimal), an
/// Ethernet II type, 0x0600..=0xFFFF. Returns the form written (`0x0800`).
pub fn ether_type(text: &str) -> Result<String, String> {
    let value = match text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        Some(hex) => u32::from_str_radix(hex, 16),
        None => text.parse::<u32>(),
    }
    .map_err(|_| format!("{text:?} is not an EtherType; write it in hex, e.g. 0x0806 for ARP"))?;
    if !(0x0600..=0xFFFF).contains(&value) {
        return Err(format!("{text:?} is not an Ethernet II EtherType (0x0600..=0xFFFF)"));
    }
    let canonical = format!("0x{value:04X}");
    if canonical != text {
        return Err(format!("{text:?} is written {canonical:?} on SONiC; use that"));
    }
    Ok(canonical)
}

/// TCP flags and mask, `0x12/0x12` (sonic-acl.yang TCP_FLAGS: two hex bytes).
pub fn tcp_flags(text: &str) -> Result<(), String> {
    let byte = |part: &str| part.strip_prefix("0x").or_else(|| part.strip_prefix("0X"))
        .filter(|h| (1..=2).contains(&h.len()))
        .and_then(|h| u8::from_str_radix(h, 16).ok());
    match text.split_once('/') {
        Some((flags, mask)) if byte(flags).is_some() && byte(mask).is_some() => Ok(()),
        _ => Err(format!("{text:?} is not TCP flags/mask; write two hex bytes, e.g. 0x12/0x12 for SYN+ACK")),
    }
}

/// A private or public AS number, 1..=4294967294.
pub fn asn(asn: u32) -> Result<(), String> {
    if (1..u32::MAX).contains(&asn) { Ok(()) } else { Err(format!("AS number {asn} is out of range 1..=4294967294")) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sonic-acl.yang: L4 port ranges, TCP_FLAGS; aclorch: EtherTypes in hex.
    #[test]
    fn acl_match_fields() {
        assert_eq!(port_range("1024-65535"), Ok((1024, 65535)));
        assert!(port_range("9-1").unwrap_err().contains("starts above"));
        assert!(port_range("80").is_err());
        assert_eq!(ether_type("0x0806").as_deref(), Ok("0x0806"));
        assert!(ether_type("0x86dd").unwrap_err().contains("\"0x86DD\""));
        assert!(ether_type("0x0100").unwrap_err().contains("Ethernet II"));
        assert!(tcp_flags("0x12/0x12").is_ok());
        assert!(tcp_flags("SYN").is_err());
    }

    #[test]
    fn names() {
        assert!(vrf("VrfRed").is_ok());
        assert!(vrf("Red").unwrap_err().contains("must start with"));
        assert!(vrf("VrfWayTooLongName").unwrap_err().contains("at most 15"));
        assert!(interface("Loopback1").is_ok());
        assert!(interface("Eth1").is_err());
        assert!(portchannel("PortChannel12345").is_err());
    }

    #[test]
    fn sonic_vlan_yang_vlanid_is_2_to_4094() {
        assert!(vlan_id(1).unwrap_err().contains("default VLAN"));
        assert!(vlan_id(2).is_ok());
        assert!(vlan_id(4094).is_ok());
        assert!(vlan_id(4095).unwrap_err().contains("2..=4094"));
    }

    #[test]
    fn sonic_vrf_yang_name_needs_more_than_the_prefix() {
        assert!(vrf("Vrf").unwrap_err().contains("Vrf[a-zA-Z0-9_-]+"));
        assert!(vrf("Vrf1").is_ok());
    }

    #[test]
    fn addresses_are_written_as_sonics_cli_writes_them() {
        assert!(ip("2001:db8::1").is_ok());
        assert!(ip("2001:DB8::1").unwrap_err().contains("\"2001:db8::1\""));
        assert!(ip("2001:db8:0:0:0:0:0:1").unwrap_err().contains("\"2001:db8::1\""));
        assert!(cidr("2001:DB8::1/64").unwrap_err().contains("\"2001:db8::1/64\""));
        // Route prefixes are strict networks (config/main.py, ip_network(strict=True)).
        assert!(network("10.9.0.0/16").is_ok());
        assert!(network("10.9.0.1/16").unwrap_err().contains("the network is 10.9.0.0/16"));
        assert!(network("2001:db8::1/64").unwrap_err().contains("the network is 2001:db8::/64"));
        assert!(network("0.0.0.0/0").is_ok());
        assert!(network("10.0.0.1/32").is_ok());
    }

    #[test]
    fn sonic_yang_descriptions_take_255_characters() {
        assert!(description(&"x".repeat(255)).is_ok());
        assert!(description(&"x".repeat(256)).unwrap_err().contains("at most 255"));
    }

    #[test]
    fn sonic_port_yang_speed_is_1_to_1600000() {
        for ok in [100, 2500, 5000, 1_600_000] {
            assert!(speed(ok).is_ok(), "{ok}");
        }
        assert!(speed(1_600_001).unwrap_err().contains("1..=1600000"));
    }

    #[test]
    fn addresses() {
        assert!(cidr("10.0.0.1/24").is_ok());
        assert!(cidr("2001:db8::1/64").is_ok());
        assert!(cidr("10.0.0.1").is_err());
        assert!(cidr("10.0.0.1/33").unwrap_err().contains("exceeds 32"));
        assert!(cidr("10.0.0.256/24").is_err());
    }
}
