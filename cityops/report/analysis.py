"""The quarterly inspection analysis per subsystem (按分系统巡检分析报告), with problems, trends and their solutions.

Lots 12–14, 16 and 17 lose 3 points for a quarter without it, 2 when inspected but
not reported, and 1 when it "does not match reality" (与实际情况不符). So every
sentence here is computed from the quarter's own runs and the inventory: the
subsystem's devices and their warranty, what the runs found and what became of it,
which values grow and when they will reach their warning level, and a solution for
each open problem ("给出问题解决方案"). The wording is in templates/report/analysis.yml.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import jinja2
import yaml

from ..inventory.model import Host, Inventory
from ..inventory.warranty import warranty_due
from ..terms import severity_name
from ..timeutil import BEIJING, now
from . import cadence as cadence_mod
from . import charts
from .build import checked_charts, previous_run, report_directory, stem
from .render import TEMPLATES, tidy
from .runs import Period, ReportError, find_runs
from .summary import LABELS, PROJECT, SEVERITY, Problem, ReportData, summarize
from .trend import Threshold, Trend, fit, warn_threshold
from .word import Word
from .workbook import Book

HORIZON_DAYS = 90  # a value projected to reach its warning level within this is called out
WARRANTY_SOON_DAYS = 180
STEADY_PER_30_DAYS = 0.5  # percentage points per 30 days below which a series is called steady
NEAR_POINTS = 10.0  # a value this close to its warning level is shown even when steady


@cache
def _phrases() -> dict:
    return yaml.safe_load((TEMPLATES / "analysis.yml").read_text(encoding="utf-8"))


_jinja = jinja2.Environment(undefined=jinja2.StrictUndefined, autoescape=False)  # nosec B701  # phrases for DOCX/XLSX text, never HTML


def say(path: str, **values) -> str:
    """One phrase of templates/report/analysis.yml ('advice.crossing'), filled in, on one line."""
    text = _phrases()
    for part in path.split("."):
        text = text[part]
    return tidy(_jinja.from_string(text).render(**values))


def pct(x: float) -> str:
    return f"{x:.1f}%"


def names_of(hosts: list[str], limit: int = 3) -> str:
    return "、".join(hosts[:limit])


@dataclass
class ProblemGroup:
    """The problems of one check in a subsystem: how many devices, how often, how many fixed, how fast."""

    check_id: str
    title: str
    severity: str
    hosts: list[str]
    times: int
    open: int
    fixed: int
    hours_to_fix: float | None
    remedy: str
    recurring: dict[str, int]  # host -> times it came back after a fix in the period


@dataclass
class Projection:
    host: str
    check_id: str
    title: str
    trend: Trend
    threshold: Threshold | None
    reaches: dt.datetime | None
    key: tuple[str, str, str] = ("", "", "")  # the series in ReportData.trends


@dataclass
class SubsystemAnalysis:
    subsystem: str
    name: str
    hosts: list[Host]
    classes: list[tuple[str, int]]
    expired: list[str]
    soon: list[str]
    counts: dict[str, int]
    inspected: int
    groups: list[ProblemGroup]
    projections: list[Projection]
    unreachable: list[str]
    horizon: dt.datetime | None = None  # a projected crossing before this is called out
    advice: list[str] = field(default_factory=list)
    chart: charts.Chart | None = None

    @property
    def total(self) -> int:
        return sum(self.counts.get(s, 0) for s in ("pass", "warn", "fail", "error", "waived", "skip"))

    @property
    def ok_rate(self) -> str:
        judged = self.total - self.counts.get("skip", 0) - self.counts.get("waived", 0)
        return pct(100.0 * self.counts.get("pass", 0) / judged) if judged else "—"

    @property
    def notable(self) -> list[Projection]:
        """The series worth a reader's line: heading for a threshold, moving, or close to the warning level."""
        def moving(p: Projection) -> bool:
            near = p.threshold is not None and abs(p.threshold.level - p.trend.last) <= NEAR_POINTS
            return p.reaches is not None or abs(p.trend.per_30_days or 0) >= STEADY_PER_30_DAYS or near
        return [p for p in self.projections if moving(p)]

    @property
    def crossings(self) -> list[Projection]:
        """Values heading for their warning level within the horizon (90 days from the period's end)."""
        return [p for p in self.projections if p.reaches is not None and (self.horizon is None or
                                                                          p.reaches <= self.horizon)]


