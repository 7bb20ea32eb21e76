"""The device archive (设备系统档案 / 一机一档): export to XLSX and CSV, import with a change preview.

Export writes one sheet per bureau with Chinese headers, every value as text
(20-digit codes and serial numbers survive Excel), and a summary sheet with
counts per lot and per device class. Import reads a bureau's XLSX or CSV
(UTF-8 or GB18030), maps it back to inventory values and reports what would
change — added, removed, changed fields — before anything is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .. import timeutil
from ..cells import neutral_row, neutralise, restore
from ..errors import BadInput, one_line
from .bulk import decode_table_bytes
from .model import Host, Inventory
from .render import from_cell, lot_label, to_cell
from .schema import FIELDS, HOSTNAME, field_for_header, split_list, without_secrets

ARCHIVE_FIELDS = tuple(f.name for f in FIELDS)
HEADERS = tuple(f.label for f in FIELDS)
SUMMARY_TITLE = "汇总"


def archive_row(inv: Inventory, host: Host) -> list[str]:
    values = without_secrets(host.vars)
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
        c = WriteOnlyCell(ws, value=neutralise(text))
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
            summary.append([text_cell(summary, lot_label(lot)), text_cell(summary, inv.vocabulary.name("lot", lot)),
                            text_cell(summary, inv.vocabulary.name("bureau", bureau)), lot_counts[lot]])
    summary.append([])
    summary.append([header_cell(summary, h) for h in ("设备类别", "类别名称", "", "数量")])
    class_counts = Counter(str(h.get("device_class")) for h in hosts)
    for cls, count in sorted(class_counts.items(), key=lambda kv: -kv[1]):
        summary.append([text_cell(summary, cls), text_cell(summary, inv.vocabulary.name("class", cls)), "", count])
    summary.append([])
    summary.append([header_cell(summary, h) for h in ("委办局", "委办局名称", "", "设备数")])
    for bureau, items in by_bureau.items():
        summary.append([text_cell(summary, bureau), text_cell(summary, inv.vocabulary.name("bureau", bureau)), "",
                        len(items)])

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
        w.writerow(neutral_row(archive_row(inv, h)))
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


HEADER_SEARCH_ROWS = 20  # a bureau's sheet may carry a title, a date line and notes above its header
EXCEL_ERRORS = {"#N/A", "#REF!", "#VALUE!", "#DIV/0!", "#NAME?", "#NUM!", "#NULL!", "#SPILL!", "#CALC!"}
EXACT_DIGITS = 15  # Excel keeps 15 significant digits of a number: a longer code typed as a number is already lost
SCIENTIFIC = re.compile(r"[+-]?\d(\.\d+)?[eE][+-]?\d+")


@dataclass
class Table:
    """One device table of a bureau's file: where its header is and its rows as typed cell values."""

    name: str
    header_row: int  # 1-based
    header: list[str]
    rows: list[tuple[int, list]]  # (1-based row number in the sheet, cell values as read)


