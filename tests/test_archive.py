"""The device archive: XLSX/CSV export, import preview, round trip, and safe writes."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cityops.inventory import load_inventory
from cityops.inventory.archive import HEADERS, export_csv, export_xlsx, plan_import, unique_path
from cityops.inventory.check import check_inventory
from cityops.inventory.edit import ImportRefused, apply_import

from .conftest import run_invoke


@pytest.fixture(scope="module")
def estate_xlsx(estate, tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("archive") / "estate.xlsx"
    path.write_bytes(export_xlsx(estate, list(estate.hosts.values())))
    return path


def _rows(ws):
    rows = list(ws.iter_rows(values_only=True))
    header = list(rows[0])
    return [dict(zip(header, r, strict=False)) for r in rows[1:]]


def test_export_has_a_sheet_per_bureau_and_the_tender_counts(estate, estate_xlsx):
    wb = load_workbook(estate_xlsx, read_only=True)
    assert wb.sheetnames[0] == "汇总"
    assert set(wb.sheetnames[1:]) == {estate.vocabulary.name("bureau", b) for b in estate.vocabulary.known("bureau")}
    gxj = _rows(wb["市工信局"])
    assert list(next(wb["市工信局"].iter_rows(values_only=True))) == list(HEADERS)
    floor_dzzw = [r for r in gxj if r["设备类别"] == "楼层交换机" and r["机房/站点"] == "电子政务机房"]
    assert len(floor_dzzw) == 53
    rac = [r for r in gxj if r["集群"] == "数字城市核心数据库 Oracle 11g RAC"]
    assert len(rac) == 4
    gaj = _rows(wb["市公安局"])
    maintained = [r for r in gaj if r["设备类别"] == "摄像机" and r["维护方式"] == "维护"]
    assert len(maintained) == 2263
    assert sum(1 for r in gaj if r["维护方式"] == "利旧") == 773


def test_summary_sheet_counts_add_up(estate, estate_xlsx):
    wb = load_workbook(estate_xlsx, read_only=True)
    rows = [r for r in wb["汇总"].iter_rows(values_only=True)]
    by_class = {}
    in_class_table = False
    for r in rows:
        if r and r[0] == "设备类别":
            in_class_table = True
            continue
        if in_class_table:
            if not r or r[0] is None:
                break
            by_class[r[1]] = r[3]
    assert by_class["摄像机"] == 3036
    assert by_class["楼层交换机"] == 95
    assert sum(by_class.values()) == len(estate.hosts)
    lot_rows = {r[0]: r[3] for r in rows if r and isinstance(r[0], str) and r[0] in ("6-10", "12", "2")}
    assert lot_rows["2"] == 3036


def test_long_codes_stay_text(estate, estate_xlsx):
    wb = load_workbook(estate_xlsx)  # full mode, to read the cell type and format
    ws = wb["市公安局"]
    header = [c.value for c in ws[1]]
    col = header.index("国标编码") + 1
    row = next(r for r in range(2, ws.max_row + 1) if ws.cell(row=r, column=1).value == "gaj-cam-0001")
    cell = ws.cell(row=row, column=col)
    assert cell.data_type in ("s", "inlineStr") and cell.number_format == "@"  # text, not a float
    assert cell.value == estate.hosts["gaj-cam-0001"].get("gb_code")
    assert len(cell.value) == 20 and cell.value.isdigit()


def test_export_then_import_reports_no_change(estate, estate_xlsx, tmp_path):
    plan = plan_import(estate, estate_xlsx)
    assert plan.rows == len(estate.hosts)
    assert plan.empty and not plan.problems and not plan.ignored_headers
    csv_path = tmp_path / "estate.csv"
    csv_path.write_bytes(export_csv(estate, list(estate.hosts.values())))
    assert plan_import(estate, csv_path).empty


def test_import_preview_names_added_removed_and_changed(mini, tmp_path):
    inv = load_inventory(mini)
    text = export_csv(inv, list(inv.hosts.values())).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    header = rows[0]
    idx = {h: i for i, h in enumerate(header)}
    cam = next(r for r in rows if r[0] == "mini-cam-0002")
    cam[idx["安装位置"]] = "独山子区大庆东路与北京路交叉口"
    core = next(r for r in rows if r[0] == "mini-core01")
    core[idx["型号"]] = "S7712"
    new = list(cam)
    new[idx["主机名"]] = "mini-cam-0004"
    new[idx["管理地址"]] = "127.99.1.14"
    new[idx["国标编码"]] = "65020201001320000004"
    rows.append(new)
    rows = [r for r in rows if r[0] != "mini-cam-0003"]
    path = tmp_path / "from-bureau.csv"
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    path.write_bytes(buf.getvalue().encode("gb18030"))  # bureaus often send GB18030
    plan = plan_import(inv, path)
    assert [r.name for r in plan.added] == ["mini-cam-0004"]
    assert [h.name for h in plan.removed] == ["mini-cam-0003"]
    changed = {h.name: diffs for h, _row, diffs in plan.changed}
    assert changed == {
        "mini-cam-0002": {"location": ("独山子区大庆东路公交站台", "独山子区大庆东路与北京路交叉口")},
        "mini-core01": {"model": ("S7706", "S7712")},
    }
    before = {p.name: p.read_bytes() for p in mini.rglob("*") if p.is_file()}
    out = run_invoke("inventory.import", str(path), "--inventory", str(mini))
    assert out.returncode == 0, out.stderr
    assert "+ mini-cam-0004" in out.stdout and "- mini-cam-0003" in out.stdout
    assert "~ mini-core01: model: S7706 -> S7712" in out.stdout
    assert "nothing written" in out.stdout
    assert before == {p.name: p.read_bytes() for p in mini.rglob("*") if p.is_file()}


def test_import_apply_writes_yaml_and_csv_and_keeps_comments(mini, tmp_path):
    inv = load_inventory(mini)
    text = export_csv(inv, list(inv.hosts.values())).decode("utf-8-sig")
    text = text.replace("S7706", "S7712").replace("独山子区大庆东路公交站台,", "独山子区大庆东路与北京路交叉口,", 1)
    new = {"主机名": "mini-cam-0004", "设备名称": "白碱滩区中兴路枪机", "委办局": "市公安局", "标项": "2",
           "分系统": "前端摄像机", "机房/站点": "公共安全视频前端点位", "网络区域": "公共安全视频网", "设备类别": "摄像机",
           "厂商": "宇视", "型号": "IPC2124LR3-DPF36", "平台": "gb28181_camera", "管理地址": "127.99.1.14",
           "角色": "camera", "责任单位": "市公安局科技信息化支队", "维保到期": "2027-05-12", "巡检频率": "每日",
           "凭据名称": "gaj_camera", "数据来源": "tender", "序列号": "U9", "安装位置": "白碱滩区中兴路",
           "国标编码": "65020401001320000004", "行政区划": "白碱滩区", "经度": "85.13", "纬度": "45.69",
           "摄像机类型": "枪机", "维护方式": "维护", "建设时间": "2020-05-12"}
    text += ",".join(new.get(label, "") for label in HEADERS) + "\n"  # by column name, whatever the order
    path = tmp_path / "bureau.csv"
    path.write_text(text, encoding="utf-8-sig")
    plan = plan_import(inv, path)
    assert len(plan.added) == 1 and len(plan.changed) == 2, (plan.added, plan.changed, plan.problems)
    written = apply_import(inv, plan)
    assert {p.name for p in written} == {"lot_6_10.yml", "cameras.csv"}
    after = load_inventory(mini)
    assert after.hosts["mini-core01"].get("model") == "S7712"
    assert after.hosts["mini-cam-0002"].get("location") == "独山子区大庆东路与北京路交叉口"
    assert after.hosts["mini-cam-0004"].get("gb_code") == "65020401001320000004"
    assert after.hosts["mini-cam-0004"].get("bureau") == "gaj"
    assert check_inventory(after) == []
    yaml_text = (mini / "lot_6_10.yml").read_text(encoding="utf-8")
    assert yaml_text.startswith("# Test hosts of lot 6-10")  # comments survive the round trip
    assert "lots: ['6_10']" in yaml_text  # quoting that ansible needs survives
    assert plan_import(after, path).empty


def test_import_that_would_break_the_inventory_is_refused(mini, tmp_path):
    inv = load_inventory(mini)
    text = export_csv(inv, list(inv.hosts.values())).decode("utf-8-sig")
    text = text.replace("127.99.0.21", "127.99.0.11")  # core switch takes a RAC node's address
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8-sig")
    before = (mini / "lot_6_10.yml").read_bytes()
    with pytest.raises(ImportRefused) as err:
        apply_import(inv, plan_import(inv, path))
    assert "duplicate address 127.99.0.11" in str(err.value)
    assert (mini / "lot_6_10.yml").read_bytes() == before


def test_export_never_overwrites_an_earlier_archive(mini, tmp_path):
    out = tmp_path / "archive"
    first = run_invoke("inventory.export", "--inventory", str(mini), "--out", str(out))
    second = run_invoke("inventory.export", "--inventory", str(mini), "--out", str(out), "--bureau", "gaj")
    assert first.returncode == 0 and second.returncode == 0, second.stderr
    files = sorted(p.name for p in out.iterdir())
    assert len(files) == 4, files
    sheets = {}
    for p in out.glob("*.xlsx"):
        sheets[p.name] = load_workbook(p, read_only=True).sheetnames
    assert sorted(len(s) for s in sheets.values()) == [2, 3]  # gaj only; gaj + gxj
    assert not list(out.glob(".*"))  # no temporary leftovers


def test_unique_path(tmp_path):
    p = tmp_path / "a.xlsx"
    assert unique_path(p) == p
    p.write_text("x")
    assert unique_path(p).name == "a-2.xlsx"
