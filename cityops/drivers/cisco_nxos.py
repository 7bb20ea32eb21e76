"""Cisco NX-OS: the estate's MDS 9148 FC switches (and the Nexus layouts NX-OS shares with them).

`show system resources` holds CPU and memory; `show environment` fans, power and temperatures
(tests/captures/cisco_nxos: N7K, N9K, NX-OSv).
"""

from __future__ import annotations

import re
from typing import ClassVar

from ..parsers import textfsm
from .base import Driver, Getter, config_reader, nonempty, refuse, status_word
from .models import Facts, Module, Part, Temperature

PLATFORM = "cisco_nxos"


def cpu(text: str) -> float:
    """'CPU states  :   3.00% user,   2.00% kernel,   95.00% idle': the load is what is not idle."""
    m = re.search(r"CPU states\s*:\s*[\d.]+% user,\s*[\d.]+% kernel,\s*([\d.]+)% idle", text)
    if not m:
        raise refuse(PLATFORM, "no CPU usage in the answer", text)
    return round(100 - float(m.group(1)), 1)


def memory(text: str) -> float:
    m = re.search(r"Memory usage:\s+(\d+)K total,\s+(\d+)K used", text)
    if m and int(m.group(1)):
        return round(100.0 * int(m.group(2)) / int(m.group(1)), 1)
    raise refuse(PLATFORM, "no memory usage in the answer", text)


TEMP_ROW = re.compile(r"^\s*(\d+)\s+(\S.*?)\s+(\d+|N/A)\s+(\d+|N/A)\s+(\d+)\s+(Ok|Alarm|Warning|Critical|Major|Minor|"
                      r"Failed)\s*$", re.I)


def fans(text: str) -> list[Part]:
    """The 'Fan:' table rows ('Fan1(sys_fan1)  N7K-C7004-FAN  ... Ok')."""
    out = []
    for m in re.finditer(r"^\s*(Fan\s*\S+?|FAN\d+\S*)\s*[:\s]\s*(\S.*)$", text, re.M | re.I):
        ok = status_word(m.group(2).split())
        if ok is not None:
            out.append(Part(m.group(1).rstrip(":"), ok, m.group(2).strip()[:60]))
    return nonempty(out, PLATFORM, "no fan listed", text)


def power_supplies(text: str) -> list[Part]:
    """The power section: 'Power Supply:', then 'PS  Model ... Status' (MDS) or the Nexus 'Supply  Model ... Status'."""
    out = []
    section = False
    for ln in text.splitlines():
        if re.match(r"^\s*(Power Supply:|Power\s+Type|PS\s+Model)", ln):
            section = True
            continue
        if section and not ln.strip():
            if out:
                break
            continue
        parts = ln.split()
        if section and len(parts) >= 3 and not set(ln.strip()) <= {"-"}:
            ok = status_word(parts[2:])
            if ok is not None:
                out.append(Part(parts[0], ok, " ".join(parts[2:])[:60]))
    return nonempty(out, PLATFORM, "no power supply listed", text)


def temperatures(text: str) -> list[Temperature]:
    """The Temperature section: every row, 'module/sensor', the sensor name as printed ('Inlet  (s1)' holds a
    space, and each module repeats the names). A row that does not read is refused: grading 8 of 12 sensors as
    normal is the false pass this guards against."""
    out: list[Temperature] = []
    section = text.split("Temperature:", 1)
    for ln in section[1].splitlines() if len(section) == 2 else []:
        stripped = ln.strip()
        if not stripped or set(stripped) <= {"-"} or re.match(r"^(Module|\(Celsius\))", stripped):
            continue
        if re.match(r"^[A-Z][\w ]*:\s*$", ln):  # the next section
            break
        m = TEMP_ROW.match(ln)
        if m is None:
            raise refuse(PLATFORM, "unreadable temperature row", ln)
        name = " ".join(m.group(2).split())
        out.append(Temperature(f"{m.group(1)}/{name}", float(m.group(5)), m.group(6).lower() == "ok"))
    return nonempty(out, PLATFORM, "no temperature reading", text)


