"""ipmitool output: `sdr elist` rows (name | id | status | entity | reading)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import ParseError

# ipmitool's status column: ok, ns (no reading), nc (non-critical), cr (critical), nr (non-recoverable), lnc/unc ...
BAD = {"cr", "nr", "lcr", "ucr", "lnr", "unr"}
WARN = {"nc", "lnc", "unc"}


@dataclass(frozen=True)
class Sensor:
    name: str
    status: str
    reading: str
    value: float | None

    @property
    def ok(self) -> bool:
        """Within limits: status ok and, for discrete sensors, no failure asserted in the reading."""
        if self.status in BAD or self.status in WARN:
            return False
        return not re.search(r"fail|fault|lost|critical|predictive", self.reading, re.I)


def sdr_elist(text: str) -> list[Sensor]:
    out = []
    for ln in text.splitlines():
        parts = [p.strip() for p in ln.split("|")]
        if len(parts) != 5:
            continue
        name, _sid, status, _entity, reading = parts
        m = re.match(r"^(-?\d+(?:\.\d+)?) ", reading + " ")
        out.append(Sensor(name, status.lower(), reading, float(m.group(1)) if m else None))
    if not out:
        raise ParseError("ipmitool sdr elist: no sensor rows")
    return out
