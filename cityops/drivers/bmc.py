"""Server hardware through its management controller: fans, power supplies and temperatures, over Redfish or IPMI.

Two fact sets, chosen by the host's `bmc_protocol` rather than its platform (the same controller sits under Linux,
Windows, AIX or ESXi): `bmc_redfish` reads each chassis' Thermal and Power resources (getters `via="redfish"`:
the command names the resource and the collection in it, 'Thermal#Fans'); `bmc_ipmi` reads the SDR repository
once (`ipmitool sdr elist`, `via="ipmi"`) and picks each kind of sensor from it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from ..parsers import ParseError
from .base import FactSet, Getter, nonempty
from .models import Part, Temperature

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
    """Every row of `sdr elist` (name | id | status | entity | reading). A line of another shape is refused: ipmitool
    prints none, so it is a garbled answer, and skipping it would grade the sensors that did read."""
    out = []
    for ln in text.splitlines():
        if not ln.strip():
            continue
        parts = [p.strip() for p in ln.split("|")]
        if len(parts) != 5:
            raise ParseError(f"ipmitool sdr elist: unreadable row '{ln.strip()[:80]}'")
        name, _sid, status, _entity, reading = parts
        m = re.match(r"^(-?\d+(?:\.\d+)?) ", reading + " ")
        out.append(Sensor(name, status.lower(), reading, float(m.group(1)) if m else None))
    if not out:
        raise ParseError("ipmitool sdr elist: no sensor rows")
    return out


def of_kind(text: str, kind: str) -> list[Sensor]:
    """The SDR's sensors whose name holds `kind` ('Fan', 'PS', 'Temp') and that have a reading (`ns`: an empty slot,
    or a BMC too busy to scan); none at all is refused."""
    picked = [s for s in sdr_elist(text) if kind in s.name]
    readable = [s for s in picked if s.status != "ns"]
    if not readable:
        raise ParseError(f"IPMI: no readable '{kind}' sensor in the SDR"
                         + (f" ({len(picked)} without a reading)" if picked else ""))
    return readable


def ipmi_fans(text: str) -> list[Part]:
    return [Part(s.name, s.ok and (s.value is None or s.value > 0), s.reading + ("" if s.ok else f"（{s.status}）"))
            for s in of_kind(text, "Fan")]


def ipmi_power_supplies(text: str) -> list[Part]:
    return [Part(s.name, s.ok, s.reading) for s in of_kind(text, "PS")]


def ipmi_temperatures(text: str) -> list[Temperature]:
    out = []
    for s in of_kind(text, "Temp"):
        if s.value is None:
            raise ParseError(f"IPMI: {s.name} has no reading ({s.reading})")
        out.append(Temperature(s.name, s.value, s.ok))
    return out


def health(status: dict | None) -> str:
    """A Redfish resource's Status.Health; one with no Health (an absent part) reads OK, as Redfish means it."""
    return str((status or {}).get("Health") or "OK")


def members(docs, key: str) -> list[dict]:
    """The entries of `key` (Fans, PowerSupplies, Temperatures) in every chassis' resource; a document that is not
    such a resource, or no entry at all, is refused."""
    if not isinstance(docs, list) or not docs or not all(isinstance(d, dict) and key in d for d in docs):
        raise ParseError(f"Redfish: no {key} in the chassis' resource")
    out = [x for d in docs for x in (d[key] or []) if isinstance(x, dict)]
    return nonempty(out, "Redfish", f"no {key} listed", str(docs)[:80])


def redfish_fans(docs) -> list[Part]:
    return [Part(f.get("Name", "fan"), health(f.get("Status")) == "OK",
                 f"{f.get('Reading')} {f.get('ReadingUnits', 'RPM')}" + ("" if health(f.get("Status")) == "OK"
                                                                         else f"，{health(f.get('Status'))}"))
            for f in members(docs, "Fans")]


def redfish_power_supplies(docs) -> list[Part]:
    return [Part(p.get("Name", "PSU"), health(p.get("Status")) == "OK",
                 "正常" if health(p.get("Status")) == "OK" else health(p.get("Status")))
            for p in members(docs, "PowerSupplies")]


def redfish_temperatures(docs) -> list[Temperature]:
    out = []
    for t in members(docs, "Temperatures"):
        if (t.get("Status") or {}).get("State") == "Absent":
            continue
        if not isinstance(t.get("ReadingCelsius"), (int, float)):
            raise ParseError(f"Redfish: {t.get('Name', 'sensor')} has no ReadingCelsius")
        out.append(Temperature(t.get("Name", "Temperature"), float(t["ReadingCelsius"]), health(t.get("Status")) == "OK"))
    return nonempty(out, "Redfish", "no temperature reading", str(docs)[:80])


class RedfishBmc(FactSet):
    platform = "bmc_redfish"
    kind = "bmc"
    getters: ClassVar[dict[str, Getter]] = {
        "fans": Getter("Thermal#Fans", redfish_fans, via="redfish"),
        "power_supplies": Getter("Power#PowerSupplies", redfish_power_supplies, via="redfish"),
        "temperatures": Getter("Thermal#Temperatures", redfish_temperatures, via="redfish"),
    }


class IpmiBmc(FactSet):
    platform = "bmc_ipmi"
    kind = "bmc"
    getters: ClassVar[dict[str, Getter]] = {
        "fans": Getter("sdr elist", ipmi_fans, via="ipmi"),
        "power_supplies": Getter("sdr elist", ipmi_power_supplies, via="ipmi"),
        "temperatures": Getter("sdr elist", ipmi_temperatures, via="ipmi"),
    }