def interface_errors(text: str) -> dict[str, int]:
    """`show interface`: a block per interface ('fc1/1 is up', 'Ethernet1/1 is down (Link not connected)');
    input errors and CRC (FC ports print 'N CRC', Ethernet 'N input error', 'N CRC/FCS')."""
    out: dict[str, int] = {}
    name = None
    for ln in text.splitlines():
        m = re.match(r"^(\S+) is (?:up|down|administratively|admin|err-disabled|not|trunking|initializing)", ln)
        if m:
            name = m.group(1)
            continue
        found = [int(n) for n in re.findall(r"\b(\d+) input errors?\b", ln)]
        found += [int(n) for n in re.findall(r"\b(\d+) CRC(?:/FCS)?\b", ln)]
        if found and name:
            out[name] = max(out.get(name, 0), *found)
    return nonempty(out, PLATFORM, "no interface counters in the answer", text)


def facts(text: str) -> Facts:
    """`show version` through ntc-templates (NX-OS 5 to 10, Nexus): os, hostname, uptime, platform, serial. An MDS
    names itself 'cisco MDS 9148 FC (1 Slot) Chassis ("1/2/4/8 Gbps FC/Supervisor-3")', where the template takes
    the '3' of 'Supervisor-3' for the platform: the model is read from that line here."""
    rows = textfsm("cisco_nxos", "show version", text)
    if not rows or not rows[0].get("os"):
        raise refuse(PLATFORM, "no software version in the answer", text)
    r = rows[0]
    mds = re.search(r"^\s*cisco (MDS [\w-]+)", text, re.M)
    return Facts(hostname=r.get("hostname", ""), model=mds.group(1) if mds else r.get("platform", ""),
                 os_version=r["os"], serial=r.get("serial", ""), uptime=r.get("uptime", ""))


def inventory(text: str) -> list[Module]:
    """`show inventory` through ntc-templates: NAME, DESCR, PID, SN per part (chassis, supervisor, modules, fans)."""
    rows = textfsm("cisco_nxos", "show inventory", text)
    return nonempty([Module(r["name"], r["descr"], r["pid"].strip(), r["sn"]) for r in rows],
                    PLATFORM, "show inventory: no part listed", text)


# NX-OS ends its listing with no marker but always begins it with '!Command: show running-config': what is read
# is a listing, and its completeness rests on the prompt and the size (the backup's checks). The '!Time:' and
# 'last done at' comments move with every look (Oxidized's nxos model drops '!Time:'); a reload turns the latter
# into '!No configuration change since last restart' (lab-validation's Nexus 9000v 9.2(3)) with nothing changed.
config = config_reader(PLATFORM, None, (r"^!Time:", r"^!Running configuration last done at", r"^!Startup config saved at",
                                        r"^!No configuration change since last restart"),
                       start=r"^!Command: show (?:running|startup)-config")


class CiscoNxos(Driver):
    platform = PLATFORM
    kind = "network"
    netmiko = "cisco_nxos"
    listing_headers = (r"^!Command: show (?:running|startup)-config",)
    sync = ("show clock", r"\d{2}:\d{2}:\d{2}\.\d{3}")
    error_markers = ("% Invalid command", "% Invalid input", "% Incomplete command", "Syntax error while parsing")
    getters: ClassVar[dict[str, Getter]] = {
        "facts": Getter("show version", facts),
        "cpu": Getter("show system resources", cpu),
        "memory": Getter("show system resources", memory),
        "fans": Getter("show environment", fans),
        "power_supplies": Getter("show environment", power_supplies),
        "temperatures": Getter("show environment", temperatures),
        "interface_errors": Getter("show interface", interface_errors),
        "inventory": Getter("show inventory", inventory),
        "running_config": Getter("show running-config", config),
        "startup_config": Getter("show startup-config", config),
    }
