"""SQL Server backups against the lab failover cluster: BACKUP by the instance to the backup server's share,
RESTORE VERIFYONLY by the instance, sha256 by cityops; the failures in SQL Server's own words.

The test lab's cluster_lab_sql (lab-sqla, lab-sqlb) declares full, diff and log jobs to lab-linux-app, whose
disk is the instance's \\\\lab-linux-app\\sqlbak share. Every test has its own ledger; the lab database is shared.
"""

from __future__ import annotations

import hashlib

import pytest

from cityops.backup.jobstatus import job_states
from cityops.backup.sqlserver import backup_sqlserver, verify_sqlserver
from cityops.lab import control

USER_DATABASES = ["OA_DB", "GOV_PORTAL", "REPORT_DB"]  # the lab instance's, master/model/msdb/tempdb left out


@pytest.fixture
def job_of(declared):
    return lambda name: declared("cluster_lab_sql", name)


def stored(lab, piece):
    _inv, state = lab
    host, _, path = piece["stored"].partition(":")
    return state.path / "servers" / host / path.lstrip("/")


def test_full_diff_and_log_of_every_user_database_verified_by_the_instance_and_hashed_by_cityops(lab, job_of,
                                                                                              backup_config, tmp_path):
    inv, _state = lab
    reports = tmp_path / "reports"
    full = backup_sqlserver(inv, job_of("full"), backup_config, reports, operator="张工")
    diff = backup_sqlserver(inv, job_of("diff"), backup_config, reports, operator="张工")
    log = backup_sqlserver(inv, job_of("log"), backup_config, reports, operator="张工")
    for run in (full, diff, log):
        assert run.status == "verified", run.error
        assert [p["database"] for p in run.pieces] == USER_DATABASES
        for piece in run.pieces:
            assert hashlib.sha256(stored(lab, piece).read_bytes()).hexdigest() == piece["sha256"]
            assert piece["handle"].startswith("\\\\lab-linux-app\\sqlbak\\cluster_lab_sql\\")
    assert diff.size < full.size  # a differential holds the pages changed since the full
    statements = [e["command"].split("; ", 1)[1] for e in full.evidence if e["command"].startswith("sqlcmd")]
    assert statements[:2] == [f"BACKUP DATABASE [OA_DB] TO DISK = @d WITH CHECKSUM, INIT, NAME = N'{full.tag}'\"",
                              "RESTORE VERIFYONLY FROM DISK = @d WITH CHECKSUM\""]
    assert "\\" not in "".join(e["command"] for e in full.evidence)  # no backslash for a shell to eat
    states, _ = job_states([job_of("full")], reports)
    assert states[0].state == "ok" and "3 个备份集" in states[0].detail


def test_a_damaged_set_a_full_disk_and_a_failed_over_instance(lab, job_of, backup_config, tmp_path, lab_fault):
    inv, state = lab
    reports = tmp_path / "reports"
    run = backup_sqlserver(inv, job_of("full"), backup_config, reports, operator="张工")
    assert run.status == "verified", run.error
    lab_fault("lab-linux-app", "backup_corrupt", match="REPORT_DB_full_")  # the newest: this run's
    [(_r, ok, detail)] = [c for c in verify_sqlserver(inv, job_of("full"), backup_config, reports) if c[0].id == run.id]
    assert ok is False and "REPORT_DB 的备份集校验失败" in detail and "Msg 3189: Damage to the backup set" in detail
    assert "已损坏：sha256" in detail and "REPORT_DB_full_" in detail
    control.set_fault(state, inv, "lab-linux-app", "backup_corrupt", clear=True)
    lab_fault("lab-linux-app", "backup_disk_full")
    full = backup_sqlserver(inv, job_of("full"), backup_config, reports, operator="张工")
    control.set_fault(state, inv, "lab-linux-app", "backup_disk_full", clear=True)
    assert full.status == "failed" and "Msg 3202" in full.error and "112(There is not enough space on the disk.)" in full.error
    lab_fault("lab-sqla", "sqlserver_node_down")  # the instance fails over to lab-sqlb
    moved = backup_sqlserver(inv, job_of("log"), backup_config, reports, operator="张工")
    assert moved.status == "verified" and moved.node == "lab-sqlb", moved.error


def test_a_drill_restores_full_diff_and_log_under_a_scratch_name_and_finds_every_row(lab, job_of, backup_config,
                                                                                    tmp_path, lab_clock):
    """Rows change between the backups under the lab clock; each database is restored by the instance under
    <db>_cityops_drill through its full, differential and log backups, counted against the log run's rows, and
    dropped."""
    from cityops.backup import ledger
    from cityops.backup.dbdrill import drill_sqlserver

    from .conftest import backups_under_clock

    inv, state = lab
    reports = tmp_path / "reports"
    runs = backups_under_clock(lab_clock, lambda name: backup_sqlserver(inv, job_of(name), backup_config, reports,
                                                                        operator="张工"),
                               31, ((0, "full"), (3, "diff"), (5, "log")))
    rows = [r.point["rows"] for r in runs]
    assert set(rows[2]) == {"OA_DB.dbo.cases", "GOV_PORTAL.dbo.users"} and rows[0] != rows[2]
    out = drill_sqlserver(inv, job_of("full"), backup_config, reports)
    assert out["ok"], out["detail"]
    assert out["chain"] == [r.id for r in runs] and out["rows_restored"] == rows[2] and out["rows_lost"] == 0
    data = state.path / "servers" / "_shared" / "lab_sql" / "sqldata"
    assert not list(data.glob("*_cityops_drill"))  # the scratch databases are dropped
    [drill] = ledger.drills(reports)
    assert drill["ok"] and drill["id"] == runs[2].id


def test_a_log_backup_taken_outside_cityops_breaks_the_chain_and_the_drill_says_so(lab, job_of, backup_config,
                                                                                 tmp_path, lab_clock):
    """A DBA's ad hoc BACKUP LOG to the share, outside cityops' folders, between two of cityops' takes log the chain needs: the
    next log cannot be applied (Msg 4305) and the drill fails naming it, never restoring around the gap."""
    import datetime as dt
    import time

    from cityops.backup.dbdrill import drill_sqlserver
    from cityops.backup.jobrun import ssh_session
    from cityops.timeutil import BEIJING

    inv, _state = lab
    reports = tmp_path / "reports"
    start = dt.datetime.now(BEIJING).replace(microsecond=0) + dt.timedelta(days=33)
    lab_clock(start)
    full = backup_sqlserver(inv, job_of("full"), backup_config, reports, operator="张工")
    assert full.status == "verified", full.error
    lab_clock(start + dt.timedelta(hours=2))
    node = ssh_session(inv, full.node, backup_config, time.monotonic() + 60)
    try:
        adhoc = node.run('sqlcmd -S . -E -b -Q "DECLARE @d nvarchar(400) = REPLACE(N\'//lab-linux-app/sqlbak/adhoc_oa.trn\', '
                         "N'/', NCHAR(92)); BACKUP LOG [OA_DB] TO DISK = @d WITH CHECKSUM, INIT, NAME = N'ADHOC'\"")
    finally:
        node.close()
    assert adhoc.ok and "BACKUP LOG successfully processed" in adhoc.stdout, adhoc.stdout + adhoc.stderr
    lab_clock(start + dt.timedelta(hours=4))
    log = backup_sqlserver(inv, job_of("log"), backup_config, reports, operator="张工")
    assert log.status == "verified", log.error
    out = drill_sqlserver(inv, job_of("full"), backup_config, reports)
    assert not out["ok"] and "OA_DB" in out["detail"] and "Msg 4305" in out["detail"], out["detail"]
