"""Platform drivers' readers on real published output (tests/fixtures/published) and on layouts of each
generation quoted from vendor documentation; the corpus of tests/captures runs in test_captures.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityops import drivers
from cityops.drivers.models import Board
from cityops.parsers import ParseError

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "published"


def published(name: str) -> str:
    return (FIXTURES / name).read_text(encoding="utf-8")


def read(platform: str, getter: str, text: str):
    return drivers.get(platform).read(getter, text)


def test_vrp_interface_brief_errors_from_a_real_ar_router():
    errors = read("huawei_vrp", "interface_errors", published("huawei_vrp_display_interface_brief.txt"))
    assert len(errors) == 17 and errors["GigabitEthernet0/0/5"] == 0 and set(errors.values()) == {0}
    grown = published("huawei_vrp_display_interface_brief.txt").replace(
        "Vlanif100                   up    up           --     --          0          0",
        "Vlanif100                   up    up           --     --        321          0")
    assert read("huawei_vrp", "interface_errors", grown)["Vlanif100"] == 321


def test_vrp_boards_of_a_chassis_a_stack_with_an_offline_member_and_cards():
    chassis = read("huawei_vrpv8", "boards", published("huawei_vrp_display_device.txt"))
    assert len(chassis) == 23 and all(b.ok for b in chassis)
    spaced = published("huawei_vrp_display_device.txt").replace("CE12808S's", "Secoway SRG20's")
    assert read("huawei_vrp", "boards", spaced) == chassis
    assert Board("PWR3", "PHD-3000WA", True, "Present/Registered/Normal") in chassis
    stack = read("huawei_vrpv8", "boards", published("huawei_vrp_display_device_stack_offline.txt"))
    assert [(b.name, b.ok) for b in stack] == [("1", True), ("1 FAN1", True), ("1 FAN2", True),
                                                        ("1 PWR2", True), ("2", False)]
    assert stack[-1] == Board("2", "CE6850-48S4Q-EI", False, "Offline/Unregistered")
    cards = read("huawei_vrpv8", "boards", published("huawei_vrp_display_device_card.txt"))
    assert [b.name for b in cards] == ["1/3", "1/4"]
    alarmed = published("huawei_vrp_display_device_card.txt").replace("Registered     Normal\n1/4",
                                                                     "Registered     Abnormal\n1/4")
    assert [b.ok for b in read("huawei_vrp", "boards", alarmed)] == [False, True]
    with pytest.raises(ParseError):
        read("huawei_vrp", "boards", "Error: Unrecognized command found at '^' position.")


def test_ios_cpu_and_interfaces_from_real_routers():
    assert read("cisco_ios", "cpu", published("cisco_ios_show_processes_cpu.txt")) == 0.0
    busy = published("cisco_ios_show_processes_cpu.txt").replace("five seconds: 0%/0%", "five seconds: 87%/3%")
    assert read("cisco_ios", "cpu", busy) == 87.0
    errors = read("cisco_ios", "interface_errors", published("cisco_ios_show_interfaces.txt"))
    assert errors == {"GigabitEthernet0/0": 0, "GigabitEthernet0/1": 0}
    crc = published("cisco_ios_show_interfaces.txt").replace("0 input errors, 0 CRC", "45 input errors, 45 CRC", 1)
    assert read("cisco_ios", "interface_errors", crc)["GigabitEthernet0/0"] == 45


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
    assert read(platform, "cpu", text) == expected


def test_memory_layouts_of_each_generation():
    assert read("huawei_vrpv8", "memory", "Memory utilization statistics at 2019-04-10\n"
                                                  "System Total Memory: 1926208 Kbytes\n"
                                                  "Total Memory Used: 693328 Kbytes\nMemory Using Percentage: 36%") == 36
    assert read("hp_comware", "memory", "System Total Memory(bytes): 431869088\n"
                                                "Total Used Memory(bytes): 71963156\nUsed Rate: 16%\n") == 16
    with pytest.raises(ParseError):
        read("hp_comware", "memory", "% Unrecognized command found at '^' position.")


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
    assert read("huawei_vrpv8", "cpu", VRP8_CPU) == 3  # was 17: 'Max CPU Usage' read as the load
    assert read("huawei_vrp", "cpu", VRP8_CPU.replace("3%", "10%", 1).replace("17%", "48%")) == 10
    s5700 = "CPU Usage Stat. Cycle: 60 (Second)\nCPU Usage            : 12% Max: 30%\nCPU Usage Stat. Time : 2026-12-01\n"
    assert read("huawei_vrp", "cpu", s5700) == 12


@pytest.mark.parametrize(("text", "model", "version"), [
    # Comware 5.20 on an MSR30-40 router, from an engineer's session log ('Release 2511, Standard')
    ("H3C Comware Platform Software\nComware Software, Version 5.20, Release 2511, Standard\n"
     "Copyright (c) 2004-2013 Hangzhou H3C Tech. Co., Ltd. All rights reserved.\n"
     "H3C MSR30-40 uptime is 367 weeks, 5 days, 5 hours, 18 minutes\nLast reboot 2014/01/19 01:36:38\n",
     "MSR30-40", "5.20 Release 2511"),
    # Comware 7.1 on an HP-branded 5900AF ('HP Comware Software', the model followed by 'Switch')
    ("HP Comware Software, Version 7.1.045, Release 2311P05\n"
     "Copyright (c) 2010-2014 Hewlett-Packard Development Company, L.P.\n"
     "HP 5900AF-48XG-4QSFP+ Switch uptime is 0 weeks, 0 days, 0 hours, 32 minutes\nLast reboot reason : Power on\n",
     "5900AF-48XG-4QSFP+", "7.1.045 Release 2311P05"),
])
def test_comware_version_layouts(text, model, version):
    facts = read("hp_comware", "facts", text)
    assert (facts.model, facts.os_version) == (model, version) and facts.uptime.endswith("minutes")


def test_an_mds_is_named_by_its_chassis_line_not_the_supervisor_number():
    """ntc-templates takes the '3' of 'Supervisor-3' for an MDS's platform; the driver reads the chassis line."""
    text = ("Software\n  BIOS:      version 1.0.19\n  kickstart: version 6.2(13)\n  system:    version 6.2(13)\n\n"
            "Hardware\n  cisco MDS 9148 FC (1 Slot) Chassis (\"1/2/4/8 Gbps FC/Supervisor-3\")\n"
            "  Motorola, e500v2 with 1036300 kB of memory.\n  Processor Board ID JAF1416BDDH\n\n  Device name: mds1\n\n"
            "Kernel uptime is 12 day(s), 3 hour(s), 4 minute(s), 5 second(s)\n")
    facts = read("cisco_nxos", "facts", text)
    assert (facts.model, facts.os_version, facts.serial, facts.hostname) == ("MDS 9148", "6.2(13)", "JAF1416BDDH", "mds1")


