"""The report as files: one self-contained HTML, an XLSX with a row per result, an editable Word document.

Wording comes from templates/report/ (Jinja2), so a bureau's preferred phrasing is a
reviewed change to a template, not to this code. The HTML carries its charts as
data: URIs and links nothing outside itself; the XLSX is written in streaming mode
(a quarter of twice-daily runs is hundreds of thousands of rows); the DOCX is A4
with 宋体 for body text and 仿宋 for tables, the East-Asian font set explicitly
(Word otherwise falls back to a Latin font for Chinese).
"""

from __future__ import annotations

import base64
from pathlib import Path

import jinja2
import yaml

from .charts import Chart
from .summary import CADENCE_NAMES, COLUMNS, LABELS, PROJECT, SEVERITY, ReportData

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "report"
DETAIL_LIMIT = 3000  # results shown in full in HTML/DOCX; beyond that the XLSX carries them


def _env(markup: bool = True) -> jinja2.Environment:
    """HTML trims the lines its tags leave; the YAML wording keeps every newline (they end its keys)."""
    return jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=jinja2.select_autoescape(["html"]),
                              undefined=jinja2.StrictUndefined, trim_blocks=markup, lstrip_blocks=markup)


def value_text(r: dict) -> str:
    v = r.get("value")
    if v is None or v == "":
        return ""
    if isinstance(v, float) and v.is_integer():
        v = int(v)
    return f"{v}{r.get('unit') or ''}"


def commands_text(r: dict) -> str:
    return "；".join(str(e.get("command", "")) for e in r.get("evidence") or [])[:300]


def context(data: ReportData) -> dict:
    names = lambda facet, ids: "、".join(data.name(facet, i) for i in ids) or "—"  # noqa: E731
    hosts = sorted(data.by_host.items(), key=lambda kv: (-(kv[1]["fail"] + kv[1]["error"] + kv[1]["warn"]), kv[0]))
    shown = [h for h in hosts if h[1]["fail"] + h[1]["error"] + h[1]["warn"] + h[1]["missing"]] or hosts[:50]
    base = {"d": data, "c": data.counts, "labels": LABELS, "columns": COLUMNS, "severity": SEVERITY,
            "project": PROJECT, "lot_names": "、".join(f"标项{x} {data.name('lot', x)}" for x in data.scope["lots"]),
            "bureau_names": names("bureau", data.scope["bureaus"]),
            "subsystem_names": names("subsystem", data.scope["subsystems"]),
            "run_count": len(data.runs), "host_count": len(data.by_host),
            "subsystems": sorted(data.by_subsystem.items()), "hosts": shown[:300],
            "hosts_left": len(hosts) - len(shown[:300]),
            "value": value_text, "commands": commands_text, "cadence": lambda c: CADENCE_NAMES.get(c, c or "全部")}
    return base


def wording(data: ReportData, ctx: dict | None = None) -> dict:
    ctx = ctx or context(data)
    text = _env(markup=False).get_template("wording.yml.j2").render(**ctx)
    return yaml.safe_load(text)


def html(data: ReportData, charts: list[Chart]) -> str:
    ctx = context(data)
    detail = list(data.rows()) if data.kind == "run" and data.results <= DETAIL_LIMIT else None
    return _env().get_template("report.html.j2").render(
        **ctx, w=wording(data, ctx), detail=detail,
        charts=[{"title": c.title, "b64": base64.b64encode(c.png).decode()} for c in charts])


XLSX_COLUMNS = [("巡检编号", "run_id"), ("设备", "host"), ("设备名称", "display_name"), ("管理地址", "address"),
                ("委办局", "bureau"), ("分系统", "subsystem"), ("机房/站点", "site"), ("设备类别", "device_class"),
                ("检查项编号", "check_id"), ("检查项", "title"), ("级别", "severity"), ("状态", "status"),
                ("测量值", "value"), ("单位", "unit"), ("阈值", "threshold"), ("说明", "message"),
                ("整改建议", "remedy"), ("等保条款", "standard"), ("命令/查询", "commands"), ("采集时间", "collected"),
                ("输出摘要 SHA-256", "sha256")]


