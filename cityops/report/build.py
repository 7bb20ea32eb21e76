"""Make a report's files in a new directory of their own: an earlier report is never overwritten."""

from __future__ import annotations

import contextlib
import dataclasses
import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ..inspect.record import RunLock, is_live
from ..inventory.model import Inventory
from ..timeutil import now
from . import charts, render
from .runs import Period, ReportError, Run, find_runs, read_manifest, registered
from .summary import ReportData, summarize, vocabulary


@dataclass
class ReportFiles:
    directory: Path
    html: Path
    xlsx: Path
    docx: Path
    data: ReportData


def previous_run(runs_dir: Path, first: Run) -> Run | None:
    """The latest run before `first` that inspected any of its hosts: what 已整改 is measured against."""
    hosts = {r["host"] for r in first.stream()}
    lots = set(first.manifest.get("lots", []))
    register = registered(runs_dir)
    earlier = sorted((p.name for p in runs_dir.iterdir() if p.is_dir() and p.name < first.run_id), reverse=True)
    for name in earlier[:200]:  # newest first, and only as many manifests as it takes
        try:
            manifest = read_manifest(runs_dir / name)
        except ReportError:
            continue
        if lots and lots.isdisjoint(manifest.get("lots", [])):
            continue  # the manifest first: a run of other lots is passed over without reading its results
        run = Run(name, runs_dir / name, manifest, lot=first.lot, bureau=first.bureau, register=register)
        if run.usable and any(r["host"] in hosts for r in run.stream()):
            return run
    return None


PARTIAL = ".partial-"


class StagedDirectory:
    """A document's directory while it is made: `path` is hidden beside its final place; `result` (a dataclass
    of the files made) has its paths moved to the final directory when it is published."""

    def __init__(self, path: Path):
        self.path = path
        self.result = None
        self.lock = RunLock(path)  # a leftover of a killed process is recognised by its free lock


def _relocate(value, old: Path, new: Path):
    if isinstance(value, Path) and value.is_relative_to(old):
        return new / value.relative_to(old)
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: _relocate(getattr(value, f.name), old, new) for f in dataclasses.fields(value)
                   if isinstance(getattr(value, f.name), Path)}
        return dataclasses.replace(value, **changes) if changes else value
    return value


def sweep_partials(parent: Path) -> None:
    """Remove what a killed process left half made (its lock is free); a build under way keeps its lock."""
    for leftover in parent.glob(f"{PARTIAL}*"):
        if leftover.is_dir() and not is_live(leftover):
            shutil.rmtree(leftover, ignore_errors=True)


@contextlib.contextmanager
def report_directory(parent: Path, name: str):
    """A new directory for one document's files, built aside and renamed into place when whole: a kill at any
    moment leaves either the whole directory or nothing visible, and an earlier report is never touched."""
    parent.mkdir(parents=True, exist_ok=True)
    sweep_partials(parent)
    box = StagedDirectory(Path(tempfile.mkdtemp(dir=parent, prefix=f"{PARTIAL}{name}.")))
    try:
        yield box
        (box.path / ".lock").unlink()
        final = publish(box.path, parent, name)
    except BaseException:
        shutil.rmtree(box.path, ignore_errors=True)
        raise
    finally:
        box.lock.release()
    box.result = _relocate(box.result, box.path, final)


def publish(staging: Path, parent: Path, stem: str) -> Path:
    """Rename a finished directory to the first free name `stem`, `stem-2` ... (never over an earlier one)."""
    for n in range(1, 1000):
        path = parent / (stem if n == 1 else f"{stem}-{n}")
        if path.exists():
            continue
        try:
            os.rename(staging, path)
            return path
        except OSError:  # taken between the look and the rename (a non-empty directory is never replaced)
            continue
    raise ReportError(f"{parent}: too many reports named {stem}")


def make_report(reports: Path, inv: Inventory | None, *, run_ids: list[str] | None = None, lot: str | None = None,
                bureau: str | None = None, period: Period | None = None, out: Path | None = None,
                root_hash: str = "", runs: list[Run] | None = None) -> ReportFiles:
    runs_dir = reports / "runs"
    runs = runs if runs is not None else find_runs(runs_dir, run_ids=run_ids, lot=lot, bureau=bureau, period=period)
    scope = "-".join(x for x in (f"lot{lot}" if lot else "", bureau or "") if x) or "runs"
    when = period.label if period and not run_ids else runs[-1].run_id.split("-")[0]
    with report_directory(out or reports / "out", stem(scope, when)) as box:
        directory = box.path
        files = ReportFiles(directory, directory / "report.html", directory / "report.xlsx", directory / "report.docx",
                            None)
        book = render.XlsxReport(files.xlsx, vocabulary(inv))  # its rows are written during the one pass over the runs
        data = summarize(runs, inv=inv, period=period if not run_ids else None,
                         previous=previous_run(runs_dir, runs[0]), lot=lot, bureau=bureau, sink=book.detail)
        data.root_hash = root_hash
        files.data = data
        book.finish(data, inv)
        drawn = checked_charts(data)
        files.html.write_text(render.html(data, drawn), encoding="utf-8")
        render.docx(data, drawn, files.docx)
        box.result = files
    return box.result


def checked_charts(data: ReportData, make=charts.all_charts) -> list[charts.Chart]:
    drawn = make(data)
    for chart in drawn:
        if chart.missing_glyphs:
            raise ReportError(f"chart '{chart.title}': {chart.missing_glyphs[0]} (install fonts-noto-cjk)")
    return drawn


def stem(scope: str, when: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{scope}-{when}-{now().strftime('%Y%m%dT%H%M%S')}")
