"""What the lab serves: inventory hosts -> lab servers, with credentials and host keys.

`lab.up` turns a selection of the inventory into one plan per server kind,
writes the lab-only credentials (one random password per credential name the
served hosts use) and an SSH host key per device, and the known_hosts clients
verify against. Hosts whose kind has no lab server yet are listed as such.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import yaml

from .. import drivers, netguard, platforms
from ..files import write_atomic
from ..inventory.model import Host
from ..inventory.schema import SERVER_PLATFORMS
from .http.web import site_code
from .netdev.server import PLATFORMS as NETDEV_PLATFORMS
from .statedir import LabDir

USERNAMES = {"network_cli": "netops", "appliance": "secadmin", "server_os": "opsadmin", "storage_cli": "admin"}
# Devices of the estate's oldest generation offer only group14-sha1 and ssh-rsa.
OLD_MODELS = ("NE80E", "SRG20", "MDS", "DS-300B", "S7706", "ISR4451")
GBK_MODELS = ("S7506E", "S7503E")  # Comware 5 chassis answer in GBK
GBK_PLATFORMS = ("topsec_tos",)  # Topsec TOS answers in GBK (netd's operator decodes it so)


def parse_latency(spec: str | None) -> dict[str, float]:
    """'0.3' or 'core_switch=0.3,floor_switch=0.2,default=0.1' -> {class: seconds}."""
    out: dict[str, float] = {}
    if not spec:
        return out
    for part in spec.split(","):
        part = part.strip()
        if not part:
            continue
        key, _, value = part.rpartition("=")
        out[key or "default"] = float(value.rstrip("s").replace("m", "e-3")) if value.endswith("ms") else float(value)
    return out


SNMP_KINDS = {"snmp_ups": "ups", "snmp_ac": "ac", "snmp_printer": "printer"}  # AIX, ESXi and Windows roles are not served yet


@dataclass
class LabPlan:
    netdev: list[dict] = field(default_factory=list)
    servers: list[dict] = field(default_factory=list)
    web: list[dict] = field(default_factory=list)
    redfish: list[dict] = field(default_factory=list)
    snmp: list[dict] = field(default_factory=list)
    ipmi: list[dict] = field(default_factory=list)
    unserved: list[tuple[str, str]] = field(default_factory=list)  # (host, why)


def build_plan(hosts: list[Host], lab: LabDir, latency: dict[str, float] | None = None,
               universe: list[Host] | None = None) -> LabPlan:
    """Plan the selected `hosts`; `universe` (the whole inventory) answers relations such as a vCenter's hosts."""
    latency = latency or {}
    universe = universe if universe is not None else hosts
    plan = LabPlan()
    creds = load_or_make_credentials(lab, hosts)
    for h in hosts:
        platform = platforms.get(str(h.get("platform")))
        address = h.get("ansible_host")
        if platform is None or not address:
            plan.unserved.append((h.name, "no platform or address"))
            continue
        reason = netguard.refusal(address)
        if reason:
            plan.unserved.append((h.name, reason))
            continue
        delay = latency.get(str(h.get("device_class", "")), latency.get("default", 0.0))
        if h.get("bmc_protocol") == "redfish" and h.get("bmc_address") and not netguard.refusal(h.get("bmc_address")):
            bcred = creds[h.get("bmc_credential")]
            plan.redfish.append({"name": f"{h.name}-bmc", "host": h.name, "addresses": [h.get("bmc_address")],
                                 "vendor": "Lenovo" if "联想" in str(h.get("vendor")) else "Huawei",
                                 "model": str(h.get("model", "")), "username": bcred["username"],
                                 "password": bcred["password"], "latency": delay, "connection_faults": False})
        if h.get("bmc_protocol") == "ipmi" and h.get("bmc_address") and not netguard.refusal(h.get("bmc_address")):
            bcred = creds[h.get("bmc_credential")]
            plan.ipmi.append({"name": f"{h.name}-bmc", "host": h.name, "address": h.get("bmc_address"),
                              "vendor": "Dell" if "Dell" in str(h.get("vendor")) else "IBM",
                              "username": bcred["username"], "password": bcred["password"]})
        if platform.id in SNMP_KINDS:
            plan.snmp.append({"name": h.name, "address": address, "kind": SNMP_KINDS[platform.id],
                              "vendor": str(h.get("vendor", "")), "model": str(h.get("model", "")),
                              "display_name": str(h.get("display_name", "")), "location": str(h.get("location", "")),
                              "community": creds[h.get("credential")]["password"]})
            continue
        if platform.id in ("hikvision_nvr", "vmware_vcenter"):
            cred = creds[h.get("credential")]
            entry = {"name": h.name, "host": h.name, "addresses": [address], "http_port": 80, "model": str(h.get("model")),
                     "kind": "nvr" if platform.id == "hikvision_nvr" else "vcenter",
                     "username": cred["username"], "password": cred["password"], "latency": delay}
            if platform.id == "vmware_vcenter":
                entry["esxi"] = [x.name for x in universe
                                 if x.get("platform") == "vmware_esxi" and x.get("site") == h.get("site")]
                entry["cluster_name"] = next((str(x.get("cluster_name")) for x in universe if x.name in entry["esxi"]
                                              and x.get("cluster_name")), "")
            plan.web.append(entry)
            continue
        if platform.id in ("appliance_web", "lipu_gap", "backup_appliance"):
            cred = creds[h.get("credential")]
            plan.web.append({"name": h.name, "host": h.name, "addresses": [address], "kind": "appliance",
                             "platform": platform.id, "device_class": str(h.get("device_class", "")),
                             "vendor": str(h.get("vendor", "")), "model": str(h.get("model", "")),
                             "username": cred["username"], "password": cred["password"], "latency": delay})
            continue
        if platform.id == "http":
            addresses = [address] + ([h.get("ipv6_address")] if h.get("ipv6_address") else [])
            plan.web.append({"name": h.name, "host": h.name, "addresses": addresses, "http_port": 80,
                             "title": str(h.get("display_name", "")), "site_code": site_code(h.name),
                             "icp": "0" + site_code(h.name + "/icp")[-7:], "latency": delay})
            continue
        if platform.id in NETDEV_PLATFORMS:
            cred = creds[h.get("credential")]
            model = str(h.get("model", ""))
            cls = str(h.get("device_class", ""))
            plan.netdev.append({"name": h.name, "device": {
                "name": h.name, "address": address, "platform": platform.id, "vendor": str(h.get("vendor", "")),
                "model": model, "device_class": cls, "display_name": str(h.get("display_name", "")),
                "username": cred["username"], "password": cred["password"],
                "era": "old" if any(m in model for m in OLD_MODELS) else "mid",
                "encoding": "gbk" if any(m in model for m in GBK_MODELS) or platform.id in GBK_PLATFORMS else "utf-8",
                "latency": delay,
                "max_sessions": getattr(drivers.get(platform.id), "max_sessions", None) or 16,
                "stack_members": int(h.get("stack_members") or 1),
            }})
        elif platform.id in SERVER_PLATFORMS:  # Windows roles too, over SSH (PowerShell, sqlcmd), not WinRM
            cred = creds[h.get("credential")]
            plan.servers.append({"name": h.name, "host": {
                "name": h.name, "address": address, "username": cred["username"], "password": cred["password"],
                "os": str(h.get("os", "")), "role": str(h.get("role", "")), "zone": str(h.get("zone", "")),
                "model": str(h.get("model", "")),
                "cluster": str(h.get("cluster", "") or ""), "vendor": str(h.get("vendor", "")),
                "backup_jobs": h.get("backup_jobs") if isinstance(h.get("backup_jobs"), list) else [],
                "python": str(h.get("python") or "none"), "package_mirror": mirror_url(h),
                # what a patch finds staged on the host (hosts.oracle_home, stage_sql_patch, esxi.stage_bundle)
                **{k: h.get(k) for k in ("rac_patch", "mssql_patch", "esxi_patch") if isinstance(h.get(k), dict)},
                **({"oracle_home": str(h.get("oracle_home"))} if h.get("oracle_home") else {}),
                **{k: str(h.get(k)) for k in ("patch_route", "wsus_server", "wsus_group") if h.get(k)},
            }})
        else:
            plan.unserved.append((h.name, f"platform {platform.id} ({platform.family}) has no lab server yet"))
    mirrors: dict[str, str] = {}  # url -> the (first) zone it serves
    for e in plan.servers:
        if e["host"]["package_mirror"]:
            mirrors.setdefault(e["host"]["package_mirror"], e["host"]["zone"])
    for url, zone in sorted(mirrors.items()):
        plan.web.append({"name": f"mirror-{zone}", "host": f"mirror-{zone}", "addresses": [urlsplit(url).hostname],
                         "http_port": 80, "kind": "mirror", "latency": 0.0})
    return plan


