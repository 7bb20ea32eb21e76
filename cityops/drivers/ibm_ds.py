"""IBM DS4000 through SMcli on its management station: the subsystem's health status, which lists failed
drives as well (so it serves both the disk and the health check); SMcli reports no pool usage."""

from __future__ import annotations

import re
from typing import ClassVar

from .base import FactSet, Getter, Section, refuse, sections_getter, sections_reader
from .models import Part

PLATFORM = "ibm_ds"


def health(text: str) -> list[Part]:
    """`show storageSubsystem healthStatus;`: 'health status = optimal', or 'The following failures have been
    found:' and one failure per line."""
    if "health status = optimal" in text:
        return [Part("存储子系统健康状态", True, "optimal")]
    m = re.search(r"The following failures have been found:\n(.*?)(?:\nScript execution complete|\Z)", text, re.S)
    if not m:
        raise refuse(PLATFORM, "SMcli healthStatus: neither optimal nor a failure list", text)
    return [Part("故障", False, ln.strip()) for ln in m.group(1).splitlines() if ln.strip()]


# The configuration on file: the LUN mappings and the logical drives, each through SMcli's script engine, which
# frames every answer ('Performing syntax check...' first, 'SMcli completed successfully.' last: an answer
# without its frame was cut short or is SMcli's usage text). What moves without a change of configuration is
# dropped: a drive's status and current owner, the mapping table's status column.
SMCLI = (r"Performing syntax check", r"SMcli completed successfully\.")
CONFIG_SECTIONS = (
    Section('SMcli {target} -c "show storageSubsystem lunMappings;"', *SMCLI,
            state_columns=("Logical Drive status", "Controller")),
    Section('SMcli {target} -c "show allLogicalDrives;"', *SMCLI,
            noise=(r"^\s*(Logical Drive status|Status|Current owner)\s*:",)),
)


class IbmDs(FactSet):
    platform = PLATFORM
    kind = "storage"
    getters: ClassVar[dict[str, Getter]] = {
        "disks": Getter('SMcli {target} -c "show storageSubsystem healthStatus;"', health),
        "health": Getter('SMcli {target} -c "show storageSubsystem healthStatus;"', health),
        "running_config": sections_getter(tuple(s.command for s in CONFIG_SECTIONS),
                                          sections_reader(PLATFORM, CONFIG_SECTIONS)),
    }
