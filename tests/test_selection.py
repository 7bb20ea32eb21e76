"""The shared selection flags: facets, Chinese names, lot notation, errors that name the cause."""

from __future__ import annotations

import pytest

from cityops.inventory.selection import SelectionError, select

from .conftest import run_invoke


def test_counts_the_tender_gives(estate):
    assert len(select(estate, site="dzzw", device_class="floor_switch").hosts) == 53
    assert len(select(estate, limit="cluster_szcs_rac").hosts) == 4
    assert len(select(estate, lot="2", subsystem="2_cameras,2_smart_boxes").hosts) == 2263
    assert len(select(estate, subsystem="2_reused").hosts) == 773
    assert len(select(estate, lot="12", device_class="switch".replace("switch", "access_switch")).hosts) == 6
    assert len(select(estate, limit="cluster_dzzw_sql1:cluster_dzzw_sql2:cluster_dzzw_sql3").hosts) == 6


def test_chinese_names_and_lot_notation_equal_identifiers(estate):
    a = select(estate, bureau="市人社局", lot="12", site="中国石油数据中心机房")
    b = select(estate, bureau="rsj", lot="lot_12", site="cnpc_dc")
    assert a.names == b.names and len(a.names) > 40
    assert select(estate, lot="6-10").names == select(estate, lot="6_10").names


def test_lot_6_covers_all_sublots(estate):
    lot6 = set(select(estate, lot="6").names)
    parts = set()
    for i in range(1, 13):
        parts |= set(select(estate, lot=f"6-{i}", allow_empty=True).names)
    assert lot6 == parts


def test_flags_and_limit_combine(estate):
    sel = select(estate, bureau="gxj", limit="core_switches:routers:!site_szcs")
    assert sorted(sel.names) == sorted([f"gxj-dzzw-core0{i}" for i in range(1, 6)] + ["gxj-dzzw-rt01"])
    assert sel.describe() == "--bureau=gxj --limit=core_switches:routers:!site_szcs"


def test_host_globs_and_cadence(estate):
    assert select(estate, host="gxj-szcs-rac*").names == [f"gxj-szcs-rac0{i}" for i in range(1, 5)]
    twice = select(estate, cadence="twice_daily")
    assert {h.get("bureau") for h in twice.hosts} == {"gxj", "zfw", "zwfw"}


@pytest.mark.parametrize(("kwargs", "cause"), [
    ({"bureau": "xyz"}, "unknown bureau 'xyz'; known: gxj (市工信局)"),
    ({"lot": "25"}, "unknown lot '25'"),
    ({"device_class": "toaster"}, "unknown class 'toaster'"),
    ({"host": "no-such-host"}, "unknown host 'no-such-host'"),
    ({"cadence": "hourly"}, "unknown cadence 'hourly'"),
    ({"bureau": "gaj", "device_class": "floor_switch"}, "selection matched no hosts (--bureau=gaj --class=floor_switch)"),
])
def test_bad_selection_names_the_cause(estate, kwargs, cause):
    with pytest.raises(SelectionError) as err:
        select(estate, **kwargs)
    assert cause in str(err.value)


def test_cli_flags_including_class(mini):
    out = run_invoke("inventory.hosts", "--inventory", str(mini), "--class", "floor_switch", "--format", "names")
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["mini-fl01", "mini-fl02", "mini-fl03"]
    bad = run_invoke("inventory.hosts", "--inventory", str(mini), "--bureau", "nope")
    assert bad.returncode == 4 and "unknown bureau 'nope'" in bad.stderr
