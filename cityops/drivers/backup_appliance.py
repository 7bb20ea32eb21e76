"""Backup appliances (爱数, 浪潮 DP) through their JSON management API: disks, pools, alarms and job history.

The API is the one cityops models for web-managed appliances (platforms.MODELLED_WEB): vendors' real APIs
differ and are not public, so results carry `modelled: true`.
"""

from __future__ import annotations

from typing import ClassVar

from ..parsers import ParseError
from .base import FactSet, Getter, export_reader
from .models import Part

PLATFORM = "backup_appliance"


def listed(doc, key: str, path: str) -> list[dict]:
    """The list under `key` of an API answer, or the refusal naming the path."""
    items = doc.get(key) if isinstance(doc, dict) else None
    if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
        raise ParseError(f"{PLATFORM}: {path} JSON without a '{key}' list")
    return items


def _fields(path: str, build):
    try:
        return build()
    except (KeyError, TypeError, ValueError) as exc:
        raise ParseError(f"{PLATFORM}: {path} JSON: {type(exc).__name__} {exc}") from None


def disks(doc) -> list[Part]:
    items = listed(doc, "disks", "/api/v1/storage/disks")
    return _fields("/api/v1/storage/disks",
                   lambda: [Part(f"槽位 {d['slot']}", d["status"] == "normal", d["status"]) for d in items])


def pools(doc) -> dict[str, float]:
    items = listed(doc, "pools", "/api/v1/storage/pools")
    return _fields("/api/v1/storage/pools", lambda: {p["name"]: float(p["used_percent"]) for p in items})


def health(doc) -> list[Part]:
    """Active alarms; none is one healthy item ('告警: 无')."""
    items = listed(doc, "alarms", "/api/v1/alarms")
    return [Part("告警", False, f"{a.get('level')} {a.get('message')}") for a in items] or [Part("告警", True, "无")]


def jobs(doc) -> list[dict]:
    items = listed(doc, "jobs", "/api/v1/backup/jobs")
    if not items:
        raise ParseError(f"{PLATFORM}: backup jobs JSON: no jobs listed")
    return items


class BackupAppliance(FactSet):
    platform = PLATFORM
    kind = "storage"
    getters: ClassVar[dict[str, Getter]] = {
        "disks": Getter("/api/v1/storage/disks", disks, via="api"),
        "pools": Getter("/api/v1/storage/pools", pools, via="api"),
        "health": Getter("/api/v1/alarms", health, via="api"),
        "jobs": Getter("/api/v1/backup/jobs", jobs, via="api"),
        "running_config": Getter("/api/v1/config/export", export_reader(PLATFORM, r"^# end of configuration$"),
                                 via="api"),
    }
