"""What a report says, computed once from the runs and shared by HTML, XLSX and DOCX.

Counts use the tender's words: 正常 / 告警 / 异常 / 无法巡检 / 已豁免 for the results
themselves, 未巡检 for what the cadence required but no run inspected, 已整改 for a
finding of an earlier result that a later one shows fixed. Findings come first,
worst first; every number here adds up to the results it was computed from.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from dataclasses import dataclass, field

from ..inventory.model import Inventory
from ..terms import CADENCES, SEVERITIES, STATUS_NAMES, cadence_name
from ..timeutil import now
from .runs import Period, Run

STATUSES = ("pass", "warn", "fail", "error", "waived", "skip")
LABELS = STATUS_NAMES
COLUMNS = ("pass", "warn", "fail", "error", "waived", "missing", "fixed")
SEVERITY = SEVERITIES
BAD = ("fail", "error", "warn")
CADENCE_NAMES = CADENCES
PROJECT = "克拉玛依市级运维统筹项目"


def empty() -> dict[str, int]:
    return dict.fromkeys((*STATUSES, "missing", "fixed"), 0)


@dataclass
class Finding:
    result: dict
    first_seen: str  # run id where this finding first showed in the report's runs
    times: int  # results of the report that showed it

    @property
    def order(self) -> tuple:
        r = self.result
        sev = ("critical", "major", "minor", "info")
        return (BAD.index(r["status"]), sev.index(r.get("severity")) if r.get("severity") in sev else 9, r["host"],
                r["check_id"])


@dataclass
class Problem:
    """One problem's life over the period: found by one run, seen again, and fixed by a later one (or still open).

    The ledger's 问题处理记录 and the analyses' 整改情况 are these, so a problem that came
    back after a fix is a second Problem, not a silent continuation of the first."""

    host: str
    check_id: str
    title: str
    subsystem: str
    severity: str
    found: dt.datetime
    found_run: str
    message: str
    remedy: str
    last_seen: dt.datetime
    times: int = 1
    worst: str = "warn"
    fixed: dt.datetime | None = None
    fixed_run: str = ""
    fixed_message: str = ""


@dataclass
class ReportData:
    title: str
    kind: str  # run | day | month | quarter | year
    scope: dict  # lots, bureaus, subsystems (ids and Chinese names)
    period_label: str
    runs: list[Run]
    counts: dict[str, int]
    by_subsystem: dict[str, dict[str, int]]
    by_host: dict[str, dict[str, int]]
    findings: list[Finding]
    fixed: list[dict]
    missing: list[tuple[str, str, str]]  # (host, check id, why)
    waived: list[dict]
    manual: list[dict]
    trends: dict[tuple[str, str, str], list[tuple[dt.datetime, float]]]  # (host, check, item) -> % over time
    trend_titles: dict[tuple[str, str, str], str]
    generated: str = field(default_factory=lambda: now().isoformat(timespec="seconds"))
    root_hash: str = ""  # of the evidence pack this report goes into, when there is one
    names: dict = field(default_factory=dict)  # facet -> id -> Chinese name
    results: int = 0  # results in scope, over all runs
    by_run: dict[str, dict[str, int]] = field(default_factory=dict)  # run id -> status counts (and bad hosts)
    hosts_of_run: dict[str, set[str]] = field(default_factory=dict)  # run id -> the hosts it inspected
    by_month: dict[str, dict[str, int]] = field(default_factory=dict)  # "2026-11" -> status counts
    problems: list[Problem] = field(default_factory=list)  # in the order they were found
    thresholds: dict[tuple[str, str, str], str] = field(default_factory=dict)  # (host, check, item) -> threshold
    subsystem_of: dict[str, str] = field(default_factory=dict)  # host -> subsystem, as the results said
    period: Period | None = None

    def rows(self):
        """Every result of every run, in run order, read again from the runs (for one run's full table)."""
        for run in self.runs:
            yield from run.stream()

    @property
    def inspected_hosts(self) -> int:
        """Hosts with at least one result (by_host also lists hosts that are only 未巡检)."""
        return sum(1 for n in self.by_host.values() if any(n[s] for s in STATUSES))

    def name(self, facet: str, ident) -> str:
        return self.names.get(facet, {}).get(str(ident), str(ident or "")) if ident else ""


def summarize(runs: list[Run], *, inv: Inventory | None = None, period: Period | None = None,
              previous: Run | None = None, lot: str | None = None, bureau: str | None = None,
              sink=None) -> ReportData:
    """One pass over every result of the runs (streamed; `sink(result)` sees each one too, e.g. the XLSX rows)."""
    counts = empty()
    by_sub: dict[str, dict[str, int]] = defaultdict(empty)
    by_host: dict[str, dict[str, int]] = defaultdict(empty)
    by_run: dict[str, dict[str, int]] = {}
    hosts_of_run: dict[str, set[str]] = {}
    by_month: dict[str, dict[str, int]] = defaultdict(empty)
    last: dict[tuple[str, str], dict] = {}
    first_bad: dict[tuple[str, str], str] = {}
    times_bad: dict[tuple[str, str], int] = defaultdict(int)
    fixed: list[dict] = []
    trends: dict[tuple[str, str, str], list[tuple[dt.datetime, float]]] = defaultdict(list)
    titles: dict[tuple[str, str, str], str] = {}
    thresholds: dict[tuple[str, str, str], str] = {}
    subsystem_of: dict[str, str] = {}
    manual: list[dict] = []
    problems: list[Problem] = []
    open_problem: dict[tuple[str, str], Problem] = {}
    listed: set[int] = set()
    before = {(r["host"], r["check_id"]): r for r in (previous.stream() if previous else [])}
    for key, r in before.items():  # a problem still open at the previous run is this period's to fix; it is dated
        if r["status"] in ("warn", "fail"):  # by that run (the earliest known without reading further back)
            open_problem[key] = _problem(r, previous)
            open_problem[key].times = 0  # times counts this period's sightings only
    seen: set[tuple[str, str]] = set()
    total = 0
    for run in runs:
        started = run.started
        month = f"{started:%Y-%m}"
        mine = by_run[run.run_id] = empty()
        bad_hosts: set[str] = set()
        run_hosts: set[str] = set()
        for r in run.stream():
            if sink is not None:
                sink(r)
            total += 1
            key = (r["host"], r["check_id"])
            status = r["status"]
            sub = r.get("subsystem") or ""
            counts[status] = counts.get(status, 0) + 1
            by_sub[sub][status] += 1
            by_host[r["host"]][status] += 1
            mine[status] = mine.get(status, 0) + 1
            by_month[month][status] += 1
            subsystem_of[r["host"]] = sub
            run_hosts.add(r["host"])
            earlier = last.get(key) or before.get(key)
            if status == "pass" and earlier is not None and earlier["status"] in ("warn", "fail"):
                fixed.append({**r, "was": earlier})
                for tally in (counts, by_sub[sub], by_host[r["host"]], mine, by_month[month]):
                    tally["fixed"] += 1
            if status in ("warn", "fail"):
                p = open_problem.get(key)
                if p is None:
                    p = open_problem[key] = _problem(r, run)
                else:
                    p.times += 1
                    p.last_seen = started
                    if status == "fail":
                        p.worst = "fail"
                if id(p) not in listed:  # new, or carried over from before the period and still there
                    listed.add(id(p))
                    problems.append(p)
            elif status == "pass" and key in open_problem:
                p = open_problem.pop(key)
                p.fixed, p.fixed_run, p.fixed_message = started, run.run_id, r["message"]
                if id(p) not in listed:  # found before the period, fixed in it
                    listed.add(id(p))
                    problems.append(p)
            if status in BAD:
                first_bad.setdefault(key, run.run_id)
                times_bad[key] += 1
                bad_hosts.add(r["host"])
            if r.get("unit") == "%":  # fill levels and loads, each mount / tablespace / item its own series
                for item, value in _measures(r):
                    series = (r["host"], r["check_id"], item)
                    trends[series].append((started, value))
                    if series not in titles:
                        titles[series] = f"{r['title']} {item}".strip()
                        thresholds[series] = str(r.get("threshold") or "")
            if str(r["check_id"]).startswith("MAN-"):
                manual.append(r)
            last[key] = r
            seen.add(key)
        mine["results"] = run.count
        mine["bad_hosts"] = len(bad_hosts)
        mine["hosts"] = len(run_hosts)
        hosts_of_run[run.run_id] = run_hosts
    missing = _missing(runs, seen, inv, lot, bureau)
    for host, _check, _why in missing:
        counts["missing"] += 1
        h = inv.hosts.get(host) if inv else None
        by_sub[str(h.get("subsystem") or "") if h else ""]["missing"] += 1
        by_host[host]["missing"] += 1
    findings = sorted((Finding(r, first_bad[k], times_bad[k]) for k, r in last.items() if r["status"] in BAD),
                      key=lambda f: f.order)
    names = vocabulary(inv)
    manifests = [r.manifest for r in runs]
    if lot:
        lots = [lot]
    elif bureau and inv:  # a bureau's report names the bureau's lots, not every lot a shared run covered
        lots = sorted({x for h in inv.hosts.values() if h.get("bureau") == bureau for x in h.lots})
    else:
        lots = sorted({x for m in manifests for x in m.get("lots", [])})
    lots = sorted(lots, key=natural)  # 标项2 before 标项10
    bureaus = sorted({x for m in manifests for x in m.get("bureaus", [])} if not bureau else {bureau})
    subsystems = sorted(k for k in by_sub if k)
    kind = period.kind if period else "run"
    label = period.chinese if period else "、".join(m.get("period_slot", "") for m in manifests[:3]) + (
        " 等" if len(manifests) > 3 else "")
    if bureau and not lot:
        scope_name = names.get("bureau", {}).get(bureau, bureau)
    elif len(lots) > 3:  # an estate-wide run: the project is the scope, the cover lists the lots
        scope_name = PROJECT
    else:
        scope_name = "、".join(f"标项{x}（{names.get('lot', {}).get(x, x)}）" for x in lots)
    what = {"run": "巡检报告", "day": "巡检日报", "month": "月度巡检报告", "quarter": "季度巡检报告",
            "year": "年度巡检报告"}[kind]
    return ReportData(
        title=f"{scope_name or PROJECT} {what}", kind=kind,
        scope={"lots": lots, "bureaus": bureaus, "subsystems": subsystems},
        period_label=label, runs=runs, counts=counts, by_subsystem=dict(by_sub), by_host=dict(by_host),
        findings=findings, fixed=fixed, missing=missing,
        waived=[r for r in last.values() if r["status"] == "waived"], manual=manual,
        trends={k: v for k, v in trends.items() if len(v) > 1}, trend_titles=titles, names=names, results=total,
        by_run=by_run, hosts_of_run=hosts_of_run, by_month=dict(by_month), problems=problems, thresholds=thresholds,
        subsystem_of=subsystem_of,
        period=period)


def natural(text: str) -> list:
    """'6_10' sorts after '6_9' and '10' after '2'."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def _measures(r: dict) -> list[tuple[str, float]]:
    """(item, value) of each numeric item of a result, or ('', value) for a single unnamed measure."""
    out = [(str(i.get("item") or ""), float(i["value"])) for i in r.get("items") or []
           if isinstance(i.get("value"), (int, float)) and not isinstance(i.get("value"), bool)]
    if not out and isinstance(r.get("value"), (int, float)) and not isinstance(r.get("value"), bool):
        out = [("", float(r["value"]))]
    return out


def vocabulary(inv: Inventory | None) -> dict[str, dict[str, str]]:
    """facet -> id -> Chinese name, from the inventory's declared vocabulary."""
    return {facet: dict(inv.vocabulary.known(facet)) for facet in ("bureau", "lot", "subsystem", "site", "class")} \
        if inv else {}


def _problem(r: dict, run: Run) -> Problem:
    return Problem(host=r["host"], check_id=r["check_id"], title=r.get("title", ""), subsystem=r.get("subsystem") or "",
                   severity=r.get("severity") or "", found=run.started, found_run=run.run_id, message=r["message"],
                   remedy=r.get("remedy") or "", last_seen=run.started, worst=r["status"])


def _missing(runs: list[Run], seen: set, inv: Inventory | None, lot: str | None, bureau: str | None
             ) -> list[tuple[str, str, str]]:
    """(host, check) the runs' cadences require in scope that no run inspected; an interrupted run's remainder."""
    out: list[tuple[str, str, str]] = []
    if inv is None:
        return out
    from ..inspect.catalogue import applicable

    cadences = {r.manifest.get("cadence") for r in runs if r.manifest.get("cadence")}
    only: set[str] | None = None
    if lot or bureau:  # a lot's or bureau's report answers for all its hosts and checks, not only a run's choice
        scope = [h for h in inv.hosts.values() if (not lot or lot in h.lots) and (not bureau or h.get("bureau") == bureau)]
    else:  # a report of named runs answers for what those runs set out to inspect
        scope = [inv.hosts[h] for h in sorted({host for host, _check in seen}) if h in inv.hosts]
        only = {c for run in runs for c in run.manifest.get("checks", [])}
    for cadence in sorted(cadences):
        plan = applicable(scope, cadence, only)
        for host, checks in plan.items():
            for c in checks:
                if (host, c.id) not in seen:
                    out.append((host, c.id, f"{cadence_name(cadence)}巡检要求，本期无结果"))
                    seen.add((host, c.id))
    return out

