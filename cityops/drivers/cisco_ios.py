"""Cisco IOS and IOS XE: the Catalyst switches and ISR routers (classic IOS 12.2/15.x, IOS XE 16.x).

ntc-templates reads `show processes cpu` and `show interfaces`; IOS XE's per-core CPU lines and the
layouts of `show environment all` (ISR/ASR sensor list, Catalyst stacks, IE) are read here (tests/captures/cisco_ios).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import ClassVar

from ..parsers import textfsm
from .base import IOS_SECTIONS, ChangeMethod, Driver, Getter, config_reader, first_percent, nonempty, refuse
from .models import Facts, Module, Part, Temperature

PLATFORM = "cisco_ios"


def cpu(text: str) -> float:
    """'CPU utilization for five seconds: 5%/0%'; IOS XE on multi-core platforms prints a line per core, which the
    template does not know: every core is read and the busiest counts."""
    if not re.search(r"^Core \d+: CPU utilization", text, re.M):
        rows = textfsm("cisco_ios", "show processes cpu", text)
        if rows and rows[0].get("cpu_usage_5_sec"):
            return float(rows[0]["cpu_usage_5_sec"])
    return first_percent(PLATFORM, "CPU usage", [r"CPU utilization for five seconds:\s*(\d+)%"], text)


def memory(text: str) -> float:
    """`show memory statistics`: the 'Processor' row's Total and Used bytes."""
    m = re.search(r"^\s*Processor\s+\S+\s+(\d+)\s+(\d+)\s+\d+", text, re.M)
    if m and int(m.group(1)):
        return round(100.0 * int(m.group(2)) / int(m.group(1)), 1)
    raise refuse(PLATFORM, "no memory usage in the answer", text)


def interface_errors(text: str) -> dict[str, int]:
    """`show interfaces` through ntc-templates: input errors and CRC per interface, the larger of the two."""
    out: dict[str, int] = {}
    for row in textfsm("cisco_ios", "show interfaces", text):
        errors = [int(row[k]) for k in ("input_errors", "crc") if str(row.get(k, "")).isdigit()]
        if errors:
            out[row["interface"]] = max(errors)
    return nonempty(out, PLATFORM, "no interface counters in the answer", text)


def facts(text: str) -> Facts:
    """`show version` through ntc-templates (classic IOS and IOS XE): version, hostname, uptime, hardware, serial."""
    rows = textfsm("cisco_ios", "show version", text)
    if not rows or not rows[0].get("version"):
        raise refuse(PLATFORM, "no software version in the answer", text)
    r = rows[0]
    return Facts(hostname=r.get("hostname", ""), model=", ".join(r.get("hardware") or []),
                 os_version=r["version"], serial=", ".join(r.get("serial") or []), uptime=r.get("uptime", ""))


def inventory(text: str) -> list[Module]:
    """`show inventory` through ntc-templates: NAME, DESCR, PID, SN per part (chassis, supplies, modules, optics)."""
    rows = textfsm("cisco_ios", "show inventory", text)
    return nonempty([Module(r["name"], r["descr"], r["pid"].strip(), r["sn"]) for r in rows],
                    PLATFORM, "show inventory: no part listed", text)


# --- `show environment all` -------------------------------------------------------------------------------------
# IOS XE prints one of several layouts, by platform (tests/captures/cisco_ios):
#  - ISR 4000 / ASR 1000 / Catalyst 9400: alarm counts, then a 'Sensor List' table of every sensor (voltage, current,
#    temperature, fan controller), one row per slot and sensor, the device's own state in a column;
#  - Catalyst 3850 / 9200 / 9300 stacks: 'Switch 1 FAN 1 is OK' lines or a 'Switch FAN Speed State' table, the
#    temperature as 'Inlet Temperature Value: 31 Degree Celsius' + 'Temperature State: GREEN', a power-supply table
#    per member ('1A  PWR-C2-1600WAC-I  ...  OK'), and on the 9300 a sensor list per member;
#  - IE 3x00 (fanless): external alarm contacts and a 'Pwr Supply  Type  Status' table.
# Each getter reads every layout it finds; an answer holding none of them is refused.

SENSOR_HEADER = re.compile(r"^\s*(?:(?P<slot>Slot)\s+Sensor\s+Current State|Sensor\s+Location\s+State)\s+Reading")
READING = re.compile(r"\s{2,}(?:-\s+)?(?P<value>-?\d+(?:\.\d+)?) ?(?P<unit>Celsius|mV|mA|mW|V AC|V DC|V|A|Watts|W|rpm|RPM)\b")
OK_STATES = re.compile(r"^(?:normal|good|green|ok|fan speed \d+%)$", re.I)
ABSENT = re.compile(r"^not present$", re.I)


@dataclass(frozen=True)
class Sensor:
    location: str
    name: str
    state: str
    value: float
    unit: str

    @property
    def label(self) -> str:
        return f"{self.location} {self.name}"


