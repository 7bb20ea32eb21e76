"""Oracle 11g in the lab: RAC and single-instance answers, and every Oracle fault, through SSH."""

from __future__ import annotations

import datetime as dt

import pytest

from cityops import timeutil
from cityops.lab import control

from .conftest import lab_ssh, ssh_run

SQL = {
    "tablespaces": "select tablespace_name||'|'||used_percent from dba_tablespace_usage_metrics;",
    "temp": "select tablespace_name from dba_temp_free_space;",
    "fra": "select name from v$recovery_file_dest;",
    "rman": "select input_type, status, end_time from v$rman_backup_job_details;",
    "archive": "select dest_id, dest_name, status, error from v$archive_dest;",
    "instance": "select instance_name, status from v$instance;",
}
ALERT = "/opt/oracle/diag/rdbms/labdb/labdb1/trace/alert_labdb1.log"


@pytest.fixture(scope="module")
def rac(lab):
    clients = {name: lab_ssh(lab, name) for name in ("lab-rac1", "lab-rac2", "lab-linux-ora", "lab-linux-app")}
    yield clients
    for cl in clients.values():
        cl.close()


sh = ssh_run


def sql(cl, key: str) -> str:
    """As a check runs SQL*Plus: a quoted here-document, so the shell leaves v$views alone."""
    return sh(cl, f"sqlplus -s / as sysdba <<'SQL'\nset pagesize 0 feedback off\n{SQL[key]}\nSQL")[1]


def test_healthy_rac(rac):
    node = rac["lab-rac1"]
    assert sh(node, "crsctl check crs")[1].count("is online") == 4
    assert sh(node, "srvctl status database -d labdb")[1].splitlines() == [
        "Instance labdb1 is running on node lab-rac1", "Instance labdb2 is running on node lab-rac2"]
    assert sh(node, "olsnodes -s")[1] == "lab-rac1\tActive\nlab-rac2\tActive\n"
    assert "Cluster registry integrity check succeeded" in sh(node, "ocrcheck")[1]
    assert "Located 3 voting disk(s)." in sh(node, "crsctl query css votedisk")[1]
    res = sh(node, "crsctl stat res -t")[1]
    assert "OFFLINE" not in res.replace("OFFLINE OFFLINE", "")  # only ora.gsd is offline by design
    assert "MOUNTED" in sh(node, "asmcmd lsdg")[1]
    rc, lsnr = sh(node, "lsnrctl status")
    assert rc == 0 and 'Instance "labdb1", status READY' in lsnr
    assert sql(node, "instance") == "labdb1|OPEN|lab-rac1|ACTIVE|11.2.0.4.0\n"
    assert "ORA-" not in sh(node, f"cat {ALERT}")[1]


def test_single_instance_has_no_grid(rac):
    ora = rac["lab-linux-ora"]
    assert sh(ora, "crsctl check crs")[0] == 127
    assert sql(ora, "instance").startswith("labdb|OPEN|lab-linux-ora")
    assert sh(rac["lab-linux-app"], "sqlplus -s / as sysdba </dev/null")[0] == 127  # not an Oracle host


def hours_since_last_backup(rman: str) -> float:
    """Hours since the newest completed RMAN job; the lab stamps rows in Beijing time."""
    done = [line.split("|")[2] for line in rman.splitlines() if "|COMPLETED|" in line]
    last = max(dt.datetime.strptime(t, "%Y-%m-%d %H:%M:%S") for t in done)
    return (timeutil.now().replace(tzinfo=None) - last).total_seconds() / 3600


@pytest.mark.parametrize(("host", "kind", "params", "seen_on", "cmd", "mark"), [
    ("lab-rac1", "ora_errors", {}, "lab-rac1", f"cat {ALERT}", "ORA-00600"),
    ("lab-rac2", "rac_instance_down", {}, "lab-rac1", "srvctl status database -d labdb",
     "Instance labdb2 is not running on node lab-rac2"),
    ("lab-rac2", "rac_instance_down", {}, "lab-rac1", "crsctl stat res -t", "Instance Shutdown"),
    ("lab-rac2", "rac_resource_offline", {"resource": "ora.FRA.dg"}, "lab-rac1", "crsctl stat res -t | grep -A3 ora.FRA.dg",
     "ONLINE  OFFLINE      lab-rac2"),
    ("lab-rac2", "listener_down", {}, "lab-rac1", "srvctl status listener", "running on node(s): lab-rac1\n"),
    ("lab-rac2", "listener_down", {}, "lab-rac2", "lsnrctl status", "TNS-12541: TNS:no listener"),
    ("lab-rac1", "scan_offline", {}, "lab-rac2", "srvctl status scan_listener", "LISTENER_SCAN2 is not running"),
    ("lab-rac1", "asm_full", {"diskgroup": "FRA", "percent": "95"}, "lab-rac2", "asmcmd lsdg", "409600    20480"),
    ("lab-rac1", "tablespace_full", {"tablespace": "USERS", "percent": "97"}, "lab-rac1", "sql:tablespaces",
     "USERS|65536|63569|97"),
    ("lab-rac1", "temp_full", {}, "lab-rac2", "sql:temp", "TEMP|32768|31784|97"),
    ("lab-rac1", "fra_full", {}, "lab-rac2", "sql:fra", "|96\n"),
    ("lab-rac2", "rman_failed", {}, "lab-rac1", "sql:rman", "DB INCR|FAILED|"),
    ("lab-linux-ora", "rman_old", {"days": "12"}, "lab-linux-ora", "sql:rman", None),
    ("lab-rac1", "archive_dest_error", {}, "lab-rac1", "sql:archive", "LOG_ARCHIVE_DEST_2|ERROR|ORA-16191"),
])
def test_oracle_fault_appears_and_clears(lab, rac, lab_fault, host, kind, params, seen_on, cmd, mark):
    inv, state = lab
    node = rac[seen_on]

    def answer():
        return sql(node, cmd[4:]) if cmd.startswith("sql:") else sh(node, cmd)[1]

    before = answer()
    if mark:
        assert mark not in before
    else:
        assert abs(hours_since_last_backup(before)) < 24
    lab_fault(host, kind, **params)
    after = answer()
    assert after != before
    if mark:
        assert mark in after, after
    else:  # rman_old: the last good backup is now days back
        assert hours_since_last_backup(after) > 24 * 11
    control.set_fault(state, inv, host, kind, clear=True)
    if mark:
        assert mark not in answer()
    else:  # rows are stamped relative to now: the last good backup is within a day again
        assert abs(hours_since_last_backup(answer())) < 24