def group_problems(problems: list[Problem]) -> list[ProblemGroup]:
    by_check: dict[str, list[Problem]] = defaultdict(list)
    for p in problems:
        by_check[p.check_id].append(p)
    groups = []
    for check_id, ps in by_check.items():
        fixed = [p for p in ps if p.fixed]
        hours = [(p.fixed - p.found).total_seconds() / 3600 for p in fixed]
        per_host = Counter(p.host for p in ps)  # a problem fixed and found again is a second Problem
        rank = list(SEVERITY)
        severity = min((p.severity for p in ps), key=lambda s: rank.index(s) if s in rank else len(rank))
        groups.append(ProblemGroup(
            check_id, ps[0].title, severity, sorted(per_host), sum(p.times for p in ps), len(ps) - len(fixed),
            len(fixed), sum(hours) / len(hours) if hours else None, next((p.remedy for p in ps if p.remedy), ""),
            {h: n - 1 for h, n in sorted(per_host.items()) if n > 1}))
    return sorted(groups, key=lambda g: (-g.open, -len(g.hosts), g.check_id))


def project(data: ReportData, keys) -> list[Projection]:
    out = []
    for key in keys:
        trend = fit(data.trends[key])
        if trend.per_30_days is None:
            continue
        threshold = warn_threshold(data.thresholds.get(key, ""))
        out.append(Projection(key[0], key[1], data.trend_titles.get(key, key[1]), trend, threshold,
                              trend.crossing(threshold), key))
    out.sort(key=lambda p: (p.reaches is None, p.reaches or dt.datetime.max.replace(tzinfo=p.trend.last_at.tzinfo),
                            -abs(p.trend.per_30_days or 0)))
    return out


def analyse(data: ReportData, inv: Inventory, lot: str, today: dt.date | None = None) -> list[SubsystemAnalysis]:
    """One analysis per subsystem of the lot (from the inventory: a subsystem no run reached is still analysed)."""
    today = today or now().date()
    lot_hosts = [h for h in inv.hosts.values() if lot in h.lots]
    by_sub: dict[str, list[Host]] = defaultdict(list)
    for h in lot_hosts:
        by_sub[str(h.get("subsystem") or "")].append(h)
    problems_by_sub: dict[str, list[Problem]] = defaultdict(list)
    for p in data.problems:
        problems_by_sub[p.subsystem].append(p)
    keys_by_sub: dict[str, list] = defaultdict(list)
    for key in data.trends:
        keys_by_sub[data.subsystem_of.get(key[0], "")].append(key)
    errors_by_sub: dict[str, list[str]] = defaultdict(list)
    for f in data.findings:
        if f.result["status"] == "error":
            errors_by_sub[f.result.get("subsystem") or ""].append(f.result["host"])
    out = []
    for sub in sorted(by_sub):
        hosts = sorted(by_sub[sub], key=lambda h: h.name)
        due = warranty_due(hosts, WARRANTY_SOON_DAYS, today=today, include_expired=True)
        classes = Counter(data.name("class", h.get("device_class")) or "其他" for h in hosts)
        inspected = sum(1 for h in hosts if h.name in data.by_host and sum(
            data.by_host[h.name].get(s, 0) for s in ("pass", "warn", "fail", "error", "waived", "skip")))
        a = SubsystemAnalysis(
            sub, data.name("subsystem", sub) or "（未分系统）", hosts, classes.most_common(),
            [d.host.name for d in due if d.days_left < 0], [d.host.name for d in due if d.days_left >= 0],
            data.by_subsystem.get(sub, {}), inspected, group_problems(problems_by_sub.get(sub, [])),
            project(data, keys_by_sub.get(sub, [])), sorted(set(errors_by_sub.get(sub, []))),
            horizon=dt.datetime.combine(today + dt.timedelta(days=HORIZON_DAYS), dt.time(), BEIJING))
        a.advice = advise(a)
        out.append(a)
    return out


