"""The report as files: one self-contained HTML, an XLSX with a row per result, an editable Word document.

Wording comes from templates/report/ (Jinja2), so a bureau's preferred phrasing is a
reviewed change to a template, not to this code. The HTML carries its charts as
data: URIs and links nothing outside itself; the XLSX is written in streaming mode
(a quarter of twice-daily runs is hundreds of thousands of rows, written as they are read); the DOCX is A4
with 宋体 for body text and 仿宋 for tables, the East-Asian font set explicitly
(Word otherwise falls back to a Latin font for Chinese).
"""

from __future__ import annotations

import base64
import json
import re
from pathlib import Path

import jinja2
import yaml

from ..terms import cadence_name, severity_name
from .charts import Chart
from .summary import COLUMNS, LABELS, PROJECT, SEVERITY, ReportData
from .word import Word
from .workbook import Book

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "report"
DETAIL_LIMIT = 3000  # results shown in full in HTML/DOCX; beyond that the XLSX carries them


def yaml_text(value) -> str:
    """A value as it may stand inside the YAML wording: one line, quotes and backslashes escaped as in a
    double-quoted scalar, so text from a device or a manifest can never end a key or start a new one."""
    if isinstance(value, int | float) or value is None:
        return "" if value is None else str(value)
    return json.dumps(" ".join(str(value).split()), ensure_ascii=False)[1:-1]


def _env(markup: bool = True) -> jinja2.Environment:
    """HTML: every value escaped (a device's answer is data, never markup) and the lines its tags leave trimmed.
    YAML wording: every newline kept (they end its keys) and every value made safe to stand in it."""
    if markup:
        return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                  undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=False, finalize=yaml_text,  # nosec B701  # YAML wording; values escaped by yaml_text
                              undefined=jinja2.StrictUndefined)


def value_text(r: dict) -> str:
    v = r.get("value")
    if v is None or v == "":
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return f"{v}{r.get('unit') or ''}"


def short_value(r: dict) -> str:
    """The value for a narrow table column: a number with its unit, a short word; a long text stays in 说明."""
    text = value_text(r)
    return text if isinstance(r.get("value"), (int, float)) or len(text) <= 16 else ""


UNREACHABLE_ADVICE = "检查设备连通性、凭据与登录方式后重新巡检。"


def finding_rows(data: ReportData) -> list[dict]:
    """The findings as table rows, worst first; a device that could not be reached is one row naming all the checks
    it failed for the same cause, not one row per check."""
    rows: list[dict] = []
    merged: dict[tuple[str, str], dict] = {}
    for f in data.findings:
        r = f.result
        key = (r["host"], r.get("cause") or "")
        if r["status"] == "error" and key in merged:
            merged[key]["checks"].append((r["check_id"], r["title"]))
            continue
        row = {"status": r["status"], "severity": severity_name(r.get("severity")), "host": r["host"],
               "display_name": r.get("display_name") or "", "address": r.get("address") or "",
               "checks": [(r["check_id"], r["title"])], "value": short_value(r), "threshold": r.get("threshold") or "",
               "message": r["message"], "times": f.times, "modelled": bool(r.get("modelled")),
               "during_change": r.get("during_change") or "",
               "remedy": r.get("remedy") or (UNREACHABLE_ADVICE if r["status"] == "error" else "")}
        if r["status"] == "error":
            merged[key] = row
            row["cause"] = r["message"].split("：", 1)[-1]
        rows.append(row)
    for row in rows:
        if len(row["checks"]) > 1:
            row["message"] = f"{len(row['checks'])} 项检查均无法完成：{row['cause']}"
        if row["during_change"]:  # found while a change was under way on the host: the change's, not a new fault
            row["message"] = f"（变更 {row['during_change']} 实施期间发现，属变更过程，非新增故障）{row['message']}"
    return rows


MANUAL_HEADERS, MANUAL_WIDTHS = ["设备/机房", "项目", "状态", "记录"], [36, 44, 16, 74]


def manual_rows(data: ReportData) -> list[tuple]:
    return [(r["host"], r["title"], LABELS[r["status"]], r["message"]) for r in data.manual]


def commands_text(r: dict) -> str:
    return "；".join(str(e.get("command", "")) for e in r.get("evidence") or [])[:300]


