"""Brocade Fabric OS (EMC DS-300B, IBM SAN24B): porterrshow, fanshow, psshow, tempshow."""

from __future__ import annotations

import re

from . import ParseError

# porterrshow columns after the two frame counters: enc_in crc_err crc_g_eof too_shrt too_long bad_eof enc_out
# disc_c3 link_fail loss_sync loss_sig frjt fbsy. Errors are all but discards and busy/reject (flow control).
ERROR_COLUMNS = (0, 1, 2, 3, 4, 5, 6, 8, 9, 10)


def _count(text: str) -> int:
    m = re.fullmatch(r"(\d+(?:\.\d+)?)([kmg]?)", text.lower())
    if not m:
        raise ParseError(f"porterrshow: '{text}' is not a counter")
    return int(float(m.group(1)) * {"": 1, "k": 1e3, "m": 1e6, "g": 1e9}[m.group(2)])


def port_errors(text: str) -> dict[str, int]:
    """{port: sum of its error counters}."""
    out = {}
    for ln in text.splitlines():
        m = re.match(r"^\s*(\d+):\s+(.*)$", ln)
        if m:
            cells = m.group(2).split()
            if len(cells) < 13:
                raise ParseError(f"porterrshow: short row '{ln.strip()[:60]}'")
            counters = [_count(c) for c in cells[2:]]
            out[f"port {m.group(1)}"] = sum(counters[i] for i in ERROR_COLUMNS if i < len(counters))
    if not out:
        raise ParseError("porterrshow: no port rows")
    return out


def fans(text: str) -> list[tuple[str, bool, str]]:
    out = [(f"Fan {m.group(1)}", m.group(2).lower() == "ok", f"{m.group(2)}, {m.group(3)} RPM")
           for m in re.finditer(r"^Fan (\d+) is (\S+), speed is (\d+) RPM", text, re.M)]
    if not out:
        raise ParseError("fanshow: no fan lines")
    return out


def power_supplies(text: str) -> list[tuple[str, bool, str]]:
    out = [(f"Power Supply #{m.group(1)}", m.group(2).upper() == "OK", m.group(2))
           for m in re.finditer(r"^Power Supply #(\d+) is (\S+)", text, re.M)]
    if not out:
        raise ParseError("psshow: no power supply lines")
    return out


def temperatures(text: str) -> list[tuple[str, float, str]]:
    out = [(f"Sensor {m.group(1)}", float(m.group(3)), m.group(2))
           for m in re.finditer(r"^\s*(\d+)\s+(\S+)\s+(\d+)\s+\d+\s*$", text, re.M)]
    if not out:
        raise ParseError("tempshow: no sensor rows")
    return out
