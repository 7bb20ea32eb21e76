"""IBM DS4000 through SMcli on its management station: the subsystem's health status, which lists failed
drives as well (so it serves both the disk and the health check); SMcli reports no pool usage."""

from __future__ import annotations

import re
from typing import ClassVar

from .base import FactSet, Getter, refuse
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


class IbmDs(FactSet):
    platform = PLATFORM
    kind = "storage"
    getters: ClassVar[dict[str, Getter]] = {
        "disks": Getter('SMcli {target} -c "show storageSubsystem healthStatus;"', health),
        "health": Getter('SMcli {target} -c "show storageSubsystem healthStatus;"', health),
    }
