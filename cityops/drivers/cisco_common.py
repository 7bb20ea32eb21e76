"""What Cisco IOS and NX-OS print alike: the fan, power supply and temperature sections of `show environment`."""

from __future__ import annotations

import re

from .base import nonempty, status_word
from .models import Part, Temperature


def fans(platform: str, text: str) -> list[Part]:
    """'Fan 1 is OK' / 'FAN1  OK' lines (IOS), the NX-OS 'Fan:' table rows ('Fan1(sys_fan1)  N7K-C7004-FAN  ... Ok')."""
    out = []
    for m in re.finditer(r"^\s*(Fan\s*\S+?|FAN\d+\S*)\s*[:\s]\s*(\S.*)$", text, re.M | re.I):
        ok = status_word(m.group(2).split())
        if ok is not None:
            out.append(Part(m.group(1).rstrip(":"), ok, m.group(2).strip()[:60]))
    return nonempty(out, platform, "no fan listed", text)


def power_supplies(platform: str, text: str) -> list[Part]:
    """The power section: IOS XE ' Power   Type   State', NX-OS 'Power Supply:' then 'PS  Model  ... Status'."""
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
    return nonempty(out, platform, "no power supply listed", text)


def temperature_lines(text: str) -> list[Temperature]:
    """IOS XE 'Switch  Temp Sensor  State  Reading Celsius' style lines (empty when the layout is NX-OS's)."""
    return [Temperature(f"{m.group(1)} {m.group(2).strip()}", float(m.group(4)), m.group(3).lower() == "normal")
            for m in re.finditer(r"^\s*(\S+)\s+(Temp[^\n]*?)\s{2,}(\S+)\s+(\d+) Celsius", text, re.M)]
