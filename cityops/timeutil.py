"""Beijing time everywhere: the contract, its reports and its clocks run on +08:00."""

from __future__ import annotations

import datetime as dt
import json
import os

BEIJING = dt.timezone(dt.timedelta(hours=8), name="Asia/Shanghai")


CLOCK_ENV = "CITYOPS_CLOCK"  # a clock file (lab.clock writes it): the time the lab and cityops agree it is
_clock_cache: dict = {}


def now() -> dt.datetime:
    """The current time in Beijing (China has no daylight saving, so a fixed offset is exact) — or, when
    $CITYOPS_CLOCK names a clock file, the lab's time: the instant it was set to plus the real time since, so a
    replayed month moves forward as its commands take time. A runner in the estate never has one."""
    real = dt.datetime.now(tz=BEIJING)
    path = os.environ.get(CLOCK_ENV)
    if not path:
        return real
    offset = _offset(path)
    return real + offset if offset is not None else real


def _offset(path: str) -> dt.timedelta | None:
    """The clock file's offset from real time (cached by its mtime); None if it is absent or unreadable."""
    try:
        stamp = os.stat(path).st_mtime_ns
    except OSError:
        return None
    cached = _clock_cache.get(path)
    if cached and cached[0] == stamp:
        return cached[1]
    try:
        with open(path, encoding="utf-8") as fh:
            data = json.loads(fh.read(4096))
        at = dt.datetime.fromisoformat(str(data["at"]))
        offset = at - dt.datetime.fromtimestamp(float(data["set"]), tz=BEIJING)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    _clock_cache[path] = (stamp, offset)
    return offset


def clock_text(at: dt.datetime) -> str:
    """A clock file's content: it is `at` at the real moment it is written."""
    import time

    return json.dumps({"at": at.astimezone(BEIJING).isoformat(), "set": time.time()})


def today() -> dt.date:
    return now().date()


def parse_date(text: str) -> dt.date:
    """Parse an ISO date (YYYY-MM-DD) strictly; raises ValueError with the reason."""
    if not isinstance(text, str) or len(text) != 10 or text[4] != "-" or text[7] != "-":
        raise ValueError(f"'{text}' is not a date in YYYY-MM-DD form")
    try:
        return dt.date.fromisoformat(text)
    except ValueError as exc:
        raise ValueError(f"'{text}' is not a real date ({exc})") from None
