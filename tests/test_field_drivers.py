"""The field's own drivers, run on the same real captures as cityops' (issue 12: "use napalm's drivers where
their getters read the real captures correctly; test them; wrap or replace what is wrong").

napalm's getters send several commands; here each is handed the capture for the one that matters and an empty
answer for the rest (a stand-in for the device in a test of parsing logic only). These tests pin why cityops
reads `show version` itself: if a napalm release starts reading these captures right, they fail and say so,
and the driver can take napalm's getter instead.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from cityops import drivers

CAPTURES = Path(__file__).resolve().parent / "captures"


def capture(platform: str, case: str) -> tuple[str, dict]:
    base = CAPTURES / platform / "facts" / case
    return base.with_suffix(".txt").read_text(encoding="utf-8"), yaml.safe_load(base.with_suffix(".yml").read_text())


def napalm_facts(driver_class, text: str) -> dict:
    d = driver_class("127.0.0.1", "user", "password")
    d._send_command = lambda command, *a, **k: text if command == "show version" else ""

    def no_json_table(*a, **k):
        raise ValueError("no JSON on this capture")
    d._get_command_table = no_json_table
    return d.get_facts()


@pytest.mark.parametrize("case", ["c3850_stack4_03_06", "c9500_stack_16_9"])
def test_napalm_ios_get_facts_reads_one_member_of_a_stack(case):
    """A Catalyst stack is one device with a serial per member: napalm's IOS get_facts keeps the first member's
    model and serial, so an archive built on it would lose the others; cityops' reader keeps them all."""
    from napalm.ios.ios import IOSDriver

    text, meta = capture("cisco_ios", case)
    theirs = napalm_facts(IOSDriver, text)
    ours = drivers.get("cisco_ios").read("facts", text)
    members = meta["expect"]["values"]["serial"].split(", ")
    assert len(members) > 1 and ours.serial.split(", ") == members
    assert theirs["serial_number"] == members[0]  # the first member only


@pytest.mark.parametrize("case", ["c4948e_12_2", "c3850_stack4_03_06", "c9500_stack_16_9"])
def test_napalm_ios_get_facts_os_version_is_the_banner_not_the_version(case):
    from napalm.ios.ios import IOSDriver

    text, meta = capture("cisco_ios", case)
    want = meta["expect"]["values"]["os_version"]
    theirs = napalm_facts(IOSDriver, text)["os_version"]
    assert drivers.get("cisco_ios").read("facts", text).os_version == want
    assert theirs != want and want in theirs and "Software" in theirs  # 'Catalyst 4500 L3 Switch Software (...), Version ...'


@pytest.mark.parametrize("case", ["n9k_c9396px_6_1", "n5k_5596_7_1", "n3k_c3232c_9_3"])
def test_napalm_nxos_ssh_get_facts_agrees_on_the_version(case):
    """Where napalm holds up: nxos_ssh reads the NX-OS version as a person does (its model keeps the word
    'Chassis', and it takes the serial from `show inventory`, another command)."""
    from napalm.nxos_ssh.nxos_ssh import NXOSSSHDriver

    text, meta = capture("cisco_nxos", case)
    theirs = napalm_facts(NXOSSSHDriver, text)
    assert theirs["os_version"] == meta["expect"]["values"]["os_version"]
    assert meta["expect"]["values"]["model"] in theirs["model"] and theirs["model"].endswith(("Chassis", "chassis"))
