"""Writing an import into the inventory files, safely.

Edits land in a scratch copy of inventory/ first: YAML hosts are changed with
ruamel.yaml's round-trip mode (comments and layout survive), CSV rows in place.
The copy is loaded and checked; only if it introduces no new problem are the
changed files moved over the real ones, each atomically.
"""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

import yaml

from ..cells import neutral_row
from ..errors import BadInput
from ..files import write_all_atomic
from .archive import ImportedRow, ImportPlan
from .bulk import decode_table_bytes
from .check import check_inventory
from .model import Host, Inventory, load_inventory
from .schema import BY_NAME


class ImportRefused(BadInput):
    """The import would leave the inventory with new problems; nothing was written."""


def _needs_quotes(text: str) -> bool:
    """True if a plain YAML 1.1 scalar would not read back as this string (ansible uses YAML 1.1)."""
    try:
        return yaml.safe_load(text) != text
    except yaml.YAMLError:
        return True


def _yaml_value(value):
    from ruamel.yaml.comments import CommentedSeq
    from ruamel.yaml.scalarstring import SingleQuotedScalarString

    def scalar(v):
        v = str(v)
        return SingleQuotedScalarString(v) if _needs_quotes(v) else v

    if isinstance(value, list):
        seq = CommentedSeq([scalar(v) for v in value])
        seq.fa.set_flow_style()
        return seq
    return scalar(value)


def _rt():
    from ruamel.yaml import YAML

    rt = YAML(typ="rt")
    rt.preserve_quotes = True
    rt.width = 120
    rt.indent(mapping=2, sequence=4, offset=2)
    return rt


def _find_host_map(doc, name: str):
    """The mapping that holds `name` under some group's hosts (recursing into children)."""
    if not isinstance(doc, dict):
        return None
    for group in doc.values():
        if not isinstance(group, dict):
            continue
        hosts = group.get("hosts")
        if isinstance(hosts, dict) and name in hosts:
            return hosts
        found = _find_host_map(group.get("children"), name)
        if found is not None:
            return found
    return None


