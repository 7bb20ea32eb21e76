"""Topsec TOS firewalls (NGFW4000 family) over SSH: status, signature libraries and alarms.

No netmiko or napalm driver exists for Topsec: netmiko's generic driver with the device's GBK encoding.
The health pages are modelled on published collection scripts; no real output of them is public, so
results carry `modelled: true` (platforms.MODELLED_CLI) and tests/captures says what was searched.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import ClassVar

from .base import Driver, Getter, config_reader, nonempty, refuse
from .models import Health, Part

PLATFORM = "topsec_tos"


def _percent(text: str, label: str) -> float:
    m = re.search(rf"{label}\s*[:：]\s*(\d+(?:\.\d+)?)\s*%", text)
    if not m:
        raise refuse(PLATFORM, f"no '{label}' in the status page", text)
    return float(m.group(1))


def _parts(text: str, label: str) -> list[Part]:
    m = re.search(rf"^{label}\s*[:：]\s*(.+)$", text, re.M)
    if not m:
        return []
    out = []
    for item in m.group(1).split():
        name, _, state = item.partition(":")
        out.append(Part(name, state.lower() in ("normal", "ok", "正常"), state))
    return out


def health(text: str) -> Health:
    """A 'CPU使用率: 12%' style status page: CPU, memory, disk, fans, power supplies, temperature."""
    temp = re.search(r"设备温度\s*[:：]\s*(\d+)", text)
    return Health(cpu=_percent(text, "CPU使用率"), memory=_percent(text, "内存使用率"),
                  disks={"disk": _percent(text, "磁盘使用率")},
                  fans=[(p.name, p.ok) for p in _parts(text, "风扇")],
                  psus=[(p.name, p.ok) for p in _parts(text, "电源")],
                  temperature=float(temp.group(1)) if temp else None)


def signatures(text: str) -> list[tuple[str, str, dt.date]]:
    """[(library, version, updated)] from a '<X> 特征库版本: v / 更新时间: YYYY-MM-DD' page."""
    out = []
    for m in re.finditer(r"^(.+?)特征库版本\s*[:：]\s*(\S+)\s*\n\s*更新时间\s*[:：]\s*(\d{4}-\d{2}-\d{2})", text, re.M):
        out.append((m.group(1).strip() + "特征库", m.group(2), dt.date.fromisoformat(m.group(3))))
    return nonempty(out, PLATFORM, "no signature library version and update date", text)


def alarms(text: str) -> list[str]:
    """'无告警', or one 'YYYY-MM-DD HH:MM:SS LEVEL text' line per alarm and nothing else."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if lines == ["无告警"] or not lines:
        return []
    rows = [ln for ln in lines if re.match(r"^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2} \S+ ", ln)]
    if len(rows) != len(lines):
        raise refuse(PLATFORM, "unreadable alarm line", next(x for x in lines if x not in rows))
    return rows


class TopsecTos(Driver):
    platform = PLATFORM
    kind = "appliance"
    netmiko = "generic"
    encoding = "gbk"
    sync = ("system version show", r"TopsecOS version")
    error_markers = ("error -",)
    # online update of both libraries from the vendor's update server (modelled, like the rest of this driver)
    signature_update = (("ips signature update online", "升级成功"), ("av signature update online", "升级成功"))
    getters: ClassVar[dict[str, Getter]] = {
        "health": Getter("system status show", health),
        "signatures": Getter("ips signature show", signatures),
        "av_signatures": Getter("av signature show", signatures),
        "alarms": Getter("system alarm show", alarms),
        # the listing TOS prints ends with '#end' (modelled, like the rest of this driver)
        "running_config": Getter("show-running", config_reader(PLATFORM, r"^#end$")),
    }
