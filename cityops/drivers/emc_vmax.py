"""EMC VMAX through Solutions Enabler (symcli) on its management station: failed disks and thin pools."""

from __future__ import annotations

import re
from typing import ClassVar

from .base import FactSet, Getter, Section, nonempty, refuse, sections_getter, sections_reader
from .models import Part

PLATFORM = "emc_vmax"


def failed_disks(text: str) -> list[Part]:
    """`symdisk list -failed`: 'No Failed disks' or one row per failed disk (director, ..., ident)."""
    if "No Failed disks" in text:
        return [Part("故障硬盘", True, "无")]
    rows = [ln.split() for ln in text.splitlines() if "Failed" in ln]
    if not rows:
        raise refuse(PLATFORM, "symdisk list -failed: unreadable", text)
    return [Part(f"{r[0]}/{r[2]}", False, "Failed") for r in rows]


def pools(text: str) -> dict[str, float]:
    """`symcfg list -pool -thin`: a row per pool, its flags, capacities and the used percentage last."""
    out = {}
    for ln in text.splitlines():
        m = re.match(r"^(\S+)\s+[A-Z]{6}\s+.*?\s(\d+)\s*$", ln)
        if m:
            out[m.group(1)] = float(m.group(2))
    return nonempty(out, PLATFORM, "symcfg list -pool: no pool rows", text)


# The configuration on file: the masking views (`symaccess list view -detail`: each view's initiator, port and
# storage groups, with the devices and host LUN numbers they present), what a rebuild of the hosts' access needs.
# The views' 'Last update time' lines move without a change: dropped.
CONFIG_SECTIONS = (Section("symaccess list view -detail", r"Symmetrix ID\s*:", noise=(r"(?i)last update time",)),)


class EmcVmax(FactSet):
    platform = PLATFORM
    kind = "storage"
    getters: ClassVar[dict[str, Getter]] = {
        "disks": Getter("symdisk list -failed", failed_disks),
        "pools": Getter("symcfg list -pool -thin", pools),
        "health": Getter("symdisk list -failed", failed_disks),
        "running_config": sections_getter(tuple(s.command for s in CONFIG_SECTIONS),
                                          sections_reader(PLATFORM, CONFIG_SECTIONS)),
    }
