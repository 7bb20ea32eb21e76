"""The monthly operations ledger (运维台账) of a lot: what was done, when, by whom, what it found and what became of it.

Lots 20–24 must hand one in every month ("每月提交运维台账"); lot 19 keeps 系统运行台账 and
fault records that track a problem "直至问题关闭". Its content, all from the inspection
runs themselves:
  - 巡检执行情况: each cadence's slots in the month, filled (by which run, how many hosts)
    or missed — the basis of "未巡查扣分";
  - 巡检记录: one line per run with its counts;
  - 问题处理记录: every problem's life, found → seen again → fixed (or still open);
  - 巡检明细 (XLSX): every result of every run.
  - 配置备份记录: each configuration backup run of the lot's devices, and every failed or quarantined
    capture with its cause (from reports/backups/, verified like the inspection runs).
  - 数据库及文件备份记录: the backup ledger's entries of the lot's hosts and clusters in the month (the files
    backups cityops ran, verified or failed or cut short, and the engineer's manual entries), with a broken
    chain said, not hidden; 恢复演练记录: the restore drills of the month.
  - 变更记录: each change of the lot requested in the month (patches and network changes: who, why, what, how it
    ended, what was rolled back or left untouched, its 变更方案), read through the change register.
Faults join it as those records come to exist; a ledger never prints a section for records that are not kept.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..backup.ledger import DRILL_HEADERS, LEDGER_HEADERS, drill_rows, ledger_rows
from ..change.record import CHANGE_HEADERS, change_rows
from ..inventory.model import Inventory
from ..schedule.fire import LEDGER_HEADERS as SCHEDULE_HEADERS
from ..schedule.fire import STATUS_NAMES
from ..schedule.fire import lot_rows as schedule_rows
from ..terms import cadence_name, severity_name
from ..timeutil import BEIJING
from . import cadence as cadence_mod
from .backups import PROBLEM_HEADERS as BACKUP_PROBLEM_HEADERS
from .backups import RUN_HEADERS as BACKUP_RUN_HEADERS
from .backups import BackupRecords, backup_records
from .build import previous_run, report_directory, stem
from .render import MANUAL_HEADERS, MANUAL_WIDTHS, DetailSheet, checks_sheet, hosts_sheet, manual_rows, wording
from .runs import Period, ReportError, find_runs
from .summary import LABELS, PROJECT, Problem, ReportData, summarize, vocabulary
from .word import Word
from .workbook import Book


@dataclass
class LedgerFiles:
    directory: Path
    xlsx: Path
    docx: Path
    data: ReportData
    compliance: list[cadence_mod.CadenceCompliance]
    backups: BackupRecords | None = None
    ledger_rows: list[tuple] | None = None  # 数据库及文件备份记录 (the backup ledger's entries in the period)
    ledger_problems: list[str] | None = None
    drill_rows: list[tuple] | None = None  # 恢复演练记录
    change_rows: list[tuple] | None = None  # 变更记录
    change_problems: list[str] | None = None
    schedule_rows: list[tuple] | None = None  # 计划任务执行情况 (the runner's scheduled slots of the lot)


def problem_state(p: Problem) -> str:
    return "已整改" if p.fixed else "未整改"


def when(t) -> str:
    return f"{t:%Y-%m-%d %H:%M}" if t else ""


def run_row(run, n: dict) -> tuple:
    m = run.manifest
    return (run.run_id, m.get("period_slot", ""), cadence_name(m.get("cadence"), ""),
            m.get("inspector", ""), when(run.started), run.label,
            n.get("hosts", 0), n.get("results", 0), n.get("pass", 0), n.get("warn", 0), n.get("fail", 0),
            n.get("error", 0), n.get("waived", 0), n.get("fixed", 0))


RUN_HEADERS = ["巡检编号", "巡检时段", "巡检频率", "巡检人", "开始时间", "状态", "设备数", "结果数", "正常", "告警", "异常",
               "无法巡检", "已豁免", "已整改"]
PROBLEM_HEADERS = ["序号", "设备", "分系统", "检查项", "级别", "首次发现", "最近发现", "本期出现次数", "问题描述", "整改建议",
                   "处理状态", "整改确认时间", "整改后结果"]


def make_ledger(reports: Path, inv: Inventory, lot: str, period: Period, out: Path | None = None,
                root_hash: str = "") -> LedgerFiles:
    if lot not in dict(inv.vocabulary.known("lot")):
        raise ReportError(f"lot '{lot}': not a lot of the inventory")
    runs_dir = reports / "runs"
    runs = find_runs(runs_dir, lot=lot, period=period)
    names = vocabulary(inv)
    with report_directory(out or reports / "out", stem(f"ledger-lot{lot}", period.label)) as box:
        directory = box.path
        book = Book(directory / "ledger.xlsx")
        head = book.sheet("台账汇总", widths=[22, 70])
        compliance_sheet = book.sheet("巡检执行情况", ["巡检频率", "应巡检时段", "执行情况", "巡检编号", "巡检设备数",
                                                  "应巡检设备数"], [12, 26, 10, 60, 10, 12])
        runs_sheet = book.sheet("巡检记录", RUN_HEADERS, [26, 16, 10, 10, 17, 8, 8, 8, 8, 8, 8, 8, 8, 8])
        problems_sheet = book.sheet("问题处理记录", PROBLEM_HEADERS, [6, 20, 16, 28, 6, 17, 17, 8, 40, 40, 10, 17, 30])
        detail = DetailSheet(book, names)
        data = summarize(runs, inv=inv, period=period, previous=previous_run(runs_dir, runs[0]), lot=lot, sink=detail)
        compliance = cadence_mod.compliance(runs_dir, inv, lot, period, data.hosts_of_run)
        lot_name = f"标项{lot}（{names['lot'].get(lot, lot)}）"
        bureau_names = "、".join(data.name("bureau", b) for b in data.scope["bureaus"])
        fixed = sum(1 for p in data.problems if p.fixed)
        w = wording(data, {"d": data, "c": data.counts, "compliance": compliance, "due": sum(c.due for c in compliance),
                           "done": sum(c.done for c in compliance), "problems": len(data.problems), "fixed": fixed,
                           "lot_name": lot_name, "bureau_names": bureau_names}, "ledger.yml.j2")
        facts = [("项目名称", PROJECT), ("标项", lot_name), ("委办局（甲方）", bureau_names),
                 ("台账周期", period.chinese), ("生成时间", data.generated)]
        if root_hash:
            facts.append(("证据包根哈希（SHA-256）", root_hash))
        head.row((f"{lot_name} {w['title']}",), bold=True)
        for k, v in facts:
            head.row((k, v))
        head.blank()
        head.row(("巡检频率", "应巡检时段 / 已巡检 / 未巡检 / 完成率"), bold=True)
        for c in compliance:
            head.row((c.name, f"{c.due} / {c.done} / {c.due - c.done} / {c.rate:.1f}%"))
        head.blank()
        head.row(("巡检结果", "、".join(f"{LABELS[k]} {data.counts[k]}" for k in ("pass", "warn", "fail", "error",
                                                                          "waived", "fixed"))), bold=True)
        head.row(("问题", f"本期问题 {len(data.problems)} 项，已整改 {fixed} 项，未整改 {len(data.problems) - fixed} 项"))
        for c in compliance:
            for s in c.slots:
                compliance_sheet.row((c.name, s.label, "已巡检" if s.done else "未巡检", "、".join(s.runs),
                                      s.hosts if s.done else 0, c.required_hosts))
        for run in runs:
            runs_sheet.row(run_row(run, data.by_run.get(run.run_id, {})))
        for i, p in enumerate(data.problems, 1):
            problems_sheet.row(problem_row(i, p, data))
        backups = backup_records(reports, lot, period)
        if backups.runs:  # a ledger prints no section for records that are not kept
            head.row(("配置备份", f"本期备份 {len(backups.runs)} 次，涉及设备 {backups.devices} 台，"
                                 f"失败或隔离 {len(backups.problems)} 项"))
            backup_sheet = book.sheet("配置备份记录", BACKUP_RUN_HEADERS, [28, 17, 10, 8, 10, 8, 8, 8, 30])
            for r in backups.run_rows:
                backup_sheet.row(r)
            problem_sheet = book.sheet("配置备份异常", BACKUP_PROBLEM_HEADERS, [17, 24, 10, 18, 70])
            for r in backups.problems:
                problem_sheet.row(r)
        owners = {h.name for h in inv.hosts.values() if lot in h.lots}
        owners |= {f"cluster_{inv.hosts[n].get('cluster')}" for n in owners if inv.hosts[n].get("cluster")}
        start = dt.datetime.combine(period.start, dt.time(), tzinfo=BEIJING)
        end = dt.datetime.combine(period.end, dt.time(), tzinfo=BEIJING)
        ledger, ledger_problems = ledger_rows(reports, owners, start, end)
        drilled = drill_rows(reports, owners, start, end)
        if ledger or ledger_problems:  # a ledger prints no section for records that are not kept
            failed = sum(r[4] not in ("已完成", "已校验") for r in ledger)
            head.row(("数据库及文件备份", f"本期登记 {len(ledger)} 项，其中失败或未完成 {failed} 项" + (
                f"；备份记录登记簿校验异常：{'；'.join(ledger_problems)}" if ledger_problems else "")))
            sheet = book.sheet("数据库及文件备份记录", LEDGER_HEADERS, [17, 20, 14, 30, 8, 10, 50, 17, 10])
            for r in ledger:
                sheet.row(r)
        if drilled:
            head.row(("恢复演练", f"本期 {len(drilled)} 次，成功 {sum(r[7] == '成功' for r in drilled)} 次"))
            sheet = book.sheet("恢复演练记录", DRILL_HEADERS, [17, 20, 14, 40, 12, 30, 30, 8, 60])
            for r in drilled:
                sheet.row(r)
        scheduled, schedule_problems = schedule_rows(reports, lot, start, end)
        if scheduled or schedule_problems:  # a runner's unattended runs, with its missed and ended slots
            bad = [r for r in scheduled if r[3] not in (STATUS_NAMES["ok"], STATUS_NAMES["findings"])]
            head.row(("计划任务", f"本期计划时段 {len(scheduled)} 个，未执行、跳过、超时或失败 {len(bad)} 个" + (
                f"；计划任务记录校验异常：{'；'.join(schedule_problems)}" if schedule_problems else "")))
            sheet = book.sheet("计划任务执行情况", SCHEDULE_HEADERS, [17, 50, 14, 16, 10, 40, 50])
            for r in scheduled:
                sheet.row(r)
        changes, change_problems = change_rows(reports, lot, start, end)
        if changes or change_problems:
            applied = sum(r[7] == "实施" for r in changes)
            head.row(("变更", f"本期变更 {len(changes)} 项，其中实施 {applied} 项" + (
                f"；变更登记簿校验异常：{'；'.join(change_problems)}" if change_problems else "")))
            sheet = book.sheet("变更记录", CHANGE_HEADERS, [30, 17, 12, 30, 10, 30, 40, 14, 30, 40, 20, 40])
            for r in changes:
                sheet.row(r)
        hosts_sheet(book, data.by_host, inv, names)
        checks_sheet(book, detail.checks)
        book.close()
        files = LedgerFiles(directory, book.path, directory / "ledger.docx", data, compliance, backups, ledger,
                            ledger_problems, drilled, changes, change_problems, scheduled)
        ledger_docx(files, w, facts)
        box.result = files
    return box.result


def problem_row(i: int, p: Problem, data: ReportData) -> tuple:
    return (i, p.host, data.name("subsystem", p.subsystem), f"{p.check_id} {p.title}", severity_name(p.severity),
            when(p.found), when(p.last_seen), p.times, f"{LABELS.get(p.worst, p.worst)}：{p.message}", p.remedy,
            problem_state(p), when(p.fixed), p.fixed_message)


def ledger_docx(files: LedgerFiles, w: dict, facts: list[tuple[str, str]]) -> None:
    data, compliance = files.data, files.compliance
    doc = Word()
    doc.cover(f"{facts[1][1]} {w['title']}", w["cover_subtitle"], facts)

    doc.heading(w["summary_title"])
    doc.para(w["summary_text"])

    doc.heading(w["compliance_title"])
    doc.table(["巡检频率", "应巡检设备数", "应巡检时段", "已巡检", "未巡检", "完成率", "设备未全覆盖时段"],
              [(c.name, c.required_hosts, c.due, c.done, c.due - c.done, f"{c.rate:.1f}%", len(c.partial))
               for c in compliance], [22, 24, 24, 20, 20, 20, 40])
    missed = [(c.name, first.label if n == 1 else f"{first.label} 至 {last.label}", n)
              for c in compliance for first, last, n in cadence_mod.spans(c.missed)]
    if missed:
        doc.para(w["missed_lead"], bold=True)
        doc.table(["巡检频率", "未巡检时段", "时段数"], missed[:120], [30, 110, 30])
        if len(missed) > 120:
            doc.para(f"共 {len(missed)} 段，其余见 XLSX“巡检执行情况”。")
    else:
        doc.para(w["missed_none"])
    unattended = [r for r in files.schedule_rows or [] if r[3] not in (STATUS_NAMES["ok"], STATUS_NAMES["findings"])]
    if unattended:  # the runner's own account of slots it did not fill: missed, skipped, ended at the limit
        doc.para(f"计划任务未正常完成的时段（共 {len(unattended)} 个）：", bold=True)
        doc.table(["计划时间", "计划任务", "结果", "说明"], [(r[0], r[1], r[3], r[6]) for r in unattended[:120]],
                  [28, 62, 24, 56])

    doc.heading(w["runs_title"])
    doc.table(["巡检编号", "时段", "巡检人", "设备数", "正常", "告警", "异常", "无法巡检", "已整改"],
              [(r[0], r[1], r[3], r[6], r[8], r[9], r[10], r[11], r[13])
               for r in (run_row(run, data.by_run.get(run.run_id, {})) for run in data.runs)],
              [40, 26, 16, 14, 14, 14, 14, 18, 14])

    doc.section(w["problems_title"], ["序号", "设备", "检查项", "首次发现", "问题描述", "整改建议", "处理状态"],
                [(i, p.host, f"{p.check_id} {p.title}", when(p.found), p.message, p.remedy,
                  f"{problem_state(p)}{'（' + when(p.fixed) + '）' if p.fixed else ''}")
                 for i, p in enumerate(data.problems, 1)], [9, 24, 28, 20, 36, 32, 21], w["problems_none"])

    doc.section(w["errors_title"], ["设备", "检查项", "原因"],
                [(f.result["host"], f"{f.result['check_id']} {f.result['title']}", f.result["message"])
                 for f in data.findings if f.result["status"] == "error"], [40, 50, 80], w["errors_none"])
    doc.section(w["manual_title"], MANUAL_HEADERS, manual_rows(data), MANUAL_WIDTHS, w["manual_none"])
    if files.backups and files.backups.runs:
        b = files.backups
        doc.heading("配置备份记录")
        doc.para(f"本期对本标项设备进行配置备份 {len(b.runs)} 次，涉及设备 {b.devices} 台；配置以脱敏文本存入配置库"
                 f"（每次变更一个版本），完整配置加密另存，可用于设备恢复。")
        doc.table(["备份编号", "开始时间", "设备数", "已备份", "有变更", "失败", "已隔离", "状态"],
                  [(r[0], r[1], r[3], r[4], r[5], r[6], r[7], r[8]) for r in b.run_rows[-60:]],
                  [40, 26, 14, 14, 14, 12, 12, 38])
        if len(b.run_rows) > 60:
            doc.para(f"共 {len(b.run_rows)} 次，其余见 XLSX“配置备份记录”。")
        doc.section("配置备份异常", BACKUP_PROBLEM_HEADERS, b.problems[:200], [26, 30, 16, 24, 74],
                    "本期配置备份无失败、隔离或未保存的配置。")
    if files.ledger_rows or files.ledger_problems:
        doc.heading("数据库及文件备份记录")
        for problem in files.ledger_problems or []:
            doc.para(f"备份记录登记簿校验异常：{problem}（此后的记录不予采信）", bold=True)
        doc.table(["完成时间", "设备/群集", "备份内容", "结果", "操作人", "说明"],
                  [(r[0], r[1], r[3], r[4], r[5], r[6]) for r in (files.ledger_rows or [])[:200]],
                  [26, 30, 40, 12, 16, 56])
    if files.drill_rows:
        doc.heading("恢复演练记录")
        doc.table(["演练时间", "设备/群集", "所用备份", "恢复用时（秒）", "数据核对", "结果", "说明"],
                  [(r[0], r[1], r[3], r[4], r[6], r[7], r[8]) for r in files.drill_rows[:100]],
                  [24, 26, 34, 14, 30, 10, 50])
    if files.change_rows or files.change_problems:
        doc.heading("变更记录")
        for problem in files.change_problems or []:
            doc.para(f"变更登记簿校验异常：{problem}", bold=True)
        doc.table(["变更编号", "申请时间", "变更名称", "实施人", "变更对象", "结果", "回退情况"],
                  [(r[0], r[1], r[3], r[4], r[6], f"{r[7]}；{r[8]}", r[9]) for r in (files.change_rows or [])[:100]],
                  [30, 20, 30, 12, 30, 30, 28])
    doc.para(w["detail_note"])
    doc.signoff(w["signoff_title"], w["signoff_rows"])
    doc.save(files.docx)