def sensors(text: str) -> list[Sensor]:
    """Every row of every 'Sensor List' table (a stack prints one per member). A table ends at its first blank line
    or at a line that is not a sensor row."""
    out: list[Sensor] = []
    slot_first = None
    for ln in text.splitlines():
        head = SENSOR_HEADER.match(ln)
        if head:
            slot_first = bool(head.group("slot"))
            continue
        if slot_first is None or (set(ln.strip()) <= {"-", " "} and ln.strip()):
            continue
        m = READING.search(ln)
        if not ln.strip() or not m:
            slot_first = None
            continue
        chunks = re.split(r"\s{2,}", ln[:m.start()].strip())
        if len(chunks) < 3:
            slot_first = None
            continue
        if slot_first:
            location, name = chunks[0], " ".join(chunks[1:-1])
        else:
            location, name = chunks[-2], " ".join(chunks[:-2])
        out.append(Sensor(location, re.sub(r"\s+", " ", name), chunks[-1], float(m.group("value")), m.group("unit")))
    return out


def state_ok(state: str) -> bool:
    return bool(OK_STATES.match(state.strip()))


def env_temperatures(text: str) -> list[Temperature]:
    """Sensor-list rows in Celsius, and the Catalyst blocks: a 'Temperature Value' (or IE 'Temp Sensor 45 C') line
    followed by its 'Temperature State'."""
    out = [Temperature(s.label, s.value, state_ok(s.state)) for s in sensors(text)
           if s.unit == "Celsius" and not ABSENT.match(s.state)]
    lines = text.splitlines()
    switch = ""
    for i, ln in enumerate(lines):
        sw = re.match(r"^\s*Switch (\d+):? ", ln)
        if sw:
            switch = f"Switch {sw.group(1)} "
        m = (re.match(r"^\s*(.+?) Temperature Value:\s*(-?\d+) Degree Celsius", ln)
             or re.match(r"^\s*(?:Switch \d+ - )?(.+? Temp Sensor)\s+(-?\d+) C\s*$", ln))
        if not m:
            continue
        state = next((re.sub(r".*:\s*", "", nxt).strip() for nxt in lines[i + 1:i + 3]
                      if nxt.strip().startswith("Temperature State")), "")
        if not state:
            raise refuse(PLATFORM, "a temperature without its 'Temperature State'", ln)
        out.append(Temperature(f"{switch}{m.group(1).strip()}", float(m.group(2)), state_ok(state)))
    return nonempty(out, PLATFORM, "no temperature reading", text)


def env_fans(text: str) -> list[Part]:
    """Fans as each layout names them: sensor rows in rpm, a fan controller's 'Fan Speed 65%' state, 'Switch 1 FAN 2
    is OK' / 'FAN PS-1 is OK' lines, the 'Switch FAN Speed State' table and a chassis 'Fantray : good'. A power
    supply's fan reported NOT PRESENT belongs to a supply that is not installed and is left out."""
    out = []
    for s in sensors(text):
        if s.unit.lower() == "rpm" and not ABSENT.match(s.state):
            out.append(Part(s.label, state_ok(s.state), s.state))
        elif s.state.lower().startswith("fan speed"):
            out.append(Part(s.label, True, s.state))
    table = False
    for ln in text.splitlines():
        if re.match(r"^\s*Switch\s+FAN\s+Speed\s+State", ln):
            table = True
            continue
        m = re.match(r"^\s*(Switch \d+ FAN \d+|FAN PS-\d+) is (.+?)\s*$", ln)
        if m and "direction" not in ln:
            if not ABSENT.match(m.group(2)):
                out.append(Part(m.group(1), state_ok(m.group(2)), m.group(2)))
            continue
        row = re.match(r"^\s*(\d+)\s+(\d+)\s+(\d+)\s+(\S.*?)(?:\t.*)?\s*$", ln) if table else None
        if row:
            state = re.split(r"\s{2,}|\t", row.group(4))[0].strip()
            out.append(Part(f"Switch {row.group(1)} FAN {row.group(2)}", state_ok(state), state))
            continue
        if table and ln.strip() and not set(ln.strip()) <= {"-", " "}:
            table = False
        tray = re.match(r"^\s*Fantray\s*:\s*(\S+)\s*$", ln)
        if tray:
            out.append(Part("Fantray", state_ok(tray.group(1)), tray.group(1)))
    return nonempty(out, PLATFORM, "no fan listed", text)


PSU_SENSOR = re.compile(r"PEM|^V\d*: ?PEM|^[VIP]: |^(?:Vin|Vout|Iin|Iout)$|pwr", re.I)


