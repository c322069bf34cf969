"""Seed a Nautobot 2.x with a lab inventory's devices, through its REST API.

    seed.py URL TOKEN_FILE INVENTORY [--with-broken]

Run by `lab/nautobot.sh seed` with the Nautobot venv's python (for PyYAML).
Creates, or brings back to what the inventory says when already there:

- a location type `Site` (content type dcim.device) and one location per
  device `site`;
- a manufacturer `SONiC Lab`, one device type per `hwsku` (model = hwsku);
- one role per device `role` (content type dcim.device), platform `SONiC`;
- one tag per device tag; text custom fields sonic_platform, sonic_hwsku,
  sonic_version on dcim.device;
- per device: the device (status Active, its location, role, type,
  platform, tags, custom fields, and `local_config_context_data`
  {"switchyard": {"vars": VARS}}), its interface `mgmt0`, the /24 prefix of
  its address, its address/24 (namespace Global, status Active) on mgmt0 and
  as the device's primary_ip4.

--with-broken adds `no-ip-1`: location lab1, role leaf, tag `no-ip`, no
interface and no primary IP (a device switchyard must refuse).
"""

import ipaddress
import json
import sys
import urllib.error
import urllib.parse
import urllib.request

import yaml

MANUFACTURER = "SONiC Lab"
PLATFORM = "SONiC"
LOCATION_TYPE = "Site"
CUSTOM_FIELDS = {
    "sonic_platform": ("SONiC platform", "platform"),
    "sonic_hwsku": ("SONiC HwSKU", "hwsku"),
    "sonic_version": ("SONiC version", "sonic_version"),
}


class Api:
    def __init__(self, url, token):
        self.base = url.rstrip("/") + "/api/"
        self.headers = {
            "Authorization": f"Token {token}",
            "Accept": "application/json; version=2.4",
            "Content-Type": "application/json",
        }

    def call(self, method, path, body=None, query=None):
        url = self.base + path
        if query:
            url += "?" + urllib.parse.urlencode(query, doseq=True)
        data = json.dumps(body).encode() if body is not None else None
        req = urllib.request.Request(url, data=data, method=method, headers=self.headers)
        try:
            with urllib.request.urlopen(req, timeout=60) as resp:
                return json.loads(resp.read() or b"null")
        except urllib.error.HTTPError as e:
            detail = e.read().decode(errors="replace")
            sys.exit(f"nautobot: error: {method} {url} -> {e.code}: {detail}")

    def find(self, path, **filters):
        """The one object matching filters, or None."""
        page = self.call("GET", path, query={**filters, "limit": 2})
        if page["count"] > 1:
            sys.exit(f"nautobot: error: {path} {filters}: {page['count']} objects match, expected at most one")
        return page["results"][0] if page["results"] else None

    def ensure(self, path, lookup, fields):
        """The object matching lookup, created with lookup+fields, or patched
        where it differs from fields."""
        obj = self.find(path, **lookup)
        if obj is None:
            return self.call("POST", path, {**lookup, **fields})
        changed = {k: v for k, v in fields.items() if not same(obj.get(k), v)}
        if changed:
            return self.call("PATCH", f"{path}{obj['id']}/", changed)
        return obj


def same(have, want):
    """Whether a field read back (objects as {id, ...}) equals what was sent (ids)."""
    if isinstance(have, dict) and "id" in have and isinstance(want, str):
        return have["id"] == want
    if isinstance(have, list) and isinstance(want, list):
        have_ids = sorted(h["id"] if isinstance(h, dict) and "id" in h else json.dumps(h, sort_keys=True) for h in have)
        want_ids = sorted(w if isinstance(w, str) else json.dumps(w, sort_keys=True) for w in want)
        return have_ids == want_ids
    if isinstance(have, dict) and isinstance(want, dict):
        return all(same(have.get(k), v) for k, v in want.items())
    return have == want


def with_content_type(api, path, name, content_type="dcim.device", **fields):
    """An object by name whose content_types include content_type."""
    obj = api.find(path, name=name)
    if obj is None:
        return api.call("POST", path, {"name": name, "content_types": [content_type], **fields})
    if content_type not in obj["content_types"]:
        obj = api.call("PATCH", f"{path}{obj['id']}/", {"content_types": obj["content_types"] + [content_type]})
    return obj


