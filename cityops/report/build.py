"""Make a report's files in a new directory of their own: an earlier report is never overwritten."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from dataclasses import dataclass
from pathlib import Path

from ..inventory.model import Inventory
from ..timeutil import now
from . import charts, render
from .runs import Period, ReportError, Run, find_runs, load_run
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
    for path in sorted((p for p in runs_dir.iterdir() if p.name < first.run_id), reverse=True)[:200]:
        try:  # the manifest first: a run of other lots is passed over without reading its results
            if lots and lots.isdisjoint(json.loads((path / "manifest.json").read_text(encoding="utf-8")).get("lots", [])):
                continue
            run = load_run(runs_dir, path.name)
        except (ReportError, OSError, json.JSONDecodeError):
            continue
        run.lot, run.bureau = first.lot, first.bureau
        if any(r["host"] in hosts for r in run.stream()):
            return run
    return None


@contextlib.contextmanager
def report_directory(parent: Path, name: str):
    """A new directory for one document's files, removed again if making them fails half way: a half-written
    report is never left to be mistaken for one, and an earlier report is never touched."""
    directory = new_directory(parent, name)
    try:
        yield directory
    except BaseException:
        shutil.rmtree(directory, ignore_errors=True)
        raise


def new_directory(parent: Path, stem: str) -> Path:
    parent.mkdir(parents=True, exist_ok=True)
    for n in range(1, 1000):
        path = parent / (stem if n == 1 else f"{stem}-{n}")
        try:
            path.mkdir()
            return path
        except FileExistsError:
            continue
    raise ReportError(f"{parent}: too many reports named {stem}")


def make_report(reports: Path, inv: Inventory | None, *, run_ids: list[str] | None = None, lot: str | None = None,
                bureau: str | None = None, period: Period | None = None, out: Path | None = None,
                root_hash: str = "", runs: list[Run] | None = None) -> ReportFiles:
    runs_dir = reports / "runs"
    runs = runs if runs is not None else find_runs(runs_dir, run_ids=run_ids, lot=lot, bureau=bureau, period=period)
    scope = "-".join(x for x in (f"lot{lot}" if lot else "", bureau or "") if x) or "runs"
    when = period.label if period and not run_ids else runs[-1].run_id.split("-")[0]
    with report_directory(out or reports / "out", stem(scope, when)) as directory:
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
    return files


def checked_charts(data: ReportData, make=charts.all_charts) -> list[charts.Chart]:
    drawn = make(data)
    for chart in drawn:
        if chart.missing_glyphs:
            raise ReportError(f"chart '{chart.title}': {chart.missing_glyphs[0]} (install fonts-noto-cjk)")
    return drawn


def stem(scope: str, when: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]", "_", f"{scope}-{when}-{now().strftime('%Y%m%dT%H%M%S')}")
