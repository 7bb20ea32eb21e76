"""H3C Comware 5 and 7: the S5120/S5130/S5560/S7500E campus switches, SR/MSR routers and S10500 cores.

Comware 5 and 7 answer the same `display` commands in different layouts; each reader takes both as
published (tests/captures/hp_comware).
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
from .models import Facts, Module, Temperature

PLATFORM = "hp_comware"


def cpu(text: str) -> float:
    """Comware 7 and 5 print '7% in last 5 seconds' per slot (the one-minute figure when there is one);
    older releases 'CPU Usage : 3%'. Of several slots the busiest counts."""
    return first_percent(PLATFORM, "CPU usage", [r"(\d+)% in last 1 minute", r"(\d+)% in last 5 seconds",
                                                 r"CPU Usage\s*:\s*(\d+)%"], text)


def memory(text: str) -> float:
    """Comware 7: a 'Mem:' row per slot ending in its FreeRatio (the fullest slot counts); Comware 5 'Used Rate'."""
    ratios = re.findall(r"^Mem:\s+\d+\s+\d+\s+\d+.*?(\d+(?:\.\d+)?)%\s*$", text, re.M)
    if ratios:
        return round(100 - min(float(r) for r in ratios), 1)
    m = re.search(r"Used Rate\s*:\s*(\d+)%", text)
    if m:
        return float(m.group(1))
    raise refuse(PLATFORM, "no memory usage in the answer", text)


def temperatures(text: str) -> list[Temperature]:
    """`display environment`: 'Slot Sensor Temperature LowerLimit WarningLimit AlarmLimit ...' rows (the sensor
    may be 'hotspot 1'); a reading at or over its warning limit is not within limits."""
    out = []
    for ln in text.splitlines():
        m = re.match(r"^\s*(\d+)\s+(\S+(?: \d+)?)\s+(-?\d+)\s+(-?\d+)\s+(\d+)\s+(\d+)", ln)
        if m:
            value, warning = float(m.group(3)), float(m.group(5))
            out.append(Temperature(f"{m.group(1)}/{m.group(2)}", value, value < warning))
    return nonempty(out, PLATFORM, "no temperature reading", text)


ALARM_ROW = re.compile(r"^\s*\d+\s+\S+\s+(?:ERROR|WARNING|ALARM|Critical|Major|Minor|INFO)", re.I)
ALARM_HEADER = re.compile(r"^\s*(Slot\s+CPU|Chassis\s+Slot|-{5,}|No alarm)", re.I)


def alarms(text: str) -> list[str]:
    """`display alarm`: a header and one row per alarm, nothing else; INFO rows are not alarms."""
    rows, other = [], []
    for ln in text.splitlines():
        if ALARM_ROW.match(ln):
            rows.append(ln.strip())
        elif ln.strip() and not ALARM_HEADER.match(ln):
            other.append(ln)
    if other:
        raise refuse(PLATFORM, "unreadable alarm list", other[0])
    return [r for r in rows if not re.search(r"\bINFO\b", r, re.I)]


def interface_errors(text: str) -> dict[str, int]:
    """`display interface`: a block per interface, headed by its name alone (Comware 7) or by 'NAME current
    state: UP' (Comware 5, MSR); input errors and CRC counted in the block's input section only ('Input:' ...
    'Output:'), as 'N input errors', 'N errors', 'N CRC' or 'N crc' ('N input error' on tunnels)."""
    out: dict[str, int] = {}
    name, section = None, "in"
    for ln in text.splitlines():
        head = re.match(r"^(?!Line protocol)([A-Za-z][\w./:-]*\d[\w./:-]*)(?: current state\s*:.*)?\s*$", ln)
        if head:
            name, section = head.group(1), "in"
            continue
        if name is None:
            continue
        if re.match(r"^\s*Output\s*:", ln):
            section = "out"
        elif re.match(r"^\s*Input\s*:", ln):
            section = "in"
        found = [int(n) for n in re.findall(r"(\d+) input errors?\b", ln)]
        if section == "in":
            found += [int(n) for n in re.findall(r"(?<!input )\b(\d+) errors\b", ln)]
            found += [int(n) for n in re.findall(r"\b(\d+) crc\b", ln, re.I)]
        if found:
            out[name] = max(out.get(name, 0), *found)
    return nonempty(out, PLATFORM, "no interface counters in the answer", text)


def facts(text: str) -> Facts:
    """`display version`: 'Comware Software, Version 7.1.070, Release 7585P05' (5.20 on Comware 5) and
    'H3C S5560X-30C-EI uptime is 0 weeks, 5 days, ...' (the model; Comware 5 'H3C S5120-28P-SI uptime is', HP-branded
    'HP A5800-24G-SFP Switch with 1 Interface Slot uptime is'). The serial is in `display device manuinfo`."""
    m = re.search(r"Comware (?:Platform )?Software,? Version (\S+?),? (?:Release|Ess|Feature) (\S+?),?(?:\s|$)", text)
    up = re.search(r"^\s*(?:H3C|HPE|HP)\s+(.+?) uptime is (.+?)\s*$", text, re.M)
    if not m or not up:
        raise refuse(PLATFORM, "no 'Comware Software, Version' and uptime line", text)
    model = re.sub(r"\s+(?:Switch|Router)\b.*$", "", up.group(1).strip())  # 'HP 5900AF-48XG-4QSFP+ Switch'
    return Facts(hostname="", model=model, os_version=f"{m.group(1)} Release {m.group(2)}", serial="", uptime=up.group(2))


def inventory(text: str) -> list[Module]:
    """`display device manuinfo` through ntc-templates: per chassis, slot (or 'Slot 1 CPU 0'), fan and power module,
    DEVICE_NAME and DEVICE_SERIAL_NUMBER. Comware 5 answers 'Only new chassis support this command' for an old
    chassis and 'Failed to display the manufacture information' for a fan without an electronic label: those
    parts are listed with no serial, not left out."""
    rows = textfsm("hp_comware", "display device manuinfo", text)
    out = []
    for r in rows:
        where = f"{r['slot_type']} {r['slot_id']}".strip()
        if r.get("chassis_id"):  # an IRF of chassis: each member's parts under its chassis number
            where = f"Chassis {r['chassis_id']}" + ("" if r["slot_type"] == "Chassis" else f" {where}")
        name = where
        out.append(Module(name, r["device_name"].strip(), "", r["device_serial_number"]))
    return nonempty(out, PLATFORM, "display device manuinfo: no part listed", text)


config = config_reader(PLATFORM, r"^return$")  # Comware prints no timestamp or save comment in the listing


class HpComware(Driver):
    platform = PLATFORM
    kind = "network"
    netmiko = "hp_comware"
    change = ChangeMethod(enter="system-view", leave="return", sections=VRP_SECTIONS)
    # Comware 7 prints the time line alone unless a time zone is configured ('10:07:58.370 UTC Thu 01/05/2017')
    sync = ("display clock", r"\d{2}:\d{2}:\d{2}(?:\.\d+)? \S+ \w{3} \d{2}/\d{2}/\d{4}")
    error_markers = ("% Unrecognized command", "% Too many parameters", "% Incomplete command", "% Wrong parameter")
    getters: ClassVar[dict[str, Getter]] = {
        "facts": Getter("display version", facts),
        "cpu": Getter("display cpu-usage", cpu),
        "memory": Getter("display memory", memory),
        "fans": Getter("display fan", lambda text: fan_table(PLATFORM, text)),
        "power_supplies": Getter("display power", lambda text: power_table(PLATFORM, text)),
        "temperatures": Getter("display environment", temperatures),
        "alarms": Getter("display alarm", alarms),
        "interface_errors": Getter("display interface", interface_errors),
        "inventory": Getter("display device manuinfo", inventory),
        "running_config": Getter("display current-configuration", config),
        "startup_config": Getter("display saved-configuration", config),
    }

    def prompt_pattern(self, base: str) -> str:
        """<name> in user view, [name] in system view; never 'sysname name' in a configuration listing."""
        return rf"[<\[]{re.escape(base)}[^\n]*[>\]]"
