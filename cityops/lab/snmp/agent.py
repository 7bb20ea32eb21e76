"""One process, one UDP socket per device: SNMPv1/v2c GET, GETNEXT and GETBULK.

Messages are decoded and encoded with pysnmp's protocol API; the OID tables are
the lab's own (mibs.py), rendered per request from the device's state and faults.
A wrong community gets no answer at all, as from a real agent; `unreachable`
drops every request (the client times out).

Run by `invoke lab.up`:  python -m cityops.lab.snmp.agent --lab DIR
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import logging
import os
import signal
import sys
import time
from pathlib import Path

from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

from ..faults import FaultView
from ..statedir import LabDir
from .mibs import table

log = logging.getLogger("cityops.lab.snmp")


def _oid_key(oid: str) -> tuple[int, ...]:
    return tuple(int(x) for x in oid.split("."))


class Agents:
    def __init__(self, lab: LabDir, devices: list[dict]):
        self.by_address = {d["address"]: d for d in devices}
        self.faults = FaultView(lab)
        self.started = time.time()

    def values(self, pmod, dev: dict):
        rows = table(dev, self.faults.of(dev["name"]), self.started)
        make = {"str": lambda v: pmod.OctetString(str(v).encode("utf-8")), "int": pmod.Integer,
                "gauge": pmod.Gauge32, "counter": pmod.Counter32, "ticks": pmod.TimeTicks,
                "oid": pmod.ObjectIdentifier}
        keys = sorted((_oid_key(o), o) for o in rows)
        return {k: make[rows[o][0]](rows[o][1]) for k, o in keys}, [k for k, _ in keys]

    def respond(self, address: str, data: bytes) -> bytes | None:
        dev = self.by_address.get(address)
        if dev is None or "unreachable" in self.faults.of(dev["name"]):
            return None
        try:
            version = int(api.decodeMessageVersion(data))
            pmod = api.PROTOCOL_MODULES[version]
            msg, _rest = decoder.decode(data, asn1Spec=pmod.Message())
        except Exception:
            return None
        community = bytes(pmod.apiMessage.get_community(msg)).decode(errors="replace")
        if community != dev["community"] or "wrong_password" in self.faults.of(dev["name"]):
            return None
        req = pmod.apiMessage.get_pdu(msg)
        rsp_msg = pmod.apiMessage.get_response(msg)
        rsp = pmod.apiMessage.get_pdu(rsp_msg)
        values, keys = self.values(pmod, dev)
        binds = [(tuple(oid), val) for oid, val in pmod.apiPDU.get_varbinds(req)]
        out = []
        if req.isSameTypeWith(pmod.GetRequestPDU()):
            for oid, _ in binds:
                out.append((oid, values.get(oid, pmod.NoSuchInstance(""))))
        elif req.isSameTypeWith(pmod.GetNextRequestPDU()):
            for oid, _ in binds:
                out.append(self._next(pmod, values, keys, oid))
        elif hasattr(pmod, "GetBulkRequestPDU") and req.isSameTypeWith(pmod.GetBulkRequestPDU()):
            non_rep = int(pmod.apiBulkPDU.get_non_repeaters(req))
            reps = int(pmod.apiBulkPDU.get_max_repetitions(req))
            for oid, _ in binds[:non_rep]:
                out.append(self._next(pmod, values, keys, oid))
            cursors = [oid for oid, _ in binds[non_rep:]]
            for _ in range(reps):
                step = [self._next(pmod, values, keys, c) for c in cursors]
                out.extend(step)
                cursors = [o for o, _ in step]
                if all(isinstance(v, pmod.EndOfMibView) for _, v in step):
                    break
        else:
            pmod.apiPDU.set_error_status(rsp, 5)  # genErr: this lab agent is read-only
            out = binds
        pmod.apiPDU.set_varbinds(rsp, out)
        return encoder.encode(rsp_msg)

    @staticmethod
    def _next(pmod, values, keys, oid):
        i = bisect.bisect_right(keys, tuple(oid))
        if i >= len(keys):
            return tuple(oid), pmod.EndOfMibView("")
        return keys[i], values[keys[i]]


class _Protocol(asyncio.DatagramProtocol):
    def __init__(self, agents: Agents, address: str):
        self.agents, self.address = agents, address

    def connection_made(self, transport):
        self.transport = transport

    def datagram_received(self, data, addr):
        reply = self.agents.respond(self.address, data)
        if reply:
            self.transport.sendto(reply, addr)


async def serve(lab: LabDir) -> None:
    plan = lab.read_json(lab.plan_file("snmp"), None)
    if plan is None:
        raise SystemExit(f"no plan at {lab.plan_file('snmp')}")
    agents = Agents(lab, plan["devices"])
    loop = asyncio.get_running_loop()
    transports = []
    for dev in plan["devices"]:
        tr, _ = await loop.create_datagram_endpoint(lambda d=dev: _Protocol(agents, d["address"]),
                                                    local_addr=(dev["address"], 161))
        transports.append(tr)
    (lab.path / "snmp.ready").write_text(str(os.getpid()))
    log.info("serving %d SNMP agents", len(transports))
    stop = asyncio.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    for tr in transports:
        tr.close()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lab", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s snmp %(levelname)s %(message)s", stream=sys.stderr)
    asyncio.run(serve(LabDir(Path(args.lab))))


if __name__ == "__main__":
    main()
