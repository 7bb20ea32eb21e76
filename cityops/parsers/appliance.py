"""Security appliances: one health record for the CLI appliances (read by their drivers, cityops/drivers) and
the JSON of web-managed consoles (read here)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from . import ParseError


@dataclass
class Health:
    cpu: float
    memory: float
    disks: dict[str, float]
    fans: list[tuple[str, bool]] = field(default_factory=list)
    psus: list[tuple[str, bool]] = field(default_factory=list)
    temperature: float | None = None


def web_status(doc: dict) -> Health:
    try:
        return Health(cpu=float(doc["cpu_percent"]), memory=float(doc["memory_percent"]),
                      disks={d["name"]: float(d["used_percent"]) for d in doc.get("disks", [])},
                      fans=[(f"fan{f['id']}", f["status"] == "normal") for f in doc.get("fans", [])],
                      psus=[(f"power{p['id']}", p["status"] == "normal") for p in doc.get("power_supplies", [])],
                      temperature=float(doc["temperature_celsius"]) if doc.get("temperature_celsius") is not None
                      else None)
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"system status JSON: {type(exc).__name__} {exc}") from None


def web_signatures(doc: dict) -> list[tuple[str, str, dt.date]]:
    try:
        return [(x["name"], x["version"], dt.datetime.fromisoformat(x["updated"]).date()) for x in doc["libraries"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"signatures JSON: {type(exc).__name__} {exc}") from None