def xlsx(data: ReportData, path: Path) -> None:
    """Summary sheet, findings sheet and one row per result (streamed: memory stays flat however long the period)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill

    wb = Workbook(write_only=True)
    bold, head_fill = Font(bold=True), PatternFill("solid", fgColor="DDDDDD")

    def header(ws, titles):
        cells = []
        for t in titles:
            cell = WriteOnlyCell(ws, value=t)
            cell.font, cell.fill = bold, head_fill
            cells.append(cell)
        ws.append(cells)

    summary = wb.create_sheet("汇总")
    summary.append([data.title])
    summary.append(["巡检周期", data.period_label])
    summary.append(["报告生成时间", data.generated])
    if data.root_hash:
        summary.append(["证据包根哈希", data.root_hash])
    summary.append([])
    header(summary, ["分系统", *(LABELS[k] for k in COLUMNS), "合计结果"])
    for sub, n in sorted(data.by_subsystem.items()):
        summary.append([data.name("subsystem", sub) or "（未分系统）", *(n[k] for k in COLUMNS),
                        sum(n[s] for s in ("pass", "warn", "fail", "error", "waived", "skip"))])
    summary.append(["合计", *(data.counts[k] for k in COLUMNS), data.results])

    findings = wb.create_sheet("问题清单")
    findings.auto_filter.ref = "A1:J1"
    header(findings, ["序号", "状态", "级别", "设备", "设备名称", "检查项", "测量值", "阈值", "说明", "整改建议"])
    for i, f in enumerate(data.findings, 1):
        r = f.result
        findings.append([i, LABELS[r["status"]], SEVERITY.get(r.get("severity"), ""), r["host"],
                         r.get("display_name") or "", f"{r['check_id']} {r['title']}", value_text(r),
                         r.get("threshold") or "", r["message"], r.get("remedy") or ""])

    detail = wb.create_sheet("巡检明细")
    last_col = chr(ord("A") + len(XLSX_COLUMNS) - 1)
    detail.auto_filter.ref = f"A1:{last_col}1"
    detail.freeze_panes = "C2"
    header(detail, [t for t, _ in XLSX_COLUMNS])
    for r in data.rows():
        evidence = r.get("evidence") or [{}]
        row = []
        for _t, key in XLSX_COLUMNS:
            if key == "status":
                row.append(LABELS.get(r["status"], r["status"]))
            elif key == "commands":
                row.append(commands_text(r))
            elif key == "collected":
                row.append(evidence[0].get("collected", ""))
            elif key == "sha256":
                row.append(evidence[0].get("sha256", ""))
            elif key == "subsystem":
                row.append(data.name("subsystem", r.get("subsystem")))
            elif key == "bureau":
                row.append(data.name("bureau", r.get("bureau")))
            elif key == "severity":
                row.append(SEVERITY.get(r.get("severity"), r.get("severity") or ""))
            else:
                v = r.get(key)
                row.append(v if isinstance(v, (int, float)) or v is None else str(v))
        detail.append(row)

    if data.missing:
        missing = wb.create_sheet("未巡检")
        header(missing, ["设备", "检查项", "原因"])
        for row in data.missing:
            missing.append(list(row))
    wb.save(path)


def docx(data: ReportData, charts: list[Chart], path: Path) -> None:
    """Editable Word on A4: cover, summary, findings with 整改建议, subsystems, charts, fixed / missing / waived /
    manual items, the runs, (for a single run) every result, and the sign-off block."""
    import io

    from docx import Document
    from docx.enum.section import WD_ORIENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    ctx = context(data)
    w = wording(data, ctx)
    doc = Document()
    section = doc.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(20)

    def east_asian(style, font: str, size: float) -> None:
        style.font.name = font
        style.font.size = Pt(size)
        rpr = style.element.get_or_add_rPr()
        rfonts = rpr.find(qn("w:rFonts"))
        if rfonts is None:
            rfonts = rpr.makeelement(qn("w:rFonts"), {})
            rpr.append(rfonts)
        for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
            rfonts.set(qn(attr), font)

    east_asian(doc.styles["Normal"], "宋体", 10.5)
    for level, size in ((1, 15), (2, 13)):
        east_asian(doc.styles[f"Heading {level}"], "黑体", size)
    east_asian(doc.styles["Title"], "黑体", 22)
    east_asian(doc.styles["Table Grid"], "仿宋", 9)

    def table(headers: list[str], rows, widths: list[int] | None = None):
        t = doc.add_table(rows=1, cols=len(headers))
        t.style = doc.styles["Table Grid"]
        for cell, text in zip(t.rows[0].cells, headers, strict=True):
            cell.text = text
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in rows:
            cells = t.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = "" if text is None else str(text)
        if widths:
            for row in t.rows:
                for cell, width in zip(row.cells, widths, strict=True):
                    cell.width = Mm(width)
        return t

    # cover
    for _ in range(5):
        doc.add_paragraph()
    title = doc.add_paragraph(data.title, style="Title")
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    sub = doc.add_paragraph(w["cover_subtitle"])
    sub.alignment = WD_ALIGN_PARAGRAPH.CENTER
    doc.add_paragraph()
    table(["项目", "内容"], [("项目名称", PROJECT), ("标项", ctx["lot_names"]), ("委办局（甲方）", ctx["bureau_names"]),
                           ("分系统", ctx["subsystem_names"]), ("巡检周期", data.period_label),
                           ("报告生成时间", data.generated)], [40, 130])
    doc.add_paragraph()
    doc.add_paragraph(w["integrity"])
    doc.add_page_break()

    doc.add_heading(w["summary_title"], level=1)
    doc.add_paragraph(w["summary_text"])
    table([*(LABELS[k] for k in COLUMNS), "合计结果"], [[*(data.counts[k] for k in COLUMNS), data.results]])
    doc.add_paragraph(w["error_note"])

    doc.add_heading(w["findings_title"], level=1)
    if data.findings:
        table(["序号", "状态", "设备", "检查项", "测量值/阈值", "说明", "整改建议"],
              [(i, f"{LABELS[f.result['status']]} {SEVERITY.get(f.result.get('severity'), '')}",
                f"{f.result['host']}\n{f.result.get('display_name') or ''}", f"{f.result['check_id']}\n{f.result['title']}",
                f"{value_text(f.result)}\n{f.result.get('threshold') or ''}", f.result["message"],
                f.result.get("remedy") or ("检查设备连通性、凭据与登录方式后重新巡检。" if f.result["status"] == "error" else ""))
               for i, f in enumerate(data.findings, 1)], [10, 16, 28, 28, 20, 38, 40])
    else:
        doc.add_paragraph(w["findings_none"])

    doc.add_heading(w["subsystem_title"], level=1)
    table(["分系统", *(LABELS[k] for k in COLUMNS)],
          [(data.name("subsystem", s) or "（未分系统）", *(n[k] for k in COLUMNS)) for s, n in ctx["subsystems"]])

    doc.add_heading(w["charts_title"], level=1)
    for i, chart in enumerate(charts, 1):
        doc.add_picture(io.BytesIO(chart.png), width=Mm(165))
        cap = doc.add_paragraph(f"图{i} {chart.title}")
        cap.alignment = WD_ALIGN_PARAGRAPH.CENTER

    doc.add_heading(w["fixed_title"], level=1)
    if data.fixed:
        table(["设备", "检查项", "原状态", "现状态"], [(r["host"], f"{r['check_id']} {r['title']}",
                                                  f"{LABELS[r['was']['status']]}：{r['was']['message']}", r["message"])
                                                 for r in data.fixed])
    else:
        doc.add_paragraph(w["fixed_none"])

    doc.add_heading(w["missing_title"], level=1)
    if data.missing:
        table(["设备", "检查项", "原因"], data.missing[:200])
        if len(data.missing) > 200:
            doc.add_paragraph(f"共 {len(data.missing)} 项，其余见 XLSX。")
    else:
        doc.add_paragraph(w["missing_none"])

    doc.add_heading(w["waived_title"], level=1)
    if data.waived:
        table(["设备", "检查项", "说明"], [(r["host"], f"{r['check_id']} {r['title']}", r["message"]) for r in data.waived])
    else:
        doc.add_paragraph(w["waived_none"])

    doc.add_heading(w["manual_title"], level=1)
    if data.manual:
        table(["设备/机房", "项目", "状态", "记录"], [(r["host"], r["title"], LABELS[r["status"]], r["message"])
                                               for r in data.manual])
    else:
        doc.add_paragraph(w["manual_none"])

    doc.add_heading(w["runs_title"], level=1)
    table(["巡检编号", "时段", "巡检人", "开始", "结束", "状态", "结果数"],
          [(r.run_id, r.manifest.get("period_slot", ""), r.manifest.get("inspector", ""), r.manifest.get("started", ""),
            r.manifest.get("ended") or "", "完成" if r.manifest.get("status") == "complete" else "未完成",
            len(r.results)) for r in data.runs])

    doc.add_heading(w["detail_title"], level=1)
    doc.add_paragraph(w["detail_note"])
    if data.kind == "run" and data.results <= DETAIL_LIMIT:
        table(["设备", "检查项", "状态", "测量值", "说明"],
              [(r["host"], f"{r['check_id']} {r['title']}", LABELS[r["status"]], value_text(r), r["message"])
               for r in data.rows()])

    doc.add_heading(w["signoff_title"], level=1)
    sign = table(["角色", "签字", "日期"], [(role, "", "") for role in w["signoff_rows"]], [50, 80, 40])
    for row in sign.rows[1:]:
        row.height = Mm(15)
    doc.save(path)