def context(data: ReportData) -> dict:
    names = lambda facet, ids: "、".join(data.name(facet, i) for i in ids) or "—"  # noqa: E731
    hosts = sorted(data.by_host.items(), key=lambda kv: (-(kv[1]["fail"] + kv[1]["error"] + kv[1]["warn"]), kv[0]))
    shown = [h for h in hosts if h[1]["fail"] + h[1]["error"] + h[1]["warn"] + h[1]["missing"]] or hosts[:50]
    base = {"d": data, "c": data.counts, "labels": LABELS, "columns": COLUMNS, "severity": SEVERITY,
            "project": PROJECT, "lot_names": listed([f"标项{x} {data.name('lot', x)}" for x in data.scope["lots"]], "标项",
                                                   [f"标项{x}" for x in data.scope["lots"]]),
            "bureau_names": names("bureau", data.scope["bureaus"]),
            "subsystem_names": listed([data.name("subsystem", x) for x in data.scope["subsystems"]], "分系统"),
            "run_count": len(data.runs), "host_count": data.inspected_hosts,
            "subsystems": sorted(data.by_subsystem.items()), "hosts": shown[:300],
            "hosts_left": len(hosts) - len(shown[:300]),
            "value": value_text, "commands": commands_text, "finding_rows": finding_rows(data),
            "cadence": cadence_name}
    return base


CJK_PUNCT = "。，；：、！？）（“”"


def tidy(text: str) -> str:
    """Prose on one line: the spaces a folded YAML line leaves beside Chinese punctuation go, the others stay."""
    text = " ".join(text.split())
    return re.sub(rf"\s*([{CJK_PUNCT}])\s*", r"\1", text)


def listed(full: list[str], noun: str, short: list[str] | None = None, limit: int = 6) -> str:
    """A cover line: a few names in full; many as a count and their short forms (an estate run has 35 lots)."""
    if not full:
        return "—"
    if len(full) <= limit:
        return "、".join(full)
    return f"共 {len(full)} 个{noun}" + (f"：{'、'.join(short)}" if short else "")


def wording(data: ReportData, ctx: dict | None = None, template: str = "wording.yml.j2") -> dict:
    """A document's headings and prose, from its YAML template under templates/report/, filled in."""
    ctx = ctx or context(data)
    text = _env(markup=False).get_template(template).render(**ctx)
    return {k: tidy(v) if isinstance(v, str) else v for k, v in yaml.safe_load(text).items()}


def html(data: ReportData, charts: list[Chart]) -> str:
    ctx = context(data)
    detail = list(data.rows()) if data.kind == "run" and data.results <= DETAIL_LIMIT else None
    return _env().get_template("report.html.j2").render(
        **ctx, w=wording(data, ctx), detail=detail,
        charts=[{"title": c.title, "b64": base64.b64encode(c.png).decode()} for c in charts])


DETAIL_COLUMNS = [("巡检编号", "run_id", 26), ("设备", "host", 20), ("设备名称", "display_name", 22),
                  ("分系统", "subsystem", 16), ("检查项编号", "check_id", 13), ("检查项", "title", 22),
                  ("状态", "status", 8), ("测量值", "value", 9), ("单位", "unit", 6), ("说明", "message", 40),
                  ("整改建议", "remedy", 30), ("采集时间", "collected", 20), ("输出摘要 SHA-256", "sha256", 20)]


class DetailSheet:
    """巡检明细 (one row per result, written as the results stream past) and the 检查项 met on the way.

    Per-host facts (address, site, class ...) go once to 设备清单 and per-check facts
    (级别, threshold, commands, 等保条款) once to 检查项: a month of results is 13 cells a row, not 21,
    and writing cells is most of a month report's time."""

    def __init__(self, book: Book, names: dict, name: str = "巡检明细"):
        self.names = names
        self.sheet = book.sheet(name, [t for t, _k, _w in DETAIL_COLUMNS], [w for _t, _k, w in DETAIL_COLUMNS],
                                freeze=(1, 3))
        self.checks: dict[str, dict] = {}

    def __call__(self, r: dict) -> None:
        evidence = (r.get("evidence") or [{}])[0]
        sub = r.get("subsystem")
        value = r.get("value")
        self.sheet.row((r.get("run_id"), r["host"], r.get("display_name"),
                        self.names.get("subsystem", {}).get(sub, sub) if sub else "", r["check_id"], r.get("title"),
                        LABELS.get(r["status"], r["status"]),
                        value if isinstance(value, (int, float)) else (str(value) if value is not None else None),
                        r.get("unit"), r.get("message"), r.get("remedy"), evidence.get("collected"),
                        evidence.get("sha256")))
        if r["check_id"] not in self.checks:
            self.checks[r["check_id"]] = r