def mirror_url(h) -> str:
    """The package mirror of a server's zone (the zone's `package_mirror`), if cityops may reach it."""
    url = str(h.get("package_mirror") or "")
    return "" if not url or netguard.url_refusal(url) else url


def load_or_make_credentials(lab: LabDir, hosts: list[Host]) -> dict:
    """credentials.yml (mode 600): one random password per credential name; kept across lab.up runs."""
    existing = {}
    if lab.credentials_file.exists():
        existing = yaml.safe_load(lab.credentials_file.read_text(encoding="utf-8")) or {}
    changed = False
    for h in hosts:
        for key in ("credential", "bmc_credential"):
            name = h.get(key)
            if name and name not in existing:
                family = getattr(platforms.get(str(h.get("platform"))), "family", "server_os")
                user = "USERID" if key == "bmc_credential" else USERNAMES.get(family, "opsadmin")
                existing[name] = {"username": user, "password": secrets.token_urlsafe(15)}
                changed = True
    if "backup_vault" not in existing:  # the key of the backups' encrypted full copies (cityops/backup/vault.py)
        existing["backup_vault"] = {"username": "cityops", "password": secrets.token_urlsafe(32)}
        changed = True
    if changed or not lab.credentials_file.exists():
        text = "# Lab-only credentials written by `invoke lab.up`. Never commit; never reuse outside the lab.\n"
        write_atomic(lab.credentials_file, (text + yaml.safe_dump(existing, sort_keys=True)).encode(), 0o600)
    return existing


