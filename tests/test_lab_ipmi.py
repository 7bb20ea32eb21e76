"""The lab's IPMI BMCs through pyghmi's client: RMCP+ session, SDR repository, sensor readings, faults."""

from __future__ import annotations

import pytest
import yaml
from pyghmi.exceptions import IpmiException
from pyghmi.ipmi import command

from cityops.lab import control

BMC = "127.98.200.11"


@pytest.fixture(scope="module")
def ipmi(lab):
    """One client session for the module: pyghmi hands a second Command for the same BMC and user its cached
    session, which then blocks (a client quirk, not the BMC's)."""
    c = yaml.safe_load(lab[1].credentials_file.read_text())["gxj_bmc"]
    return command.Command(bmc=BMC, userid=c["username"], password=c["password"])


def sensors(ipmi) -> dict:
    return {s.name: s for s in ipmi.get_sensor_data()}


def test_healthy_sensors(ipmi):
    assert ipmi.get_power() == {"powerstate": "on"}
    s = sensors(ipmi)
    assert set(s) == {"Inlet Temp", "CPU1 Temp", "Fan 1 Tach", "Fan 2 Tach", "Fan 3 Tach", "Fan 4 Tach",
                      "PS1 Status", "PS2 Status"}
    assert all(x.health == 0 for x in s.values())
    assert s["Inlet Temp"].units == "°C" and 18 < s["Inlet Temp"].value < 30
    assert s["Fan 1 Tach"].units == "RPM" and s["Fan 1 Tach"].value > 5000
    assert s["PS2 Status"].states == ["Present"]


@pytest.mark.parametrize(("kind", "params", "sensor", "check"), [
    ("temperature_high", {"celsius": "45"}, "Inlet Temp",
     lambda x: x.value == 45 and "upper critical threshold" in x.states),
    ("fan_failed", {"fan": "3"}, "Fan 3 Tach", lambda x: x.value == 0 and x.health > 0),
    ("power_failed", {}, "PS2 Status", lambda x: "Failure" in x.states and x.health > 0),
])
def test_hardware_faults_show_on_ipmi(lab, ipmi, lab_fault, kind, params, sensor, check):
    assert not check(sensors(ipmi)[sensor])
    lab_fault("lab-linux-app", kind, **params)
    assert check(sensors(ipmi)[sensor])
    control.set_fault(lab[1], lab[0], "lab-linux-app", kind, clear=True)
    assert not check(sensors(ipmi)[sensor])


def test_wrong_password_is_refused(lab):
    c = yaml.safe_load(lab[1].credentials_file.read_text())["gxj_bmc"]
    with pytest.raises(IpmiException, match="Incorrect password"):
        command.Command(bmc=BMC, userid=c["username"], password="not-the-password")
