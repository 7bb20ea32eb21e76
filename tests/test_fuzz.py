"""Property-based tests (hypothesis) of the readers of outside input: the inventory loader, the bulk CSV reader and
the import. Whatever the bytes, they end in a result or in problems that name a place, never in a traceback, and
an import with any problem writes nothing."""

from __future__ import annotations

import csv
import io
import shutil
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cityops import cells
from cityops.errors import BadInput
from cityops.inventory import load_inventory
from cityops.inventory.archive import HEADERS, plan_import
from cityops.inventory.bulk import decode_table_bytes, read_table
from cityops.inventory.check import check_inventory
from cityops.inventory.edit import ImportRefused, apply_import
from cityops.inventory.problems import Problem

from .conftest import MINI
from .test_untrusted_input import tree_digest

FUZZ = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])

scalars = st.one_of(st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(allow_nan=True),
                    st.text(max_size=30))
keys = st.one_of(st.sampled_from(["hosts", "children", "vars", "lot_6_10", "mini-x", "bureau", "lots", "credential",
                                  "ansible_host", "warranty_end", "plugin", "sources"]), st.text(max_size=12))
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=4),
                                                          st.dictionaries(keys, inner, max_size=4)), max_leaves=25)


def scratch_inventory() -> Path:
    root = Path(tempfile.mkdtemp(prefix="cityops-fuzz-")) / "inventory"
    shutil.copytree(MINI, root)
    return root


@FUZZ
@given(doc=documents, raw=st.text(max_size=200))
def test_the_inventory_loader_never_raises_whatever_the_yaml(doc, raw):
    root = scratch_inventory()
    try:
        (root / "zz_fuzz.yml").write_text(yaml.safe_dump(doc, allow_unicode=True), encoding="utf-8")
        (root / "zz_raw.yml").write_text(raw, encoding="utf-8")
        inv = load_inventory(root)
        problems = check_inventory(inv)
        assert all(isinstance(p, Problem) and p.file for p in problems)
    finally:
        shutil.rmtree(root.parent)


@FUZZ
@given(data=st.binary(max_size=400))
def test_the_bulk_csv_reader_refuses_or_reads_any_bytes(data):
    try:
        text, encoding = decode_table_bytes(data, "x.csv")
    except BadInput as exc:
        assert str(exc).startswith("x.csv:")  # the line is named
        return
    assert encoding in ("utf-8", "gb18030")
    problems: list[Problem] = []
    _names, rows = read_table(text, "x.csv", problems)
    assert all(p.file == "x.csv" for p in problems)
    assert all(isinstance(line, int) and line >= 2 for line, _ in rows)


cell_text = st.one_of(st.text(max_size=12), st.sampled_from(["", " ", "=1+1", "+x", "-", "@SUM(A1)", "#N/A",
                                                              "1.23457E+19", "mini-rac01", "mini-core01"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(st.lists(cell_text, min_size=len(HEADERS), max_size=len(HEADERS)), min_size=1, max_size=6),
       prune=st.booleans())
def test_an_import_with_any_problem_writes_nothing(rows, prune):
    root = scratch_inventory()
    try:
        inv = load_inventory(root)
        sheet = root.parent / "sheet.csv"
        buf = io.StringIO(newline="")
        csv.writer(buf).writerows([list(HEADERS), *rows])
        sheet.write_bytes(buf.getvalue().encode("utf-8-sig"))
        plan = plan_import(inv, sheet)
        names = [r[0].strip() for r in rows if any(c.strip() for c in r)]
        if any(not n for n in names) or len(set(names)) < len(names):
            assert plan.problems  # a blank or repeated name is always a problem
        before = tree_digest(root)
        if plan.problems:
            try:
                apply_import(inv, plan, prune=prune)
                raise AssertionError("a plan with problems was applied")
            except ImportRefused:
                pass
            assert tree_digest(root) == before
        else:
            try:
                apply_import(inv, plan, prune=prune)
            except ImportRefused:
                assert tree_digest(root) == before  # refused as a whole: nothing half written
    finally:
        shutil.rmtree(root.parent)


@given(st.text())
def test_neutralised_cells_never_start_a_formula_and_read_back_unchanged(text):
    out = cells.neutralise(text)
    assert not out.startswith(cells.FORMULA_STARTS)
    assume(not (text.startswith("'") and text[1:].startswith(cells.FORMULA_STARTS)))  # already neutral text
    assert cells.restore(out) == text