def advise(a: SubsystemAnalysis) -> list[str]:
    """The subsystem's solutions, worst first: open problems, unreachable devices, what will cross soon,
    what keeps coming back, devices out of warranty; or, when there is nothing, that it ran well."""
    out = []
    for g in a.groups:
        if g.open:
            out.append(say("advice.open_problem", title=f"{g.check_id} {g.title}", hosts=names_of(g.hosts),
                           count=len(g.hosts), times=g.times, remedy=g.remedy))
    if a.unreachable:
        out.append(say("advice.unreachable", hosts=names_of(a.unreachable), count=len(a.unreachable)))
    for p in a.crossings:
        out.append(say("advice.crossing", host=p.host, title=p.title, last=pct(p.trend.last),
                       rate=f"{p.trend.per_30_days:+.1f} 个百分点", threshold=f"{p.threshold.shown}%",
                       date=f"{p.reaches:%Y年%m月%d日}"))
    for g in a.groups:
        for host, times in g.recurring.items():
            out.append(say("advice.recurring", host=host, title=f"{g.check_id} {g.title}", times=times))
    if a.expired:
        out.append(say("advice.warranty", hosts=names_of(a.expired), count=len(a.expired)))
    if not a.inspected:
        out.append(say("advice.not_inspected"))
    if not out:
        out.append(say("advice.calm"))
    return out


@dataclass
class AnalysisFiles:
    directory: Path
    xlsx: Path
    docx: Path
    data: ReportData
    subsystems: list[SubsystemAnalysis]
    compliance: list[cadence_mod.CadenceCompliance]


def gather(reports: Path, inv: Inventory, lot: str, period: Period):
    """The period's runs of the lot, summarised, with cadence compliance and the per-subsystem analysis."""
    if lot not in dict(inv.vocabulary.known("lot")):
        raise ReportError(f"lot '{lot}': not a lot of the inventory")
    runs_dir = reports / "runs"
    runs = find_runs(runs_dir, lot=lot, period=period)
    data = summarize(runs, inv=inv, period=period, previous=previous_run(runs_dir, runs[0]), lot=lot)
    compliance = cadence_mod.compliance(runs_dir, inv, lot, period, data.hosts_of_run)
    today = min(now().date(), period.end - dt.timedelta(days=1))
    return data, compliance, analyse(data, inv, lot, today)


def facts(data: ReportData, lot: str, period: Period) -> tuple[str, list[tuple[str, str]]]:
    lot_name = f"标项{lot}（{data.name('lot', lot)}）"
    cover = [("项目名称", PROJECT), ("标项", lot_name),
             ("委办局（甲方）", "、".join(data.name("bureau", b) for b in data.scope["bureaus"]) or "—"),
             ("周期", period.chinese), ("生成时间", data.generated)]
    if data.root_hash:
        cover.append(("证据包根哈希（SHA-256）", data.root_hash))
    return lot_name, cover


def make_analysis(reports: Path, inv: Inventory, lot: str, period: Period, out: Path | None = None,
                  root_hash: str = "") -> AnalysisFiles:
    data, compliance, subs = gather(reports, inv, lot, period)
    data.root_hash = root_hash
    with report_directory(out or reports / "out", stem(f"analysis-lot{lot}", period.label)) as box:
        directory = box.path
        for a in subs:
            keys = [p.key for p in (a.notable or a.projections)]
            drawn = checked_charts(data, lambda d, keys=keys, a=a: [c for c in [
                charts.trends(d, limit=6, keys=set(keys), title=f"{a.name}指标趋势")] if c]) if keys else []
            a.chart = drawn[0] if drawn else None
        files = AnalysisFiles(directory, directory / "analysis.xlsx", directory / "analysis.docx", data, subs,
                              compliance)
        analysis_xlsx(files)
        analysis_docx(files, lot, period)
        box.result = files
    return box.result


