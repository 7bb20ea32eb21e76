"""Untrusted input, deliberately broken: every refusal names the place and the cause, and nothing is written or lost.

Bureaus' spreadsheets (blank and duplicated names, merged cells, long codes Excel turned
into numbers, title rows), YAML with alias bombs, passwords typed where credential names
belong, host names that shadow groups, impossible dates and files that mix encodings.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from cityops import cells
from cityops.errors import EXIT_BAD_INPUT, BadInput
from cityops.inventory import load_inventory
from cityops.inventory.archive import HEADERS, export_csv, export_xlsx, plan_import
from cityops.inventory.bulk import decode_table_bytes
from cityops.inventory.check import check_inventory
from cityops.inventory.edit import ImportRefused, apply_import
from cityops.inventory.selection import SelectionError, select
from cityops.safeyaml import load_text

from .conftest import run_invoke


def tree_digest(root: Path) -> str:
    """One hash over every file of a directory: equal before and after means nothing was written."""
    h = hashlib.sha256()
    for p in sorted(root.rglob("*")):
        if p.is_file():
            h.update(str(p.relative_to(root)).encode() + b"\0" + p.read_bytes())
    return h.hexdigest()


def gxj_rows(inv) -> list[list[str]]:
    """The gxj YAML hosts of the mini inventory as archive rows (what the bureau's sheet would hold)."""
    from cityops.inventory.archive import archive_row

    return [archive_row(inv, h) for h in inv.hosts.values() if h.get("bureau") == "gxj"]


def write_csv(path: Path, rows: list[list], header=HEADERS) -> Path:
    buf = io.StringIO(newline="")
    w = csv.writer(buf)
    w.writerow(header)
    w.writerows(rows)
    path.write_bytes(buf.getvalue().encode("utf-8-sig"))
    return path


# -- 1. import never loses data ---------------------------------------------------------------------------------


def test_blank_and_duplicate_names_stop_apply_and_prune_before_anything_is_written(mini, tmp_path):
    inv = load_inventory(mini)
    rows = gxj_rows(inv)
    kept = rows[1:]  # the first host's row lost its name: prune would delete that host
    blank = ["", *rows[0][1:]]
    sheet = write_csv(tmp_path / "gxj.csv", [blank, *kept, kept[0]])
    before = tree_digest(mini)
    out = run_invoke("inventory.import", str(sheet), "--apply", "--prune", "--inventory", str(mini))
    assert out.returncode == EXIT_BAD_INPUT, out.stdout + out.stderr
    assert "第 2 行: 主机名 is empty" in out.stderr
    assert f"第 {len(rows) + 2} 行: duplicate hostname {kept[0][0]}" in out.stderr
    assert "nothing was written" in out.stderr and "Traceback" not in out.stderr
    assert tree_digest(mini) == before
    plan = plan_import(inv, sheet)
    with pytest.raises(ImportRefused, match="nothing was written"):
        apply_import(inv, plan, prune=True)
    assert tree_digest(mini) == before


def test_a_malformed_name_is_a_problem_not_a_new_host(mini, tmp_path):
    inv = load_inventory(mini)
    rows = gxj_rows(inv)
    plan = plan_import(inv, write_csv(tmp_path / "x.csv", [["Bad Host!", *rows[0][1:]], *rows]))
    assert any("'Bad Host!' is not a hostname" in p for p in plan.problems)
    assert not plan.added


def sheet_with(rows: list[list], *, title_rows: int = 0, serial_column: bool = False):
    wb = Workbook()
    ws = wb.active
    ws.title = "市工信局"
    for i in range(title_rows):
        ws.append(["克拉玛依市工信局设备台账（2026年11月）" if i == 0 else "填报单位：信息中心"])
    header = ["序号", *HEADERS] if serial_column else list(HEADERS)
    ws.append(header)
    for i, row in enumerate(rows, 1):
        ws.append([i, *row] if serial_column else list(row))
    return wb, ws


def test_a_header_below_title_rows_and_after_a_serial_column_is_found(mini, tmp_path):
    inv = load_inventory(mini)
    rows = gxj_rows(inv)
    wb, ws = sheet_with(rows, title_rows=2, serial_column=True)
    ws.merge_cells("A1:H1")  # a title across the columns above the table is allowed
    path = tmp_path / "gxj.xlsx"
    wb.save(path)
    plan = plan_import(inv, path)
    assert plan.problems == [] and plan.rows == len(rows) and plan.empty
    assert "序号" in plan.ignored_headers


def test_merged_cells_down_a_column_are_filled_as_shown_and_across_columns_refused(mini, tmp_path):
    inv = load_inventory(mini)
    rows = gxj_rows(inv)
    col = HEADERS.index("责任单位") + 1
    for r in rows[1:]:
        r[col - 1] = None  # the sheet shows one 责任单位 cell merged down every row
    wb, ws = sheet_with(rows)
    from openpyxl.utils import get_column_letter

    letter = get_column_letter(col)
    ws.merge_cells(f"{letter}2:{letter}{len(rows) + 1}")
    path = tmp_path / "merged.xlsx"
    wb.save(path)
    plan = plan_import(inv, path)
    assert plan.problems == [] and plan.empty, plan.problems  # every row reads the owner it shows
    ws.merge_cells("B3:C3")  # 设备名称 and 委办局 of one row as one cell: which field is it?
    wb.save(path)
    plan = plan_import(inv, path)
    assert any("市工信局 B3:C3: merged cells across columns" in p for p in plan.problems)


def test_a_long_code_stored_as_a_number_is_refused_with_row_and_column_never_rounded(mini, tmp_path):
    inv = load_inventory(mini)
    rows = gxj_rows(inv)
    wb, ws = sheet_with(rows)
    col = HEADERS.index("序列号") + 1
    ws.cell(row=3, column=col, value=12345678901234567890)  # what Excel keeps of a 20-digit serial typed as a number
    path = tmp_path / "serial.xlsx"
    wb.save(path)
    plan = plan_import(inv, path)
    assert any(p.startswith("市工信局 第 3 行 序列号: stored as a number (1.23457e+19)") for p in plan.problems)
    assert not any("e+19" in str(v) for _h, _r, diffs in plan.changed for v in diffs.values())
    before = tree_digest(mini)
    out = run_invoke("inventory.import", str(path), "--apply", "--inventory", str(mini))
    assert out.returncode == EXIT_BAD_INPUT and tree_digest(mini) == before
    csv_path = write_csv(tmp_path / "serial.csv", [[*r[:col - 1], "1.23457E+19", *r[col:]] for r in rows[:1]])
    assert any("scientific notation" in p for p in plan_import(inv, csv_path).problems)


def test_a_sheet_without_a_hostname_column_is_refused_not_a_silent_no_change(mini, tmp_path):
    path = tmp_path / "other.csv"
    path.write_text("姓名,电话\n张三,1\n", encoding="utf-8")
    out = run_invoke("inventory.import", str(path), "--apply", "--inventory", str(mini))
    assert out.returncode == EXIT_BAD_INPUT, out.stdout + out.stderr
    assert "no sheet or table with a 主机名" in out.stderr


def test_prune_lists_what_it_removes_first_and_removes_only_the_sheets_scope(mini, tmp_path):
    inv = load_inventory(mini)
    rows = gxj_rows(inv)
    gone = "mini-core01"
    sheet = write_csv(tmp_path / "gxj.csv", [r for r in rows if r[0] != gone])
    out = run_invoke("inventory.import", str(sheet), "--apply", "--prune", "--inventory", str(mini))
    assert out.returncode == 0, out.stderr
    assert out.stdout.index(f"- {gone}") < out.stdout.index("written:")
    after = load_inventory(mini)
    assert gone not in after.hosts
    assert {h for h in inv.hosts if inv.hosts[h].get("bureau") != "gxj"} <= set(after.hosts)  # cameras of gaj stay


def test_prune_refuses_a_host_it_cannot_remove_alone_instead_of_claiming_it_did(mini, tmp_path):
    inv = load_inventory(mini)
    rows = gxj_rows(inv)
    sheet = write_csv(tmp_path / "gxj.csv", [r for r in rows if r[0] != "mini-fl02"])  # one host of mini-fl[01:03]
    before = tree_digest(mini)
    out = run_invoke("inventory.import", str(sheet), "--apply", "--prune", "--inventory", str(mini))
    assert out.returncode == EXIT_BAD_INPUT, out.stdout + out.stderr
    assert "mini-fl02" in out.stderr and "range" in out.stderr and tree_digest(mini) == before


# -- 2. formulas never leave cityops live -----------------------------------------------------------------------


@pytest.mark.parametrize("lead", list(cells.FORMULA_STARTS))
def test_every_formula_lead_is_neutralised_in_the_archive_csv_and_xlsx(mini, lead):
    inv = load_inventory(mini)
    host = next(h for h in inv.hosts.values() if h.origin == "yaml")
    host.vars["display_name"] = f"{lead}HYPERLINK(\"http://127.0.0.1/x?\"&A1,\"点击\")"
    text = export_csv(inv, [host]).decode("utf-8-sig")
    row = list(csv.reader(io.StringIO(text, newline="")))[1]
    assert row[HEADERS.index("设备名称")] == "'" + host.vars["display_name"]
    wb = load_workbook(io.BytesIO(export_xlsx(inv, [host])))
    ws = wb[wb.sheetnames[1]]
    cell = ws.cell(row=2, column=HEADERS.index("设备名称") + 1)
    assert cell.data_type == "s" and cell.value == "'" + host.vars["display_name"]


def test_neutralised_cells_read_back_as_they_were():
    for lead in cells.FORMULA_STARTS:
        assert cells.restore(cells.neutralise(f"{lead}1+1")) == f"{lead}1+1"
    assert cells.neutralise(-5) == -5 and cells.neutralise("普通文本") == "普通文本"
    assert cells.restore("'plain") == "'plain"  # an apostrophe the user typed stays


def test_the_report_workbook_writes_formula_text_as_text(tmp_path):
    from cityops.report.workbook import Book

    book = Book(tmp_path / "x.xlsx")
    sheet = book.sheet("明细", ["说明"])
    for lead in cells.FORMULA_STARTS:
        sheet.row((f"{lead}cmd|' /C calc'!A0",))
    book.close()
    ws = load_workbook(tmp_path / "x.xlsx").active
    values = [c.value for c in ws["A"][1:]]
    assert all(v.startswith("'") for v in values) and {c.data_type for c in ws["A"][1:]} == {"s"}


# -- 5. YAML bounds -------------------------------------------------------------------------------------------------

def bomb(indent: str) -> str:
    """Eight levels of nine aliases each: 9**8 (43 million) strings once expanded, in eight short lines."""
    lines = [f'{indent}a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefg", "bcdefgh", strict=True):
        lines.append(f"{indent}{name}: &{name} [{','.join(['*' + prev] * 9)}]")
    return "\n".join(lines) + "\n"


BOMB = "lot_6_10:\n  vars:\n" + bomb("    ")


def test_an_alias_bomb_in_the_inventory_is_refused_with_its_file_and_line(mini):
    (mini / "zz_bomb.yml").write_text(BOMB, encoding="utf-8")
    out = run_invoke("inventory.check", "--inventory", str(mini))
    assert out.returncode == 1
    assert re.search(r"zz_bomb.yml:\d+: .*refused: expands to more than 2,000,000 nodes through aliases", out.stdout)
    shown = run_invoke("inventory.show", "mini-rac01", "--inventory", str(mini))
    assert len(shown.stdout) < 10_000  # the bomb was never expanded into the host's variables


def test_recursive_aliases_oversized_files_and_bad_bytes_are_refused():
    with pytest.raises(BadInput, match=r"w.yml:1: refused: a recursive alias"):
        load_text("a: &a [*a]\n", "w.yml")
    with pytest.raises(BadInput, match="more than the 100 a YAML file may have"):
        load_text("x: " + "y" * 200, "w.yml", max_bytes=100)
    assert load_text("expires: 2026-02-30\n", "w.yml") == {"expires": "2026-02-30"}  # a date stays text


def test_an_alias_bomb_in_a_waiver_file_stops_the_run_with_one_line(mini, tmp_path):
    waivers = tmp_path / "waivers.yml"
    waivers.write_text("- check: X\n  hosts: mini-rac01\n" + bomb("  "), encoding="utf-8")
    out = run_invoke("inspect", "--inventory", str(mini), "--waivers", str(waivers), "--reports", str(tmp_path / "r"))
    assert out.returncode == EXIT_BAD_INPUT and "refused: expands to more than" in out.stderr
    assert "Traceback" not in out.stderr and not (tmp_path / "r").exists()


# -- 6. secrets --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("field,value", [("ansible_ssh_pass", "Gxj@2026!"), ("bmc_pwd", "calvin"),
                                         ("snmp_community", "public"), ("api_key", "0f3a9c"),
                                         ("credential", "Gxj@2026!"), ("bmc_credential", "P@ss word")])
