"""Huawei CloudEngine data-centre switches (CE6800, CE12800; VRP8 V100R/V200R).

A CE answers `display version`, `display device` and `display interface brief` like the campus VRP, and
CPU and memory in the VRP8 layout the VRP readers already take; its environment is another set of
commands with other tables (`display device fan | power | temperature all`): a slot printed on a board's
first row only, states in capitals, limits before the reading. Sending it the S-series `display fan`
table, as cityops did before this driver, ends in an error on a healthy switch.

No alarm getter: the CE's `display alarm active verbose` prints one block per alarm, and no real capture of
it, healthy or alarmed, is public yet; a guessed reader is how a verbose listing came to read as "no alarms".
"""

from __future__ import annotations

import re
from typing import ClassVar

from . import huawei_vrp
from .base import Getter, nonempty, refuse
from .huawei_vrpv8 import HuaweiVrpV8
from .models import Part, Temperature

PLATFORM = "huawei_ce"
RULE = re.compile(r"^\s*-{5,}\s*$")


def _table(text: str, header: str, what: str) -> list[str]:
    """The rows of the first table under a header line holding every word of `header`, up to its closing rule."""
    lines = text.splitlines()
    at = next((i for i, ln in enumerate(lines) if all(w in ln.split() for w in header.split())), None)
    if at is None:
        raise refuse(PLATFORM, f"{what}: no '{header}' header", text)
    rows, opened = [], False
    for ln in lines[at + 1:]:
        if RULE.match(ln):
            if opened and rows:
                break
            opened = True
            continue
        if ln.strip() and opened:
            rows.append(ln)
    return rows


def temperatures(text: str) -> list[Temperature]:
    """`display device temperature all`: 'Slot Card SensorName Status Major Fatal Current', a second header line of
    units, then rows ('1  --  Outlet-1(LSW)  NORMAL  58  --  36'), the slot on a board's first row only."""
    out, slot = [], ""
    for ln in _table(text, "Slot Card SensorName Status", "display device temperature all"):
        if ln.strip().startswith("("):  # '(Celsius)' units under the header
            continue
        m = re.match(r"^\s{0,3}(\d+)?\s+(\S+)\s+(\S+)\s+([A-Za-z]+)\s+(\S+)\s+(\S+)\s+(-?\d+)\s*$", ln)
        if m is None:
            raise refuse(PLATFORM, "display device temperature all: unreadable row", ln)
        slot = m.group(1) or slot
        card = "" if m.group(2) in ("--", "-") else f"{m.group(2)}/"
        out.append(Temperature(f"{slot}/{card}{m.group(3)}", float(m.group(7)), m.group(4).upper() == "NORMAL"))
    return nonempty(out, PLATFORM, "no temperature reading", text)


def fans(text: str) -> list[Part]:
    """`display device fan`: a row per fan module ('1  FAN1  [1-4]  Normal  40%(7125)  Auto  Front-to-Back'), each
    followed by its fans' speeds alone ('  1   6800'); the module's Status is what is graded."""
    out, slot = [], ""
    for ln in _table(text, "Slot FanID Status", "display device fan"):
        if re.match(r"^\s+\d+\s+\d+\s*$", ln):  # one fan's speed under its module
            continue
        m = re.match(r"^\s{0,3}(\d+)?\s+(FAN\S*)\s+(\S+)\s+([A-Za-z]+)\s+(.*)$", ln)
        if m is None:
            raise refuse(PLATFORM, "display device fan: unreadable row", ln)
        slot = m.group(1) or slot
        state = m.group(4)
        out.append(Part(f"{slot}/{m.group(2)}", state.lower() == "normal", f"{state} {m.group(5).split()[0]}"))
    return nonempty(out, PLATFORM, "no fan listed", text)


def power_supplies(text: str) -> list[Part]:
    """`display device power`: 'Slot PowerNo Present Mode State ...' rows ('1  PWR1  YES  AC  Supply ...'); a supply
    not present or not supplying ('NotSupply': no input power) is not ok."""
    out, slot = [], ""
    for ln in _table(text, "Slot PowerNo Present State", "display device power"):
        if ln.strip().startswith("("):  # '(Ampere) (Volt) ...' units
            continue
        m = re.match(r"^\s{0,3}(\d+)?\s+(PWR\S*)\s+(\S+)\s+(\S+)\s+(\S+)", ln)
        if m is None:
            raise refuse(PLATFORM, "display device power: unreadable row", ln)
        slot = m.group(1) or slot
        present, state = m.group(3).upper(), m.group(5)
        out.append(Part(f"{slot}/{m.group(2)}", present == "YES" and state.lower() == "supply", f"{present} {state}"))
    return nonempty(out, PLATFORM, "no power supply listed", text)


class HuaweiCe(HuaweiVrpV8):
    """VRP8's session (netmiko type, prompt, probe, error markers, VTY limit); the CE's own environment getters."""

    platform = PLATFORM
    getters: ClassVar[dict[str, Getter]] = {
        "facts": Getter("display version", huawei_vrp.facts),
        "cpu": Getter("display cpu", huawei_vrp.cpu),
        "memory": Getter("display memory", huawei_vrp.memory),
        "fans": Getter("display device fan", fans),
        "power_supplies": Getter("display device power", power_supplies),
        "temperatures": Getter("display device temperature all", temperatures),
        "boards": Getter("display device", huawei_vrp.boards),
        "interface_errors": Getter("display interface brief", huawei_vrp.interface_errors),
        "running_config": Getter("display current-configuration", huawei_vrp.config),
        "startup_config": Getter("display saved-configuration", huawei_vrp.config),
    }
