"""EMC VNX through naviseccli on its management station: disk states, storage pools and the array's faults."""

from __future__ import annotations

import re
from typing import ClassVar

from .base import FactSet, Getter, Section, nonempty, refuse, sections_getter, sections_reader
from .models import Part

PLATFORM = "emc_vnx"
HEALTHY_DISK = ("Enabled", "Unbound", "Hot Spare Ready")


def disks(text: str) -> list[Part]:
    """`getdisk -state`: 'Bus 0 Enclosure 0  Disk 3' then 'State:  Enabled' per disk."""
    out = [Part(m.group(1), m.group(2) in HEALTHY_DISK, m.group(2))
           for m in re.finditer(r"^(Bus \d+ Enclosure \d+\s+Disk \d+)\s*\nState:\s+(.+?)\s*$", text, re.M)]
    return nonempty(out, PLATFORM, "getdisk -state: no disk entries", text)


def pools(text: str) -> dict[str, float]:
    """`storagepool -list`: a block per pool, 'Pool Name:' and 'Percent Full:' in each."""
    names = re.findall(r"^Pool Name:\s+(.+?)\s*$", text, re.M)
    full = re.findall(r"^Percent Full:\s+([\d.]+)", text, re.M)
    if not names or len(names) != len(full):
        raise refuse(PLATFORM, "storagepool -list: no pool with 'Percent Full'", text)
    return {n: float(p) for n, p in zip(names, full, strict=True)}


def health(text: str) -> list[Part]:
    """`faults -list`: 'The array is operating normally.' or the faulted subsystems."""
    if "The array is operating normally" in text:
        return [Part("阵列故障列表", True, "The array is operating normally.")]
    if not text.lstrip().startswith("Faulted Subsystem"):
        raise refuse(PLATFORM, "faults -list: neither 'operating normally' nor a 'Faulted Subsystem' list", text)
    faults = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("Faulted Subsystem")]
    return nonempty([Part("阵列故障", False, f) for f in faults], PLATFORM, "faults -list: a subsystem without faults",
                    text)


# The configuration on file: the storage groups (which host's HBAs see which LUNs, as HLU/ALU pairs) and the LUNs
# themselves, from Navisphere Secure CLI's `storagegroup -list` and `lun -list` (its reference's block layouts,
# 'Label:  value'). What moves without a change of configuration is dropped: the LUN's current owner (it trips to
# the peer SP), its state, consumed capacity and any operation under way.
CONFIG_SECTIONS = (
    Section("naviseccli -h {target} storagegroup -list", r"Storage Group Name:"),
    Section("naviseccli -h {target} lun -list", r"LOGICAL UNIT NUMBER \d+",
            noise=(r"^(Current Owner|Current State|State|Status|Is Faulted|Is Transitioning|Consumed Capacity[^:]*|"
                   r"Current Operation[^:]*)\s*:",)),
)


class EmcVnx(FactSet):
    platform = PLATFORM
    kind = "storage"
    getters: ClassVar[dict[str, Getter]] = {
        "disks": Getter("naviseccli -h {target} getdisk -state", disks),
        "pools": Getter("naviseccli -h {target} storagepool -list", pools),
        "health": Getter("naviseccli -h {target} faults -list", health),
        "running_config": sections_getter(tuple(s.command for s in CONFIG_SECTIONS),
                                          sections_reader(PLATFORM, CONFIG_SECTIONS)),
    }
