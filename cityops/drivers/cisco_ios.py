"""Cisco IOS and IOS XE: the Catalyst switches and ISR routers (classic IOS 12.2/15.x, IOS XE 16.x).

ntc-templates reads `show processes cpu` and `show interfaces`; IOS XE's per-core CPU lines and the
environment's sections are read here (tests/captures/cisco_ios).
"""

from __future__ import annotations

import re
from typing import ClassVar

from ..parsers import textfsm
from . import cisco_common
from .base import Driver, Getter, first_percent, nonempty, refuse
from .models import Facts, Temperature

PLATFORM = "cisco_ios"


def cpu(text: str) -> float:
    """'CPU utilization for five seconds: 5%/0%'; IOS XE on multi-core platforms prints a line per core, which the
    template does not know: every core is read and the busiest counts."""
    if not re.search(r"^Core \d+: CPU utilization", text, re.M):
        rows = textfsm("cisco_ios", "show processes cpu", text)
        if rows and rows[0].get("cpu_usage_5_sec"):
            return float(rows[0]["cpu_usage_5_sec"])
    return first_percent(PLATFORM, "CPU usage", [r"CPU utilization for five seconds:\s*(\d+)%"], text)


def memory(text: str) -> float:
    """`show memory statistics`: the 'Processor' row's Total and Used bytes."""
    m = re.search(r"^\s*Processor\s+\S+\s+(\d+)\s+(\d+)\s+\d+", text, re.M)
    if m and int(m.group(1)):
        return round(100.0 * int(m.group(2)) / int(m.group(1)), 1)
    raise refuse(PLATFORM, "no memory usage in the answer", text)


def temperatures(text: str) -> list[Temperature]:
    out = cisco_common.temperature_lines(text)
    return nonempty(out, PLATFORM, "no temperature reading", text)


def alarms(text: str) -> list[str]:
    """`show environment all` on routers and chassis: 'Number of Critical alarms: 0' and Major / Minor."""
    counts = re.findall(r"Number of (Critical|Major) alarms:\s*(\d+)", text)
    if not counts:
        raise refuse(PLATFORM, "no alarm counts in the answer", text)
    return [f"{kind} alarms: {n}" for kind, n in counts if int(n)]


def interface_errors(text: str) -> dict[str, int]:
    """`show interfaces` through ntc-templates: input errors and CRC per interface, the larger of the two."""
    out: dict[str, int] = {}
    for row in textfsm("cisco_ios", "show interfaces", text):
        errors = [int(row[k]) for k in ("input_errors", "crc") if str(row.get(k, "")).isdigit()]
        if errors:
            out[row["interface"]] = max(errors)
    return nonempty(out, PLATFORM, "no interface counters in the answer", text)


def facts(text: str) -> Facts:
    """`show version` through ntc-templates (classic IOS and IOS XE): version, hostname, uptime, hardware, serial."""
    rows = textfsm("cisco_ios", "show version", text)
    if not rows or not rows[0].get("version"):
        raise refuse(PLATFORM, "no software version in the answer", text)
    r = rows[0]
    return Facts(hostname=r.get("hostname", ""), model=", ".join(r.get("hardware") or []),
                 os_version=r["version"], serial=", ".join(r.get("serial") or []), uptime=r.get("uptime", ""))


class CiscoIos(Driver):
    platform = PLATFORM
    kind = "network"
    netmiko = "cisco_ios"
    sync = ("show clock", r"\d{2}:\d{2}:\d{2}\.\d{3}")
    getters: ClassVar[dict[str, Getter]] = {
        "facts": Getter("show version", facts),
        "cpu": Getter("show processes cpu", cpu),
        "memory": Getter("show memory statistics", memory),
        "fans": Getter("show environment all", lambda text: cisco_common.fans(PLATFORM, text)),
        "power_supplies": Getter("show environment all", lambda text: cisco_common.power_supplies(PLATFORM, text)),
        "temperatures": Getter("show environment all", temperatures),
        "alarms": Getter("show environment all", alarms),
        "interface_errors": Getter("show interfaces", interface_errors),
    }
