"""The yearly summary (年终总结报告) of a lot: the year month by month, each subsystem, the problems and the plan.

Lots 23 and 24 hand one in "每十二个月". It is the year's runs read once: per month the
runs, results, problems found and fixed and the cadence slots kept; per subsystem the
quarterly analysis over the whole year; the problems that mattered most (most often
seen), those still open at the year's end, and next year's plan drawn from the
analysis' solutions. Wording in templates/report/analysis.yml (`yearly`).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

from ..inventory.model import Inventory
from . import cadence as cadence_mod
from . import charts
from .analysis import SubsystemAnalysis, facts, gather, group_problems, hours_text, pct, say
from .build import checked_charts, report_directory, stem
from .runs import Period, ReportError
from .summary import LABELS, ReportData
from .word import Word
from .workbook import Book


@dataclass
class Month:
    label: str  # 2026-11
    runs: int
    results: int
    counts: dict[str, int]
    found: int
    fixed: int
    due: int
    done: int

    @property
    def rate(self) -> str:
        return pct(100.0 * self.done / self.due) if self.due else "—"


@dataclass
class YearlyFiles:
    directory: Path
    xlsx: Path
    docx: Path
    data: ReportData
    months: list[Month]
    subsystems: list[SubsystemAnalysis]
    compliance: list[cadence_mod.CadenceCompliance]
    plan: list[str]


def months_of(data: ReportData, compliance: list[cadence_mod.CadenceCompliance]) -> list[Month]:
    runs, due, done = defaultdict(int), defaultdict(int), defaultdict(int)
    for run in data.runs:
        runs[f"{run.started:%Y-%m}"] += 1
    for c in compliance:
        for s in c.slots:
            due[f"{s.start:%Y-%m}"] += 1
            done[f"{s.start:%Y-%m}"] += s.done
    out = []
    for label in sorted(set(data.by_month) | set(due)):
        n = data.by_month.get(label, {})
        out.append(Month(label, runs[label], sum(n.get(s, 0) for s in ("pass", "warn", "fail", "error", "waived", "skip")),
                         n, sum(1 for p in data.problems if f"{p.found:%Y-%m}" == label),
                         sum(1 for p in data.problems if p.fixed and f"{p.fixed:%Y-%m}" == label), due[label],
                         done[label]))
    return out


def plan_of(subs: list[SubsystemAnalysis], compliance) -> list[str]:
    """Next year's plan: every subsystem's standing solutions (not 'ran well'), and the slots to keep."""
    calm = say("advice.calm")
    plan = [f"{a.name}：{text}" for a in subs for text in a.advice if text != calm]
    missed = sum(len(c.missed) for c in compliance)
    if missed:
        due = sum(c.due for c in compliance)
        plan.append(say("advice.missed", count=missed, rate=pct(100.0 * (due - missed) / due) if due else "—"))
    return plan or [calm]


def make_yearly(reports: Path, inv: Inventory, lot: str, period: Period, out: Path | None = None,
                root_hash: str = "") -> YearlyFiles:
    if period.kind != "year":
        raise ReportError(f"period '{period.label}': a yearly summary is of a year (e.g. {period.start.year})")
    data, compliance, subs = gather(reports, inv, lot, period)
    data.root_hash = root_hash
    with report_directory(out or reports / "out", stem(f"yearly-lot{lot}", period.label)) as box:
        directory = box.path
        files = YearlyFiles(directory, directory / "yearly.xlsx", directory / "yearly.docx", data,
                            months_of(data, compliance), subs, compliance, plan_of(subs, compliance))
        yearly_xlsx(files)
        yearly_docx(files, lot, period)
        box.result = files
    return box.result


def yearly_xlsx(files: YearlyFiles) -> None:
    book = Book(files.xlsx)
    months = book.sheet("各月情况", ["月份", "巡检次数", "巡检结果", *(LABELS[k] for k in ("pass", "warn", "fail", "error")),
                                 "新发现问题", "已整改问题", "应巡检时段", "已巡检时段", "完成率"],
                        [10, 8, 10, 8, 8, 8, 8, 10, 10, 10, 10, 8])
    for m in files.months:
        months.row((m.label, m.runs, m.results, *(m.counts.get(k, 0) for k in ("pass", "warn", "fail", "error")),
                    m.found, m.fixed, m.due, m.done, m.rate))
    subs = book.sheet("各分系统", ["分系统", "设备数", "已巡检设备", "正常率", "问题数", "未整改", "已过保"],
                      [24, 8, 10, 8, 8, 8, 8])
    for a in files.subsystems:
        subs.row((a.name, len(a.hosts), a.inspected, a.ok_rate, sum(len(g.hosts) for g in a.groups),
                  sum(g.open for g in a.groups), len(a.expired)))
    groups = book.sheet("主要问题", ["检查项", "涉及设备", "出现次数", "已整改", "未整改", "平均整改用时", "解决方案"],
                        [30, 40, 8, 8, 8, 12, 60])
    for g in group_problems(files.data.problems):
        groups.row((f"{g.check_id} {g.title}", "、".join(g.hosts), g.times, g.fixed, g.open, hours_text(g.hours_to_fix),
                    g.remedy))
    open_ = book.sheet("年末未整改问题", ["设备", "检查项", "首次发现", "最近发现", "出现次数", "问题描述", "整改建议"],
                       [20, 30, 17, 17, 8, 40, 40])
    for p in files.data.problems:
        if not p.fixed:
            open_.row((p.host, f"{p.check_id} {p.title}", f"{p.found:%Y-%m-%d %H:%M}", f"{p.last_seen:%Y-%m-%d %H:%M}",
                       p.times, p.message, p.remedy))
    plan = book.sheet("下一年度工作建议", ["序号", "内容"], [6, 120])
    for i, text in enumerate(files.plan, 1):
        plan.row((i, text))
    book.close()


def yearly_docx(files: YearlyFiles, lot: str, period: Period) -> None:
    data, compliance = files.data, files.compliance
    lot_name, cover = facts(data, lot, period)
    due, done = sum(c.due for c in compliance), sum(c.done for c in compliance)
    fixed = [p for p in data.problems if p.fixed]
    hours = [(p.fixed - p.found).total_seconds() / 3600 for p in fixed]
    doc = Word()
    doc.cover(f"{lot_name} {say('yearly.title', year=period.start.year)}",
              say("yearly.subtitle", year=period.start.year, runs=len(data.runs)), cover)
    doc.heading(say("yearly.overview_title"))
    doc.para(say("yearly.overview", year=period.start.year, lot_name=lot_name, subsystems=len(files.subsystems),
                 hosts=sum(len(a.hosts) for a in files.subsystems), runs=len(data.runs), due=due, done=done,
                 rate=pct(100.0 * done / due) if due else "—", results=data.results, c=data.counts,
                 problems=len(data.problems), fixed=len(fixed),
                 fix_rate=pct(100.0 * len(fixed) / len(data.problems)) if data.problems else "—",
                 mean_fix=hours_text(sum(hours) / len(hours)) if hours else ""))
    doc.heading(say("yearly.months_title"))
    doc.table(["月份", "巡检次数", "结果", "告警", "异常", "无法巡检", "新发现问题", "已整改", "时段完成率"],
              [(f"{int(m.label[5:])}月", m.runs, m.results, m.counts.get("warn", 0), m.counts.get("fail", 0),
                m.counts.get("error", 0), m.found, m.fixed, m.rate) for m in files.months], [18, 18, 20, 16, 16, 18, 22, 18, 24])
    for chart in checked_charts(data, lambda d: [charts.monthly(d, [m.label for m in files.months])]):
        doc.picture(chart.png, chart.title)
    doc.heading(say("yearly.subsystems_title"))
    doc.table(["分系统", "设备数", "已巡检", "正常率", "问题", "未整改", "已过保"],
              [(a.name, len(a.hosts), a.inspected, a.ok_rate, sum(len(g.hosts) for g in a.groups),
                sum(g.open for g in a.groups), len(a.expired)) for a in files.subsystems],
              [50, 18, 18, 22, 18, 22, 22])
    doc.heading(say("yearly.problems_title"))
    groups = sorted(group_problems(data.problems), key=lambda g: (-g.times, g.check_id))[:20]
    if groups:
        doc.table(["检查项", "涉及设备", "出现次数", "已整改", "未整改", "平均整改用时"],
                  [(f"{g.check_id} {g.title}", "、".join(g.hosts[:6]) + (f" 等 {len(g.hosts)} 台" if len(g.hosts) > 6 else ""),
                    g.times, g.fixed, g.open, hours_text(g.hours_to_fix)) for g in groups], [42, 52, 18, 18, 18, 22])
    else:
        doc.para(say("yearly.problems_none"))
    doc.section(say("yearly.open_title"), ["设备", "检查项", "首次发现", "问题描述", "整改建议"],
                [(p.host, f"{p.check_id} {p.title}", f"{p.found:%Y-%m-%d}", p.message, p.remedy)
                 for p in data.problems if not p.fixed][:100], [26, 32, 22, 45, 45], say("yearly.open_none"))
    doc.heading(say("yearly.plan_title"))
    for i, text in enumerate(files.plan, 1):
        doc.para(f"{i}. {text}")
    doc.signoff(say("yearly.signoff_title"), ["编制人（乙方）", "项目负责人（乙方）",
                                            f"甲方确认（{'、'.join(data.name('bureau', b) for b in data.scope['bureaus'])}）"])
    doc.save(files.docx)
