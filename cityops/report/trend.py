"""What a series of inspected values says about the future: a least-squares line and the day it crosses a threshold.

"查看对数据库会产生危害的增长速度" (lot 24's monthly database check) and every quarterly
analysis ask the same question of disk, tablespace, memory and CPU figures: is it
growing, how fast, and when will it reach the warning threshold at this rate. A
series needs at least three points over at least a day before a rate is claimed.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

MIN_POINTS = 3
MIN_SPAN_DAYS = 1.0


@dataclass
class Trend:
    points: int
    first: float
    last: float
    low: float
    high: float
    mean: float
    per_30_days: float | None  # slope; None when the series is too short to say
    last_at: dt.datetime

    def crossing(self, threshold: Threshold | None) -> dt.datetime | None:
        """When the fitted line reaches the warning level, if it is heading there (None if not, or already past)."""
        if threshold is None or not self.per_30_days:
            return None
        gap = threshold.level - self.last
        if threshold.above:  # worse when higher: a filling disk
            if self.per_30_days <= 0 or gap <= 0:
                return None
        elif self.per_30_days >= 0 or gap >= 0:  # worse when lower: free space, remaining life
            return None
        days = gap / (self.per_30_days / 30.0)
        return self.last_at + dt.timedelta(days=days) if days <= 3650 else None


def fit(points: list[tuple[dt.datetime, float]]) -> Trend:
    points = sorted(points)
    values = [v for _, v in points]
    t0 = points[0][0]
    xs = [(t - t0).total_seconds() / 86400 for t, _ in points]
    slope = None
    if len(points) >= MIN_POINTS and xs[-1] - xs[0] >= MIN_SPAN_DAYS:
        mx, my = sum(xs) / len(xs), sum(values) / len(values)
        sxx = sum((x - mx) ** 2 for x in xs)
        if sxx > 0:
            slope = 30.0 * sum((x - mx) * (y - my) for x, y in zip(xs, values, strict=True)) / sxx
    return Trend(len(points), values[0], values[-1], min(values), max(values), sum(values) / len(values), slope,
                 points[-1][0])


@dataclass
class Threshold:
    level: float
    above: bool  # True: a value at or above the level warns; False: at or below
    text: str

    @property
    def shown(self) -> str:
        return f"{'≥' if self.above else '≤'}{self.level:g}"


def warn_threshold(text: str) -> Threshold | None:
    """The warning level out of a result's threshold text ('告警 ≥70%，严重 ≥90%' -> ≥70; '告警 ≤15%' -> ≤15)."""
    m = re.search(r"告警\s*([≥≤])\s*([\d.]+)", text or "")
    return Threshold(float(m.group(2)), m.group(1) == "≥", text) if m else None
