"""Parsers against real published output (tests/fixtures/published, see SOURCES.md) and vendor-manual layouts.

Pure functions, no lab: each test would fail on a parser that reads the lab's imitation but not the real thing.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from cityops.parsers import ParseError, aix, linux, network, oracle, windows

PUBLISHED = Path(__file__).parent / "fixtures" / "published"


def published(name: str) -> str:
    return (PUBLISHED / name).read_text()


def test_df_on_centos7_skips_pseudo_filesystems():
    fs = linux.df(published("centos7_df.txt"))
    assert [(f.mount, f.percent) for f in fs] == [("/", 11), ("/boot", 23)]
    with pytest.raises(ParseError):
        linux.df("bash: df: command not found")


def test_vrp_interface_brief_errors_from_a_real_ar_router():
    errors = network.interface_errors("huawei_vrp", published("huawei_vrp_display_interface_brief.txt"))
    assert len(errors) == 17 and errors["GigabitEthernet0/0/5"] == 0 and set(errors.values()) == {0}
    grown = published("huawei_vrp_display_interface_brief.txt").replace(
        "Vlanif100                   up    up           --     --          0          0",
        "Vlanif100                   up    up           --     --        321          0")
    assert network.interface_errors("huawei_vrp", grown)["Vlanif100"] == 321


def test_vrp_boards_of_a_chassis_a_stack_with_an_offline_member_and_cards():
    chassis = network.boards("huawei_vrpv8", published("huawei_vrp_display_device.txt"))
    assert len(chassis) == 23 and all(ok for _, _, ok, _ in chassis)
    spaced = published("huawei_vrp_display_device.txt").replace("CE12808S's", "Secoway SRG20's")
    assert network.boards("huawei_vrp", spaced) == chassis
    assert ("PWR3", "PHD-3000WA", True, "Present/Registered/Normal") in chassis
    stack = network.boards("huawei_vrpv8", published("huawei_vrp_display_device_stack_offline.txt"))
    assert [(slot, ok) for slot, _, ok, _ in stack] == [("1", True), ("1 FAN1", True), ("1 FAN2", True),
                                                        ("1 PWR2", True), ("2", False)]
    assert stack[-1] == ("2", "CE6850-48S4Q-EI", False, "Offline/Unregistered")
    cards = network.boards("huawei_vrpv8", published("huawei_vrp_display_device_card.txt"))
    assert [slot for slot, *_ in cards] == ["1/3", "1/4"]
    alarmed = published("huawei_vrp_display_device_card.txt").replace("Registered     Normal\n1/4",
                                                                     "Registered     Abnormal\n1/4")
    assert [ok for _, _, ok, _ in network.boards("huawei_vrp", alarmed)] == [False, True]
    with pytest.raises(ParseError):
        network.boards("huawei_vrp", "Error: Unrecognized command found at '^' position.")


def test_ios_cpu_and_interfaces_from_real_routers():
    assert network.cpu_percent("cisco_ios", published("cisco_ios_show_processes_cpu.txt")) == 0.0
    busy = published("cisco_ios_show_processes_cpu.txt").replace("five seconds: 0%/0%", "five seconds: 87%/3%")
    assert network.cpu_percent("cisco_ios", busy) == 87.0
    errors = network.interface_errors("cisco_ios", published("cisco_ios_show_interfaces.txt"))
    assert errors == {"GigabitEthernet0/0": 0, "GigabitEthernet0/1": 0}
    crc = published("cisco_ios_show_interfaces.txt").replace("0 input errors, 0 CRC", "45 input errors, 45 CRC", 1)
    assert network.interface_errors("cisco_ios", crc)["GigabitEthernet0/0"] == 45


@pytest.mark.parametrize(("platform", "text", "expected"), [
    # VRP8 (CE series) prints a different layout from VRP5 (vendor documentation)
    ("huawei_vrpv8", "CPU utilization statistics at 2019-04-10 16:06:08 851 ms\nSystem cpu use rate is : 9%\n"
                     "Cpu utilization statistics on slot 1 :", 9.0),
    ("huawei_vrp", "CPU Usage Stat. Cycle: 60 (Second)\nCPU Usage            : 12% Max: 37%\n", 12.0),
    # Comware 5 (S7500E) reports per board; the busiest counts
    ("hp_comware", "Unit 1\nBoard 0 CPU usage:\n       3% in last 5 seconds\n       4% in last 1 minute\n"
                   "Board 1 CPU usage:\n       9% in last 5 seconds\n      11% in last 1 minute\n", 11.0),
])
def test_cpu_layouts_of_each_generation(platform, text, expected):
    assert network.cpu_percent(platform, text) == expected


def test_memory_layouts_of_each_generation():
    assert network.memory_percent("huawei_vrpv8", "Memory utilization statistics at 2019-04-10\n"
                                                  "System Total Memory: 1926208 Kbytes\n"
                                                  "Total Memory Used: 693328 Kbytes\nMemory Using Percentage: 36%") == 36
    assert network.memory_percent("hp_comware", "System Total Memory(bytes): 431869088\n"
                                                "Total Used Memory(bytes): 71963156\nUsed Rate: 16%\n") == 16
    with pytest.raises(ParseError):
        network.memory_percent("hp_comware", "% Unrecognized command found at '^' position.")


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
    assert aix.errpt(errpt, dt.datetime(2026, 11, 24)) == ["2026-11-24 09:30 hdisk3 DISK OPERATION ERROR"]
    assert aix.errpt(errpt, dt.datetime(2026, 11, 25)) == []


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


# Huawei product documentation, CloudEngine `display health` (command reference, "Display detailed device health
# information"): the CPU section as VRP8 prints it for `display cpu`/`display cpu-usage`, and the AC6605 (V200R)
# `display cpu-usage` layout an engineer published: current load next to the peak since a day ('Max CPU Usage').
VRP8_CPU = """System CPU Usage Information:
Slot: 1    CPU:0
CPU utilization statistics at 2020-12-31 16:54:43 786 ms
System CPU Using Percentage :   3%
Dataplane CPU Using Percentage :   0%
CPU utilization for five seconds: 3%, one minute: 2%, five minutes: 2%.
Max CPU Usage :                17%
Max CPU Usage Stat. Time : 2020-12-30 17:23:59 878 ms
State: Unoverload
"""


def test_vrp_cpu_is_the_current_load_never_the_peak_line():
    assert network.cpu_percent("huawei_vrpv8", VRP8_CPU) == 3  # was 17: 'Max CPU Usage' read as the load
    assert network.cpu_percent("huawei_vrp", VRP8_CPU.replace("3%", "10%", 1).replace("17%", "48%")) == 10
    s5700 = "CPU Usage Stat. Cycle: 60 (Second)\nCPU Usage            : 12% Max: 30%\nCPU Usage Stat. Time : 2026-12-01\n"
    assert network.cpu_percent("huawei_vrp", s5700) == 12
