"""Brocade Fabric OS: the estate's FC switches (EMC DS-300B, IBM SAN24B) over their restricted shell.

`porterrshow` counters per port, `fanshow`, `psshow` and `tempshow` lines; FOS answers an unknown command
through rbash ('rbash: x: command not found').
"""

from __future__ import annotations

import re
from typing import ClassVar

from ..parsers import ParseError
from .base import Driver, Getter, config_reader, nonempty, refuse
from .models import Part, Temperature

PLATFORM = "brocade_fos"
# porterrshow columns after the two frame counters: enc_in crc_err crc_g_eof too_shrt too_long bad_eof enc_out
# disc_c3 link_fail loss_sync loss_sig frjt fbsy. Errors are all but discards and busy/reject (flow control).
ERROR_COLUMNS = (0, 1, 2, 3, 4, 5, 6, 8, 9, 10)


def _count(text: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([kmg]?)", text.lower())
    if not m:
        raise ParseError(f"porterrshow: '{text}' is not a counter")
    return int(float(m.group(1)) * {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[m.group(2)])


def interface_errors(text: str) -> dict[str, int]:
    """`porterrshow`: {'port N': the sum of its error counters} (FOS abbreviates large counts: '1.2k', '3.4m')."""
    out = {}
    for ln in text.splitlines():
        m = re.match(r"^\s*(\d+):\s+(.*)$", ln)
        if m:
            cells = m.group(2).split()
            if len(cells) < 13:
                raise refuse(PLATFORM, "porterrshow: short row", ln)
            counters = [_count(c) for c in cells[2:]]
            out[f"port {m.group(1)}"] = sum(counters[i] for i in ERROR_COLUMNS if i < len(counters))
    return nonempty(out, PLATFORM, "porterrshow: no port rows", text)


def fans(text: str) -> list[Part]:
    out = [Part(f"Fan {m.group(1)}", m.group(2).lower() == "ok", f"{m.group(2)}, {m.group(3)} RPM")
           for m in re.finditer(r"^Fan (\d+) is (\S+), speed is (\d+) RPM", text, re.M)]
    return nonempty(out, PLATFORM, "fanshow: no fan lines", text)


def power_supplies(text: str) -> list[Part]:
    out = [Part(f"Power Supply #{m.group(1)}", m.group(2).upper() == "OK", m.group(2))
           for m in re.finditer(r"^Power Supply #(\d+) is (\S+)", text, re.M)]
    return nonempty(out, PLATFORM, "psshow: no power supply lines", text)


def temperatures(text: str) -> list[Temperature]:
    """`tempshow`: 'ID State Centigrade Fahrenheit' rows; FOS grades no limit itself, so `ok` is its State."""
    out = [Temperature(f"Sensor {m.group(1)}", float(m.group(3)), m.group(2).lower() == "ok")
           for m in re.finditer(r"^\s*(\d+)\s+(\S+)\s+(\d+)\s+\d+\s*$", text, re.M)]
    return nonempty(out, PLATFORM, "tempshow: no sensor rows", text)


# `configShow -all` (Oxidized's fabricos model sends it and drops the `date =` line, which moves with every look):
# the configupload format, always headed '[Configuration upload Information]'. FOS prints no end marker, so a listing
# is complete by its header, the prompt after it and its size against the last good copy (the backup's checks). No
# real capture is public yet (tests/captures/PENDING.yml): the header and the noise rule follow Oxidized and the
# configupload files engineers quote.
config = config_reader(PLATFORM, None, (r"^date = ",), start=r"^\[Configuration upload Information\]")


class BrocadeFos(Driver):
    platform = PLATFORM
    kind = "fc_switch"
    netmiko = "brocade_fos"
    sync = ("version", r"Fabric OS:")
    error_markers = (": command not found",)
    getters: ClassVar[dict[str, Getter]] = {
        "interface_errors": Getter("porterrshow", interface_errors),
        "fans": Getter("fanshow", fans),
        "power_supplies": Getter("psshow", power_supplies),
        "temperatures": Getter("tempshow", temperatures),
        "running_config": Getter("configshow -all", config),
    }
