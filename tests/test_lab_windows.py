"""Windows roles in the lab: PowerShell and sqlcmd answers of a two-node SQL Server failover cluster."""

from __future__ import annotations

import pytest

from cityops.lab import control

from .conftest import lab_ssh, ssh_run

SQL = 'sqlcmd -S . -E -h -1 -W -s "|" -Q "{}"'


@pytest.fixture(scope="module")
def nodes(lab):
    clients = {name: lab_ssh(lab, name) for name in ("lab-sqla", "lab-sqlb")}
    yield clients
    for cl in clients.values():
        cl.close()


run = ssh_run


def test_healthy_cluster(nodes):
    a = nodes["lab-sqla"]
    assert run(a, 'powershell -Command "Get-ClusterNode"')[1] == "lab-sqla|Up\nlab-sqlb|Up\n"
    assert "SQL Server (MSSQLSERVER)|lab-sqla|Online" in run(a, 'powershell -Command "Get-ClusterGroup"')[1]
    assert {line.split("|")[1] for line in run(a, SQL.format("select name, state_desc from sys.databases"))[1].split()} \
        == {"ONLINE"}
    assert run(a, SQL.format("select j.name from msdb.dbo.sysjobhistory h join msdb.dbo.sysjobs j"))[1] == ""
    assert run(nodes["lab-sqlb"], SQL.format("select 1 from sys.databases"))[0] == 1  # passive node: no instance


def test_node_down_fails_the_role_over(lab, nodes, lab_fault):
    lab_fault("lab-sqla", "sqlserver_node_down")
    b = nodes["lab-sqlb"]
    assert run(b, 'powershell -Command "Get-ClusterNode"')[1] == "lab-sqla|Down\nlab-sqlb|Up\n"
    assert "SQL Server (MSSQLSERVER)|lab-sqlb|Online" in run(b, 'powershell -Command "Get-ClusterGroup"')[1]
    assert run(b, SQL.format("select * from sys.dm_os_cluster_nodes"))[1] == "lab-sqla|down|0\nlab-sqlb|up|1\n"
    control.set_fault(lab[1], lab[0], "lab-sqla", "sqlserver_node_down", clear=True)
    assert "lab-sqla|Online" in run(nodes["lab-sqla"], 'powershell -Command "Get-ClusterGroup"')[1]


@pytest.mark.parametrize(("kind", "params", "query", "mark"), [
    ("sql_job_failed", {}, "select * from msdb.dbo.sysjobhistory where run_status = 0", "The job failed."),
    ("sql_db_suspect", {"database": "OA_DB"}, "select name, state_desc from sys.databases", "OA_DB|SUSPECT"),
    ("sql_errors", {}, "exec xp_readerrorlog 0, 1", "Severity: 24"),
])
def test_sql_fault_appears_and_clears(lab, nodes, lab_fault, kind, params, query, mark):
    a = nodes["lab-sqla"]
    assert mark not in run(a, SQL.format(query))[1]
    lab_fault("lab-sqlb", kind, **params)  # a fault noted on either node shows on the active one
    assert mark in run(a, SQL.format(query))[1]
    control.set_fault(lab[1], lab[0], "lab-sqlb", kind, clear=True)
    assert mark not in run(a, SQL.format(query))[1]


def test_backup_age_and_disk(lab, nodes, lab_fault):
    a = nodes["lab-sqla"]
    query = SQL.format("select database_name, type, max(backup_finish_date) from msdb.dbo.backupset group by")
    before = run(a, query)[1]
    lab_fault("lab-sqla", "sql_backup_old", days="5")
    after = run(a, query)[1]
    assert after.split("|")[2][:10] < before.split("|")[2][:10]
    lab_fault("lab-sqla", "disk_full", mount="D:", percent="98")
    d = next(line for line in run(a, 'powershell -Command "Get-CimInstance Win32_LogicalDisk"')[1].split()
             if line.startswith("D:"))
    size, free = (int(x) for x in d.split("|")[1:])
    assert free * 100 // size == 2
