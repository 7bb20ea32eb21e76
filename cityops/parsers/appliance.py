"""Security appliances: the Topsec TOS and Sangfor CLIs, and the JSON of web-managed consoles, as one health record.

Topsec and Sangfor print `CPU使用率: 12%` style status pages (Topsec in GBK, which
the session decodes), `X 特征库版本 / 更新时间` signature pages and an alarm list
(`无告警` when empty). Web consoles answer the fields as JSON. Both become Health.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

from . import ParseError

COMMANDS = {
    "topsec_tos": {"status": "system status show", "signatures": ("ips signature show", "av signature show"),
                   "alarms": "system alarm show"},
    "sangfor_vpn": {"status": "show system status", "signatures": ("show signature",), "alarms": "show alarm"},
}


@dataclass
class Health:
    cpu: float
    memory: float
    disks: dict[str, float]
    fans: list[tuple[str, bool]] = field(default_factory=list)
    psus: list[tuple[str, bool]] = field(default_factory=list)
    temperature: float | None = None


def _percent(text: str, label: str) -> float:
    m = re.search(rf"{label}\s*[:：]\s*(\d+(?:\.\d+)?)\s*%", text)
    if not m:
        raise ParseError(f"no '{label}' in the status page")
    return float(m.group(1))


def _parts(text: str, label: str) -> list[tuple[str, bool]]:
    m = re.search(rf"^{label}\s*[:：]\s*(.+)$", text, re.M)
    if not m:
        return []
    out = []
    for item in m.group(1).split():
        name, _, state = item.partition(":")
        out.append((name, state.lower() in ("normal", "ok", "正常")))
    return out


def cli_status(text: str) -> Health:
    temp = re.search(r"设备温度\s*[:：]\s*(\d+)", text)
    return Health(cpu=_percent(text, "CPU使用率"), memory=_percent(text, "内存使用率"),
                  disks={"disk": _percent(text, "磁盘使用率")}, fans=_parts(text, "风扇"), psus=_parts(text, "电源"),
                  temperature=float(temp.group(1)) if temp else None)


def cli_signatures(text: str) -> list[tuple[str, str, dt.date]]:
    """[(library, version, updated)] from a '<X> 特征库版本: v / 更新时间: YYYY-MM-DD' page."""
    out = []
    for m in re.finditer(r"^(.+?)特征库版本\s*[:：]\s*(\S+)\s*\n\s*更新时间\s*[:：]\s*(\d{4}-\d{2}-\d{2})", text, re.M):
        out.append((m.group(1).strip() + "特征库", m.group(2), dt.date.fromisoformat(m.group(3))))
    if not out:
        raise ParseError("no signature library version and update date")
    return out


def cli_alarms(text: str) -> list[str]:
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if lines == ["无告警"] or not lines:
        return []
    rows = [ln for ln in lines if re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \S+ ", ln)]
    if len(rows) != len(lines):
        raise ParseError(f"unreadable alarm line '{next(x for x in lines if x not in rows)[:60]}'")
    return rows


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
