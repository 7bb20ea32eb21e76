"""Beijing time everywhere: the contract, its reports and its clocks run on +08:00."""

from __future__ import annotations

import datetime as dt

BEIJING = dt.timezone(dt.timedelta(hours=8), name="Asia/Shanghai")


def now() -> dt.datetime:
    """The current time in Beijing (China has no daylight saving, so a fixed offset is exact)."""
    return dt.datetime.now(tz=BEIJING)


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
