"""HDS AMS through the SNM2 CLI on its management station: drives, DP pools and the array's status."""

from __future__ import annotations

import re
from typing import ClassVar

from .base import FactSet, Getter, Section, labelled_state, nonempty, sections_getter, sections_reader
from .models import Part

PLATFORM = "hds_ams"


def disks(text: str) -> list[Part]:
    """`audrive -status`: 'Unit HDU Type Status' rows."""
    out = [Part(f"HDU {m.group(1)}", m.group(2) == "Normal", m.group(2))
           for m in re.finditer(r"^\s*\d+\s+(\d+)\s+\S+\s+(\S+)\s*$", text, re.M)]
    return nonempty(out, PLATFORM, "audrive: no drive rows", text)


def pools(text: str) -> dict[str, float]:
    """`audppool -refer`: a row per DP pool, total and used GB, then the usage rate."""
    out = {f"DP Pool {m.group(1)}": float(m.group(2))
           for m in re.finditer(r"^\s*(\d+)\s+\S+.*?GB\s+.*?GB\s+(\d+)\s+", text, re.M)}
    return nonempty(out, PLATFORM, "audppool: no pool rows", text)


def health(text: str) -> list[Part]:
    """`auunitinfo`: 'Array Status : Normal'."""
    return labelled_state(PLATFORM, text, "Array Status", "阵列状态", "auunitinfo")


# The configuration on file: the logical units (`auluref`: capacity, RAID group, DP pool, RAID level) and the host
# group mapping (`auhgmap -refer`: port, host group, H-LUN, LUN), from the SNM2 CLI reference. A LU's status
# column moves without a change of configuration: dropped.
CONFIG_SECTIONS = (
    Section("auluref -unit AMS", r"LU\s{2,}Capacity", state_columns=("Status", "Number of Paths")),
    Section("auhgmap -unit AMS -refer", r"Mapping [Mm]ode"),
)


class HdsAms(FactSet):
    platform = PLATFORM
    kind = "storage"
    getters: ClassVar[dict[str, Getter]] = {
        "disks": Getter("audrive -unit AMS -status", disks),
        "pools": Getter("audppool -unit AMS -refer", pools),
        "health": Getter("auunitinfo -unit AMS", health),
        "running_config": sections_getter(tuple(s.command for s in CONFIG_SECTIONS),
                                          sections_reader(PLATFORM, CONFIG_SECTIONS)),
    }
