"""Bulk sources: the device classes counted in thousands (cameras, terminals) kept as CSV.

The bureaus keep these as spreadsheets (一机一档), so cityops keeps them as CSV
with Chinese headers (UTF-8 with BOM, so Excel opens them right). A plugin config
file in inventory/ (`plugin: cityops_estate`) lists the CSV files and the values
every row of a file shares (bureau, lot, zone ...); a column overrides a default.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

from ..cells import restore
from ..errors import BadInput
from .problems import Problem
from .schema import LIST_FIELDS, field_for_header, split_list

PLUGIN_NAME = "cityops_estate"


@dataclass
class BulkRow:
    name: str
    vars: dict
    file: str
    line: int  # physical line in the CSV (header is line 1)
    source: str  # the CSV path relative to the inventory's parent


@dataclass
class BulkSource:
    file: Path
    defaults: dict
    config_file: Path
    rows: list[BulkRow] = field(default_factory=list)


def decode_table_bytes(data: bytes, source: str = "the file") -> tuple[str, str]:
    """Decode a CSV as the bureaus send it: UTF-8 (with or without BOM), else GB18030. A file that mixes the two
    (UTF-8 lines, then a line saved from a GBK program) is refused naming that line: decoding it either way would
    turn one part into mojibake."""
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError as exc:
        bad = exc.start
    line = data.count(b"\n", 0, bad) + 1
    if any(b >= 0x80 for b in data[:bad]):
        raise BadInput(f"{source}:{line}: not UTF-8, while the lines before it are: the file mixes encodings "
                       f"(byte 0x{data[bad]:02x}); save it again as UTF-8")
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise BadInput(f"{source}:{line}: neither UTF-8 nor GB18030 text (byte 0x{data[exc.start]:02x})") from None


def read_table(text: str, rel: str, problems: list[Problem]) -> tuple[list[str], list[tuple[int, dict]]]:
    """Parse CSV text into (field names, [(line, {field: value})]); bad rows become problems."""
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        problems.append(Problem(rel, 1, "-", "-", "CSV file is empty (no header row)"))
        return [], []
    except csv.Error as exc:
        problems.append(Problem(rel, 1, "-", "-", f"CSV header does not parse: {exc}"))
        return [], []
    names: list[str] = []
    for col, label in enumerate(header, 1):
        f = field_for_header(label)
        if f is None:
            problems.append(Problem(rel, 1, "header", label or f"column {col}", "unknown column header"))
            names.append("")
        else:
            names.append(f.name)
    rows: list[tuple[int, dict]] = []
    while True:
        line = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            problems.append(Problem(rel, line, f"row {line}", "-", f"CSV row does not parse: {exc}"))
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            hint = cells[0] if cells else ""
            problems.append(
                Problem(rel, line, f"row {line} ({hint})", "-",
                        f"has {len(cells)} fields, the header has {len(header)}")
            )
            continue
        values = {name: restore(cell.strip()) for name, cell in zip(names, cells, strict=True) if name and cell.strip()}
        rows.append((line, values))
    return names, rows


def row_vars(values: dict, defaults: dict) -> dict:
    """A row's host variables: the file defaults, overridden by non-empty cells; lists split."""
    out = dict(defaults)
    for key, value in values.items():
        if key == "hostname":
            continue
        out[key] = split_list(value) if key in LIST_FIELDS else value
    for key in LIST_FIELDS:
        if key in out and not isinstance(out[key], list):
            out[key] = split_list(out[key])
    return out


def read_bulk_sources(config_path: Path, config: dict, rel_root: Path, problems: list[Problem]) -> list[BulkSource]:
    """Read every CSV a plugin config lists; problems name the file, row and field."""
    rel_cfg = _rel(config_path, rel_root)
    sources = config.get("sources")
    if not isinstance(sources, list):
        problems.append(Problem(rel_cfg, 0, "-", "sources", "must be a list of {file, defaults}"))
        return []
    out: list[BulkSource] = []
    for i, entry in enumerate(sources, 1):
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            problems.append(Problem(rel_cfg, 0, f"source {i}", "file", "each source needs a 'file' (CSV path)"))
            continue
        defaults = entry.get("defaults") or {}
        if not isinstance(defaults, dict):
            problems.append(Problem(rel_cfg, 0, f"source {i}", "defaults", "must be a mapping"))
            defaults = {}
        path = (config_path.parent / entry["file"]).resolve()
        src = BulkSource(file=path, defaults=dict(defaults), config_file=config_path)
        rel = _rel(path, rel_root)
        try:
            text, _ = decode_table_bytes(path.read_bytes(), rel)
        except FileNotFoundError:
            problems.append(Problem(rel_cfg, 0, f"source {i}", "file", f"{rel} does not exist"))
            continue
        except BadInput as exc:
            where, _, cause = str(exc).removeprefix(f"{rel}:").partition(": ")
            problems.append(Problem(rel, int(where) if where.isdigit() else 0, "-", "-", cause or str(exc)))
            continue
        _, rows = read_table(text, rel, problems)
        for line, values in rows:
            name = values.get("hostname", "")
            if not name:
                problems.append(Problem(rel, line, f"row {line}", "hostname", "missing required field"))
                continue
            src.rows.append(BulkRow(name, row_vars(values, src.defaults), rel, line, rel))
        out.append(src)
    return out


def _rel(path: Path, root: Path) -> str:
    try:
        return str(Path(path).resolve().relative_to(root.resolve()))
    except ValueError:
        return str(path)
