"""inventory.check: one test per rule, each on a deliberately broken inventory.

Every assertion checks that the message names the place (file and line or CSV
row), the host, the field and the cause — what an engineer needs at 3 a.m.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from cityops.inventory import load_inventory
from cityops.inventory.check import check_inventory

from .conftest import run_invoke


def problems(root: Path) -> list[str]:
    return [str(p) for p in check_inventory(load_inventory(root))]


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8-sig")
    assert old in text, f"fixture text not found: {old!r}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def append_csv_row(root: Path, row: str) -> None:
    with open(root / "bulk" / "cameras.csv", "a", encoding="utf-8") as fh:
        fh.write(row + "\n")


CAMERA = ("mini-cam-0009,克拉玛依区友谊路枪机,克拉玛依区友谊路,127.99.1.19,65020301001320000009,克拉玛依区,"
          "84.87,45.60,海康威视,DS-2CD3T47EWD-L,枪机,维护,2020-06-15,2026-06-15,H1")


def one(found: list[str], *needles: str) -> str:
    hits = [p for p in found if all(n in p for n in needles)]
    assert len(hits) == 1, f"expected one problem with {needles}, got: {found}"
    return hits[0]


def test_fixture_and_shipped_inventory_are_clean(mini, estate):
    assert problems(mini) == []
    assert check_inventory(estate) == []
    from .conftest import LAB_INV

    assert [str(p) for p in check_inventory(load_inventory(LAB_INV))] == []  # the test lab's inventory too


def test_duplicate_hostname_in_one_yaml_mapping(mini):
    edit(mini / "lot_6_10.yml", "    mini-core01:\n", "    mini-rac01:\n")
    msg = one(problems(mini), "host mini-rac01", "duplicate hostname")
    assert msg.startswith("inventory/lot_6_10.yml:54: host mini-rac01: hostname:") and "already at line 4" in msg


def test_duplicate_hostname_in_two_yaml_files(mini):
    text = (mini / "lot_6_10.yml").read_text(encoding="utf-8")
    start = text.index("    mini-core01:")
    block = text[start:text.index("  children:")]
    (mini / "lot_6_9.yml").write_text("lot_6_10:\n  hosts:\n" + block, encoding="utf-8")
    msg = one(problems(mini), "host mini-core01", "duplicate hostname")
    assert "lot_6_10.yml:" in msg and "defined again at inventory/lot_6_9.yml:3" in msg


def test_duplicate_hostname_across_yaml_and_csv(mini):
    append_csv_row(mini, CAMERA.replace("mini-cam-0009", "mini-core01"))
    msg = one(problems(mini), "mini-core01", "duplicate hostname")
    assert msg.startswith("inventory/bulk/cameras.csv:5: row 5 (mini-core01): hostname:")
    assert "lot_6_10.yml" in msg


def test_duplicate_address_across_hosts(mini):
    edit(mini / "lot_6_10.yml", "ansible_host: 127.99.0.21", "ansible_host: 127.99.0.11")
    msg = one(problems(mini), "duplicate address 127.99.0.11")
    assert "mini-core01" in msg and "mini-rac01" in msg and "ansible_host" in msg


def test_duplicate_address_between_csv_host_and_bmc(mini):
    append_csv_row(mini, CAMERA.replace("127.99.1.19", "127.99.200.12"))
    msg = one(problems(mini), "duplicate address 127.99.200.12")
    assert "row 5 (mini-cam-0009)" in msg and "mini-rac02 (bmc_address)" in msg


def test_duplicate_address_with_cluster_scan(mini):
    edit(mini / "lot_6_10.yml", "vip_address: 127.99.250.12", "vip_address: 127.99.252.12")
    msg = one(problems(mini), "duplicate address 127.99.252.12")
    assert "cluster_mini_rac" in msg and "scan_addresses" in msg and "mini-rac02" in msg


def test_unknown_platform(mini):
    edit(mini / "lot_6_10.yml", "platform: huawei_vrp\n      ansible_host", "platform: huawei_vpr\n      ansible_host")
    msg = one(problems(mini), "host mini-core01", "platform")
    assert "unknown platform 'huawei_vpr'" in msg


@pytest.mark.parametrize("address", ["203.0.113.7", "::2", "fe80::1"])
def test_address_outside_allowed_range(mini, address):
    edit(mini / "lot_6_10.yml", "ansible_host: 127.99.0.21", f"ansible_host: '{address}'")
    msg = one(problems(mini), "host mini-core01", "ansible_host")
    assert f"address {address} is outside the allowed range" in msg and "127.0.0.0/8" in msg


def test_address_that_is_not_an_address(mini):
    append_csv_row(mini, CAMERA.replace("127.99.1.19", "127.99.1.300"))
    msg = one(problems(mini), "row 5 (mini-cam-0009)", "ansible_host")
    assert "'127.99.1.300' is not an IP address" in msg


def test_missing_required_field(mini):
    edit(mini / "lot_6_10.yml", "      owner: 市工信局信息中心\n      warranty_end: '2026-12-20'\n",
         "      warranty_end: '2026-12-20'\n")
    msg = one(problems(mini), "host mini-core01", "owner")
    assert "missing required field" in msg


def test_missing_field_in_csv_row(mini):
    append_csv_row(mini, CAMERA.replace("海康威视,DS-2CD3T47EWD-L", ","))
    found = problems(mini)
    one(found, "row 5 (mini-cam-0009)", "vendor", "missing required field")
    one(found, "row 5 (mini-cam-0009)", "model", "missing required field")


def test_impossible_date(mini):
    edit(mini / "lot_6_10.yml", "warranty_end: '2026-12-20'", "warranty_end: 2023-02-30")
    msg = one(problems(mini), "host mini-core01", "warranty_end")
    assert "'2023-02-30' is not a real date" in msg
    line = int(msg.split(":")[1])
    assert (mini / "lot_6_10.yml").read_text().splitlines()[line - 1].strip() == "warranty_end: 2023-02-30"


def test_bad_date_in_csv(mini):
    append_csv_row(mini, CAMERA.replace("2026-06-15", "2026/06/15"))
    msg = one(problems(mini), "row 5 (mini-cam-0009)", "warranty_end")
    assert "not a date in YYYY-MM-DD form" in msg


@pytest.mark.parametrize(("old", "new", "field", "cause"), [
    ("bureau: gxj\n      lots: ['6_10']\n      subsystem: 6_10_network", "bureau: gxx\n      lots: ['6_10']\n"
     "      subsystem: 6_10_network", "bureau", "unknown bureau 'gxx'"),
    ("lots: ['6_10']\n      subsystem: 6_10_network\n      site: dzzw", "lots: ['6_11']\n      subsystem: 6_10_network\n"
     "      site: dzzw", "lots", "unknown lot '6_11'"),
    ("zone: gov_extranet\n      device_class: core_switch", "zone: gov_intranet\n      device_class: core_switch",
     "zone", "unknown zone 'gov_intranet'"),
    ("subsystem: 6_10_network\n      site: dzzw\n      zone: gov_extranet\n      device_class: core_switch",
     "subsystem: 6_10_netwrk\n      site: dzzw\n      zone: gov_extranet\n      device_class: core_switch",
     "subsystem", "unknown subsystem '6_10_netwrk'"),
    ("site: dzzw\n      zone: gov_extranet\n      device_class: core_switch", "site: dzzz\n      zone: gov_extranet\n"
     "      device_class: core_switch", "site", "unknown site 'dzzz'"),
    ("device_class: core_switch", "device_class: core_swich", "device_class", "unknown class 'core_swich'"),
    ("cadences: [daily]\n      credential: gxj_network", "cadences: [dayly]\n      credential: gxj_network",
     "cadences", "unknown cadence 'dayly'"),
])
def test_unknown_vocabulary_value(mini, old, new, field, cause):
    edit(mini / "lot_6_10.yml", old, new)
    found = problems(mini)
    msg = one(found, "host mini-core01", f": {field}:", cause)
    assert "lot_6_10.yml:" in msg


def test_unquoted_lot_is_caught(mini):
    edit(mini / "lot_6_10.yml", "lots: ['6_10']\n      subsystem: 6_10_network\n      site: dzzw",
         "lots: [6_10]\n      subsystem: 6_10_network\n      site: dzzw")
    msg = one(problems(mini), "host mini-core01", "lots", "is not text")
    assert "610" in msg and "quote it" in msg


def test_subsystem_of_another_lot(mini):
    edit(mini / "lot_6_10.yml", "subsystem: 6_10_network\n      site: dzzw\n      zone: gov_extranet\n"
         "      device_class: core_switch", "subsystem: 2_cameras\n      site: dzzw\n      zone: gov_extranet\n"
         "      device_class: core_switch")
    msg = one(problems(mini), "host mini-core01", "subsystem")
    assert "belongs to lot 2" in msg


def test_bureau_that_does_not_own_the_lot(mini):
    append_csv_row(mini, CAMERA)
    edit(mini / "zz_estate.cityops.yml", "bureau: gaj", "bureau: gxj")
    found = problems(mini)
    msg = one(found, "row 5 (mini-cam-0009)", "bureau")
    assert "lot 2 belongs to bureau 'gaj'" in msg


def test_cluster_with_too_few_members(mini):
    edit(mini / "lot_6_10.yml", "      cluster: mini_rac\n      role: oracle_rac_node\n      owner: 市工信局信息中心\n"
         "      warranty_end: 2018-03-31", "      role: oracle_rac_node\n      owner: 市工信局信息中心\n"
         "      warranty_end: 2018-03-31")
    msg = one(problems(mini), "cluster_mini_rac", "cluster_size")
    assert "declares 2 members but 1 hosts name it: mini-rac01" in msg


def test_cluster_member_without_vip_and_wrong_scan_count(mini):
    edit(mini / "lot_6_10.yml", "      vip_address: 127.99.250.12\n", "")
    edit(mini / "estate.yml", "[127.99.252.11, 127.99.252.12, 127.99.252.13]", "[127.99.252.11, 127.99.252.12]")
    found = problems(mini)
    one(found, "host mini-rac02", "vip_address", "RAC node of mini_rac has no VIP address")
    one(found, "cluster_mini_rac", "scan_addresses", "exactly 3 SCAN addresses")


def test_unknown_cluster(mini):
    edit(mini / "lot_6_10.yml", "cluster: mini_rac\n      role: oracle_rac_node\n      owner: 市工信局信息中心\n"
         "      warranty_end: 2018-03-31", "cluster: mini_rca\n      role: oracle_rac_node\n      owner: 市工信局信息中心\n"
         "      warranty_end: 2018-03-31")
    found = problems(mini)
    one(found, "host mini-rac02", "cluster", "unknown cluster 'mini_rca'")


@pytest.mark.parametrize(("code", "cause"), [
    ("6502030100132000001", "must be exactly 20 digits (has 19"),
    ("65020301001320000O01", "must be exactly 20 digits"),
    ("11010501001320000009", "does not start with Karamay's division prefix 6502"),
    ("65020901001320000009", "division 650209 is not a Karamay district"),
    ("65020301009990000009", "device type 999 is not a known"),
])
def test_malformed_gb28181_code(mini, code, cause):
    append_csv_row(mini, CAMERA.replace("65020301001320000009", code))
    msg = one(problems(mini), "row 5 (mini-cam-0009)", "gb_code")
    assert "malformed GB/T 28181 code" in msg and cause in msg


def test_gb28181_district_mismatch_and_duplicate(mini):
    append_csv_row(mini, CAMERA.replace(",克拉玛依区,84.87", ",独山子区,84.87"))
    append_csv_row(mini, CAMERA.replace("mini-cam-0009", "mini-cam-0010").replace("127.99.1.19", "127.99.1.20"))
    found = problems(mini)
    one(found, "row 5 (mini-cam-0009)", "district", "does not match the code's division 650203")
    one(found, "row 6 (mini-cam-0010)", "gb_code", "duplicate GB/T 28181 code 65020301001320000009")


def test_coordinates_outside_karamay(mini):
    append_csv_row(mini, CAMERA.replace("84.87,45.60", "116.40,39.90"))
    found = problems(mini)
    one(found, "row 5 (mini-cam-0009)", "longitude", "lies outside Karamay")
    one(found, "row 5 (mini-cam-0009)", "latitude", "lies outside Karamay")


def test_csv_row_that_does_not_parse(mini):
    append_csv_row(mini, "mini-cam-0009,only,three")
    append_csv_row(mini, 'mini-cam-0010,"unterminated quote')
    found = problems(mini)
    one(found, "cameras.csv:5", "row 5 (mini-cam-0009)", "has 3 fields, the header has 15")
    assert any("cameras.csv:6" in p for p in found)


def test_unknown_csv_header_and_undecodable_file(mini):
    path = mini / "bulk" / "cameras.csv"
    path.write_text(path.read_text(encoding="utf-8-sig").replace("维护方式", "维护方法"), encoding="utf-8-sig")
    one(problems(mini), "cameras.csv:1", "维护方法", "unknown column header")
    path.write_bytes(b"\xff\xfe\x00garbage\x81")
    assert any("cameras.csv" in p for p in problems(mini))


def test_gb18030_bulk_source_is_read(mini):
    path = mini / "bulk" / "cameras.csv"
    path.write_bytes(path.read_text(encoding="utf-8-sig").encode("gb18030"))
    inv = load_inventory(mini)
    assert inv.hosts["mini-cam-0001"].get("district") == "克拉玛依区"
    assert check_inventory(inv) == []


def test_yaml_that_does_not_parse(mini):
    edit(mini / "lot_6_10.yml", "      vendor: 华为\n      model: S7706", "      vendor: [华为\n      model: S7706")
    msg = one(problems(mini), "lot_6_10.yml", "YAML does not parse")
    assert int(msg.split(":")[1]) > 0


def test_secret_in_inventory(mini):
    edit(mini / "lot_6_10.yml", "credential: gxj_network\n      source: tender",
         "credential: gxj_network\n      ansible_password: hunter2\n      source: tender")
    (mini / "group_vars" / "all.yml").write_text("snmp_community: public\n", encoding="utf-8")
    found = problems(mini)
    one(found, "host mini-core01", "ansible_password", "looks like a secret")
    one(found, "group all", "snmp_community", "looks like a secret")
    assert not any("hunter2" in p or "public" in p for p in found)


def test_display_name_must_be_chinese_and_hostname_ascii(mini):
    edit(mini / "lot_6_10.yml", "display_name: 测试核心交换机", "display_name: Core switch")
    edit(mini / "lot_6_10.yml", "    mini-core01:\n", "    Mini_Core01:\n")
    found = problems(mini)
    one(found, "host Mini_Core01", "hostname", "not an ASCII hostname")
    one(found, "host Mini_Core01", "display_name", "has no Chinese text")


def test_yaml_group_membership_must_agree_with_fields(mini):
    edit(mini / "lot_6_10.yml", "          hosts:\n            mini-fl03:\n",
         "          hosts:\n            mini-fl03:\n    site_szcs:\n      hosts:\n        mini-fl03:\n")
    # mini-fl03 is placed under site_szcs by hand, but its site field says dzzw
    edit(mini / "lot_6_10.yml", "    site_szcs:\n      hosts:\n        mini-fl03:\n", "")
    (mini / "extra.yml").write_text("site_szcs:\n  hosts:\n    mini-fl03:\n", encoding="utf-8")
    msg = one(problems(mini), "host mini-fl03", "site", "listed under group 'site_szcs'")
    assert "disagrees" in msg


def test_every_problem_is_reported_not_just_the_first(mini):
    edit(mini / "lot_6_10.yml", "warranty_end: '2026-12-20'", "warranty_end: 2023-02-30")
    edit(mini / "lot_6_10.yml", "platform: huawei_vrp\n      ansible_host", "platform: nosuch\n      ansible_host")
    edit(mini / "lot_6_10.yml", "ansible_host: 127.99.0.12", "ansible_host: 127.99.0.11")
    append_csv_row(mini, CAMERA.replace("65020301001320000009", "123"))
    append_csv_row(mini, "broken,row")
    found = problems(mini)
    assert len(found) >= 5
    for needle in ("2023-02-30", "unknown platform 'nosuch'", "duplicate address 127.99.0.11",
                   "malformed GB/T 28181 code", "has 2 fields"):
        assert any(needle in p for p in found), needle


def test_invoke_check_exit_status_and_output(mini):
    ok = run_invoke("inventory.check", "--inventory", str(mini))
    assert ok.returncode == 0, ok.stderr
    assert "9 hosts (6 YAML, 3 CSV)" in ok.stdout and "OK" in ok.stdout
    edit(mini / "lot_6_10.yml", "warranty_end: '2026-12-20'", "warranty_end: 2023-02-30")
    append_csv_row(mini, CAMERA.replace("65020301001320000009", "123"))
    bad = run_invoke("inventory.check", "--inventory", str(mini))
    assert bad.returncode == 1
    lines = bad.stdout.strip().splitlines()
    assert len(lines) == 2
    assert "host mini-core01: warranty_end:" in lines[0] or "host mini-core01: warranty_end:" in lines[1]
    assert "2 problem(s)" in bad.stderr


@pytest.mark.parametrize(("old", "new", "needle"), [
    ("python: '2.6'", "python: 2.6", "'2.6'"),  # unquoted YAML: the number 2.6
    ("python: '2.6'", "python: '3.11.4'", "quoted major.minor"),
    ("      python: '2.6'\n", "", "a server needs python"),
    ("patch_route: playbook_rac", "patch_route: yum", "one of pyinfra_yum"),
    ("patch_route: playbook_rac", "patch_route: wsus", "wsus patches windows hosts, not platform linux"),
    ("      patch_route: playbook_rac\n", "", "a server needs patch_route"),
])
def test_a_servers_python_and_patch_route_are_checked(mini, old, new, needle):
    edit(mini / "lot_6_10.yml", old, new)
    msg = one(problems(mini), "host mini-rac01", needle)
    assert ": python:" in msg or ": patch_route:" in msg


@pytest.mark.parametrize(("value", "needle"), [
    ("['sat 22:00-06:00', 'nightly 01:00-05:00']", "is not 'daily HH:MM-HH:MM'"),
    ("['sun 03:00-03:00']", "opens and closes at the same minute"),
])
def test_a_lots_change_window_is_checked(mini, value, needle):
    edit(mini / "estate.yml", "lot_bureau: gxj}", f"lot_bureau: gxj, change_window: {value}}}")
    found = [p for p in problems(mini) if "change_window" in p]
    assert found and all(needle in p for p in found), found


def test_a_package_mirror_outside_loopback_is_refused(mini):
    edit(mini / "estate.yml", "zone_name: 电子政务外网", "zone_name: 电子政务外网, package_mirror: 'http://203.0.113.10/'")
    found = [p for p in problems(mini) if "package_mirror" in p]
    assert found and all("outside the allowed range" in p for p in found), found