def write_known_hosts(lab: LabDir, netdev: list[dict], servers: list[dict]) -> None:
    """known_hosts for every lab host: clients verify keys, never accept them blindly."""
    lines = [f"{e['device']['address']} {(lab.keys_dir / (e['name'] + '.pub')).read_text().strip()}" for e in netdev]
    for e in servers:
        pub = lab.path / "servers" / e["name"] / "ssh" / "ssh_host_ed25519_key.pub"
        key_type, key_b64 = pub.read_text().split()[:2]
        lines.append(f"{e['host']['address']} {key_type} {key_b64}")
    write_atomic(lab.known_hosts, ("\n".join(lines) + "\n").encode(), 0o644)


def ensure_host_keys(lab: LabDir, entries: list[dict]) -> None:
    """An RSA host key per network device, kept across runs (the public half cached for known_hosts)."""
    import asyncssh

    lab.ensure()
    for e in entries:
        path = lab.keys_dir / f"{e['name']}.key"
        pub_path = path.with_suffix(".pub")
        if not (path.exists() and pub_path.exists()):
            key = asyncssh.generate_private_key("ssh-rsa", key_size=2048)
            write_atomic(path, key.export_private_key(), 0o600)
            write_atomic(pub_path, key.export_public_key("openssh"), 0o644)
