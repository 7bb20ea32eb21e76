"""lab.up / lab.status / lab.fault / lab.down, as functions (the invoke tasks and tests call these)."""

from __future__ import annotations

import datetime as dt
import socket
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from .. import platforms
from ..inventory.model import Host, Inventory
from . import supervisor
from .faults import KINDS, FaultStore
from .plan import build_plan, ensure_host_keys, parse_latency, write_known_hosts
from .servers import control as servers
from .statedir import LabDir

SERVERS = {"netdev": "cityops.lab.netdev.server", "web": "cityops.lab.http.web",
           "redfish": "cityops.lab.http.redfish", "snmp": "cityops.lab.snmp.agent",
           "ipmi": "cityops.lab.ipmi.bmc"}


@dataclass
class UpReport:
    served: dict[str, int]
    unserved: list[tuple[str, str]]
    seconds: float
    reused: bool = False


def up(lab: LabDir, hosts: list[Host], latency: str | None = None, universe: list[Host] | None = None) -> UpReport:
    t0 = time.monotonic()
    if supervisor.running(lab):
        raise supervisor.LabError(f"a lab is already running from {lab.path} (lab.status to see it, lab.down to stop)")
    lab.ensure()
    plan = build_plan(hosts, lab, parse_latency(latency), universe)
    served: dict[str, int] = {}
    try:
        if plan.netdev:
            ensure_host_keys(lab, plan.netdev)
            lab.write_json(lab.plan_file("netdev"), {"devices": plan.netdev}, mode=0o600)
            supervisor.start(lab, "netdev", SERVERS["netdev"], lab.path / "netdev.ready")
            served["netdev"] = len(plan.netdev)
        if plan.servers:
            lab.write_json(lab.plan_file("servers"), {"hosts": plan.servers}, mode=0o600)
            servers.start_all(lab, plan.servers)
            served["sshd"] = len(plan.servers)
        if plan.snmp:
            lab.write_json(lab.plan_file("snmp"), {"devices": plan.snmp}, mode=0o600)
            supervisor.start(lab, "snmp", SERVERS["snmp"], lab.path / "snmp.ready")
            served["snmp"] = len(plan.snmp)
        for kind, endpoints in (("web", plan.web), ("redfish", plan.redfish), ("ipmi", plan.ipmi)):
            if endpoints:
                lab.write_json(lab.plan_file(kind), {"endpoints": endpoints}, mode=0o600)
                supervisor.start(lab, kind, SERVERS[kind], lab.path / f"{kind}.ready")
                served[kind] = len(endpoints)
        write_known_hosts(lab, plan.netdev, plan.servers)
    except BaseException:
        supervisor.stop_all(lab)  # never leave half a lab behind
        servers.unmount_all(lab)
        raise
    with lab.locked():
        state = lab.read_json(lab.lab_file, {})
        state["served"] = {
            **{e["name"]: {"server": "netdev", "address": e["device"]["address"]} for e in plan.netdev},
            **{e["name"]: {"server": "sshd", "address": e["host"]["address"]} for e in plan.servers},
            **{e["name"]: {"server": "web", "address": e["addresses"][0], "port": 443} for e in plan.web},
            **{e["name"]: {"server": "redfish", "address": e["addresses"][0], "port": 443} for e in plan.redfish},
            **{e["name"]: {"server": "snmp", "address": e["address"], "port": 161} for e in plan.snmp},
            **{e["name"]: {"server": "ipmi", "address": e["address"], "port": 623} for e in plan.ipmi},
        }
        state["unserved"] = plan.unserved
        lab.write_json(lab.lab_file, state)
    return UpReport(served, plan.unserved, time.monotonic() - t0)


def down(lab: LabDir) -> list[str]:
    stopped = supervisor.stop_all(lab)
    servers.unmount_all(lab)
    return stopped


def summarize(process_names) -> str:
    """'netdev, sshd ×101, snmp' rather than 106 names."""
    counts: dict[str, int] = {}
    for name in process_names:
        kind = name.split(":")[0]
        counts[kind] = counts.get(kind, 0) + 1
    return ", ".join(f"{k} ×{n}" if n > 1 else k for k, n in counts.items())


