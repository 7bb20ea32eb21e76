"""SNMP v2c GET over one UDP socket per host, with pysnmp's message layer (no engine, no event loop per call).

pysnmp's high-level API builds an SnmpEngine and an asyncio loop per request,
which costs more than the query when 1,700 UPS, air-conditioning and printer
agents are polled; the protocol API (pysnmp.proto.api) encodes and decodes the
same messages over a plain socket that the host's deadline and the target guard
govern like any other session. A wrong community gets no answer at all (as from a
real agent): that is a timeout whose message says so.
"""

from __future__ import annotations

import random
import socket
import time

from pyasn1.codec.ber import decoder, encoder
from pysnmp.proto import api

from ..timeutil import now
from .base import Answer, Session
from .errors import ConnectFailure

V2C = api.PROTOCOL_MODULES[api.SNMP_VERSION_2C]


NUMBERS = ("Integer", "Integer32", "Counter32", "Gauge32", "TimeTicks", "Counter64", "Unsigned32")


def decode(tag: str, value):
    """A varbind value as Python: None when absent, int for numbers, text for strings (UTF-8, else GBK as on
    domestic devices), the dotted form for OIDs."""
    if tag in ("NoSuchObject", "NoSuchInstance", "EndOfMibView"):
        return None
    if tag in NUMBERS:
        return int(value)
    if tag == "OctetString":
        raw = bytes(value)
        for codec in ("utf-8", "gbk"):
            try:
                return raw.decode(codec)
            except UnicodeDecodeError:
                continue
        return raw.hex()
    return str(value.prettyPrint())


class SnmpSession(Session):
    protocol = "snmp"
    retries = 1

    def connect(self) -> None:
        self.sock = socket.socket(socket.AF_INET6 if ":" in self.address else socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.connect((self.address, int(self.host.get("snmp_port") or 161)))

    def get(self, *oids: str, timeout: float = 2.0) -> dict[str, object]:
        """{oid: value} for the OIDs; a missing one is None (noSuchObject / noSuchInstance)."""
        if self.fatal is not None:
            raise self.fatal
        if not self._open:
            self.connect()
            self._open = True
        community = self.credential.password
        pdu = V2C.GetRequestPDU()
        V2C.apiPDU.set_defaults(pdu)
        request_id = random.randint(1, 2**31 - 1)  # nosec B311  # SNMP request id, not a secret
        V2C.apiPDU.set_request_id(pdu, request_id)
        V2C.apiPDU.set_varbinds(pdu, [(oid, V2C.Null("")) for oid in oids])
        msg = V2C.Message()
        V2C.apiMessage.set_defaults(msg)
        V2C.apiMessage.set_community(msg, community)
        V2C.apiMessage.set_pdu(msg, pdu)
        data = encoder.encode(msg)
        command = "GET " + " ".join(oids)
        t0 = time.monotonic()
        for _attempt in range(self.retries + 1):
            wait = self.time_left(timeout)
            self.sock.settimeout(wait)
            try:
                self.sock.send(data)
                while True:
                    raw = self.sock.recv(65535)
                    reply, _ = decoder.decode(raw, asn1Spec=V2C.Message())
                    rpdu = V2C.apiMessage.get_pdu(reply)
                    if V2C.apiPDU.get_request_id(rpdu) == request_id:
                        break
            except TimeoutError:
                continue
            except ConnectionRefusedError:  # ICMP port unreachable: nothing listens on 161
                failure = ConnectFailure(self.name, "refused", f"{self.address}:161/udp")
                self.audit(command, failure.cause, time.monotonic() - t0)
                raise self.lose(failure) from None
            except Exception as exc:
                failure = ConnectFailure(self.name, "garbage", f"{type(exc).__name__}: {exc}"[:200])
                self.audit(command, failure.cause, time.monotonic() - t0)
                raise failure from None
            status = int(V2C.apiPDU.get_error_status(rpdu))
            self.audit(command, status, time.monotonic() - t0)
            values = {}
            for oid, value in V2C.apiPDU.get_varbinds(rpdu):
                tag = value.__class__.__name__
                values[str(oid)] = decode(tag, value)
            answer = Answer(command, status, "\n".join(f"{k} = {v}" for k, v in values.items()), "",
                            time.monotonic() - t0, now().isoformat(timespec="seconds"))
            self.keep(answer)
            return values
        failure = ConnectFailure(self.name, "timeout", f"{self.address}:161/udp 无应答（设备离线或团体名错误）")
        self.audit(command, failure.cause, time.monotonic() - t0)
        raise self.lose(self.keep_failure(command, failure, time.monotonic() - t0))

    def close(self) -> None:
        if self._open:
            self.sock.close()
        super().close()
