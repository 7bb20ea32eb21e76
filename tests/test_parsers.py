"""Parsers against real published output (tests/fixtures/published, see SOURCES.md) and vendor-manual layouts.

Pure functions, no lab: each test would fail on a parser that reads the lab's imitation but not the real thing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cityops.drivers import oracle
from cityops.parsers import ParseError, aix, linux, windows

PUBLISHED = Path(__file__).parent / "fixtures" / "published"


def published(name: str) -> str:
    return (PUBLISHED / name).read_text()


def test_df_on_centos7_skips_pseudo_filesystems():
    fs = linux.df(published("centos7_df.txt"))
    assert [(f.mount, f.percent) for f in fs] == [("/", 11), ("/boot", 23)]
    with pytest.raises(ParseError):
        linux.df("bash: df: command not found")


def test_crsctl_11g_resources_with_an_offline_instance():
    text = """--------------------------------------------------------------------------------
NAME           TARGET  STATE        SERVER                   STATE_DETAILS
--------------------------------------------------------------------------------
Local Resources
--------------------------------------------------------------------------------
ora.LISTENER.lsnr
               ONLINE  ONLINE       rac1
               ONLINE  ONLINE       rac2
ora.gsd
               OFFLINE OFFLINE      rac1
--------------------------------------------------------------------------------
Cluster Resources
--------------------------------------------------------------------------------
ora.orcl.db
      1        ONLINE  ONLINE       rac1                     Open
      2        ONLINE  OFFLINE                               Instance Shutdown
"""
    res = oracle.crs_resources(text)
    down = [(r.name, r.server, r.detail) for r in res if r.target == "ONLINE" and r.state != "ONLINE"]
    assert down == [("ora.orcl.db", "", "Instance Shutdown")]
    assert ("ora.gsd", "OFFLINE") in {(r.name, r.state) for r in res}


def test_crsctl_12c_layout_with_wrapped_details():
    """12.2 as Oracle's Clusterware Administration guide prints it: mixed-case headings, 'STABLE' details, and a
    long detail wrapped mid-word onto lines under its column."""
    text = """--------------------------------------------------------------------------------
Name           Target  State        Server                   State details
--------------------------------------------------------------------------------
Local Resources
--------------------------------------------------------------------------------
ora.DATA.dg
               ONLINE  ONLINE       node1                    STABLE
               ONLINE  ONLINE       node2                    STABLE
ora.ons
               OFFLINE OFFLINE      node1                    STABLE
--------------------------------------------------------------------------------
Cluster Resources
--------------------------------------------------------------------------------
ora.orcl.db
      1        ONLINE  ONLINE       node1                    Open,HOME=/u01/app/o
                                                             racle/product/12.2.0
                                                             /dbhome_1,STABLE
      2        ONLINE  OFFLINE                               Instance Shutdown,ST
                                                             ABLE
ora.scan1.vip
      1        ONLINE  INTERMEDIATE node2                    FAILED OVER,STABLE
--------------------------------------------------------------------------------
"""
    res = oracle.crs_resources(text)
    assert len(res) == 6
    assert res[3] == oracle.Resource("ora.orcl.db", "ONLINE", "ONLINE", "node1",
                                     "Open,HOME=/u01/app/oracle/product/12.2.0/dbhome_1,STABLE")
    down = [(r.name, r.state, r.server, r.detail) for r in res if r.target == "ONLINE" and r.state != "ONLINE"]
    assert down == [("ora.orcl.db", "OFFLINE", "", "Instance Shutdown,STABLE"),
                    ("ora.scan1.vip", "INTERMEDIATE", "node2", "FAILED OVER,STABLE")]


def test_asmcmd_srvctl_and_sqlplus_rows():
    lsdg = ("State    Type    Rebal  Sector  Block       AU  Total_MB  Free_MB  Req_mir_free_MB  Usable_file_MB  "
            "Offline_disks  Voting_files  Name\n"
            "MOUNTED  NORMAL  N         512   4096  1048576    409600    20480            51200          -15360"
            "              1             N  DATA/\n")
    dg = oracle.asm_diskgroups(lsdg)[0]
    assert (dg.name, dg.used_percent, dg.offline_disks) == ("DATA", 95.0, 1)
    assert oracle.scan_listeners("SCAN Listener LISTENER_SCAN1 is enabled\nSCAN listener LISTENER_SCAN1 is not running\n") \
        == [("LISTENER_SCAN1", False, "")]
    assert oracle.rows("2|LOG_ARCHIVE_DEST_2|ERROR|ORA-16191: Primary log shipping client not logged on standby\n", 4)[0][2] \
        == "ERROR"  # an ORA- inside a column is data, not a failed query
    with pytest.raises(ParseError, match="ORA-00942"):
        oracle.rows("select * from v$x\n              *\nERROR at line 1:\nORA-00942: table or view does not exist\n", 4)
    assert oracle.alert_errors(["ORA-03136: inbound connection timed out", "ORA-00600: internal error code"]) == \
        ["ORA-00600: internal error code"]


def test_aix_df_and_errpt():
    text = ("Filesystem    1024-blocks      Free %Used    Iused %Iused Mounted on\n"
            "/dev/hd4           524288    101212   81%    10389    30% /\n"
            "/proc                   -         -    -         -     -  /proc\n")
    fs = aix.df(text)
    assert [(f.mount, f.used_percent, f.inode_percent) for f in fs] == [("/", 81, 30), ("/proc", None, None)]
    errpt = ("IDENTIFIER TIMESTAMP  T C RESOURCE_NAME  DESCRIPTION\n"
             "DCB47997   1124093026 T H hdisk3         DISK OPERATION ERROR\n"
             "A6DF45AA   0101000020 I O RMCdaemon      The daemon is started.\n")
    assert aix.errpt(errpt) == [(dt.datetime(2026, 11, 24, 9, 30), "2026-11-24 09:30 hdisk3 DISK OPERATION ERROR")]
    assert aix.errpt("") == []  # errpt prints nothing when the log holds no hardware error


def test_sqlcmd_failure_and_errorlog_severity():
    assert windows.sqlcmd_failure("Sqlcmd: Error: Microsoft ODBC Driver 17 for SQL Server : Login timeout expired.")
    assert windows.sqlcmd_failure("OA_DB|ONLINE\n") is None
    rows = [["2026-11-24 10:00:00", "spid52", "Error: 823, Severity: 24, State: 2."],
            ["2026-11-24 10:01:00", "Logon", "Error: 18456, Severity: 14, State: 8."]]
    assert windows.errorlog_severe(rows) == ["2026-11-24 10:00:00 Error: 823, Severity: 24, State: 2."]


def test_chrony_offset_sign_and_garbage():
    assert linux.chrony_offset("System time     : 0.000123456 seconds slow of NTP time\n") == pytest.approx(-0.000123456)
    assert linux.chrony_offset("System time     : 4.5 seconds fast of NTP time\n") == 4.5
    with pytest.raises(ParseError):
        linux.chrony_offset("506 Cannot talk to daemon")