def main(argv):
    args = [a for a in argv if a != "--with-broken"]
    broken = len(args) != len(argv)
    if len(args) != 3:
        sys.exit(__doc__)
    url, token_file, inventory = args
    with open(token_file) as f:
        api = Api(url, f.read().strip())
    with open(inventory) as f:
        devices = (yaml.safe_load(f) or {}).get("devices") or []
    for d in devices:
        missing = [k for k in ("name", "address", "site", "role", "hwsku") if not d.get(k)]
        if missing:
            sys.exit(f"nautobot: error: {inventory}: device {d.get('name', '?')} has no {', '.join(missing)}")

    active = api.find("extras/statuses/", name="Active")["id"]
    namespace = api.find("ipam/namespaces/", name="Global")["id"]
    location_type = with_content_type(api, "dcim/location-types/", LOCATION_TYPE)["id"]
    sites = sorted({d["site"] for d in devices} | ({"lab1"} if broken else set()))
    locations = {
        s: api.ensure("dcim/locations/", {"name": s}, {"location_type": location_type, "status": active})["id"]
        for s in sites
    }
    manufacturer = api.ensure("dcim/manufacturers/", {"name": MANUFACTURER}, {})["id"]
    device_types = {
        m: api.ensure("dcim/device-types/", {"model": m}, {"manufacturer": manufacturer})["id"]
        for m in sorted({d["hwsku"] for d in devices})
    }
    roles = {
        r: with_content_type(api, "extras/roles/", r)["id"]
        for r in sorted({d["role"] for d in devices} | ({"leaf"} if broken else set()))
    }
    platform = api.ensure("dcim/platforms/", {"name": PLATFORM}, {})["id"]
    tag_names = {str(t) for d in devices for t in d.get("tags") or []} | ({"no-ip"} if broken else set())
    tags = {t: with_content_type(api, "extras/tags/", t)["id"] for t in sorted(tag_names)}
    for key, (label, _) in CUSTOM_FIELDS.items():
        # Custom fields have no `key` filter: read them all (a handful).
        cf = next((c for c in api.call("GET", "extras/custom-fields/", query={"limit": 1000})["results"]
                   if c["key"] == key), None)
        if cf is None:
            api.call("POST", "extras/custom-fields/",
                     {"key": key, "label": label, "type": "text", "content_types": ["dcim.device"]})
        elif "dcim.device" not in cf["content_types"]:
            api.call("PATCH", f"extras/custom-fields/{cf['id']}/", {"content_types": cf["content_types"] + ["dcim.device"]})

    for d in devices:
        address = ipaddress.ip_interface(f"{d['address']}/24")
        device = api.ensure("dcim/devices/", {"name": d["name"]}, {
            "location": locations[d["site"]],
            "role": roles[d["role"]],
            "device_type": device_types[d["hwsku"]],
            "platform": platform,
            "status": active,
            "tags": [tags[str(t)] for t in d.get("tags") or []],
            "custom_fields": {key: (None if d.get(field) is None else str(d[field]))
                              for key, (_, field) in CUSTOM_FIELDS.items()},
            "local_config_context_data": {"switchyard": {"vars": d.get("vars") or {}}},
        })
        interface = ensure_interface(api, device["id"], active)
        api.ensure("ipam/prefixes/", {"prefix": str(address.network), "namespace": namespace},
                   {"status": active, "type": "network"})
        ip = api.ensure("ipam/ip-addresses/", {"address": str(address), "namespace": namespace},
                        {"status": active})
        if api.find("ipam/ip-address-to-interface/", ip_address=ip["id"], interface=interface) is None:
            api.call("POST", "ipam/ip-address-to-interface/", {"ip_address": ip["id"], "interface": interface})
        api.call("PATCH", f"dcim/devices/{device['id']}/", {"primary_ip4": ip["id"]})
        print(f"nautobot: seeded {d['name']} ({address}, {d['site']}, {d['role']})", file=sys.stderr)

    if broken:
        some_type = next(iter(device_types.values()), None) or api.ensure(
            "dcim/device-types/", {"model": "Force10-S6000"}, {"manufacturer": manufacturer})["id"]
        api.ensure("dcim/devices/", {"name": "no-ip-1"}, {
            "location": locations["lab1"], "role": roles["leaf"], "device_type": some_type,
            "platform": platform, "status": active, "tags": [tags["no-ip"]],
        })
        print("nautobot: seeded no-ip-1 (no primary IP)", file=sys.stderr)
    print(f"nautobot: seeded {len(devices) + broken} devices", file=sys.stderr)


def ensure_interface(api, device, active):
    """The id of the device's mgmt0 interface, made when missing."""
    obj = api.find("dcim/interfaces/", device=device, name="mgmt0")
    if obj is None:
        obj = api.call("POST", "dcim/interfaces/", {
            "device": device, "name": "mgmt0", "type": "1000base-t", "status": active, "mgmt_only": True,
        })
    return obj["id"]


if __name__ == "__main__":
    main(sys.argv[1:])
