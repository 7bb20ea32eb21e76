"""Web-managed security appliances (IPS, WAF, bastions, log auditors, scanners) through their JSON management API:
system status, signature libraries and alarms.

The API is the one cityops models for them (platforms.MODELLED_WEB): each vendor's real API differs and none is
public, so results carry `modelled: true`.
"""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

from ..parsers import ParseError
from .backup_appliance import listed
from .base import FactSet, Getter, export_reader
from .models import Health

PLATFORM = "appliance_web"


def health(doc) -> Health:
    """`/api/v1/system`: cpu_percent, memory_percent, disks, fans, power_supplies, temperature_celsius."""
    try:
        return Health(cpu=float(doc["cpu_percent"]), memory=float(doc["memory_percent"]),
                      disks={d["name"]: float(d["used_percent"]) for d in doc.get("disks", [])},
                      fans=[(f"fan{f['id']}", f["status"] == "normal") for f in doc.get("fans", [])],
                      psus=[(f"power{p['id']}", p["status"] == "normal") for p in doc.get("power_supplies", [])],
                      temperature=float(doc["temperature_celsius"]) if doc.get("temperature_celsius") is not None
                      else None)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise ParseError(f"system status JSON: {type(exc).__name__} {exc}") from None


def signatures(doc) -> list[tuple[str, str, dt.date]]:
    """`/api/v1/signatures`: [(library, version, updated)]; an empty list is a device without libraries."""
    try:
        return [(x["name"], x["version"], dt.datetime.fromisoformat(x["updated"]).date()) for x in doc["libraries"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"signatures JSON: {type(exc).__name__} {exc}") from None


def alarms(doc) -> list[str]:
    return [f"{a.get('time', '')} {a.get('level', '')} {a.get('message', '')}"
            for a in listed(doc, "alarms", "/api/v1/alarms")]


class ApplianceWeb(FactSet):
    platform = PLATFORM
    kind = "appliance"
    getters: ClassVar[dict[str, Getter]] = {
        "health": Getter("/api/v1/system", health, via="api"),
        "signatures": Getter("/api/v1/signatures", signatures, via="api"),
        "alarms": Getter("/api/v1/alarms", alarms, via="api"),
        "running_config": Getter("/api/v1/config/export", export_reader(PLATFORM, r"^# end of configuration$"),
                                 via="api"),
    }