def _header_index(rows: list[list]) -> int | None:
    """The row (0-based) holding the 主机名 column among the first rows, or None: title rows and a 序号 column
    before it are allowed."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        for cell in row:
            f = field_for_header(str(cell)) if isinstance(cell, str) else None
            if f is not None and f.name == "hostname":
                return i
    return None


def _fill_merged(ws, rows: list[list], header_index: int, problems: list[str]) -> None:
    """Merged cells as the sheet shows them: a merge down one column (one 委办局 beside twenty rows) gives each
    row the value; a merge across columns in the table, or in its header, is refused with its range."""
    from openpyxl.utils import get_column_letter

    header_row = header_index + 1
    for rng in ws.merged_cells.ranges:
        if rng.max_row < header_row:
            continue  # a title above the table
        coord = f"{get_column_letter(rng.min_col)}{rng.min_row}:{get_column_letter(rng.max_col)}{rng.max_row}"
        if rng.min_row <= header_row or rng.min_col != rng.max_col:
            problems.append(f"{ws.title} {coord}: merged cells across {'the header' if rng.min_row <= header_row else 'columns'}"
                            f" cannot be read as one value per device; unmerge them and fill each cell")
            continue
        col = rng.min_col - 1
        top = rows[rng.min_row - 1][col] if col < len(rows[rng.min_row - 1]) else None
        for r in range(rng.min_row, rng.max_row):
            row = rows[r]
            while len(row) <= col:
                row.append(None)
            row[col] = top


def read_archive(path: Path, problems: list[str] | None = None) -> tuple[list[Table], str]:
    """The device tables of an XLSX or CSV archive, and the encoding read; problems of the file's shape (merged
    cells that cannot be read) are appended to `problems`."""
    problems = problems if problems is not None else []
    if path.suffix.lower() in (".xlsx", ".xlsm"):
        from openpyxl import load_workbook

        try:  # not read-only: merged ranges are only known to a loaded sheet (a bureau's sheet is thousands of rows)
            wb = load_workbook(path, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a damaged file
            raise BadInput(f"{path}: not a readable XLSX workbook ({one_line(exc, 120)})") from None
        tables = []
        for ws in wb.worksheets:
            rows = [list(row) for row in ws.iter_rows(values_only=True)]
            at = _header_index(rows)
            if at is None:
                continue  # the summary sheet or any sheet that is not a device table
            _fill_merged(ws, rows, at, problems)
            header = ["" if v is None else str(v) for v in rows[at]]
            tables.append(Table(ws.title, at + 1, header, [(i, row) for i, row in enumerate(rows[at + 1:], at + 2)]))
        wb.close()
        return tables, "xlsx"
    text, encoding = decode_table_bytes(path.read_bytes(), str(path))
    try:
        rows = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as exc:
        raise BadInput(f"{path}: not a readable CSV ({exc})") from None
    at = _header_index(rows)
    if at is None:
        return [], encoding
    return [Table(path.name, at + 1, rows[at], [(i, row) for i, row in enumerate(rows[at + 1:], at + 2)])], encoding


def cell_text(value, field, where: str, problems: list[str]) -> str:
    """A cell as inventory text; a value that cannot be read exactly (an Excel error, a long code that Excel
    turned into a number, a date with a time) becomes a problem naming the row and column, never a guess."""
    label = field.label
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            problems.append(f"{where} {label}: not a number ({value})")
            return ""
        if abs(value) >= 10 ** EXACT_DIGITS:
            problems.append(f"{where} {label}: stored as a number ({value:.6g}); Excel keeps only {EXACT_DIGITS} digits, "
                            f"so this code is already rounded: format the column as text and enter it again")
            return ""
        if float(value).is_integer():
            return str(int(value))
        if field.kind in ("code", "hostname", "address"):
            problems.append(f"{where} {label}: stored as a number ({value}); enter it as text")
            return ""
        return repr(float(value))
    if isinstance(value, dt.datetime):
        if value.time() != dt.time(0):
            problems.append(f"{where} {label}: a date and time ({value}); enter the date only")
            return ""
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    if text.strip() in EXCEL_ERRORS:
        problems.append(f"{where} {label}: the cell holds the spreadsheet error {text.strip()}")
        return ""
    if field.kind == "code" and SCIENTIFIC.fullmatch(text.strip()):
        problems.append(f"{where} {label}: '{text.strip()}' is a number in scientific notation: its digits are lost; "
                        "format the column as text and enter it again")
        return ""
    return restore(text)


def _normalise(value):
    if isinstance(value, list):
        return [str(v).strip() for v in value]
    return "" if value is None else str(value).strip()


def plan_import(inv: Inventory, path: Path) -> ImportPlan:
    """What importing the file would change. Any problem of a row (a blank, duplicated or malformed 主机名, a cell
    that cannot be read exactly) is listed, and `apply_import` refuses a plan with problems."""
    plan = ImportPlan()
    tables, _encoding = read_archive(path, plan.problems)
    if not tables:
        plan.problems.append(f"{path}: no sheet or table with a 主机名 (hostname) column in its first "
                             f"{HEADER_SEARCH_ROWS} rows")
        return plan
    imported: dict[str, ImportedRow] = {}
    columns_seen: set[str] = set()
    for table in tables:
        fields = []
        for label in table.header:
            f = field_for_header(label or "")
            if f is None:
                if label and label not in plan.ignored_headers:
                    plan.ignored_headers.append(label)
                fields.append(None)
            else:
                if f.name in [x.name for x in fields if x]:
                    plan.problems.append(f"{table.name} 第 {table.header_row} 行: column {label} appears twice")
                fields.append(f)
                columns_seen.add(f.name)
        for number, row in table.rows:
            where = f"{table.name} 第 {number} 行"
            if not any(str(c).strip() for c in row if c is not None):
                continue
            cells = {f.name: cell_text(row[j] if j < len(row) else None, f, where, plan.problems)
                     for j, f in enumerate(fields) if f}
            name = (cells.get("hostname") or "").strip()
            if not name:
                plan.problems.append(f"{where}: 主机名 is empty (the row has other values)")
                continue
            if not HOSTNAME.fullmatch(name):
                plan.problems.append(f"{where}: 主机名 '{one_line(name, 80)}' is not a hostname (lowercase letters, "
                                     "digits, hyphens)")
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