def hours_text(h: float | None) -> str:
    if h is None:
        return ""
    return f"{h:.1f} 小时" if h < 48 else f"{h / 24:.1f} 天"


def analysis_xlsx(files: AnalysisFiles) -> None:
    book = Book(files.xlsx)
    subs = book.sheet("分系统概况", ["分系统", "设备数", "已巡检设备", "已过保", "180天内到期", *(LABELS[k] for k in (
        "pass", "warn", "fail", "error", "waived")), "正常率", "问题数", "未整改"], [22, 8, 10, 8, 10, 8, 8, 8, 8, 8, 8,
                                                                               8, 8])
    groups = book.sheet("问题分析", ["分系统", "检查项", "级别", "涉及设备", "设备数", "出现次数", "未整改", "已整改",
                                 "平均整改用时", "反复出现的设备", "解决方案"], [18, 30, 6, 40, 8, 8, 8, 8, 12, 30, 50])
    trends = book.sheet("趋势分析", ["分系统", "设备", "指标", "巡检次数", "期初", "期末", "最低", "最高", "平均",
                                 "每30天变化", "告警阈值", "预计达到告警阈值"], [18, 20, 24, 8, 8, 8, 8, 8, 8, 10, 10, 16])
    advice = book.sheet("问题解决方案及建议", ["分系统", "序号", "内容"], [18, 6, 120])
    for a in files.subsystems:
        subs.row((a.name, len(a.hosts), a.inspected, len(a.expired), len(a.soon),
                  *(a.counts.get(k, 0) for k in ("pass", "warn", "fail", "error", "waived")), a.ok_rate,
                  sum(len(g.hosts) for g in a.groups), sum(g.open for g in a.groups)))
        for g in a.groups:
            groups.row((a.name, f"{g.check_id} {g.title}", severity_name(g.severity), "、".join(g.hosts), len(g.hosts),
                        g.times, g.open, g.fixed, hours_text(g.hours_to_fix),
                        "、".join(f"{h}（{n} 次）" for h, n in g.recurring.items()), g.remedy))
        for p in a.projections:
            t = p.trend
            trends.row((a.name, p.host, p.title, t.points, round(t.first, 1), round(t.last, 1), round(t.low, 1),
                        round(t.high, 1), round(t.mean, 1), round(t.per_30_days or 0, 2),
                        f"{p.threshold.shown}%" if p.threshold else "", f"{p.reaches:%Y-%m-%d}" if p.reaches else ""))
        for i, text in enumerate(a.advice, 1):
            advice.row((a.name, i, text))
    book.close()