def hosts_sheet(book: Book, hosts, inv, names: dict) -> None:
    sheet = book.sheet("设备清单", ["设备", "设备名称", "管理地址", "委办局", "标项", "分系统", "机房/站点", "网络区域",
                                 "设备类别", "厂商", "型号", "维保到期"], [20, 22, 14, 12, 10, 18, 16, 14, 14, 10, 16, 12])
    for host in sorted(hosts):
        h = inv.hosts.get(host) if inv else None
        if h is None:
            sheet.row((host,))
            continue
        named = lambda facet, key, h=h: names.get(facet, {}).get(h.get(key), h.get(key))  # noqa: E731
        sheet.row((host, h.get("display_name"), h.get("ansible_host"), named("bureau", "bureau"), "、".join(h.lots),
                   named("subsystem", "subsystem"), named("site", "site"), h.get("zone"), named("class", "device_class"),
                   h.get("vendor"), h.get("model"), h.get("warranty_end")))


def checks_sheet(book: Book, checks: dict[str, dict]) -> None:
    sheet = book.sheet("检查项", ["检查项编号", "检查项", "级别", "阈值", "命令/查询", "等保条款"], [13, 30, 8, 30, 40, 30])
    for cid in sorted(checks):
        r = checks[cid]
        sheet.row((cid, r.get("title"), SEVERITY.get(r.get("severity"), r.get("severity")), r.get("threshold"),
                   commands_text(r), r.get("standard")))


class XlsxReport:
    """The report's workbook, written in the same pass that computes its summary: tabs 汇总, 问题清单, 巡检明细,
    未巡检, 设备清单, 检查项. Open it, hand `detail` to summarize() as its sink, then finish(data)."""

    def __init__(self, path: Path, names: dict):
        self.book = Book(path)
        self.names = names
        self.summary = self.book.sheet("汇总", widths=[22, 12, 10, 10, 10, 10, 10, 10, 10])
        self.findings = self.book.sheet("问题清单", ["序号", "状态", "级别", "设备", "设备名称", "检查项", "测量值",
                                                 "阈值", "说明", "整改建议"], [6, 10, 6, 20, 22, 30, 10, 20, 40, 40])
        self.detail = DetailSheet(self.book, names)
        self.missing = self.book.sheet("未巡检", ["设备", "检查项", "原因"], [22, 16, 40])

    def finish(self, data: ReportData, inv=None) -> None:
        s = self.summary
        s.row((data.title,), bold=True)
        s.row(("巡检周期", data.period_label))
        s.row(("报告生成时间", data.generated))
        if data.root_hash:
            s.row(("证据包根哈希", data.root_hash))
        s.blank()
        s.row(("分系统", *(LABELS[k] for k in COLUMNS), "合计结果"), bold=True)
        for sub, n in sorted(data.by_subsystem.items()):
            s.row((data.name("subsystem", sub) or "（未分系统）", *(n[k] for k in COLUMNS),
                   sum(n[x] for x in ("pass", "warn", "fail", "error", "waived", "skip"))))
        s.row(("合计", *(data.counts[k] for k in COLUMNS), data.results), bold=True)
        for i, f in enumerate(data.findings, 1):
            r = f.result
            self.findings.row((i, LABELS[r["status"]], severity_name(r.get("severity")), r["host"],
                               r.get("display_name"), f"{r['check_id']} {r['title']}", value_text(r),
                               r.get("threshold"), r["message"], r.get("remedy")))
        for row in data.missing:
            self.missing.row(row)
        hosts_sheet(self.book, data.by_host, inv, self.names)
        checks_sheet(self.book, self.detail.checks)
        self.book.close()


