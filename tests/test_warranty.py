"""维保到期提醒: the window, the order, and the edges."""

from __future__ import annotations

import datetime as dt

import pytest

from cityops.inventory import load_inventory
from cityops.inventory.warranty import parse_window, warranty_due

from .conftest import MINI, run_invoke


@pytest.mark.parametrize(("text", "days"), [("90d", 90), ("12w", 84), ("6m", 180), ("1y", 365), ("30", 30)])
def test_parse_window(text, days):
    assert parse_window(text) == days


def test_parse_window_rejects_garbage():
    with pytest.raises(ValueError, match="not a window"):
        parse_window("soon")


def test_due_sorted_by_date_with_edges():
    inv = load_inventory(MINI)
    hosts = list(inv.hosts.values())
    today = dt.date(2026, 11, 24)
    due = warranty_due(hosts, 90, today)
    # mini-core01 ends 2026-12-20 (26 days), mini-rac01 2027-01-15 (52), mini-cam-0002 2027-01-10 (47)
    assert [(d.host.name, d.days_left) for d in due] == [
        ("mini-core01", 26), ("mini-cam-0002", 47), ("mini-rac01", 52)]
    assert due[0].status == "30天内到期"
    assert [d.host.name for d in warranty_due(hosts, 26, today)] == ["mini-core01"]
    assert warranty_due(hosts, 25, today) == []
    expired = warranty_due(hosts, 90, today, include_expired=True)
    assert expired[0].host.name == "mini-rac02" and expired[0].status == "已过保"  # 2018-03-31


def test_cli_lists_in_date_order():
    out = run_invoke("inventory.warranty", "--within", "10y", "--inventory", str(MINI), "--class", "server")
    assert out.returncode == 0, out.stderr
    assert out.stdout.index("mini-rac01") > 0 and "mini-rac02" not in out.stdout
    assert "维保到期提醒" in out.stdout
