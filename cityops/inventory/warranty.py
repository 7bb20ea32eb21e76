"""维保到期提醒: which devices' warranty (maintenance) ends within a window, by date."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from .. import timeutil
from .model import Host

UNITS = {"d": 1, "w": 7, "m": 30, "y": 365}


def parse_window(text: str) -> int:
    """'90d', '12w', '6m', '1y' or a bare number of days."""
    m = re.fullmatch(r"\s*(\d+)\s*([dwmy]?)\s*", str(text).lower())
    if not m:
        raise ValueError(f"'{text}' is not a window like 90d, 12w, 6m or 1y")
    return int(m.group(1)) * UNITS[m.group(2) or "d"]


@dataclass(frozen=True)
class WarrantyDue:
    host: Host
    end: dt.date
    days_left: int

    @property
    def status(self) -> str:
        if self.days_left < 0:
            return "已过保"
        if self.days_left <= 30:
            return "30天内到期"
        return "即将到期"


def warranty_due(hosts: list[Host], within_days: int, today: dt.date | None = None,
                 include_expired: bool = False) -> list[WarrantyDue]:
    """Devices whose warranty ends within `within_days` of today (and, if asked, those already ended)."""
    today = today or timeutil.today()
    out = []
    for h in hosts:
        raw = h.get("warranty_end")
        try:
            end = timeutil.parse_date(str(raw))
        except ValueError:
            continue  # inventory.check reports bad dates; a reminder list is not the place
        left = (end - today).days
        if left <= within_days and (include_expired or left >= 0):
            out.append(WarrantyDue(h, end, left))
    return sorted(out, key=lambda d: (d.end, d.host.name))