def test_every_cli_platform_of_the_estate_has_a_driver_and_nothing_else_names_its_commands():
    """Platform knowledge has one home: a CLI platform without a driver would reach no connector, and a
    command string of a driver repeated in a check or a connector is a second home."""
    import re as _re

    from cityops import platforms

    cli = {p.id for p in platforms.PLATFORMS.values() if p.transport == "cli"}
    assert cli == {p for p, d in drivers.DRIVERS.items() if isinstance(d, drivers.Driver)}
    root = Path(__file__).resolve().parents[1]
    commands = {g.command for d in drivers.DRIVERS.values() for g in d.getters.values()}
    driven = [root / "checks" / f"test_{name}.py" for name in ("network", "fc", "security", "storage")]
    for path in [*driven, *root.glob("cityops/transport/*.py"), *root.glob("cityops/inspect/*.py")]:
        text = path.read_text(encoding="utf-8")
        named = {c for c in commands if _re.search(rf"[\"']{_re.escape(c)}[\"']", text)}
        assert named == set(), f"{path.name} names {sorted(named)}"


@pytest.mark.parametrize(("platform", "capture"), [
    ("cisco_ios", "cisco_ios/running_config/csr1000v_15_5.txt"),
    ("huawei_ce", "huawei_ce/running_config/napalm_ce_minimal.txt"),
])
def test_a_configuration_cut_short_is_refused_never_stored_as_the_configuration(platform, capture):
    """A listing that stops before the platform's end marker (a timeout, a lost session, a prompt out of sync) is
    an error naming the marker and quoting the last line received."""
    text = (Path(__file__).parent / "captures" / capture).read_text(encoding="utf-8")
    whole = drivers.get(platform).read("running_config", text)
    assert whole.text.rstrip().endswith(("end", "return"))
    cut = text[: len(text) * 2 // 3]
    with pytest.raises(ParseError, match="configuration incomplete"):
        drivers.get(platform).read("running_config", cut)
    with pytest.raises(ParseError, match="empty"):
        drivers.get(platform).read("running_config", "\n\n")


def test_a_bmc_reading_is_whole_or_refused():
    """Redfish: a document that is not the chassis' Thermal resource, or one listing no fan, is refused; an absent
    temperature sensor is left out, one without a reading is refused. IPMI: a row ipmitool never prints is refused,
    not skipped."""
    redfish, ipmi = drivers.fact_set("bmc_redfish"), drivers.fact_set("bmc_ipmi")
    thermal = {"Fans": [{"Name": "Fan1", "Reading": 5400, "ReadingUnits": "RPM", "Status": {"Health": "OK"}},
                        {"Name": "Fan2", "Reading": 0, "ReadingUnits": "RPM", "Status": {"Health": "Critical"}}],
               "Temperatures": [{"Name": "Inlet Temp", "ReadingCelsius": 23, "Status": {"Health": "OK"}},
                                {"Name": "Exhaust", "ReadingCelsius": None, "Status": {"State": "Absent"}}]}
    assert [(f.name, f.ok) for f in redfish.read("fans", [thermal])] == [("Fan1", True), ("Fan2", False)]
    assert [t.sensor for t in redfish.read("temperatures", [thermal])] == ["Inlet Temp"]
    with pytest.raises(ParseError, match="no PowerSupplies"):
        redfish.read("power_supplies", [thermal])
    with pytest.raises(ParseError, match="no Fans listed"):
        redfish.read("fans", [{"Fans": []}])
    sdr = ("Inlet Temp       | 01h | ok  |  7.1 | 23 degrees C\n"
           "Fan 1 Tach       | 10h | ok  | 29.1 | 5400 RPM\n")
    assert [f.name for f in ipmi.read("fans", sdr)] == ["Fan 1 Tach"]
    with pytest.raises(ParseError, match="unreadable row"):
        ipmi.read("fans", sdr + "#@!%garbled\n")


ISM_LUNS = """  ID   Name      Pool ID  Capacity   Subscribed Capacity  Health Status  Type
  ---  --------  -------  ---------  -------------------  -------------  ----
  0    DB_LUN01  0        500.000GB  120.000GB            Normal         Thin
  1    DB_LUN02  0        600.000GB  99.000GB             Fault          Thin
"""


def listing(*answers: tuple[str, str]) -> str:
    return "".join(f"#### {cmd}\n{text}\n" for cmd, text in answers)


def test_a_sections_listing_drops_the_state_columns_and_keeps_the_configuration():
    from cityops.drivers.base import Section, sections_reader

    read = sections_reader("t", (Section("show lun general", r"ID\s{2,}Name", empty="Command executed successfully.",
                                         state_columns=("Subscribed Capacity", "Health Status")),
                                 Section("show host general", r"ID\s{2,}Name", empty="Command executed successfully.")))
    config = read(listing(("show lun general", ISM_LUNS), ("show host general", "  Command executed successfully.")))
    lines = config.text.splitlines()
    assert lines[1:5] == ["  ID   Name      Pool ID  Capacity   Type", "  ---  --------  -------  ---------  ----",
                          "  0    DB_LUN01  0        500.000GB  Thin", "  1    DB_LUN02  0        600.000GB  Thin"]
    assert lines[-1].strip() == "Command executed successfully."  # no host yet is a reading, not a failure
    grown = ISM_LUNS.replace("120.000GB", "130.000GB").replace("Fault   ", "Normal  ")
    assert read(listing(("show lun general", grown), ("show host general", "  Command executed successfully."))).text \
        == config.text  # the thin LUN grew and the LUN healed: no change of configuration


@pytest.mark.parametrize(("text", "cause"), [
    (listing(("show lun general", ISM_LUNS)), "1 of 2 listings"),  # the session ended after the first table
    (listing(("show lun general", ISM_LUNS), ("show host general", "")), "printed nothing"),
    (listing(("show lun general", "Error: Unknown command or parameter."), ("show host general", ISM_LUNS)),
     "'show lun general' does not begin with"),
    ("", "0 of 2 listings"),
])
def test_a_sections_listing_missing_a_table_is_refused_whole(text, cause):
    from cityops.drivers.base import Section, sections_reader

    read = sections_reader("t", (Section("show lun general", r"ID\s{2,}Name"), Section("show host general", r"ID\s{2,}Name")))
    with pytest.raises(ParseError, match=cause):
        read(text)


@pytest.mark.parametrize("platform", ["huawei_oceanstor", "inspur_storage", "emc_vnx", "emc_vmax", "hds_ams", "ibm_ds"])
def test_every_lab_array_prints_a_configuration_its_driver_reads(platform):
    """The lab model of each array (storage.py) against its driver's configuration reader: what a backup of it in
    the estate lab keeps. The test lab holds two of these platforms; the estate lab all six."""
    from cityops.lab.netdev.cli import Session
    from cityops.lab.netdev.device import Device
    from cityops.lab.netdev.server import PLATFORMS

    dev = Device("arr1", "127.0.0.1", platform, "v", "m", "storage_array", "阵列", "admin", "x")
    lab = PLATFORMS[platform]
    getter = drivers.get(platform).for_host("running_config", {"ansible_host": "127.0.0.1"})
    text = "".join(f"#### {cmd}\n{lab.execute(Session(dev, {}, paging=False), cmd)}\n" for cmd in getter.sections)
    config = getter.read(text)
    assert config.text.count("\n") > 10 and "lun" in config.text.lower()
    faults = {"storage_disk_failed": {}, "power_failed": {}}
    failing = "".join(f"#### {cmd}\n{lab.execute(Session(dev, faults, paging=False), cmd)}\n" for cmd in getter.sections)
    assert getter.read(failing).text == config.text  # a failed disk and a failed controller change no configuration


def test_an_f5_listing_is_complete_only_when_a_top_level_stanza_closes_it():
    """tmsh prints no end marker: the lab's listing reads, its planted secrets are masked, and a listing cut inside a
    stanza (its last line an indented closer) is refused."""
    from cityops.lab.netdev.cli import Session
    from cityops.lab.netdev.device import Device
    from cityops.lab.netdev.planted import planted
    from cityops.lab.netdev.server import PLATFORMS

    dev = Device("lb1", "127.0.0.1", "f5_tmos", "F5", "BIG-LTM-1600", "load_balancer", "负载均衡", "admin", "x")
    text = PLATFORMS["f5_tmos"].execute(Session(dev, {}, paging=False), "show running-config")
    config = read("f5_tmos", "running_config", text)
    assert config.text.startswith("auth user admin {") and "ltm pool pool_jiuye {" in config.text
    for secret, shown in planted("f5_tmos", "lb1"):
        assert shown in text and secret not in config.text and shown not in config.text
    cut = text[: text.index("    monitor mon_jiuye")]  # inside 'ltm pool', after its members' closer
    with pytest.raises(ParseError, match="end marker"):
        read("f5_tmos", "running_config", cut)
    with pytest.raises(ParseError, match="does not begin with"):
        read("f5_tmos", "running_config", 'Syntax Error: "shw" unknown property\n}')
