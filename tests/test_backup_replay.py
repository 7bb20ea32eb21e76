"""Two days of lot 6_10's backups replayed under the lab clock: RMAN and tar run for real at each slot's time,
a full disk on the first RMAN night is on the ledger and taken again, next-morning checks and drills follow,
and the month's 运维台账 shows them at the times they were taken."""

from __future__ import annotations

import datetime as dt

from openpyxl import load_workbook

from cityops.backup import ledger
from cityops.lab.replay import replay
from cityops.report.ledger import make_ledger
from cityops.report.runs import parse_period
from cityops.timeutil import BEIJING


def test_two_replayed_days_are_on_the_ledger_and_in_the_months_ledger_at_their_own_times(lab, tmp_path):
    inv, state = lab
    reports = tmp_path / "reports"
    said = replay(inv, state, reports, "6_10", dt.date(2026, 12, 6), dt.date(2026, 12, 8),
                  kinds=("rman", "files", "manual"))  # SQL Server's runs are the same loop (test_backup_sqlserver)
    assert not (state.path / "clock.json").exists()  # back to real time afterwards
    assert not list((state.path / "servers").glob("*/run/clock.json"))
    assert any("level0: failed" in line and "RMAN-03009" in line for line in said), said
    assert any("level0（重做）: verified" in line for line in said), said
    runs, problems = ledger.runs(reports)
    assert problems == []
    window = (dt.datetime(2026, 12, 6, tzinfo=BEIJING), dt.datetime(2026, 12, 8, tzinfo=BEIJING))
    assert all(window[0] <= r.started < window[1] for r in runs)  # taken under the lab clock, not today's
    archivelogs = [r for r in runs if r.job == "archivelog"]
    assert len(archivelogs) == 12 and all(r.status == "verified" for r in archivelogs)  # every 4 hours, 2 days
    assert [r.started.hour for r in archivelogs[:6]] == [0, 4, 8, 12, 16, 20]
    level0 = [r for r in runs if r.job == "level0"]
    assert [(r.status, r.started.hour) for r in level0] == [("failed", 1), ("verified", 9)]  # Sunday 01:00
    files = [r for r in runs if r.job == "app_files"]
    assert [r.started.day for r in files] == [6, 7] and all(r.status == "verified" for r in files)
    drills = ledger.drills(reports)  # each backed-up thing drilled once, the morning after: the files, the RAC
    assert sorted((d["owner"], d["ok"]) for d in drills) == [("cluster_lab_rac", True), ("lab-linux-app", True)], \
        [d["detail"] for d in drills]
    assert {dt.datetime.fromisoformat(d["at"]).day for d in drills} == {7}
    rac = next(d for d in drills if d["owner"] == "cluster_lab_rac")
    assert rac["rows_lost"] == 0 and rac["rows_restored"] == rac["rows_expected"] and len(rac["chain"]) >= 3
    made = make_ledger(reports, inv, "6_10", parse_period("2026-12"))
    book = load_workbook(made.xlsx, read_only=True)
    rows = list(book["数据库及文件备份记录"].iter_rows(values_only=True))[1:]
    first_level0 = next(r for r in rows if r[2] == "level0")
    assert first_level0[:2] == ("2026-12-06 01:00", "cluster_lab_rac") and first_level0[4] == "失败"
    assert not [r for r in runs if r.kind == "sqlserver"]
    assert sum(r[4] == "已校验" for r in rows) == len(runs) - 1
    drilled = list(book["恢复演练记录"].iter_rows(values_only=True))[1:]
    assert sorted((r[1], r[7]) for r in drilled) == [("cluster_lab_rac", "成功"), ("lab-linux-app", "成功")]
    assert any("丢失 0 行" in r[6] for r in drilled)  # the database drill's rows, in the ledger's words


def test_a_replay_visits_slots_in_order_full_before_what_rests_on_it_and_hourly_logs_every_four_hours():
    from pathlib import Path

    from cityops.backup.schedule import jobs
    from cityops.inventory import load_inventory
    from cityops.lab.replay import events

    inv = load_inventory(Path(__file__).resolve().parent / "fixtures" / "lab_inventory")
    sql = [j for j in jobs(inv)[0] if j.owner == "cluster_lab_sql"]
    start = dt.datetime(2026, 12, 6, tzinfo=BEIJING)  # a Sunday: the weekly full and the daily diff both at 00:30
    visited = [(t.hour, t.minute, job.name) for t, job, _forced in events(sql, start, start + dt.timedelta(days=1))]
    assert visited[:3] == [(0, 0, "log"), (0, 30, "full"), (0, 30, "diff")]
    assert [h for h, _m, name in visited if name == "log"] == [0, 4, 8, 12, 16, 20]
