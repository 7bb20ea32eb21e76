"""A month of twice-daily inspections of the whole estate, reported: seconds and peak memory of `invoke report`.

Runs one real daily inspection of the whole lab estate (starting the lab if it is not up), then
copies that run 60 times into a scratch reports directory as the 上午/下午 runs of every day of a
30-day month (new run ids and start times, the same results), and times, with peak memory:
  1. `invoke report --bureau gxj --period YYYY-MM` (one bureau's month),
  2. `invoke report --lot L --period YYYY-MM` for the lot with the most results,
  3. `invoke report.ledger` of that lot's month (its 运维台账),
  4. `invoke report.analysis` of its quarter and 5. `invoke report.yearly` of its year (the same 60 runs).

Run:  .venv/bin/python bench/report_bench.py [--keep DIR]
      (--keep: build the month in DIR and leave it there; a second run reuses it without the lab)
"""

from __future__ import annotations

import argparse
import collections
import datetime as dt
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cityops.inspect import record  # noqa: E402
from cityops.inventory import load_inventory  # noqa: E402
from cityops.lab import control, supervisor  # noqa: E402
from cityops.lab.statedir import LabDir  # noqa: E402
from cityops.timeutil import BEIJING  # noqa: E402

BIN = Path(sys.executable).parent


def timed(argv: list[str]) -> tuple[float, float, str]:
    with tempfile.NamedTemporaryFile("r", suffix=".time") as peak:
        t0 = time.monotonic()
        p = subprocess.run(["/usr/bin/time", "-o", peak.name, "-f", "%M", *argv], cwd=REPO, capture_output=True, text=True)
        wall = time.monotonic() - t0
        kib = int((peak.read().strip().splitlines() or ["0"])[-1])
    if p.returncode:
        raise SystemExit(p.stdout + p.stderr)
    return wall, kib / 1024, p.stdout.splitlines()[0] if p.stdout else ""


def make_month(reports: Path) -> tuple[str, str, int, int]:
    """One real daily run of the whole estate, copied as the 60 runs of a month; (period, biggest lot, runs, results)."""
    if (reports / "month.json").exists():
        return tuple(json.loads((reports / "month.json").read_text()))
    lab = LabDir(REPO / ".cityops" / "lab")
    inv = load_inventory(REPO / "inventory")
    started = not supervisor.running(lab)
    if started:
        control.up(lab, list(inv.hosts.values()), "0", universe=list(inv.hosts.values()))
    try:
        subprocess.run([str(BIN / "invoke"), "inspect", "--cadence", "daily", "--reports", str(reports)],
                       cwd=REPO, capture_output=True, check=False)
    finally:
        if started:
            control.down(lab)
    source = next(p for p in (reports / "runs").iterdir() if p.is_dir())
    results = (source / "results.jsonl").read_text(encoding="utf-8").splitlines()
    manifest = json.loads((source / "manifest.json").read_text(encoding="utf-8"))
    month = (dt.date.today().replace(day=1) - dt.timedelta(days=1)).replace(day=1)
    copies = 0
    for day in range(30):
        for slot, hour in (("上午", 9), ("下午", 15)):
            start = dt.datetime.combine(month + dt.timedelta(days=day), dt.time(hour), BEIJING)
            run_id = f"{start:%Y%m%dT%H%M%S}-daily-{copies:04x}"
            target = reports / "runs" / run_id
            target.mkdir()
            lines = [line.replace(manifest["run_id"], run_id) for line in results]
            (target / "results.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
            record.seal(target, {**manifest, "run_id": run_id, "started": start.isoformat(),  # as the tool seals a run
                                 "period_slot": f"{start:%Y-%m-%d} {slot}",
                                 "ended": (start + dt.timedelta(seconds=15)).isoformat()})
            copies += 1
    shutil.rmtree(source)
    per_lot = collections.Counter(lot for line in results for lot in json.loads(line)["lots"])
    made = (f"{month:%Y-%m}", per_lot.most_common(1)[0][0], copies, len(results))
    (reports / "month.json").write_text(json.dumps(made))
    return made


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--keep", type=Path, help="build the month here and keep it (reused when already there)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmpdir:
        reports = args.keep or Path(tmpdir) / "reports"
        reports.mkdir(parents=True, exist_ok=True)
        period, lot, copies, per_run = make_month(reports)
        print(f"a month of twice-daily whole-estate runs: {copies} runs x {per_run} results = {copies * per_run} results")
        year = period[:4]
        quarter = f"{year}-Q{(int(period[5:]) - 1) // 3 + 1}"
        for label, argv in ((f"report, bureau gxj, {period}", ["report", "--bureau", "gxj", "--period", period]),
                            (f"report, lot {lot}, {period}", ["report", "--lot", lot, "--period", period]),
                            (f"report.ledger, lot {lot}, {period}", ["report.ledger", "--lot", lot, "--period", period]),
                            (f"report.analysis, lot {lot}, {quarter}",
                             ["report.analysis", "--lot", lot, "--period", quarter]),
                            (f"report.yearly, lot {lot}, {year}", ["report.yearly", "--lot", lot, "--period", year])):
            wall, mib, line = timed([str(BIN / "invoke"), *argv[:1], "--reports", str(reports), *argv[1:]])
            print(f"invoke {label}: {wall:.1f} s, peak {mib:.0f} MiB — {line[:110]}")


if __name__ == "__main__":
    main()