def env_power_supplies(text: str) -> list[Part]:
    """The supply tables (Catalyst 'SW PID Serial# Status', Catalyst 9400 'Supply Model No Type Capacity Status', IE
    'Pwr Supply Type Status'); on ISR and ASR, which print no such table, each P<n> slot whose sensors are the
    supply's own (PEM, Vin, Iout ...) is one supply, healthy when every one of them is."""
    out = []
    table = None
    for ln in text.splitlines():
        if re.match(r"^\s*SW\s+PID\s+Serial#\s+Status", ln):
            table = "stack"
            continue
        if re.match(r"^\s*Supply\s+Model No\s+Type\s+Capacity\s+Status", ln):
            table = "chassis"
            continue
        if re.match(r"^\s*Pwr Supply\s+Type\s+Status", ln):
            table = "ie"
            continue
        if table is None or not ln.strip() or set(ln.strip()) <= {"-", " "}:
            continue
        if table == "stack":
            m = re.match(r"^\s*(\d+[A-Z])\s+(.*?)\s*$", ln)
            if not m:
                table = None
                continue
            if m.group(2).lower() == "not present":
                continue
            cols = re.split(r"\s{2,}", m.group(2))
            if len(cols) < 3:
                raise refuse(PLATFORM, "power supply row without a status", ln)
            out.append(Part(m.group(1), state_ok(cols[2]), cols[2]))
        elif table == "chassis":
            m = re.match(r"^\s*(PS\d+)\s+(\S+)\s+(\S+)\s+(n\.a\.|\d+ W)\s+(\S+)", ln)
            if not m:
                table = None
                continue
            out.append(Part(m.group(1), m.group(5).lower() in ("active", "standby"), m.group(5)))
        else:
            m = re.match(r"^\s*(.+?)\s{2,}(\S+)\s+(\S+)\s*$", ln)
            if not m:
                table = None
                continue
            out.append(Part(m.group(1), state_ok(m.group(3)), m.group(3)))
    if not out:
        slots: dict[str, list[Sensor]] = {}
        for s in sensors(text):
            if re.match(r"^P\d+$", s.location) and PSU_SENSOR.search(s.name):
                slots.setdefault(s.location, []).append(s)
        for slot, rows in slots.items():
            bad = [f"{r.name} {r.state}" for r in rows if not state_ok(r.state)]
            out.append(Part(slot, not bad, "; ".join(bad) or "Normal"))
    return nonempty(out, PLATFORM, "no power supply listed", text)


def env_alarms(text: str) -> list[str]:
    """The alarm counts ('Number of Critical alarms: 0', ISR/ASR/Catalyst 9400), an asserted external alarm contact
    (IE), and every sensor whose own state is not normal. Catalyst 3850/9300 print no alarm section: their answer
    is accepted when it holds a layout the other getters read, and its alarms are the sensors out of state."""
    counts = re.findall(r"Number of (Critical|Major|Minor) alarms:\s*(\d+)", text)
    out = [f"{kind} alarms: {n}" for kind, n in counts if int(n) and kind != "Minor"]
    out += [f"alarm contact {m.group(1)} asserted" for m in
            re.finditer(r"ALARM CONTACT (\d+)\s*\n\s*Status:\s*asserted", text)]
    listed = sensors(text)
    out += [f"{s.label}: {s.state}" for s in listed if not state_ok(s.state) and not ABSENT.match(s.state)]
    recognised = counts or "ALARM CONTACT" in text or listed or re.search(
        r"SYSTEM TEMPERATURE is|^\s*Switch \d+ FAN \d+ is", text, re.M)
    if not recognised:
        raise refuse(PLATFORM, "no alarm counts, alarm contacts or sensor list in the answer", text)
    return out


# Oxidized's ios model drops the change and NVRAM comments as insignificant, RANCID the byte count and the NTP
# clock period (rewritten by the NTP daemon itself); the startup listing's 'Using N out of M bytes' is its size.
config = config_reader(PLATFORM, r"^end$", (
    r"^Building configuration", r"^Current configuration\s*:", r"^! (?:Last|No) configuration change (?:at|since)",
    r"^! NVRAM config last updated at", r"^ntp clock-period", r"^Using \d+ out of \d+ bytes"))


class CiscoIos(Driver):
    platform = PLATFORM
    kind = "network"
    netmiko = "cisco_ios"
    # napalm's ios driver: the merge file over SCP, `show archive config incremental-diffs`, `copy … running-config`,
    # `configure replace` of its own rollback file
    change = ChangeMethod(enter="configure terminal", leave="end", up="exit", negate="no ", napalm="ios",
                          sections=IOS_SECTIONS)
    sync = ("show clock", r"\d{2}:\d{2}:\d{2}\.\d{3}")
    getters: ClassVar[dict[str, Getter]] = {
        "facts": Getter("show version", facts),
        "cpu": Getter("show processes cpu", cpu),
        "memory": Getter("show memory statistics", memory),
        "fans": Getter("show environment all", env_fans),
        "power_supplies": Getter("show environment all", env_power_supplies),
        "temperatures": Getter("show environment all", env_temperatures),
        "alarms": Getter("show environment all", env_alarms),
        "interface_errors": Getter("show interfaces", interface_errors),
        "inventory": Getter("show inventory", inventory),
        "running_config": Getter("show running-config", config),
        "startup_config": Getter("show startup-config", config),
    }
