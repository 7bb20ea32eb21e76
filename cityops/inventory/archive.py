"""The device archive (设备系统档案 / 一机一档): export to XLSX and CSV, import with a change preview.

Export writes one sheet per bureau with Chinese headers, every value as text
(20-digit codes and serial numbers survive Excel), and a summary sheet with
counts per lot and per device class. Import reads a bureau's XLSX or CSV
(UTF-8 or GB18030), maps it back to inventory values and reports what would
change — added, removed, changed fields — before anything is written.
"""

from __future__ import annotations

import csv
import io
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import timeutil
from .bulk import decode_table_bytes
from .model import Host, Inventory
from .render import from_cell, lot_label, to_cell
from .schema import FIELDS, field_for_header, split_list

ARCHIVE_FIELDS = tuple(f.name for f in FIELDS)
HEADERS = tuple(f.label for f in FIELDS)
SUMMARY_TITLE = "汇总"


def archive_row(inv: Inventory, host: Host) -> list[str]:
    values = dict(host.vars)
    values["hostname"] = host.name
    return [to_cell(inv, name, values.get(name)) for name in ARCHIVE_FIELDS]


def _sheet_title(name: str) -> str:
    bad = '[]:*?/\\'
    return "".join("_" if c in bad else c for c in name)[:31]


def unique_path(path: Path) -> Path:
    """Never overwrite an earlier archive: add -2, -3 ... to the name if it exists."""
    if not path.exists():
        return path
    n = 2
    while True:
        candidate = path.with_name(f"{path.stem}-{n}{path.suffix}")
        if not candidate.exists():
            return candidate
        n += 1


def export_xlsx(inv: Inventory, hosts: list[Host]) -> bytes:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    bold = Font(bold=True)
    fill = PatternFill("solid", fgColor="DDEBF7")
    summary = wb.create_sheet(SUMMARY_TITLE)
    by_bureau: dict[str, list[Host]] = {}
    for h in hosts:
        by_bureau.setdefault(str(h.get("bureau", "")), []).append(h)

    def header_cell(ws, text):
        c = WriteOnlyCell(ws, value=text)
        c.font, c.fill = bold, fill
        c.alignment = Alignment(vertical="center")
        return c

    def text_cell(ws, text):
        c = WriteOnlyCell(ws, value=text)
        c.number_format = "@"
        return c

    # summary sheet
    summary.column_dimensions["A"].width = 14
    summary.column_dimensions["B"].width = 48
    summary.column_dimensions["C"].width = 16
    summary.column_dimensions["D"].width = 10
    summary.append([header_cell(summary, "克拉玛依市级运维统筹项目 设备系统档案（一机一档）")])
    summary.append([f"导出时间：{timeutil.now().strftime('%Y-%m-%d %H:%M:%S')} (+08:00)"])
    summary.append([f"设备总数：{len(hosts)}", f"清单摘要（sha256）：{inv.digest()[:16]}"])
    summary.append([])
    summary.append([header_cell(summary, h) for h in ("标项", "标项名称", "委办局", "设备数")])
    lot_counts: Counter = Counter()
    for h in hosts:
        for lot in split_list(h.get("lots")):
            lot_counts[lot] += 1
    for lot in inv.vocabulary.known("lot"):
        if lot_counts.get(lot):
            bureau = inv.vocabulary.lot_bureau.get(lot, "")
            summary.append([text_cell(summary, lot_label(lot)), inv.vocabulary.name("lot", lot),
                            inv.vocabulary.name("bureau", bureau), lot_counts[lot]])
    summary.append([])
    summary.append([header_cell(summary, h) for h in ("设备类别", "类别名称", "", "数量")])
    class_counts = Counter(str(h.get("device_class")) for h in hosts)
    for cls, count in sorted(class_counts.items(), key=lambda kv: -kv[1]):
        summary.append([text_cell(summary, cls), inv.vocabulary.name("class", cls), "", count])
    summary.append([])
    summary.append([header_cell(summary, h) for h in ("委办局", "委办局名称", "", "设备数")])
    for bureau, items in by_bureau.items():
        summary.append([text_cell(summary, bureau), inv.vocabulary.name("bureau", bureau), "", len(items)])

    widths = {"hostname": 22, "display_name": 34, "location": 34, "gb_code": 24, "owner": 22, "tender_ref": 40}
    for bureau, items in by_bureau.items():
        ws = wb.create_sheet(_sheet_title(inv.vocabulary.name("bureau", bureau)))
        for i, name in enumerate(ARCHIVE_FIELDS, 1):
            ws.column_dimensions[get_column_letter(i)].width = widths.get(name, 14)
        ws.freeze_panes = "C2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(ARCHIVE_FIELDS))}{len(items) + 1}"
        ws.append([header_cell(ws, h) for h in HEADERS])
        for h in items:
            ws.append([text_cell(ws, v) for v in archive_row(inv, h)])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def export_csv(inv: Inventory, hosts: list[Host]) -> bytes:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(HEADERS)
    for h in hosts:
        w.writerow(archive_row(inv, h))
    return buf.getvalue().encode("utf-8-sig")


