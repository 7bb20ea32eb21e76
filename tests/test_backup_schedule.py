"""The database and file backups as data: China's official working days, each schedule's slots, when a backup
is overdue, the tender's list declared in the estate's inventory, and a wrong declaration said in one line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cityops.backup.schedule import ScheduleError, jobs, parse_job
from cityops.backup.workdays import covered, is_working_day, uncovered_note
from cityops.inventory import load_inventory
from cityops.timeutil import BEIJING

REPO = Path(__file__).resolve().parents[1]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=BEIJING)


def job(schedule: str, **kw):
    item = {"name": "j", "kind": "rman", "level": "1", "what": "测试库增量备份", "schedule": schedule, "at": "02:00",
            "retention_days": 35}
    item.update(kw)
    return parse_job("db1", ("db1",), item, "oracle_db", {"db1": None, "bak1": None})


def test_working_days_follow_the_state_councils_swaps_not_the_weekday():
    # 2024: the Spring Festival's make-up Sundays worked, its Monday off; National Day's make-up weekend worked
    assert is_working_day(dt.date(2024, 2, 4)) and is_working_day(dt.date(2024, 2, 18))
    assert not is_working_day(dt.date(2024, 2, 12)) and not is_working_day(dt.date(2024, 10, 1))
    assert is_working_day(dt.date(2024, 9, 29)) and is_working_day(dt.date(2024, 10, 12))
    slots = job("working_day").slots(at("2024-10-01T00:00"), at("2024-10-13T00:00"))
    assert [s.date().isoformat() for s in slots] == ["2024-10-08", "2024-10-09", "2024-10-10", "2024-10-11",
                                                      "2024-10-12"]  # seven days off, then Saturday the 12th worked


def test_a_year_the_calendar_does_not_hold_yet_is_counted_monday_to_friday_and_said_so():
    year = next(y for y in range(2026, 2040) if not covered(y))
    monday = dt.date(year, 3, 1) + dt.timedelta(days=(7 - dt.date(year, 3, 1).weekday()) % 7)
    assert is_working_day(monday) and not is_working_day(monday + dt.timedelta(days=5))
    assert str(year) in uncovered_note({year}) and "周一至周五" in uncovered_note({year})
    assert uncovered_note({2024}) == ""


@pytest.mark.parametrize(("schedule", "start", "end", "count"), [
    ("daily", "2026-11-01", "2026-12-01", 30),
    ("weekly:sun", "2026-11-01", "2026-12-01", 5),  # Sundays 1, 8, 15, 22, 29
    ("monthly:1", "2026-01-01", "2027-01-01", 12),
    ("hourly:4", "2026-11-01", "2026-11-02", 6),
    ("half_yearly:15", "2026-01-01", "2027-01-01", 2),
    ("yearly:12-15", "2026-01-01", "2027-01-01", 1),
])
def test_each_schedule_has_its_slots(schedule, start, end, count):
    assert len(job(schedule).slots(at(start + "T00:00"), at(end + "T00:00"))) == count


def test_a_backup_is_overdue_once_its_slot_and_window_have_passed_without_a_good_one():
    daily = job("daily", window_hours=4)
    yesterday = at("2026-11-30T02:10")
    assert daily.overdue(yesterday, at("2026-12-01T05:00")) is None  # today's 02:00 may still be running
    assert daily.overdue(yesterday, at("2026-12-01T07:00")) == at("2026-12-01T02:00")
    assert daily.overdue(at("2026-12-01T02:40"), at("2026-12-01T07:00")) is None
    assert daily.overdue(None, at("2026-12-01T07:00")) == at("2026-12-01T02:00")  # never taken
    monthly = job("monthly:1", window_hours=8)
    assert monthly.last_due(at("2026-12-20T00:00")) == at("2026-12-01T02:00")
    assert monthly.next_due(at("2026-12-20T00:00")) == at("2027-01-01T02:00")


@pytest.mark.parametrize(("change", "cause"), [
    ({"kind": "mysqldump"}, "kind 'mysqldump'"),
    ({"level": "2"}, "level '2' for rman"),
    ({"schedule": "monthly:31"}, "every month has it"),
    ({"schedule": "hourly:5"}, "N dividing 24"),
    ({"schedule": "yearly:02-29"}, "day is out of range"),
    ({"schedule": "sometimes"}, "one of daily"),
    ({"at": "25:00"}, "hour must be in"),
    ({"kind": "files", "level": "full"}, "needs its target"),
    ({"kind": "files", "level": "full", "target": "nas9"}, "not a host of the inventory"),
    ({"kind": "files", "level": "full", "target": "db1"}, "the host itself"),
    ({"kind": "files", "level": "full", "target": "bak1"}, "needs 'paths'"),
    ({"kind": "files", "level": "full", "target": "bak1", "paths": ["srv/app"]}, "must be absolute and plain"),
    ({"kind": "files", "level": "full", "target": "bak1", "paths": ["/srv/a b"]}, "must be absolute and plain"),
    ({"kind": "files", "level": "full", "target": "bak1", "paths": ["/srv/$(reboot)"]}, "must be absolute and plain"),
    ({"kind": "files", "level": "full", "target": "bak1", "paths": ["/srv/../etc"]}, "must be absolute and plain"),
    ({"kind": "files", "level": "full", "target": "bak1", "paths": ["/srv", "/srv/app"]}, "is inside /srv"),
    ({"kind": "files", "level": "full", "target": "bak1", "paths": ["/srv/a"], "drill_dir": "/srv/a/d"},
     "inside the directories it backs up"),
    ({"paths": ["/srv/a"]}, "'paths' is for a files backup only"),
    ({"drill_dir": "scratch/../etc"}, "an absolute, plain directory, for a files or RMAN backup"),
    ({"tables": ["CASES"]}, "must be OWNER.TABLE"),
    ({"tables": ["APP.CASES; drop table x"]}, "must be OWNER.TABLE"),
    ({"kind": "files", "level": "full", "target": "bak1", "paths": ["/srv/a"], "tables": ["A.B"]},
     "'tables' is for a database backup only"),
    ({"restore_hours": "soon"}, "restore_hours must be a number"),
    ({"restore_hours": 500}, "restore_hours must be 0.25 to 168"),
    ({"retention_days": 0}, "retention_days"),
    ({"what": ""}, "'what' says in Chinese"),
    ({"password": "x"}, "unknown field(s) password"),
])
def test_a_wrong_declaration_is_one_line_naming_the_host_the_job_and_the_cause(change, cause):
    change = dict(change)
    schedule = change.pop("schedule", "daily")
    with pytest.raises(ScheduleError, match=r"^db1: backup job j: ") as err:
        job(schedule, **change)
    assert cause in str(err.value) and "\n" not in str(err.value)


def test_sql_server_tables_are_named_with_their_database():
    item = {"name": "j", "kind": "sqlserver", "level": "full", "what": "库", "schedule": "daily", "retention_days": 7}
    with pytest.raises(ScheduleError, match=r"must be database\.schema\.table"):
        parse_job("sq1", ("sq1",), {**item, "tables": ["dbo.cases"]}, "sqlserver_db", {})
    with pytest.raises(ScheduleError, match="for a files or RMAN backup"):
        parse_job("sq1", ("sq1",), {**item, "drill_dir": "/scratch"}, "sqlserver_db", {})
    ok = parse_job("sq1", ("sq1",), {**item, "tables": ["OA_DB.dbo.cases"], "restore_hours": 12}, "sqlserver_db", {})
    assert ok.tables == ("OA_DB.dbo.cases",) and ok.restore_hours == 12


def test_an_engine_backup_must_sit_on_a_host_running_that_engine():
    with pytest.raises(ScheduleError, match="a sqlserver backup on a host whose role is 'oracle_db'"):
        parse_job("db1", ("db1",), {"name": "j", "kind": "sqlserver", "level": "full", "what": "库", "schedule": "daily",
                                    "retention_days": 7}, "oracle_db", {})


def test_the_estate_declares_the_tenders_backups_and_a_cluster_takes_each_once():
    inv = load_inventory(REPO / "inventory")
    declared, problems = jobs(inv)
    assert problems == []
    by = {(j.owner, j.name): j for j in declared}
    rac = [j for j in declared if j.owner == "cluster_szcs_rac"]
    assert sorted(j.level for j in rac) == ["0", "1", "archivelog"]  # RMAN level 0/1 and archive logs, once
    assert all(len(j.hosts) == 4 for j in rac)  # run on any of the RAC's four nodes
    for n in (1, 2, 3):
        assert sorted(j.level for j in declared if j.owner == f"cluster_dzzw_sql{n}") == ["diff", "full", "log"]
    credit = by[("fgw-zwy-db01", "monthly_full")]
    assert credit.schedule == "monthly:1" and credit.target == "fgw-zwy-bak01"  # monthly, to a separate server
    assert by[("dag-zwy-app01", "file_server")].schedule.startswith("half_yearly")
    assert by[("dag-zwy-app01", "offline_copy")].kind == "manual"  # the yearly copies on two disks
    assert by[("gxj-zwy-portal01", "program")].schedule == "daily"
    assert {("dag-zwy-app02", "monthly_full"), ("dag-zwy-app03", "monthly_full")} <= set(by)


def test_a_wrong_declaration_in_the_inventory_is_an_inventory_problem(tmp_path):
    import shutil

    from cityops.inventory.check import check_inventory

    shutil.copytree(REPO / "tests" / "fixtures" / "lab_inventory", tmp_path / "inv")
    path = tmp_path / "inv" / "lot_6_10.yml"
    text = path.read_text()
    anchor = "    lab-oceanstor:\n"
    path.write_text(text.replace(anchor, anchor + "      backup_jobs:\n        - {name: luns, kind: rman, level: '0', "
                                 "what: 阵列, schedule: daily, retention_days: 7}\n", 1))
    problems = [p for p in check_inventory(load_inventory(tmp_path / "inv")) if p.field == "backup_jobs"]
    assert len(problems) == 1 and "lab-oceanstor" in str(problems[0]) and "role is 'core_storage'" in str(problems[0])


def test_the_command_line_lists_a_lots_backups_and_refuses_a_wrong_inventory(tmp_path):
    import shutil

    from .conftest import run_invoke

    ok = run_invoke("backup.schedule", "--inventory", str(REPO / "inventory"), "--lot", "24", "--period", "2026")
    assert ok.returncode == 0, ok.stderr
    assert "4 backup job(s) on 3 host(s); 27 slot(s) in 2026" in ok.stdout  # 12 + 12 monthly, 2 half-yearly, 1 yearly
    assert "每年 1 月和 7 月 15 日" in ok.stdout and "dag-zwy-bak01" in ok.stdout
    shutil.copytree(REPO / "inventory", tmp_path / "inv")
    lot = tmp_path / "inv" / "lot_5.yml"
    lot.write_text(lot.read_text().replace("target: fgw-zwy-bak01", "target: fgw-zwy-bak09"))
    bad = run_invoke("backup.schedule", "--inventory", str(tmp_path / "inv"), "--lot", "5")
    assert bad.returncode == 4
    assert bad.stderr.strip().splitlines()[-1] == ("cityops: inventory: fgw-zwy-db01: backup job monthly_full: "
                                                   "target 'fgw-zwy-bak09' is not a host of the inventory")


@pytest.mark.parametrize(("host", "fault", "days", "check_id", "late"), [
    ("lab-rac1", "rman_old", "2", "ORA-BAK-002", "测试库 RMAN 1 级增量备份"),
    ("lab-sqla", "sql_backup_old", "2", "MSSQL-BAK-002", "测试业务库差异备份"),
])
def test_an_inspection_names_the_declared_backup_that_missed_its_slot(lab, lab_fault, tmp_path, host, fault, days,
                                                                      check_id, late):
    """The lab's catalogue follows each host's declared schedule; a fault sets the last good backups days back,
    and the next inspection names the job that missed its slot, the slot, and the last good one. Two days back,
    a daily job is overdue at any hour (one day back, today's slot may still be inside its window)."""
    from .test_inspect import run, settle

    _, rows = run(lab, tmp_path, [host], {check_id})
    assert rows[0]["status"] == "pass", rows[0]["message"]
    lab_fault(host, fault, days=days)
    settle(lab, host)
    _, rows = run(lab, tmp_path, [host], {check_id})
    assert rows[0]["status"] == "fail" and late in rows[0]["message"] and "应于" in rows[0]["message"], rows[0]
    assert "最近一次成功" in rows[0]["message"]


def test_the_yearly_offline_copy_is_entered_by_hand_chained_and_judged_against_its_schedule(tmp_path):
    """What no command can do is recorded by the engineer with who and when; the entry joins the hash-chained
    ledger, and the schedule then judges the job by it. An edited entry breaks the chain and no longer counts."""
    from cityops.backup.ledger import LedgerError, last_done, record_manual
    from cityops.timeutil import now

    inv = load_inventory(REPO / "inventory")
    declared, _ = jobs(inv)
    offline = next(j for j in declared if j.owner == "dag-zwy-app01" and j.name == "offline_copy")
    reports = tmp_path / "reports"
    done = (now() - dt.timedelta(days=1)).replace(second=0, microsecond=0)
    entry = record_manual(reports, offline, done_at=done, operator="张工",
                          note="两套硬盘 SN WD-1234、WD-5678，存档案馆机房保险柜")
    assert entry["os_user"] and entry["previous_line_sha256"] == "" and entry["done_at"] == done.isoformat(
        timespec="minutes")
    last, problems = last_done(reports)
    assert problems == [] and last["dag-zwy-app01", "offline_copy"].operator == "张工"
    taken = last["dag-zwy-app01", "offline_copy"].done_at
    following = offline.next_due(taken)  # the next 12-15
    assert offline.overdue(taken, following - dt.timedelta(days=1)) is None
    assert offline.overdue(taken, following + dt.timedelta(hours=73)) == following  # its 72 h window passed
    record_manual(reports, offline, done_at=done, operator="李工", note="补记：第二套硬盘 SN WD-9")
    ledger = reports / "backups" / "ledger.jsonl"
    ledger.write_text(ledger.read_text().replace("WD-1234", "WD-1235"))  # someone edits the first entry
    last, problems = last_done(reports)
    assert problems and not last  # the chain is broken at its first line: nothing from there vouches for anything
    from cityops.backup.ledger import lot_lines

    carried, why = lot_lines(reports, {"dag-zwy-app01"}, done - dt.timedelta(days=1), done + dt.timedelta(days=1))
    assert carried == b"" and why and "哈希链断开" in why[0]  # an evidence pack refuses to vouch for it
    rman = next(j for j in declared if j.kind == "rman")
    for kw, cause in [({"job": rman}, "recorded by its run"), ({"operator": ""}, "--operator"),
                      ({"note": "  "}, "--note"), ({"note": "x" * 301}, "at most 300"),
                      ({"done_at": now() + dt.timedelta(days=1)}, "in the future"),
                      ({"done_at": now() - dt.timedelta(days=401)}, "more than 400 days ago")]:
        args = {"job": offline, "done_at": done, "operator": "张工", "note": "两套硬盘", **kw}
        with pytest.raises(LedgerError, match=cause):
            record_manual(reports, args.pop("job"), **args)


def test_backup_record_on_the_command_line(tmp_path):
    from cityops.timeutil import now

    from .conftest import run_invoke

    when = (now() - dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")
    common = ["--inventory", str(REPO / "inventory"), "--reports", str(tmp_path / "r")]
    ok = run_invoke("backup.record", *common, "--host", "dag-zwy-app01", "--job", "offline_copy", "--time", when,
                    "--operator", "张工", "--note", "两套硬盘 SN WD-1、WD-2")
    assert ok.returncode == 0, ok.stderr
    assert "dag-zwy-app01 offline_copy" in ok.stdout and "张工" in ok.stdout
    listed = run_invoke("backup.schedule", *common, "--lot", "24")
    assert f"最近记录 {when.replace('T', ' ')} 张工" in listed.stdout, listed.stdout
    bad = run_invoke("backup.record", *common, "--host", "dag-zwy-app02", "--job", "monthly_full", "--time", when,
                     "--operator", "张工", "--note", "x")
    assert bad.returncode == 4 and bad.stderr.strip().splitlines()[-1].endswith(
        "dag-zwy-app02 monthly_full: a rman backup is recorded by its run, not by hand"), bad.stderr
    nojob = run_invoke("backup.record", *common, "--host", "dag-zwy-app01", "--job", "nightly", "--time", when,
                       "--operator", "张工", "--note", "x")
    assert nojob.returncode == 4
    assert "dag-zwy-app01 declares no backup job 'nightly' (it has: file_server, offline_copy)" in nojob.stderr


def test_a_reader_that_leaves_early_gets_no_traceback():
    """`invoke backup.schedule | head -1`: when the pipe closes under a printing task, the task stops quietly with
    the status a Unix tool gives (141), not a traceback. Run in a child, whose stdout the wrapper may close."""
    import subprocess
    import sys

    code = ("from cityops.cli.common import refusing_bad_input\n"
            "def body():\n    raise BrokenPipeError(32, 'Broken pipe')\n"
            "from invoke import Exit\n"
            "try:\n    refusing_bad_input(body)()\nexcept Exit as e:\n    raise SystemExit(e.code)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO)  # nosec B603
    assert out.returncode == 141 and "Traceback" not in out.stderr, out.stderr


def test_backup_status_says_which_declared_backups_are_on_time_overdue_or_not_checked(lab, lab_fault, tmp_path):
    """A manual job by its ledger entry; an engine job by the last inspection of its database (none: not checked,
    never on time); an overdue one makes the exit status 1."""
    from cityops.backup.ledger import record_manual
    from cityops.backup.schedule import jobs_of
    from cityops.timeutil import now

    from .conftest import LAB_INV, run_invoke
    from .test_inspect import run, settle

    inv, _ = lab
    reports = tmp_path / "reports"
    common = ["--inventory", str(LAB_INV), "--reports", str(reports), "--backups", str(tmp_path / "b"), "--all"]

    def status():
        out = run_invoke("backup.status", *common, "--host", "lab-rac1,lab-linux-app")
        rows = {line.split()[1]: line.split()[2] for line in out.stdout.splitlines()
                if line.startswith(("cluster_lab_rac", "lab-linux-app"))}
        return out.returncode, rows, out.stdout

    code, rows, text = status()
    assert code == 1 and rows == {"offline_copy": "逾期", "level0": "未核对", "level1": "未核对", "archivelog": "未核对",
                                  "app_files": "逾期"}, text
    assert "从未记录" in text and "没有有效备份" in text
    manual = next(j for j in jobs_of(inv.hosts["lab-linux-app"]) if j.kind == "manual")
    record_manual(reports, manual, done_at=now(), operator="张工", note="两套硬盘")
    files = run_invoke("backup", "--kind", "files", "--inventory", str(LAB_INV), "--reports", str(reports), "--lab",
                       str(lab[1].path), "--host", "lab-linux-app")  # the files backup, run as cron runs it
    assert files.returncode == 0, files.stdout + files.stderr
    run(lab, tmp_path, ["lab-rac1"], {"ORA-BAK-002"})
    code, rows, text = status()
    assert code == 0 and set(rows.values()) == {"按计划"}, text
    lab_fault("lab-rac1", "rman_old", days="2")
    settle(lab, "lab-rac1")
    run(lab, tmp_path, ["lab-rac1"], {"ORA-BAK-002"})
    code, rows, text = status()
    assert code == 1 and rows["level1"] == rows["archivelog"] == "逾期" and rows["offline_copy"] == "按计划", text
    assert rows["app_files"] == "按计划"
    assert "应于" in text


def test_a_database_declaring_no_engine_backup_is_not_applicable_not_an_error(lab, tmp_path):
    """An Oracle host whose backup_jobs hold only a manual job: ORA-BAK-002 has nothing of its own to judge."""
    import copy

    from cityops.inspect import record
    from cityops.inspect.session import inspect

    inv, state = lab
    mine = copy.deepcopy(inv)
    mine.hosts["lab-linux-ora"].vars["backup_jobs"] = [
        {"name": "offline_copy", "kind": "manual", "what": "年度脱机备份", "schedule": "yearly:12-15",
         "retention_days": 3660}]
    out = inspect(mine, [mine.hosts["lab-linux-ora"]], cadence=None, selection={"host": "lab-linux-ora"}, reports=tmp_path / "r",
                  lab_dir=state.path, only={"ORA-BAK-002"})
    (r,) = record.read_results(out.run_dir / "results.jsonl")
    assert r["status"] == "skip" and "未声明 RMAN 备份任务" in r["message"], r
