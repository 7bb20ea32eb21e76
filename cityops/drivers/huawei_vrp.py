"""Huawei VRP5: the S-series campus switches (S5700, S7706, S12708 on V200R0xx), AR routers and NE routers.

Commands are the `display` forms every VRP5 release answers; readers take each generation's layout as
published (tests/captures/huawei_vrp). VRP8 campus switches answer the same commands: huawei_vrpv8.py.
"""

from __future__ import annotations

import re
from typing import ClassVar

from ..parsers import textfsm
from .base import (
    VRP_SECTIONS,
    ChangeMethod,
    Driver,
    Getter,
    config_reader,
    fan_table,
    first_percent,
    nonempty,
    power_table,
    refuse,
)
from .models import Board, Facts, Temperature

PLATFORM = "huawei_vrp"
VRP = "VRP"  # how the readers name what they refuse: VRP8 campus switches and CloudEngine call them too


def cpu(text: str) -> float:
    """VRP8 and V200R0xx print 'System CPU Using Percentage : 12%' next to 'Max CPU Usage : 74%', the peak since
    some day and never the current load; VRP5 S-series 'CPU Usage : 8% Max: 30%' at a line's start; older CE
    'System cpu use rate is : 8%'; AR routers IOS-like 'CPU utilization for five seconds: 4%'. Of several boards
    the busiest counts."""
    return first_percent(VRP, "CPU usage", [
        r"System CPU Using Percentage\s*:\s*(\d+(?:\.\d+)?)%", r"(?m)^\s*CPU Usage\s*:\s*(\d+(?:\.\d+)?)%",
        r"cpu use rate is\s*:\s*(\d+(?:\.\d+)?)%", r"CPU utilization for five seconds:\s*(\d+)%"], text)


def memory(text: str) -> float:
    m = re.search(r"Memory Using Percentage(?: Is)?\s*:\s*(\d+(?:\.\d+)?)%", text)
    if not m:
        raise refuse(VRP, "no memory usage in the answer", text)
    return float(m.group(1))


def temperatures(text: str) -> list[Temperature]:
    """`display temperature all`: 'Slot Card Sensor Status Current(C) Lower Upper' rows; the device's Status
    column says whether the sensor is within its limits."""
    out = []
    for ln in text.splitlines():
        m = re.match(r"^\s*(\d+)\s+(\S+)\s+(\S+)\s+(Normal|Abnormal|Minor|Major|Fatal)\s+(\d+)", ln)
        if m:
            out.append(Temperature(f"{m.group(1)}/{m.group(2)}/{m.group(3)}", float(m.group(5)), m.group(4) == "Normal"))
    return nonempty(out, VRP, "no temperature reading", text)


def alarms(text: str) -> list[str]:
    """`display alarm active`: VRP5 'A/B/C/...' rows or the VRP8 table; 'Info: No alarm' when there is none."""
    if re.search(r"Info: No alarm|There is no alarm", text, re.I):
        return []
    rows = [ln.strip() for ln in text.splitlines() if re.match(r"^\s*\d+/", ln)]
    rows += [ln.strip() for ln in text.splitlines() if re.match(r"^\s*(?:Critical|Major|Minor|Warning)\s", ln)]
    if rows or "Sequence" in text or "AlarmId" in text:
        return rows
    if not text.strip():
        return []
    raise refuse(VRP, "unreadable alarm list", text)


def boards(text: str) -> list[Board]:
    """`display device`: boards, power and fan modules and, on an iStack, every member as a slot. A member that
    left the stack stays listed as configured but Offline / Unregistered (marked '*'); anything not Present,
    not Registered or alarmed is not ok. The title names the model, which may hold a space ("Secoway SRG20's
    Device status:"): ntc-templates' template takes one word there, so the title is reduced to its fixed part."""
    text = re.sub(r"^.*'s Device status:[ \t]*$", "Device status:", text, flags=re.M)
    rows = textfsm("huawei_vrp", "display device", text)
    if not rows:
        raise refuse(VRP, "no board listed", text)
    out = []
    for r in rows:
        name = r["slot"] if r["card"] in ("", "-") else (
            f"{r['slot']}/{r['card']}" if r["card"].isdigit() else f"{r['slot']} {r['card']}")
        online, register, alarm = r["online_status"], r["register_status"], r["alarm_status"]
        ok = online == "Present" and register == "Registered" and alarm == "Normal"
        out.append(Board(name, r["pid"], ok, "/".join(x for x in (online, register, alarm) if x and x != "-")))
    return out


