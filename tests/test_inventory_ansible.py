"""Ansible and cityops read the same inventory: hosts, variables, groups and patterns."""

from __future__ import annotations

import json
import subprocess

import pytest

from cityops.inventory import load_inventory
from cityops.inventory.selection import PatternMatcher, select

from .conftest import BIN, MINI, REPO, ansible_env, ansible_inventory_list, ansible_patterns

PATTERNS = [
    "all", "ungrouped", "core_switches:&site_dzzw", "lot_6", "lot_6_10", "bureau_gxj:&servers:!cluster_szcs_rac",
    "floor_switches[0:2]", "floor_switches[-1]", "~gxj-szcs-rac0[12]", "gxj-dzzw-fl*", "cameras:&zone_video",
    "lot_12,lot_13:&routers", "*-core01", "zone_hall:!floor_switches", "gxj-dzzw-core01,rsj-jb-s7706-02",
    "subsystem_2_reused", "cluster_dzzw_sql2", "site_cnpc_dc:&storage_arrays", "nosuchgroup",
]


def _compare_listing(inv, listing):
    hostvars = listing["_meta"]["hostvars"]
    assert set(hostvars) == set(inv.hosts)
    mismatched = [h for h in inv.hosts if hostvars[h] != inv.hosts[h].vars]
    assert mismatched == []
    groups = {k: v for k, v in listing.items() if k != "_meta"}
    for name, g in inv.groups.items():
        shown = groups.get(name, {})
        assert sorted(shown.get("hosts", [])) == sorted(g.hosts), name
        assert sorted(shown.get("children", [])) == sorted(g.children), name
    assert set(groups) <= set(inv.groups)


@pytest.mark.slow
def test_shipped_inventory_equals_ansible_inventory_list(estate, tmp_path):
    listing = ansible_inventory_list(REPO / "inventory", tmp_path)
    _compare_listing(estate, listing)
    # the bulk CSV hosts are in ansible's view too
    assert len(listing["_meta"]["hostvars"]) == len(estate.hosts) == 7836
    assert "gaj-cam-0001" in listing["cameras"]["hosts"]


def test_mini_inventory_equals_ansible_with_precedence(tmp_path):
    inv = load_inventory(MINI)
    _compare_listing(inv, ansible_inventory_list(MINI, tmp_path))
    fl = {n: inv.hosts[n].vars for n in ("mini-fl01", "mini-fl02", "mini-fl03")}
    # group_vars file beats inline group vars and the shallower bureau group's file
    assert fl["mini-fl01"]["escalation"] == "ring-file"
    # the deeper child group wins over its parent; host_vars beat both
    assert fl["mini-fl03"]["patch_window"] == "sun 03:00"
    assert fl["mini-fl02"]["patch_window"] == "manual"
    # the host range expanded, each with its own address from host_vars/
    assert [fl[n]["ansible_host"] for n in sorted(fl)] == ["127.99.0.31", "127.99.0.32", "127.99.0.33"]


# ansible orders hosts of nested groups (all, lot_6 ...) by iterating a set, which varies between
# runs; for patterns over flat groups its order is stable and must match exactly (subscripts!).
ORDERED = {"floor_switches[0:2]", "floor_switches[-1]", "~gxj-szcs-rac0[12]", "gxj-dzzw-fl*", "cameras:&zone_video",
           "*-core01", "gxj-dzzw-core01,rsj-jb-s7706-02", "subsystem_2_reused", "cluster_dzzw_sql2",
           "site_cnpc_dc:&storage_arrays", "nosuchgroup"}


@pytest.mark.slow
def test_patterns_equal_ansible(estate):
    expected = ansible_patterns(REPO / "inventory", PATTERNS)
    matcher = PatternMatcher(estate)
    for pattern in PATTERNS:
        got = matcher.hosts(pattern)
        assert sorted(got) == sorted(expected[pattern]), pattern
        assert len(got) == len(set(got)), pattern
        if pattern in ORDERED:
            assert got == expected[pattern], pattern
    assert matcher.hosts("floor_switches[-1]") == ["gxj-dzzw-fl53"]  # files load in byte order
    assert len(matcher.hosts("core_switches:&site_dzzw")) == 5


def test_facet_flags_equal_ansible_intersection(estate):
    sel = select(estate, bureau="gxj,rsj", device_class="core_switch,router", lot="6-10,12")
    patterns = ["bureau_gxj:bureau_rsj", "core_switches:routers", "lot_6_10:lot_12"]
    expected = ansible_patterns(REPO / "inventory", patterns)
    want = set(expected[patterns[0]]) & set(expected[patterns[1]]) & set(expected[patterns[2]])
    assert set(sel.names) == want
    assert len(sel.names) == 2 + 5 + 1 + 2 + 2 + 2 + 5  # szcs/dzzw cores, router, NE80E, S7706, S6730, SRG20
    assert sel.patterns == ["bureau_gxj:bureau_rsj", "lot_6_10:lot_12", "core_switches:routers"]


def test_ansible_cli_list_hosts_matches(tmp_path):
    pattern = "floor_switches:&patch_ring_1_late,mini-rac*"
    out = subprocess.run([str(BIN / "ansible"), "-i", str(MINI), pattern, "--list-hosts"], cwd=REPO,
                         env=ansible_env(tmp_path), capture_output=True, text=True, check=True)
    listed = [line.strip() for line in out.stdout.splitlines()[1:] if line.strip()]
    assert listed == PatternMatcher(load_inventory(MINI)).hosts(pattern)
    assert listed == ["mini-rac01", "mini-rac02"]  # & applies after the union: ring members are not rac nodes


def test_export_gives_awx_plain_values_and_a_planted_template_stays_untrusted(mini, tmp_path):
    """AWX syncs `ansible-inventory --list --export`: every bureau value comes out plain (ansible-core 2.19 writes a
    plugin's untrusted strings as {"__ansible_unsafe": …}, which AWX would store as a dict), except one holding a
    Jinja marker, which stays untrusted — and ansible never templates it."""
    csv = mini / "bulk" / "cameras.csv"
    planted = "{{ 7 * 191 }}"  # 1337, were it ever templated
    csv.write_text(csv.read_text(encoding="utf-8-sig").replace("克拉玛依区准噶尔路与友谊路交叉口,", f"{planted},", 1),
                   encoding="utf-8-sig")
    out = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(mini), "--list", "--export"], cwd=REPO,
                         env=ansible_env(tmp_path), capture_output=True, text=True, check=True)
    hostvars = json.loads(out.stdout)["_meta"]["hostvars"]
    wrapped = [(h, k) for h, hv in hostvars.items() for k, v in hv.items()
               if isinstance(v, dict) and "__ansible_unsafe" in v]
    first = hostvars["mini-cam-0001"]
    assert first["ansible_host"] == "127.99.1.11" and first["bureau"] == "gaj"  # plain, as AWX needs them
    assert len(wrapped) == 1 and wrapped[0][0] == "mini-cam-0001", wrapped
    key = wrapped[0][1]
    assert first[key] == {"__ansible_unsafe": planted}
    shown = subprocess.run([str(BIN / "ansible"), "-i", str(mini), "mini-cam-0001", "-c", "local", "-m", "debug",
                            "-a", f"var={key}"], cwd=REPO, env=ansible_env(tmp_path), capture_output=True, text=True)
    assert planted in shown.stdout and "1337" not in shown.stdout, shown.stdout + shown.stderr
