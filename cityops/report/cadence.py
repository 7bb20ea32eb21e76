"""Were the inspections the tender requires actually done? Each cadence's slots in a period, and the runs that filled them.

A lot's cadences are those its hosts declare (`cadences: [twice_daily, weekly]`). Each
cadence cuts the period into slots — 上午/下午 of every day, every day, every ISO week
(a week belongs to the period its Monday is in), every month, quarter, half-year or year —
up to now: a slot still in the future is not yet owed. A slot is filled by a run that
started in it, covered the lot, and was of that cadence or ran every check the cadence
needs on those hosts; its coverage is how many of the lot's hosts the run inspected. "未巡查扣 3 分" is scored on exactly this.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

from ..inventory.model import Inventory
from ..inventory.schema import CADENCES, split_list
from ..timeutil import BEIJING, now
from .runs import Period, Run, scan_runs


@dataclass
class Slot:
    label: str
    start: dt.datetime
    end: dt.datetime
    runs: list[str] = field(default_factory=list)
    hosts: int = 0  # hosts of the lot its runs inspected, together
    covered: set[str] = field(default_factory=set)

    @property
    def done(self) -> bool:
        return bool(self.runs)


@dataclass
class CadenceCompliance:
    cadence: str
    required_hosts: int
    slots: list[Slot]
    checks: set[str] = field(default_factory=set)  # what the cadence's inspection of these hosts runs

    def filled_by(self, manifest: dict) -> bool:
        """A run of this cadence, or one that ran every check this cadence needs (a daily run with all the checks
        a monthly inspection of the lot's terminals would run is that month's inspection too)."""
        if manifest.get("cadence") == self.cadence:
            return True
        return bool(self.checks) and self.checks <= set(manifest.get("checks") or [])

    @property
    def name(self) -> str:
        return CADENCES.get(self.cadence, self.cadence)

    @property
    def due(self) -> int:
        return len(self.slots)

    @property
    def done(self) -> int:
        return sum(s.done for s in self.slots)

    @property
    def missed(self) -> list[Slot]:
        return [s for s in self.slots if not s.done]

    @property
    def partial(self) -> list[Slot]:
        return [s for s in self.slots if s.done and s.hosts < self.required_hosts]

    @property
    def rate(self) -> float:
        return 100.0 * self.done / self.due if self.due else 100.0


def spans(slots: list[Slot]) -> list[tuple[Slot, Slot, int]]:
    """Consecutive slots as runs (first, last, how many): 29 missed days read as two lines, not 29."""
    out: list[tuple[Slot, Slot, int]] = []
    for s in slots:
        if out and out[-1][1].end == s.start:
            first, _last, n = out[-1]
            out[-1] = (first, s, n + 1)
        else:
            out.append((s, s, 1))
    return out


def _at(day: dt.date, hour: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), BEIJING)


def slots(cadence: str, period: Period, until: dt.datetime | None = None) -> list[Slot]:
    """The cadence's slots that started inside the period and before `until` (default now)."""
    until = until or now()
    out: list[Slot] = []
    day = period.start
    if cadence in ("twice_daily", "daily"):
        while day < period.end:
            if cadence == "twice_daily":
                out.append(Slot(f"{day:%Y-%m-%d} 上午", _at(day), _at(day, 12)))
                out.append(Slot(f"{day:%Y-%m-%d} 下午", _at(day, 12), _at(day + dt.timedelta(days=1))))
            else:
                out.append(Slot(f"{day:%Y-%m-%d}", _at(day), _at(day + dt.timedelta(days=1))))
            day += dt.timedelta(days=1)
    elif cadence == "weekly":
        day += dt.timedelta(days=(7 - day.weekday()) % 7)  # the first Monday in the period
        while day < period.end:
            year, week, _ = day.isocalendar()
            out.append(Slot(f"{year}年第{week}周（{day:%m-%d}起）", _at(day), _at(day + dt.timedelta(days=7))))
            day += dt.timedelta(days=7)
    else:
        months = {"monthly": 1, "quarterly": 3, "half_yearly": 6, "yearly": 12}.get(cadence)
        if months is None:
            raise ValueError(f"unknown cadence {cadence!r}")
        first = period.start.replace(day=1)
        index = (first.year * 12 + first.month - 1) // months * months  # align to the cadence's own calendar
        while True:
            start = dt.date(index // 12, index % 12 + 1, 1)
            nxt = index + months
            end = dt.date(nxt // 12, nxt % 12 + 1, 1)
            if start >= period.end:
                break
            if end > period.start:
                label = {"monthly": f"{start.year}年{start.month}月",
                         "quarterly": f"{start.year}年第{(start.month - 1) // 3 + 1}季度",
                         "half_yearly": f"{start.year}年{'上' if start.month <= 6 else '下'}半年",
                         "yearly": f"{start.year}年"}[cadence]
                out.append(Slot(label, _at(max(start, period.start)), _at(min(end, period.end))))
            index = nxt
    return [s for s in out if s.start <= until]


def compliance(runs_dir: Path, inv: Inventory, lot: str, period: Period, hosts_of_run: dict[str, set[str]],
               until: dt.datetime | None = None) -> list[CadenceCompliance]:
    """For each cadence the lot's hosts declare: its slots in the period, filled or missed.

    Runs are looked up by their manifests over the slots' whole span (a week that starts
    on the 30th is filled by a run on the 2nd of the next month); `hosts_of_run` gives the
    inspected hosts of runs already read, and any other run is read here. A slot's coverage is
    the lot's hosts that any of its runs inspected: a lot spanning several network zones is
    inspected by each zone's runner in the same slot, and those runs together fill it."""
    from ..inspect.catalogue import applicable

    lot_hosts = [h for h in inv.hosts.values() if lot in h.lots]
    lot_names = {h.name for h in lot_hosts}
    plans = []
    for cadence in CADENCES:
        required = [h for h in lot_hosts if cadence in split_list(h.get("cadences"))]
        if required:
            needed = {c.id for checks in applicable(required, cadence).values() for c in checks}
            plans.append(CadenceCompliance(cadence, len(required), slots(cadence, period, until), needed))
    every = [s for p in plans for s in p.slots]
    if not every:
        return plans
    first, last = min(s.start for s in every), max(s.end for s in every)
    for run in manifests(runs_dir, first, last, lot):
        if not run.usable:
            continue
        for plan in plans:
            if not plan.filled_by(run.manifest):
                continue
            slot = next((s for s in plan.slots if s.start <= run.started < s.end), None)
            if slot is None:
                continue
            if run.run_id not in hosts_of_run:
                hosts_of_run[run.run_id] = {r["host"] for r in run.stream()}
            slot.runs.append(run.run_id)
            slot.covered |= hosts_of_run[run.run_id] & lot_names
            slot.hosts = len(slot.covered)
    return plans


def manifests(runs_dir: Path, first: dt.datetime, last: dt.datetime, lot: str) -> list[Run]:
    """Runs of the lot that started in [first, last), by their manifests alone (results are not read);
    a run whose records fail verification fills no slot."""
    out = []
    for run in scan_runs(runs_dir, first, last):
        if lot in run.manifest.get("lots", []):
            run.lot = lot
            out.append(run)
    return out
