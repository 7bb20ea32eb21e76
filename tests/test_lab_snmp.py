"""The lab's SNMP agents (UPS-MIB, Liebert environmental, Printer-MIB) through pysnmp."""

from __future__ import annotations

import asyncio

import pytest
import yaml
from pysnmp.hlapi.v3arch.asyncio import (
    CommunityData,
    ContextData,
    ObjectIdentity,
    ObjectType,
    SnmpEngine,
    UdpTransportTarget,
    bulk_cmd,
    get_cmd,
)

from cityops.lab import control

UPS_SOURCE = "1.3.6.1.2.1.33.1.4.1.0"
UPS_CHARGE = "1.3.6.1.2.1.33.1.2.4.0"
UPS_BATTERY_STATUS = "1.3.6.1.2.1.33.1.2.1.0"
AC_TEMP = "1.3.6.1.4.1.476.1.42.3.4.1.3.3.1.3.1"
AC_STATE = "1.3.6.1.4.1.476.1.42.3.4.3.1.0"
TONER = "1.3.6.1.2.1.43.11.1.1.9.1.1"
ADDR = {"lab-ups": "127.98.4.11", "lab-ac": "127.98.4.12", "lab-printer": "127.98.4.13"}


def community(lab) -> str:
    return yaml.safe_load(lab[1].credentials_file.read_text())["gxj_snmp"]["password"]


def snmp_get(host: str, comm: str, *oids: str) -> dict[str, str] | str:
    async def run():
        engine = SnmpEngine()
        try:
            target = await UdpTransportTarget.create((ADDR[host], 161), timeout=0.5, retries=0)
            err, status, _idx, binds = await get_cmd(engine, CommunityData(comm), target, ContextData(),
                                                     *[ObjectType(ObjectIdentity(o)) for o in oids])
            if err or status:
                return str(err or status)
            return {str(o): v.prettyPrint() for o, v in binds}
        finally:
            engine.close_dispatcher()
    return asyncio.run(run())


def test_healthy_agents(lab):
    comm = community(lab)
    ups = snmp_get("lab-ups", comm, "1.3.6.1.2.1.1.5.0", UPS_SOURCE, UPS_CHARGE, UPS_BATTERY_STATUS)
    assert ups == {"1.3.6.1.2.1.1.5.0": "lab-ups", UPS_SOURCE: "3", UPS_CHARGE: "100", UPS_BATTERY_STATUS: "2"}
    assert snmp_get("lab-ac", comm, AC_STATE)[AC_STATE] == "1"
    assert 0 < int(snmp_get("lab-printer", comm, TONER)[TONER]) <= 100


def test_walk_with_getbulk_is_ordered_and_ends(lab):
    async def walk():
        engine = SnmpEngine()
        try:
            target = await UdpTransportTarget.create((ADDR["lab-ups"], 161), timeout=0.5, retries=0)
            err, _s, _i, binds = await bulk_cmd(engine, CommunityData(community(lab)), target, ContextData(), 0, 50,
                                                ObjectType(ObjectIdentity("1.3.6.1.2.1.33")))
            return err, [tuple(o) for o, _v in binds]
        finally:
            engine.close_dispatcher()
    err, oids = asyncio.run(walk())
    assert err is None and oids == sorted(oids) and len(oids) >= 15
    assert oids[0] == (1, 3, 6, 1, 2, 1, 33, 1, 1, 1, 0)


def test_wrong_community_gets_no_answer(lab):
    assert "No SNMP response" in snmp_get("lab-ups", "public", UPS_SOURCE)


@pytest.mark.parametrize(("host", "kind", "params", "oid", "healthy", "faulty"), [
    ("lab-ups", "ups_on_battery", {}, UPS_SOURCE, "3", "5"),
    ("lab-ups", "ups_battery_low", {}, UPS_BATTERY_STATUS, "2", "3"),
    ("lab-ac", "temperature_high", {"celsius": "31"}, AC_TEMP, None, "31"),
    ("lab-ac", "ac_alarm", {}, AC_STATE, "1", "2"),
    ("lab-printer", "toner_low", {"percent": "4"}, TONER, None, "4"),
])
def test_snmp_fault_appears_and_clears(lab, lab_fault, host, kind, params, oid, healthy, faulty):
    comm = community(lab)
    before = snmp_get(host, comm, oid)[oid]
    if healthy:
        assert before == healthy
    lab_fault(host, kind, **params)
    assert snmp_get(host, comm, oid)[oid] == faulty
    control.set_fault(lab[1], lab[0], host, kind, clear=True)
    assert snmp_get(host, comm, oid)[oid] == before


def test_unreachable_agent_times_out(lab, lab_fault):
    lab_fault("lab-ac", "unreachable")
    assert "No SNMP response" in snmp_get("lab-ac", community(lab), AC_STATE)
    assert control.probe_udp(ADDR["lab-ac"], 161)[0]  # the agent still holds the port: dead, not gone
