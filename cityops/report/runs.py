"""Which inspection runs a report covers: named by id, or every run of a lot / bureau in a period.

A period is a day (`2026-11-24`), a month (`2026-11`), a quarter (`2026-Q4`) or a
year (`2026`), in Beijing time, matched against each run's start. Runs are read
from `reports/runs/<run-id>/` (manifest.json + results.jsonl) and never changed.

A month of twice-daily whole-estate runs is 240,000 results and 300 MB of JSON, so
a run's results are streamed, never held: `Run.stream()` reads its file line by
line and keeps only the lot's or bureau's lines. A line that cannot be the scope's
(its lot or bureau string does not occur in it at all) is passed over before it is
parsed; every line that is parsed is then checked exactly.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path

from ..inspect.record import parse_result_line


class ReportError(Exception):
    """A report that cannot be made as asked (unknown run, empty period...), said in one line."""


@dataclass
class Period:
    label: str  # as the user wrote it
    start: dt.date
    end: dt.date  # exclusive
    kind: str  # day | month | quarter | year

    @property
    def chinese(self) -> str:
        if self.kind == "day":
            return f"{self.start.year}年{self.start.month}月{self.start.day}日"
        if self.kind == "month":
            return f"{self.start.year}年{self.start.month}月"
        if self.kind == "quarter":
            return f"{self.start.year}年第{(self.start.month - 1) // 3 + 1}季度"
        return f"{self.start.year}年度"

    def holds(self, day: dt.date) -> bool:
        return self.start <= day < self.end


def parse_period(text: str) -> Period:
    text = text.strip()
    if m := re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", text):
        d = dt.date(*map(int, m.groups()))
        return Period(text, d, d + dt.timedelta(days=1), "day")
    if m := re.fullmatch(r"(\d{4})-(\d{2})", text):
        y, mo = map(int, m.groups())
        if not 1 <= mo <= 12:
            raise ReportError(f"period '{text}': no month {mo}")
        return Period(text, dt.date(y, mo, 1), dt.date(y + mo // 12, mo % 12 + 1, 1), "month")
    if m := re.fullmatch(r"(\d{4})-[Qq]([1-4])", text):
        y, q = int(m.group(1)), int(m.group(2))
        start = dt.date(y, 3 * q - 2, 1)
        return Period(text, start, dt.date(y + (q == 4), 1 if q == 4 else 3 * q + 1, 1), "quarter")
    if re.fullmatch(r"\d{4}", text):
        return Period(text, dt.date(int(text), 1, 1), dt.date(int(text) + 1, 1, 1), "year")
    raise ReportError(f"period '{text}': write a day 2026-11-24, a month 2026-11, a quarter 2026-Q4 or a year 2026")


@dataclass
class Run:
    run_id: str
    path: Path
    manifest: dict
    lot: str | None = None  # when set, only this lot's results are the run's for this report
    bureau: str | None = None
    count: int = 0  # results of the scope, known after a first stream()

    @property
    def started(self) -> dt.datetime:
        return dt.datetime.fromisoformat(self.manifest["started"])

    def stream(self):
        """The run's results in the report's scope, one dict at a time (a torn last line of a killed run is skipped)."""
        needles = [n.encode() for n in (f'"{self.lot}"' if self.lot else "", f'"{self.bureau}"' if self.bureau else "")
                   if n]
        n = 0
        try:
            f = (self.path / "results.jsonl").open("rb")
        except FileNotFoundError:
            return
        with f:
            for line in f:
                if needles and not all(x in line for x in needles):
                    continue
                r = parse_result_line(line)
                if r is None or (self.lot and self.lot not in (r.get("lots") or [])) or (
                        self.bureau and r.get("bureau") != self.bureau):
                    continue
                n += 1
                yield r
        self.count = n

    def all_results(self) -> list[dict]:
        """All of them at once: for one run (a test, a single check), never in a loop over a period's runs."""
        return list(self.stream())


def load_run(runs_dir: Path, run_id: str) -> Run:
    path = runs_dir / run_id
    try:
        manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReportError(f"run {run_id}: no such run under {runs_dir}") from None
    except json.JSONDecodeError as exc:
        raise ReportError(f"run {run_id}: manifest.json is not JSON ({exc})") from None
    return Run(run_id, path, manifest)


def find_runs(runs_dir: Path, *, run_ids: list[str] | None = None, lot: str | None = None,
              bureau: str | None = None, period: Period | None = None) -> list[Run]:
    """The runs asked for, oldest first; with a lot or bureau, only their results are kept in each run."""
    if run_ids:
        runs = [load_run(runs_dir, r) for r in run_ids]
    else:
        if period is None:
            raise ReportError("name runs (--run) or a period (--period) with --lot or --bureau")
        runs = []
        for path in sorted(p for p in runs_dir.iterdir() if (p / "manifest.json").exists()) if runs_dir.exists() else []:
            try:
                manifest = json.loads((path / "manifest.json").read_text(encoding="utf-8"))
                started = dt.datetime.fromisoformat(manifest["started"])
            except (json.JSONDecodeError, KeyError, ValueError):
                continue  # a damaged run is not silently reported on; `invoke report --run` names it
            if not period.holds(started.date()):
                continue
            if lot and lot not in manifest.get("lots", []):
                continue
            if bureau and bureau not in manifest.get("bureaus", []):
                continue
            runs.append(Run(path.name, path, manifest))
    for run in runs:  # another bureau's hosts never reach this bureau's report
        run.lot, run.bureau = lot, bureau
    runs.sort(key=lambda r: r.started)
    if not runs:
        scope = " ".join(x for x in (f"lot {lot}" if lot else "", f"bureau {bureau}" if bureau else "") if x)
        raise ReportError(f"no inspection run of {scope or 'the estate'} in {period.label if period else 'that list'}")
    return runs