@dataclass
class HostStatus:
    name: str
    server: str
    address: str
    reachable: bool
    detail: str
    faults: dict


def probe_udp(address: str, port: int) -> tuple[bool, str]:
    """Is a lab agent holding this UDP port? (Binding it ourselves fails if so.)"""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        sock.bind((address, port))
    except OSError:
        return True, f"udp {port} held by the agent"
    finally:
        sock.close()
    return False, f"nothing on udp {port}"


def probe(address: str, port: int = 22, timeout: float = 1.0) -> tuple[bool, str]:
    """A TCP connect and the SSH banner: what 'reachable by its protocol' means for an SSH device."""
    try:
        with socket.create_connection((address, port), timeout=timeout) as sock:
            sock.settimeout(timeout)
            if port != 22:
                return True, f"port {port} open"
            banner = sock.recv(64).decode(errors="replace").strip()
            return banner.startswith("SSH-"), banner or "no banner"
    except TimeoutError:
        return False, "connect timed out"
    except ConnectionRefusedError:
        return False, "connection refused"
    except OSError as exc:
        return False, str(exc)


def status(lab: LabDir) -> tuple[dict, list[HostStatus]]:
    state = lab.read_json(lab.lab_file, {})
    procs = supervisor.running(lab)
    faults = FaultStore(lab).all()
    served = state.get("served", {})
    with ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(
            lambda item: (item[0], item[1], probe_udp(item[1]["address"], item[1]["port"]) if item[1].get("port") in (161, 623)
                          else probe(item[1]["address"], item[1].get("port", 22))), served.items()))
    hosts = [HostStatus(name, info["server"], info["address"], ok, detail, faults.get(name, {}))
             for name, info, (ok, detail) in results]
    return procs, hosts


def set_fault(lab: LabDir, inv: Inventory, host: str, kind: str, clear: bool = False, **params) -> str:
    store = FaultStore(lab)
    if host not in inv.hosts:
        raise supervisor.LabError(f"unknown host '{host}'")
    if clear:
        cleared = store.clear(host, None if kind in (None, "", "all") else kind)
        message = f"{host}: cleared {', '.join(cleared) or 'nothing (no such fault active)'}"
    else:
        platform = platforms.get(str(inv.hosts[host].get("platform")))
        entry = store.set(host, kind, getattr(platform, "family", ""), getattr(platform, "id", ""),
                          getattr(platform, "transport", ""), **params)
        shown = ", ".join(f"{k}={v}" for k, v in entry.items() if k != "since")
        message = f"{host}: {kind} ({KINDS[kind].title}) active{': ' + shown if shown else ''}"
    _apply(lab, host)
    return message


def _apply(lab: LabDir, host: str) -> None:
    """Servers that do not watch faults.json themselves get the change pushed (sshd hosts)."""
    served = lab.read_json(lab.lab_file, {}).get("served", {}).get(host)
    if served and served["server"] == "sshd":
        entries = lab.read_json(lab.plan_file("servers"), {})["hosts"]
        entry = next(e for e in entries if e["name"] == host)
        servers.apply(lab, entry, FaultStore(lab).all().get(host, {}), entries)


def clock_file(lab: LabDir) -> Path:
    return lab.path / "clock.json"


def set_clock(lab: LabDir, at: dt.datetime | None) -> str:
    """Set the lab's clock to `at` (None: back to real time) on every lab server, where the lab's own tools (RMAN)
    read it, and in lab.path/clock.json, which cityops reads when $CITYOPS_CLOCK names it."""
    from ..files import write_atomic
    from ..timeutil import clock_text

    copies = [clock_file(lab)] + [d / "run" / "clock.json" for d in (lab.path / "servers").glob("*")
                                  if (d / "run").is_dir()]
    for path in copies:
        if at is None:
            path.unlink(missing_ok=True)
        else:
            write_atomic(path, clock_text(at).encode(), 0o644)
    if at is None:
        return "lab clock: real time"
    return (f"lab clock: {at.isoformat(timespec='minutes')} on {len(copies) - 1} servers; cityops follows it with "
            f"CITYOPS_CLOCK={clock_file(lab)}")