def test_a_secret_in_any_field_is_refused_and_never_shown(mini, field, value):
    path = mini / "lot_6_10.yml"
    text = path.read_text(encoding="utf-8")
    key = f"      {field}: "
    if key in text:
        text = text.replace(f"{key}gxj_linux" if field == "credential" else f"{key}gxj_bmc", f"{key}'{value}'", 1)
    else:
        text = text.replace("      display_name: 测试 RAC 节点1\n", f"      display_name: 测试 RAC 节点1\n{key}'{value}'\n", 1)
    path.write_text(text, encoding="utf-8")
    problems = [str(p) for p in check_inventory(load_inventory(mini))]
    assert any("mini-rac01" in p and field in p and ("looks like a secret" in p or "credential name" in p)
               for p in problems), problems
    shown = run_invoke("inventory.show", "mini-rac01", "--inventory", str(mini))
    listed = run_invoke("inventory.hosts", "--host", "mini-rac01", "--format", "json", "--inventory", str(mini))
    assert value not in shown.stdout and value not in listed.stdout
    assert "已隐去" in shown.stdout


def test_a_password_in_the_csv_credential_column_is_refused_and_not_exported(mini):
    path = mini / "bulk" / "cameras.csv"
    text = path.read_text(encoding="utf-8-sig").splitlines()
    text[0] += ",凭据名称"
    text[1] += ",Hik12345!"
    path.write_text("\n".join(text) + "\n", encoding="utf-8-sig")
    inv = load_inventory(mini)
    problems = [str(p) for p in check_inventory(inv)]
    assert any(p.startswith("inventory/bulk/cameras.csv:2: row 2 (mini-cam-0001): credential: does not look like a "
                            "credential name") for p in problems), problems
    assert not any("Hik12345!" in p for p in problems)  # the message names the field, never repeats the secret
    assert "Hik12345!" not in export_csv(inv, list(inv.hosts.values())).decode("utf-8-sig")