SPEED_SUFFIX = re.compile(r"\((?:\d+G|\d+M|v|e|l|s|b|B|d|p|ld|mf|c|sd|dl)\)$")  # 'GE1/0/1(10G)', '(v)', '(l)'


def interface_errors(text: str) -> dict[str, int]:
    """`display interface brief`: a legend (which grows with each release: '(p): port alarm down', '(dl): DLDP
    down' ...), the header, then one row per interface, members of an Eth-Trunk indented. The inErrors column is
    found by the header; a row that does not fit the header is refused, never skipped."""
    lines = text.splitlines()
    at = next((i for i, ln in enumerate(lines) if re.match(r"^\s*Interface\s+PHY\s+Protocol\b", ln)), None)
    if at is None:
        raise refuse(VRP, "display interface brief: no 'Interface PHY Protocol' header", text)
    header = lines[at].split()
    if "inErrors" not in header:
        raise refuse(VRP, "display interface brief: no inErrors column", lines[at])
    col = header.index("inErrors")
    out: dict[str, int] = {}
    for ln in lines[at + 1:]:
        parts = ln.split()
        if not parts or set(ln.strip()) <= {"-"}:
            continue
        if len(parts) != len(header) or not parts[col].isdigit():
            raise refuse(VRP, "display interface brief: unreadable row", ln)
        out[SPEED_SUFFIX.sub("", parts[0])] = int(parts[col])
    return nonempty(out, VRP, "no interface counters in the answer", text)


def facts(text: str) -> Facts:
    """`display version`: 'VRP (R) software, Version 5.170 (S5700 V200R011C10SPC600)' and 'HUAWEI S5720-28X-SI-AC
    Routing Switch uptime is 1 week, 2 days ...' (the model; NE and AR print 'Quidway NetEngine 40E uptime is').
    The chassis serial is not in this answer (`display esn` has it)."""
    m = re.search(r"VRP \(R\) software, Version (\S+)(?: \(([^)]*)\))?", text)
    up = re.search(r"^\s*(?:HUAWEI|Quidway|Huawei)?\s*(.+?) uptime is (.+?)\s*$", text, re.M)
    if not m or not up:
        raise refuse(VRP, "no 'VRP (R) software, Version' and uptime line", text)
    release = m.group(2).split()[-1] if m.group(2) else ""
    version = f"{m.group(1)} {release}".strip()
    model = re.sub(r"\s+(?:Terabit )?Routing Switch$|\s+Router$", "", up.group(1).strip())
    return Facts(hostname="", model=model, os_version=version, serial="", uptime=up.group(2))


# VRP8 prints the time before a `display` answer ('2026-12-02 10:00:00.123 +08:00', Oxidized's vrp model drops it);
# the '!Last configuration was updated/saved at' comments move with every save, not with a change.
TIMESTAMP_LINE = r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:\.\d{3})? ?(?:[+-]\d{2}:\d{2})?$"
config = config_reader(VRP, r"^return$", (TIMESTAMP_LINE, r"^!Last configuration was (?:updated|saved) at"))


class HuaweiVrp(Driver):
    platform = PLATFORM
    kind = "network"
    netmiko = "huawei"
    # VRP5 applies each line as it is typed; a change is undone by replaying the backup taken before it
    change = ChangeMethod(enter="system-view", leave="return", sections=VRP_SECTIONS)
    max_sessions = 5  # user-interface vty 0 4
    sync = ("display clock", r"Time Zone")
    error_markers = ("Error: Unrecognized command", "Error: Wrong parameter", "Error: Incomplete command",
                     "Error:Too many parameters")
    getters: ClassVar[dict[str, Getter]] = {
        "facts": Getter("display version", facts),
        "cpu": Getter("display cpu-usage", cpu),
        "memory": Getter("display memory-usage", memory),
        "fans": Getter("display fan", lambda text: fan_table(PLATFORM, text)),
        "power_supplies": Getter("display power", lambda text: power_table(PLATFORM, text)),
        "temperatures": Getter("display temperature all", temperatures),
        "alarms": Getter("display alarm active", alarms),
        "boards": Getter("display device", boards),
        "interface_errors": Getter("display interface brief", interface_errors),
        "running_config": Getter("display current-configuration", config),
        "startup_config": Getter("display saved-configuration", config),
    }

    def prompt_pattern(self, base: str) -> str:
        """<name> in user view, [name] or [~name-GigabitEthernet0/0/1] in system view; never 'sysname name' in a
        configuration listing."""
        return rf"[<\[]~?\*?{re.escape(base)}[^\n]*[>\]]"