def docx(data: ReportData, charts: list[Chart], path: Path) -> None:
    """Editable Word on A4: cover, summary, findings with 整改建议, subsystems, charts, fixed / missing / waived /
    manual items, the runs, (for a single run) every result, and the sign-off block."""
    ctx = context(data)
    w = wording(data, ctx)
    doc = Word()
    doc.cover(data.title, w["cover_subtitle"], [
        ("项目名称", PROJECT), ("标项", ctx["lot_names"]), ("委办局（甲方）", ctx["bureau_names"]),
        ("分系统", ctx["subsystem_names"]), ("巡检周期", data.period_label), ("报告生成时间", data.generated)],
        w["integrity"])

    doc.heading(w["summary_title"])
    doc.para(w["summary_text"])
    doc.table([*(LABELS[k] for k in COLUMNS), "合计结果"], [[*(data.counts[k] for k in COLUMNS), data.results]])
    doc.para(w["error_note"])

    doc.heading(w["findings_title"])
    if data.findings:
        doc.table(["序号", "状态", "设备", "检查项", "测量值/阈值", "说明", "整改建议"],
                  [(i, f"{LABELS[f['status']]} {f['severity']}", f"{f['host']}\n{f['display_name']}",
                    "\n".join(f"{c} {t}" for c, t in f["checks"]), f"{f['value']}\n{f['threshold']}".strip(),
                    f["message"] + (f"（本期出现 {f['times']} 次）" if f["times"] > 1 else "") + ("※" if f["modelled"] else ""),
                    f["remedy"])
                   for i, f in enumerate(ctx["finding_rows"], 1)],
                  [9, 14, 26, 30, 18, 37, 36])
        if any(f["modelled"] for f in ctx["finding_rows"]):
            doc.para(w["modelled_note"])
    else:
        doc.para(w["findings_none"])

    doc.heading(w["subsystem_title"])
    doc.table(["分系统", *(LABELS[k] for k in COLUMNS)],
              [(data.name("subsystem", s) or "（未分系统）", *(n[k] for k in COLUMNS)) for s, n in ctx["subsystems"]],
              [42, *[16] * len(COLUMNS)])

    doc.heading(w["charts_title"])
    for chart in charts:
        doc.picture(chart.png, chart.title)

    doc.section(w["fixed_title"], ["设备", "检查项", "原状态", "现状态"],
                [(r["host"], f"{r['check_id']} {r['title']}", f"{LABELS[r['was']['status']]}：{r['was']['message']}",
                  r["message"]) for r in data.fixed], [34, 40, 48, 48], w["fixed_none"])
    doc.section(w["missing_title"], ["设备", "检查项", "原因"], data.missing[:200], [50, 40, 80], w["missing_none"])
    if len(data.missing) > 200:
        doc.para(f"共 {len(data.missing)} 项，其余见 XLSX。")
    doc.section(w["waived_title"], ["设备", "检查项", "说明"],
                [(r["host"], f"{r['check_id']} {r['title']}", r["message"]) for r in data.waived], [40, 50, 80],
                w["waived_none"])
    doc.section(w["manual_title"], MANUAL_HEADERS, manual_rows(data), MANUAL_WIDTHS, w["manual_none"])

    doc.heading(w["runs_title"])
    doc.table(["巡检编号", "时段", "巡检人", "开始", "结束", "状态", "结果数"],
              [(r.run_id, r.manifest.get("period_slot", ""), r.manifest.get("inspector", ""),
                r.manifest.get("started", "")[:19].replace("T", " "), (r.manifest.get("ended") or "")[:19].replace("T", " "),
                r.label,
                data.by_run.get(r.run_id, {}).get("results", 0)) for r in data.runs],
              [38, 24, 18, 28, 28, 14, 16])

    doc.heading(w["detail_title"])
    doc.para(w["detail_note"])
    if data.kind == "run" and data.results <= DETAIL_LIMIT:
        doc.table(["设备", "检查项", "状态", "测量值", "说明"],
                  [(r["host"], f"{r['check_id']} {r['title']}", LABELS[r["status"]], value_text(r), r["message"])
                   for r in data.rows()], [32, 46, 14, 18, 60])

    doc.signoff(w["signoff_title"], w["signoff_rows"])
    doc.save(path)