# -- 7. host and group names ---------------------------------------------------------------------------------------


def test_a_host_named_like_a_group_is_refused_and_selection_will_not_guess(mini):
    path = mini / "lot_6_10.yml"
    text = path.read_text(encoding="utf-8").replace("    mini-core01:", "    servers:", 1)
    path.write_text(text, encoding="utf-8")
    inv = load_inventory(mini)
    assert any("'servers' is also a group name" in str(p) for p in check_inventory(inv))
    with pytest.raises(SelectionError, match="also used as group names: servers"):
        select(inv, device_class="server")
    out = run_invoke("inventory.hosts", "--class", "server", "--inventory", str(mini))
    assert out.returncode == EXIT_BAD_INPUT and "servers" in out.stderr


# -- 8. one line, never a traceback -----------------------------------------------------------------------------


def test_impossible_dates_are_named_not_raised(mini, tmp_path):
    out = run_invoke("report", "--lot", "6_10", "--period", "2026-02-30", "--reports", str(tmp_path / "r"),
                     "--inventory", str(mini))
    assert out.returncode == EXIT_BAD_INPUT and out.stderr.strip().count("\n") == 0
    assert "period '2026-02-30': not a real day" in out.stderr
    waivers = tmp_path / "waivers.yml"
    waivers.write_text("- {check: LNX-FS-001, hosts: mini-rac01, reason: 测试, approver: 王某, expires: 2026-02-30}\n")
    out = run_invoke("inspect", "--inventory", str(mini), "--waivers", str(waivers), "--reports", str(tmp_path / "r"))
    assert out.returncode == EXIT_BAD_INPUT and "Traceback" not in out.stderr
    assert "waivers.yml entry 1: expires: '2026-02-30' is not a real date" in out.stderr


def test_a_csv_mixing_encodings_is_named_by_its_line():
    data = "主机名,设备名称\n".encode() + "a,楼层交换机\n".encode() + "b,机房交换机\n".encode("gb18030")
    with pytest.raises(BadInput, match=r"x.csv:3: not UTF-8, while the lines before it are: the file mixes encodings"):
        decode_table_bytes(data, "x.csv")
    assert decode_table_bytes("主机名\n".encode("gb18030"), "y.csv")[1] == "gb18030"


def test_a_bulk_csv_mixing_encodings_is_one_problem_with_its_line(mini):
    path = mini / "bulk" / "cameras.csv"
    lines = path.read_bytes().split(b"\n")
    lines[2] = lines[2].decode("utf-8").encode("gb18030")
    path.write_bytes(b"\n".join(lines))
    problems = [str(p) for p in load_inventory(mini).problems]
    assert any("cameras.csv:3" in p and "mixes encodings" in p for p in problems), problems


def test_the_bad_input_exit_status_is_documented():
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    assert "4 bad input" in readme
