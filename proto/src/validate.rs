//! Value checks: is this a VLAN id, a VRF name, a CIDR, a port name. The
//! operations' static rules in [`crate::operation`] are made of these;
//! nothing else calls them, so each rule lives in one place.

use std::net::IpAddr;

/// A VLAN id in 1..=4094.
pub fn vlan_id(id: u32) -> Result<(), String> {
    if (1..=4094).contains(&id) { Ok(()) } else { Err(format!("VLAN id {id} is out of range; expected an integer in 1..=4094")) }
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

/// A VRF name: `Vrf…`, at most 15 characters (Linux IFNAMSIZ).
pub fn vrf(name: &str) -> Result<(), String> {
    if !name.starts_with("Vrf") {
        return Err(format!("VRF name {name:?} must start with \"Vrf\""));
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

/// An IP address.
pub fn ip(text: &str) -> Result<IpAddr, String> {
    text.parse::<IpAddr>().map_err(|_| format!("{text:?} is not an IP address"))
}

/// An address with prefix length, e.g. `10.0.0.1/24` or `2001:db8::1/64`.
pub fn cidr(text: &str) -> Result<(IpAddr, u8), String> {
    let bad = || format!("{text:?} is not an address with prefix length (CIDR), e.g. 10.0.0.1/24");
    let (addr, len) = text.split_once('/').ok_or_else(bad)?;
    let addr: IpAddr = addr.parse().map_err(|_| bad())?;
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

/// A port speed in Mb/s that SONiC ports take.
pub fn speed(speed: u32) -> Result<(), String> {
    const SPEEDS: [u32; 9] = [1000, 10000, 25000, 40000, 50000, 100000, 200000, 400000, 800000];
    if SPEEDS.contains(&speed) { Ok(()) } else { Err(format!("speed {speed} is not one of {SPEEDS:?} (Mb/s)")) }
}

/// A private or public AS number, 1..=4294967294.
pub fn asn(asn: u32) -> Result<(), String> {
    if (1..u32::MAX).contains(&asn) { Ok(()) } else { Err(format!("AS number {asn} is out of range 1..=4294967294")) }
}

#[cfg(test)]
mod tests {
    use super::*;

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
    fn addresses() {
        assert!(cidr("10.0.0.1/24").is_ok());
        assert!(cidr("2001:db8::1/64").is_ok());
        assert!(cidr("10.0.0.1").is_err());
        assert!(cidr("10.0.0.1/33").unwrap_err().contains("exceeds 32"));
        assert!(cidr("10.0.0.256/24").is_err());
    }
}
