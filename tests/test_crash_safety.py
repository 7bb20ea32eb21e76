"""kill -9 at any moment: an inspection killed half way shows as incomplete and the month's report still builds and
lists it; a report killed half way leaves either the whole directory or nothing visible."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cityops.report.build import PARTIAL
from cityops.report.runs import find_runs, parse_period
from cityops.timeutil import now

from .conftest import BIN, REPO, wait_for

HOSTS = "lab-ios-rt,lab-vrp-core,lab-h3c-fl,lab-linux-app,lab-rac1"


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([str(BIN / "invoke"), *args], cwd=REPO, stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, start_new_session=True)


def kill9(proc: subprocess.Popen, after: float) -> None:
    time.sleep(after)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)


@pytest.mark.parametrize("after", [1.5, 4.0])
def test_an_inspection_killed_9_is_incomplete_and_the_month_still_reports_it(lab, lab_fault, tmp_path, after):
    _inv, state = lab
    reports = tmp_path / "r"
    done = subprocess.run([str(BIN / "invoke"), "inspect", "--inventory", str(lab[0].root), "--lab", str(state.path),
                           "--reports", str(reports), "--host", "lab-rac1"], cwd=REPO, capture_output=True, text=True)
    assert done.returncode in (0, 1), done.stderr
    lab_fault("lab-ios-rt", "slow", seconds="30")  # keeps the run going while it is killed
    proc = start("inspect", "--inventory", str(lab[0].root), "--lab", str(state.path), "--reports", str(reports),
                 "--host", HOSTS)
    # `after` seconds into the run, counted from its manifest: a loaded machine (a fresh clone compiling its
    # bytecode) may take longer than that just to start, and a process killed before its run exists proves nothing
    assert wait_for(lambda: len(list((reports / "runs").glob("*/manifest.json"))) == 2, timeout=60)
    kill9(proc, max(0.0, after - 1.5))
    month = parse_period(f"{now():%Y-%m}")
    runs = find_runs(reports / "runs", lot="6_10", period=month)
    killed = [r for r in runs if r.verify() != "complete"]
    assert len(runs) == 2 and len(killed) == 1
    assert killed[0].verify() == "incomplete" and killed[0].manifest["status"] == "incomplete"
    assert all(r["host"] for r in killed[0].all_results())  # whatever was written is whole
    out = subprocess.run([str(BIN / "invoke"), "report", "--lot", "6_10", "--period", month.label, "--reports",
                          str(reports), "--inventory", str(lab[0].root)], cwd=REPO, capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    html = next((reports / "out").glob("lot6_10-*/report.html")).read_text(encoding="utf-8")
    assert killed[0].run_id in html and "未完成：进程已终止" in html


def visible(out: Path) -> list[Path]:
    return [p for p in out.iterdir() if not p.name.startswith(".")] if out.exists() else []


def test_a_report_killed_9_at_any_moment_leaves_the_whole_directory_or_nothing(lab, tmp_path):
    _inv, state = lab
    reports = tmp_path / "r"
    for _ in range(2):
        done = subprocess.run([str(BIN / "invoke"), "inspect", "--inventory", str(lab[0].root), "--lab", str(state.path),
                               "--reports", str(reports), "--host", "lab-rac1,lab-linux-app,lab-vrp-core"],
                              cwd=REPO, capture_output=True, text=True)
        assert done.returncode in (0, 1), done.stderr
    month = f"{now():%Y-%m}"
    args = ("report", "--lot", "6_10", "--period", month, "--reports", str(reports), "--inventory", str(lab[0].root))
    whole = {"report.html", "report.xlsx", "report.docx"}
    for after in (0.8, 1.6, 2.4, 3.2):  # across a report's making: start, collecting, writing, renaming
        kill9(start(*args), after)
        for directory in visible(reports / "out"):
            assert {p.name for p in directory.iterdir()} == whole, (after, directory)
    assert len(visible(reports / "out")) < 4  # some kills did land while a report was being made
    finished = subprocess.run([str(BIN / "invoke"), *args], cwd=REPO, capture_output=True, text=True)
    assert finished.returncode == 0, finished.stderr
    assert not list((reports / "out").glob(f"{PARTIAL}*"))  # the next report swept what the killed ones left
    assert all({p.name for p in d.iterdir()} == whole for d in visible(reports / "out"))