class _Editor:
    def __init__(self, inv: Inventory, scratch: Path):
        self.inv = inv
        self.scratch = scratch  # copy of inventory/
        self.yaml_docs: dict[Path, object] = {}
        self.csv_tables: dict[Path, list[list[str]]] = {}
        self.touched: set[Path] = set()

    def scratch_path(self, rel: str) -> Path:
        # host.file is relative to the inventory's parent ("inventory/lot_12.yml")
        parts = Path(rel).parts
        return self.scratch.joinpath(*parts[1:])

    def yaml_doc(self, path: Path):
        if path not in self.yaml_docs:
            self.yaml_docs[path] = _rt().load(path.read_text(encoding="utf-8")) if path.exists() else {}
        return self.yaml_docs[path]

    def csv_table(self, path: Path) -> list[list[str]]:
        if path not in self.csv_tables:
            text, _ = decode_table_bytes(path.read_bytes())
            self.csv_tables[path] = list(csv.reader(io.StringIO(text, newline="")))
        return self.csv_tables[path]

    # -- edits ---------------------------------------------------------------
    def change(self, host: Host, diffs: dict) -> None:
        path = self.scratch_path(host.file)
        self.touched.add(path)
        if host.origin == "csv":
            table = self.csv_table(path)
            for key, (_old, new) in diffs.items():
                self._set_csv(table, host.name, key, new)
            return
        hosts = _find_host_map(self.yaml_doc(path), host.name)
        if hosts is None:
            raise ImportRefused(f"{host.name}: defined by a host range or pattern in {host.where}, not by its own "
                                "entry; change it by hand (nothing was written)")
        entry = hosts[host.name]
        if entry is None:
            from ruamel.yaml.comments import CommentedMap

            entry = hosts[host.name] = CommentedMap()
        for key, (_old, new) in diffs.items():
            if new in (None, "", []):
                entry.pop(key, None)
            else:
                entry[key] = _yaml_value(new)

    def _column(self, table: list[list[str]], key: str) -> int:
        header = table[0]
        label = BY_NAME[key].label
        for i, h in enumerate(header):
            if h.strip().lstrip("\ufeff") in (label, key):
                return i
        header.append(label)
        for row in table[1:]:
            row.append("")
        return len(header) - 1

    def _set_csv(self, table: list[list[str]], name: str, key: str, value) -> None:
        col_host = self._column(table, "hostname")
        col = self._column(table, key)
        cell = ";".join(value) if isinstance(value, list) else ("" if value is None else str(value))
        for row in table[1:]:
            if row and row[col_host] == name:
                row[col] = cell
                return

    def add(self, row: ImportedRow) -> None:
        source = self._bulk_source_for(row.values)
        if source is not None:
            path = self.scratch_path(self._rel(source.file))
            table = self.csv_table(path)
            cells = {"hostname": row.name}
            for key, value in row.values.items():
                if value not in (None, "", []) and source.defaults.get(key) != value:
                    cells[key] = ";".join(value) if isinstance(value, list) else str(value)
            columns = {key: self._column(table, key) for key in cells}  # may widen the header
            new = [""] * len(table[0])
            for key, col in columns.items():
                new[col] = cells[key]
            table.append(new)
            self.touched.add(path)
            return
        bureau = str(row.values.get("bureau") or "unknown")
        lots = row.values.get("lots") or ["unknown"]
        path = self.scratch / f"imported_{bureau}.yml"
        doc = self.yaml_doc(path)
        if not doc:
            from ruamel.yaml.comments import CommentedMap

            doc = self.yaml_docs[path] = CommentedMap()
        group = doc.setdefault(f"lot_{lots[0]}", {"hosts": {}})
        if group.get("hosts") is None:
            group["hosts"] = {}
        group["hosts"][row.name] = {k: _yaml_value(v) for k, v in row.values.items() if v not in (None, "", [])}
        self.touched.add(path)

    def remove(self, host: Host) -> None:
        path = self.scratch_path(host.file)
        self.touched.add(path)
        if host.origin == "csv":
            table = self.csv_table(path)
            col = self._column(table, "hostname")
            table[1:] = [r for r in table[1:] if not (r and r[col] == host.name)]
            return
        doc = self.yaml_doc(path)
        if _find_host_map(doc, host.name) is None:
            raise ImportRefused(f"{host.name}: defined by a host range or pattern in {host.where}, not by its own "
                                "entry; remove it by hand (nothing was written)")
        while True:
            hosts = _find_host_map(doc, host.name)
            if hosts is None:
                break
            del hosts[host.name]

    def _bulk_source_for(self, values: dict):
        cls = values.get("device_class")
        for src in self.inv.bulk_sources:
            d = src.defaults
            if d.get("bureau") == values.get("bureau") and (
                d.get("device_class") == cls
                or any(h.get("device_class") == cls for h in self.inv.hosts.values() if h.file == self._rel(src.file))
            ):
                return src
        return None

    def _rel(self, path: Path) -> str:
        return str(Path(path).resolve().relative_to(self.inv.root.resolve().parent))

    # -- output -----------------------------------------------------------------
    def flush(self) -> None:
        for path, doc in self.yaml_docs.items():
            if path in self.touched:
                buf = io.StringIO()
                _rt().dump(doc, buf)
                path.write_text(buf.getvalue(), encoding="utf-8")
        for path, table in self.csv_tables.items():
            if path in self.touched:
                buf = io.StringIO(newline="")
                csv.writer(buf).writerows(neutral_row(row) for row in table)
                path.write_bytes(buf.getvalue().encode("utf-8-sig"))


def apply_import(inv: Inventory, plan: ImportPlan, *, prune: bool = False) -> list[Path]:
    """Write the plan into inventory/ and return the files changed; refuse if it adds problems."""
    if plan.problems:  # a row that could not be read may be a host the file means to keep: never guess
        raise ImportRefused(f"the file has {len(plan.problems)} problem(s); nothing was written. First: {plan.problems[0]}")
    before = {str(p) for p in check_inventory(inv)}
    with tempfile.TemporaryDirectory(prefix="cityops-import-") as tmp:
        scratch = Path(tmp) / inv.root.name
        shutil.copytree(inv.root, scratch)
        editor = _Editor(inv, scratch)
        for host, _row, diffs in plan.changed:
            editor.change(host, diffs)
        for row in plan.added:
            editor.add(row)
        if prune:
            for host in plan.removed:
                editor.remove(host)
        editor.flush()
        after = load_inventory(scratch)
        stayed = [h.name for h in plan.removed if prune and h.name in after.hosts]
        if stayed:  # also defined elsewhere (host_vars/, a second group): the file said remove, the edit could not
            raise ImportRefused(f"{', '.join(stayed[:5])}: still defined after removing their entries (host_vars/ or "
                                "another group); remove them by hand (nothing was written)")
        new_problems = [str(p) for p in check_inventory(after) if str(p) not in before]
        if new_problems:
            raise ImportRefused("the import would introduce these inventory problems; nothing was written:\n"
                                + "\n".join(new_problems[:50]))
        changes = {inv.root / path.relative_to(scratch): path.read_bytes() for path in sorted(editor.touched)}
        write_all_atomic(changes)
        return list(changes)

