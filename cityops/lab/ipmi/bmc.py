"""IPMI 2.0 BMCs over RMCP+ (lanplus): device id, chassis status, the SDR repository and sensor readings.

Session handling (RAKP, integrity, confidentiality) is pyghmi's BMC server, the
one virtualbmc runs on; this module adds what inspections read: an SDR
repository of Full Sensor Records (IPMI 2.0 section 43.1) for inlet temperature,
fans and power supplies, and Get Sensor Reading answers that follow the host's
fan_failed, power_failed and temperature_high faults. All BMCs of the plan share
one process and one event loop.

Run by `invoke lab.up`:  python -m cityops.lab.ipmi.bmc --lab DIR
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import struct
import sys
from pathlib import Path

from pyghmi.ipmi import bmc as pyghmi_bmc  # nosec B415  # the lab models IPMI BMCs the estate has
from pyghmi.ipmi.private import serversession  # nosec B415  # the lab models IPMI BMCs
from pyghmi.ipmi.private import session as ipmisession  # nosec B415  # the lab models IPMI BMCs

from ..faults import FaultView
from ..statedir import LabDir

log = logging.getLogger("cityops.lab.ipmi")
_open_session = serversession.ServerSession.create_open_session_response


def _cipher_suite_3_only(self, request):
    """IMM and iDRAC6 speak cipher suite 3 (HMAC-SHA1) only: a SHA-256 proposal gets status 0x11
    (invalid authentication algorithm), and clients fall back, as they do against the real firmware."""
    if len(request) > 12 and request[12] == 3:
        return bytearray([request[0], 0x11, 0, 0]) + bytearray(request[4:8])
    return _open_session(self, request)


serversession.ServerSession.create_open_session_response = _cipher_suite_3_only

# (number, name, sensor type, entity id, unit code, reading type, upper critical, upper non-critical)
SENSORS = [
    (0x01, "Inlet Temp", 0x01, 0x37, 0x01, 0x01, 42, 38),
    (0x02, "CPU1 Temp", 0x01, 0x03, 0x01, 0x01, 90, 85),
    *[(0x10 + i, f"Fan {i + 1} Tach", 0x04, 0x1D, 0x12, 0x01, 0, 0) for i in range(4)],  # RPM /100 (M = 100)
    (0x20, "PS1 Status", 0x08, 0x0A, 0x00, 0x6F, 0, 0),
    (0x21, "PS2 Status", 0x08, 0x0A, 0x00, 0x6F, 0, 0),
]


def full_sensor_record(record_id: int, number: int, name: str, stype: int, entity: int, unit: int, rtype: int,
                       ucrit: int, unc: int) -> bytes:
    """One SDR Full Sensor Record (type 0x01)."""
    threshold = rtype == 0x01
    m = 100 if stype == 0x04 else 1  # fans read in units of 100 RPM
    body = bytes([
        0x20, 0x00, number,  # owner id, owner lun, sensor number
        entity, 0x01, 0x7F, 0x68 if threshold else 0x40, stype, rtype,
        0x00, 0x00, 0x00, 0x00,  # assertion / deassertion masks
        0x3F if threshold else 0x03, 0x3F if threshold else 0x00,  # readable masks
        0x00, unit, 0x00, 0x00,  # units 1, base unit, modifier, linearization
        m & 0xFF, (m >> 8) & 0x03, 0x00, 0x00, 0x00, 0x00,  # bytes 25-30: M, tolerance, B, accuracy, R/B exponents
        0x00, 0x00,  # 31-32: analog characteristic flags, nominal reading
        0x00, 0x00, 0xFF, 0x00,  # normal max/min, sensor max/min
        0x00, ucrit, unc, 0x00, 0x00, 0x00,  # thresholds: unr, uc, unc, lnr, lc, lnc
        0x00, 0x00, 0x00, 0x00, 0x00,  # hysteresis, reserved, OEM
    ]) + bytes([0xC0 | len(name)]) + name.encode()
    header = struct.pack("<HBBB", record_id, 0x51, 0x01, len(body))
    return header + body


class LabBmc(pyghmi_bmc.Bmc):
    def __init__(self, entry: dict, faults: FaultView):
        super().__init__({entry["username"]: entry["password"]}, port=623, address=entry["address"])
        self.entry, self.faults = entry, faults
        self.seed = int(hashlib.sha256(entry["name"].encode()).hexdigest()[:8], 16)
        self.deviceid, self.revision, self.firmwaremajor, self.firmwareminor = 0x20, 0x01, 2, 0x45
        self.mfgid = 674 if entry["vendor"] == "Dell" else 2  # Dell, IBM (IANA enterprise numbers)
        self.additionaldevices = 0x03  # sensor device, SDR repository device
        self.records = [full_sensor_record(i, *s) for i, s in enumerate(SENSORS)]

    # power and chassis
    def get_power_state(self):
        return "on"

    def power_off(self):
        return 0xD5  # not supported in this lab: inspections only read

    power_on = power_cycle = power_reset = power_shutdown = power_off

    # what pyghmi does not implement
    def handle_raw_request(self, request, session):
        netfn, cmd, data = request["netfn"], request["command"], bytes(request.get("data", b""))
        if netfn == 0x0A and cmd == 0x20:  # Get SDR Repository Info
            n = len(self.records)
            return session.send_ipmi_response(data=[0x51, n & 0xFF, n >> 8, 0x00, 0x10] + [0] * 8 + [0x02])
        if netfn == 0x0A and cmd == 0x22:  # Reserve SDR Repository
            return session.send_ipmi_response(data=[0x01, 0x00])
        if netfn == 0x0A and cmd == 0x23:  # Get SDR
            record_id = data[2] | data[3] << 8
            offset, count = data[4], data[5]
            if record_id == 0xFFFF:
                record_id = len(self.records) - 1
            if record_id >= len(self.records):
                return session.send_ipmi_response(code=0xCB)  # requested record not present
            last = len(self.records)
            partial = self.faults.of(self.entry["host"]).get("sdr_partial")
            if partial is not None and partial.get("mode") == "error":
                if record_id >= int(partial.get("records", 3)):
                    return session.send_ipmi_response(code=0xC3)  # timeout while processing the command
            elif partial is not None and partial.get("mode") == "truncate":
                last = min(last, int(partial.get("records", 3)))  # the walk's next-record pointer ends early
            nxt = record_id + 1 if record_id + 1 < last else 0xFFFF
            chunk = self.records[record_id][offset:offset + count]
            return session.send_ipmi_response(data=[nxt & 0xFF, nxt >> 8, *chunk])
        if netfn == 0x04 and cmd == 0x2D:  # Get Sensor Reading
            return session.send_ipmi_response(data=self.reading(data[0]))
        if netfn == 0x0A and cmd == 0x40:  # Get SEL Info: an empty event log
            return session.send_ipmi_response(data=[0x51, 0, 0, 0xFF, 0xFF] + [0] * 8 + [0x02])
        return super().handle_raw_request(request, session)

    def reading(self, number: int) -> list[int]:
        f = self.faults.of(self.entry["host"])
        partial = f.get("sdr_partial")
        if partial is not None and partial.get("mode") == "unreadable":
            index = next((i for i, s in enumerate(SENSORS) if s[0] == number), 0)
            if index >= int(partial.get("records", 3)):
                return [0x00, 0xE0, 0x00]  # reading unavailable, as a BMC too busy to scan the sensor
        if number == 0x01:
            t = int(f["temperature_high"].get("celsius", 48)) if "temperature_high" in f else 21 + self.seed % 6
            status = 0x10 if t >= 42 else (0x08 if t >= 38 else 0x00)  # upper critical / non-critical
            return [t, 0xC0, status]
        if number == 0x02:
            return [46 + self.seed % 8, 0xC0, 0x00]
        if 0x10 <= number <= 0x13:
            bad = int(f["fan_failed"].get("fan", 1)) if "fan_failed" in f else None
            ok = number - 0x0F != bad
            return [54 + (self.seed >> number) % 9 if ok else 0, 0xC0, 0x00 if ok else 0x01]
        if number in (0x20, 0x21):
            bad = int(f["power_failed"].get("psu", 2)) if "power_failed" in f else None
            failed = number - 0x1F == bad
            return [0x00, 0xC0, 0x03 if failed else 0x01, 0x00]  # presence detected (+ failure detected)
        return [0x00, 0xE0, 0x00]  # reading unavailable


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lab", required=True)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s ipmi %(levelname)s %(message)s", stream=sys.stderr)
    lab = LabDir(Path(args.lab))
    plan = lab.read_json(lab.plan_file("ipmi"), None)
    if plan is None:
        raise SystemExit(f"no plan at {lab.plan_file('ipmi')}")
    faults = FaultView(lab)
    # pyghmi's IO worker wakes itself by sending from its first socket to ::1; make that first socket its own
    # dual-stack one, not an IPv4 BMC socket (from which that send fails and the worker never reads).
    ipmisession.Session._assignsocket()
    bmcs = [LabBmc(e, faults) for e in plan["endpoints"]]
    (lab.path / "ipmi.ready").write_text(str(os.getpid()))
    log.info("serving %d IPMI BMCs", len(bmcs))
    # A packet for a session still negotiating (a client's retransmit) meets a ServerSession without keys; pyghmi
    # means to drop it ("in no shape to process a packet") but the attribute is missing: give it its default.
    serversession.ServerSession.k1 = None
    while True:  # one bad packet must not take 40 BMCs down with it
        try:
            pyghmi_bmc.Bmc.listen(timeout=1)  # serves every BMC's socket; SIGTERM ends the process
        except Exception:
            log.exception("packet handling failed; serving on")


if __name__ == "__main__":
    main()