def analysis_docx(files: AnalysisFiles, lot: str, period: Period) -> None:
    data, subs, compliance = files.data, files.subsystems, files.compliance
    lot_name, cover = facts(data, lot, period)
    due, done = sum(c.due for c in compliance), sum(c.done for c in compliance)
    fixed = sum(1 for p in data.problems if p.fixed)
    doc = Word()
    doc.cover(f"{lot_name} {say('analysis.title', period=period.chinese)}",
              say("analysis.subtitle", subsystems=len(subs), runs=len(data.runs)),
              [*cover, ("分系统", "、".join(a.name for a in subs))])
    doc.heading(say("analysis.intro_title"))
    doc.para(say("analysis.intro", lot_name=lot_name, subsystems=len(subs), hosts=sum(len(a.hosts) for a in subs),
                 due=due, done=done, rate=pct(100.0 * done / due) if due else "—", results=data.results, c=data.counts,
                 problems=len(data.problems), fixed=fixed))
    doc.para(say("analysis.table_lead"))
    doc.table(["分系统", "设备数", "已巡检", "正常率", "告警", "异常", "无法巡检", "问题", "未整改"],
              [(a.name, len(a.hosts), a.inspected, a.ok_rate, a.counts.get("warn", 0), a.counts.get("fail", 0),
                a.counts.get("error", 0), sum(len(g.hosts) for g in a.groups), sum(g.open for g in a.groups))
               for a in subs], [38, 16, 16, 18, 16, 16, 18, 16, 16])
    if compliance:
        doc.para(say("analysis.compliance_lead"))
        doc.table(["巡检频率", "应巡检时段", "已巡检", "未巡检", "完成率"],
                  [(c.name, c.due, c.done, c.due - c.done, pct(c.rate)) for c in compliance], [40, 34, 32, 32, 32])
    chinese = "二三四五六七八九十"
    for index, a in enumerate(subs):
        doc.heading(say("analysis.subsystem_title", index=chinese[index] if index < len(chinese) else index + 2,
                        name=a.name))
        doc.heading(say("analysis.environment_title"), level=2)
        doc.para(say("analysis.environment", hosts=len(a.hosts), classes="、".join(f"{k} {n} 台" for k, n in a.classes),
                     inspected=a.inspected, expired=len(a.expired), soon=len(a.soon)))
        doc.heading(say("analysis.status_title"), level=2)
        doc.para(say("analysis.status", total=a.total, n=defaultdict(int, a.counts), ok_rate=a.ok_rate)
                 if a.total else say("analysis.not_inspected"))
        doc.heading(say("analysis.problems_title"), level=2)
        if a.groups:
            doc.table(["检查项", "涉及设备", "出现次数", "未整改", "已整改", "平均整改用时"],
                      [(f"{g.check_id} {g.title}", "、".join(g.hosts[:6]) + (f" 等 {len(g.hosts)} 台" if len(g.hosts) > 6
                                                                            else ""), g.times, g.open, g.fixed,
                        hours_text(g.hours_to_fix)) for g in a.groups], [42, 52, 18, 18, 18, 22])
        else:
            doc.para(say("analysis.problems_none"))
        doc.heading(say("analysis.trends_title"), level=2)
        if a.projections:
            shown = a.notable[:15]
            if shown:
                doc.table(["设备", "指标", "期初", "期末", "最高", "每30天变化", "预计达到告警阈值"],
                          [(p.host, p.title, pct(p.trend.first), pct(p.trend.last), pct(p.trend.high),
                            f"{p.trend.per_30_days:+.2f}",
                            f"{p.reaches:%Y-%m-%d}（{p.threshold.shown}%）" if p.reaches else "—") for p in shown],
                          [30, 34, 18, 18, 18, 22, 30])
            top = max(a.projections, key=lambda p: p.trend.high)
            steady = len(a.projections) - len(a.notable)
            if steady:
                doc.para(say("analysis.trends_steady", shown=len(shown), steady=steady, total=len(a.projections),
                             limit=STEADY_PER_30_DAYS,
                             host=top.host, title=top.title, high=pct(top.trend.high)))
            if a.chart:
                doc.picture(a.chart.png, a.chart.title)
        else:
            doc.para(say("analysis.trends_none"))
        doc.heading(say("analysis.advice_title"), level=2)
        for i, text in enumerate(a.advice, 1):
            doc.para(f"{i}. {text}")
    crossings = sum(1 for a in subs for p in a.crossings)
    doc.heading(say("analysis.conclusion_title", index=chinese[len(subs)] if len(subs) < len(chinese) else len(subs) + 2))
    doc.para(say("analysis.conclusion", open=len(data.problems) - fixed, crossings=crossings, missed=due - done))
    doc.signoff("签字确认", ["编制人（乙方）", "审核人（乙方）",
                          f"甲方确认（{'、'.join(data.name('bureau', b) for b in data.scope['bureaus'])}）"])
    doc.save(files.docx)
