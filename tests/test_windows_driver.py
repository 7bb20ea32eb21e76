"""The windows fact set against the lab's old Windows releases, as they are.

Windows Server 2012 R2 (PowerShell 4.0, .NET 4.5) prints no StartType from Get-Service, so a check asking for
stopped automatic services that way finds none: the false pass the fact set avoids by asking WMI. 2008 R2's
PowerShell 2.0 knows no cluster cmdlet until the FailoverClusters module is imported. The lab's powershell shim is
run here on the state the lab renders for each release.
"""

from __future__ import annotations

import datetime as dt
import subprocess

import pytest

from cityops import drivers
from cityops.lab.servers import shims, windows
from cityops.parsers import ParseError

WIN = drivers.get("windows")
GET_SERVICE = ('powershell -NoProfile -NonInteractive -Command "Get-Service | ForEach-Object { [string]$_.Status + '
               "'|' + $_.Name + '|' + [string]$_.StartType }\"")


def powershell(tmp_path, os_name: str, command: str, faults=None) -> subprocess.CompletedProcess:
    """Render one two-node cluster member of `os_name` and run `command` through the lab's powershell shim."""
    host = {"name": "sql1", "os": f"{os_name} / SQL Server 2012"}
    members = [host, {"name": "sql2", "os": host["os"]}]
    for rel, text in windows.render(host, members, faults or {}, dt.datetime(2026, 12, 1, 9, 0)).items():
        path = tmp_path / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    script = (shims.PRELUDE + shims.WINDOWS_SHIMS["powershell"]).replace("L=/run/cityops-lab", f"L={tmp_path}")
    args = command.split(" ", 1)[1]  # what follows 'powershell'
    return subprocess.run(["sh", "-c", f"{script}", "powershell", *args.split(" ")], capture_output=True, text=True,
                          check=False)


@pytest.mark.parametrize("os_name", ["Windows Server 2008 R2", "Windows Server 2012 R2"])
def test_before_powershell_5_get_service_has_no_starttype_and_wmi_finds_the_stopped_service(tmp_path, os_name):
    faults = {"sql1": {"service_down": {"service": "W32Time"}}}
    cmdlet = powershell(tmp_path, os_name, GET_SERVICE, faults)
    assert "Stopped|W32Time|\n" in cmdlet.stdout  # what the old check read: no start type, so never 'Automatic'
    wmi = powershell(tmp_path, os_name, WIN.getter("services").command, faults)
    stopped = [s.name for s in WIN.read("services", wmi.stdout) if s.stopped_automatic]
    assert stopped == ["W32Time"]


def test_windows_2016_prints_the_start_type(tmp_path):
    assert "|Automatic" in powershell(tmp_path, "Windows Server 2016", GET_SERVICE).stdout


def test_powershell_2_knows_no_cluster_cmdlet_until_the_module_is_imported(tmp_path):
    bare = powershell(tmp_path, "Windows Server 2008 R2", 'powershell -Command "Get-ClusterNode | ForEach-Object '
                                                          "{ $_.Name + '|' + $_.State }\"")
    assert bare.returncode == 1 and "is not recognized" in bare.stderr
    nodes = powershell(tmp_path, "Windows Server 2008 R2", WIN.getter("cluster_nodes").command)
    assert nodes.returncode == 0
    assert [(n.name, n.ok) for n in WIN.read("cluster_nodes", nodes.stdout)] == [("sql1", True), ("sql2", True)]


def test_a_service_row_without_a_start_mode_is_refused_never_read_as_manual():
    with pytest.raises(ParseError, match="no StartMode"):
        WIN.read("services", "Stopped|W32Time|\nRunning|WinRM|Auto\n")


def test_an_instance_that_does_not_answer_is_the_finding_never_an_empty_reading():
    from cityops.drivers import mssql

    sql = drivers.fact_set("mssql")
    lost = "Sqlcmd: Error: Microsoft ODBC Driver 17 for SQL Server : Login timeout expired.\n"
    with pytest.raises(mssql.InstanceUnreachable, match="Login timeout"):
        sql.read("failed_jobs", lost)  # not 'no failed job'
    assert sql.read("failed_jobs", "") == []  # none failed in a day: a reading
    with pytest.raises(ParseError, match="no row"):
        sql.read("databases", "")  # sys.databases always lists master
    cluster = sql.for_host("databases", {"sql_instance": "SQLCLU01"})
    assert "-S SQLCLU01 " in cluster.command and "{instance}" not in cluster.command
