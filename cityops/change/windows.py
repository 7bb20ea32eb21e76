"""Change windows (变更窗口), per lot, as data: the lot's `change_window` in inventory/estate.yml.

A window is `daily HH:MM-HH:MM` or a weekday (`mon` … `sun`, or a range `sat-sun`) and times; an end
before its start runs past midnight (`sat 22:00-06:00` is Saturday 22:00 to Sunday 06:00). A lot may list
several. A host is inside its window when every lot it belongs to that declares windows has one open; a host
whose lots declare none has no window, and a change to it needs --force-window with a reason.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..errors import BadInput
from ..inventory.model import Host
from ..timeutil import BEIJING

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WINDOW = re.compile(r"^(?P<days>daily|(?:mon|tue|wed|thu|fri|sat|sun)(?:-(?:mon|tue|wed|thu|fri|sat|sun))?) "
                    r"(?P<start>[01]\d|2[0-3]):(?P<smin>[0-5]\d)-(?:(?P<end>[01]\d|2[0-3]):(?P<emin>[0-5]\d)|(?P<midnight>24:00))$")


@dataclass(frozen=True)
class Window:
    text: str
    days: frozenset[int]  # weekdays the window starts on (0 = Monday)
    start: int  # minutes after midnight
    end: int

    def open_at(self, t: dt.datetime) -> bool:
        t = t.astimezone(BEIJING)  # the lots' windows are Beijing time, whatever clock asked
        minute = t.hour * 60 + t.minute
        if self.start < self.end:
            return t.weekday() in self.days and self.start <= minute < self.end
        # past midnight: open late on a start day, or early on the day after one
        return (t.weekday() in self.days and minute >= self.start) or \
            ((t.weekday() - 1) % 7 in self.days and minute < self.end)


def parse(text: object, where: str) -> Window:
    m = WINDOW.match(str(text).strip().lower())
    if not m:
        raise BadInput(f"{where}: change_window {str(text)[:60]!r} is not 'daily HH:MM-HH:MM' or 'sat HH:MM-HH:MM' "
                       f"(a weekday or a range such as sat-sun)")
    days = m["days"]
    if days == "daily":
        chosen = frozenset(range(7))
    else:
        first, _, last = days.partition("-")
        a, b = DAYS.index(first), DAYS.index(last or first)
        chosen = frozenset((a + i) % 7 for i in range((b - a) % 7 + 1))
    start = int(m["start"]) * 60 + int(m["smin"])
    end = 24 * 60 if m["midnight"] else int(m["end"]) * 60 + int(m["emin"])
    if start == end:
        raise BadInput(f"{where}: change_window {text!r} opens and closes at the same minute")
    return Window(str(text), chosen, start, end)


def windows_of(host: Host) -> list[Window]:
    raw = host.get("change_window")
    if raw in (None, "", []):
        return []
    items = raw if isinstance(raw, list) else [raw]
    return [parse(w, f"host {host.name} (lot {', '.join(host.lots)})") for w in items]


def closed(hosts: list[Host], at: dt.datetime) -> dict[str, str]:
    """The hosts outside their window at `at`, each with why (Chinese, for the refusal and the record)."""
    out = {}
    for h in hosts:
        ws = windows_of(h)
        if not ws:
            out[h.name] = "所属标项未规定变更窗口"
        elif not any(w.open_at(at) for w in ws):
            out[h.name] = f"不在变更窗口内（{'；'.join(w.text for w in ws)}）"
    return out