# -- import ------------------------------------------------------------------------


@dataclass
class ImportedRow:
    name: str
    values: dict  # field -> inventory value
    where: str  # "sheet 市公安局 row 12" or "file.csv:12"


@dataclass
class ImportPlan:
    """What importing a bureau's archive would change; nothing is written to build it."""

    added: list[ImportedRow] = field(default_factory=list)
    removed: list[Host] = field(default_factory=list)
    changed: list[tuple[Host, ImportedRow, dict]] = field(default_factory=list)  # field -> (old, new)
    problems: list[str] = field(default_factory=list)
    ignored_headers: list[str] = field(default_factory=list)
    scope: str = ""
    rows: int = 0

    @property
    def empty(self) -> bool:
        return not (self.added or self.removed or self.changed)


def read_archive(path: Path) -> tuple[list[tuple[str, list[str], list[list[str]]]], str]:
    """(sheet name, header, rows) tables of an XLSX or CSV archive, and the encoding read."""
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        wb = load_workbook(path, read_only=True, data_only=True)
        tables = []
        for ws in wb.worksheets:
            rows = [["" if v is None else str(v) for v in row] for row in ws.iter_rows(values_only=True)]
            if not rows or field_for_header(rows[0][0] if rows[0] else "") is None:
                continue  # the summary sheet or any sheet that is not a device table
            tables.append((ws.title, rows[0], rows[1:]))
        wb.close()
        return tables, "xlsx"
    text, encoding = decode_table_bytes(path.read_bytes())
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        return [], encoding
    return [(path.name, rows[0], rows[1:])], encoding


def _normalise(value):
    if isinstance(value, list):
        return [str(v).strip() for v in value]
    return "" if value is None else str(value).strip()


def plan_import(inv: Inventory, path: Path) -> ImportPlan:
    plan = ImportPlan()
    tables, _encoding = read_archive(path)
    if not tables:
        plan.problems.append(f"{path}: no sheet or table with a 主机名 (hostname) column")
        return plan
    imported: dict[str, ImportedRow] = {}
    columns_seen: set[str] = set()
    for sheet, header, rows in tables:
        fields = []
        for label in header:
            f = field_for_header(label or "")
            if f is None:
                if label and label not in plan.ignored_headers:
                    plan.ignored_headers.append(label)
                fields.append(None)
            else:
                fields.append(f.name)
                columns_seen.add(f.name)
        if "hostname" not in fields:
            plan.problems.append(f"{path} sheet {sheet}: no 主机名 column")
            continue
        for i, row in enumerate(rows, 2):
            where = f"{sheet} 第 {i} 行"
            cells = {name: (row[j] if j < len(row) else "") for j, name in enumerate(fields) if name}
            name = (cells.get("hostname") or "").strip()
            if not any(str(c).strip() for c in row):
                continue
            if not name:
                plan.problems.append(f"{where}: 主机名 is empty")
                continue
            if name in imported:
                plan.problems.append(f"{where}: duplicate hostname {name} (also {imported[name].where})")
                continue
            lots = from_cell(inv, "lots", cells.get("lots", ""))
            values = {k: from_cell(inv, k, v, lots) for k, v in cells.items() if k != "hostname"}
            imported[name] = ImportedRow(name, values, where)
            plan.rows += 1
    # Scope: the (bureau, lot) pairs the file covers; hosts there that the file lacks are "removed".
    scope = {(r.values.get("bureau"), lot) for r in imported.values() for lot in r.values.get("lots") or [None]}
    bureaus = sorted({b for b, _ in scope if b})
    plan.scope = "、".join(inv.vocabulary.name("bureau", b) for b in bureaus)
    for name, row in imported.items():
        host = inv.hosts.get(name)
        if host is None:
            plan.added.append(row)
            continue
        diffs = {}
        for key, new in row.values.items():
            if key not in columns_seen:
                continue
            old = host.vars.get(key)
            if _normalise(old if old is not None else "") != _normalise(new):
                if (old in (None, "", []) and new in (None, "", [])):
                    continue
                diffs[key] = (old, new)
        if diffs:
            plan.changed.append((host, row, diffs))
    for host in inv.hosts.values():
        if host.name in imported:
            continue
        if any((host.get("bureau"), lot) in scope for lot in split_list(host.get("lots"))):
            plan.removed.append(host)
    return plan
