"""A network device's state: what it reports, derived from its inventory entry and its faults.

Everything a platform renders (version, CPU, memory, fans, power, temperature,
interfaces and their error counters, alarms, log buffer, configuration) comes
from here, so the same fault shows on VRP, Comware, IOS and NX-OS alike.
"""

from __future__ import annotations

import hashlib
import random
import time
from dataclasses import dataclass, field

from ...timeutil import BEIJING


@dataclass
class Port:
    name: str
    up: bool
    description: str
    base_in: int
    base_out: int
    crc: int = 0
    fc_errors: int = 0


@dataclass
class Device:
    """Static facts of one lab device (from the plan) plus its seeded baseline."""

    name: str
    address: str
    platform: str
    vendor: str
    model: str
    device_class: str
    display_name: str
    username: str
    password: str
    era: str = "mid"
    encoding: str = "utf-8"
    latency: float = 0.0
    max_sessions: int = 5
    stack_members: int = 1  # iStack/IRF members shown as slots 0..n-1 of one device
    started: float = field(default_factory=time.time)

    def __post_init__(self):
        seed = int(hashlib.sha256(self.name.encode()).hexdigest()[:12], 16)
        rng = random.Random(seed)  # nosec B311  # seeded lab readings, not security
        self.rng_seed = seed
        self.cpu_base = rng.randint(4, 28)
        self.mem_base = rng.randint(18, 55)
        self.temp_base = rng.randint(31, 44)
        self.uptime_days = rng.randint(12, 420)
        self.serial = f"{rng.randint(10**11, 10**12 - 1):012d}"
        self.mac = "".join(f"{rng.randint(0, 255):02x}" for _ in range(3))
        self.ports = self._ports(rng)
        self.fans = 2 if self.device_class in ("floor_switch", "access_switch", "wireless_router") else 4
        self.psus = 2

    def _ports(self, rng: random.Random) -> list[Port]:
        count = 24 if "24" in self.model or "28" in self.model else 48
        if self.device_class in ("router", "firewall", "vpn_gateway", "gatekeeper", "wireless_router"):
            count = 8
        if self.device_class == "fc_switch":
            count = 24
        names = [self.port_name(i) for i in range(1, count + 1)]
        ports = []
        for i, name in enumerate(names, 1):
            up = i <= max(4, int(count * 0.7)) if self.device_class != "fc_switch" else i <= 16
            desc = f"to-{self.name}-uplink{i}" if i <= 2 else (f"接入端口{i}" if up else "")
            ports.append(Port(name, up, desc, rng.randint(10**6, 10**9) if up else 0,
                              rng.randint(10**6, 10**9) if up else 0))
        return ports

    def port_name(self, i: int) -> str:
        if self.device_class == "fc_switch":
            return f"fc1/{i}" if self.platform == "cisco_nxos" else str(i - 1)
        if self.platform == "cisco_ios":
            return f"GigabitEthernet0/0/{i - 1}"
        if self.platform == "hp_comware":
            return f"GigabitEthernet1/0/{i}"
        return f"GigabitEthernet0/0/{i}"


@dataclass
class Health:
    """The device's state as of now, with its active faults applied."""

    cpu: int
    cpu_max: int
    memory: int
    fans: list[tuple[int, bool, int]]  # (fan id, ok, speed %)
    psus: list[tuple[int, bool]]
    temperature: int
    temp_ok: bool
    ports: list[Port]
    alarms: list[tuple[str, str, str]]  # (severity, time, text)
    logs: list[str]
    uptime_s: int
    signature_age_days: int
    disk: int = 41  # % of the appliance's log/data disk in use
    model: str = ""  # what the device reports itself to be: its inventory model unless it was swapped
    serial: str = ""


def now_text(fmt: str = "%Y-%m-%d %H:%M:%S", hours_ago: float = 0) -> str:
    """Device clocks run on Beijing time."""
    import datetime as dt

    return (dt.datetime.now(tz=BEIJING) - dt.timedelta(hours=hours_ago)).strftime(fmt)


def health(dev: Device, faults: dict) -> Health:
    cpu = int(faults.get("cpu_high", {}).get("percent", dev.cpu_base))
    memory = int(faults.get("memory_high", {}).get("percent", dev.mem_base))
    fans = [(i, True, 40 + (dev.rng_seed >> i) % 20) for i in range(1, dev.fans + 1)]
    if "fan_failed" in faults:
        bad = int(faults["fan_failed"].get("fan", 1))
        fans = [(i, i != bad, 0 if i == bad else s) for i, ok, s in fans]
    psus = [(i, True) for i in range(1, dev.psus + 1)]
    if "power_failed" in faults:
        bad = int(faults["power_failed"].get("psu", 2))
        psus = [(i, i != bad) for i, _ok in psus]
    temperature = int(faults.get("temperature_high", {}).get("celsius", dev.temp_base))
    ports = [Port(p.name, p.up, p.description, p.base_in, p.base_out) for p in dev.ports]
    for kind, attr in (("crc_errors", "crc"), ("fc_port_errors", "fc_errors")):
        if kind in faults:
            f = faults[kind]
            idx = max(1, min(len(ports), int(f.get("port", 1)))) - 1
            minutes = max(0.0, (time.time() - float(f.get("since", time.time()))) / 60)
            setattr(ports[idx], attr, 37 + int(float(f.get("per_minute", 60)) * minutes))
    stamp = now_text()
    alarms: list[tuple[str, str, str]] = []
    logs = [f"{stamp} {dev.name} %%01SHELL/5/CMDRECORD(s)[0]:Recorded command information. "
            f"(Task=VT0, Ip={dev.address}, User={dev.username}, Command=\"display version\")"]
    for i, ok, _s in fans:
        if not ok:
            alarms.append(("Major", stamp, f"The fan module {i} failed."))
            logs.append(f"{stamp} {dev.name} %%01FAN/3/FAN_FAULT(l)[1]:Fan {i} is abnormal.")
    for i, ok in psus:
        if not ok:
            alarms.append(("Major", stamp, f"The power supply {i} is invalid."))
            logs.append(f"{stamp} {dev.name} %%01POWER/3/POWER_FAULT(l)[2]:Power supply {i} failed.")
    if temperature >= 70:
        alarms.append(("Major", stamp, f"The temperature of the board exceeds the upper limit ({temperature}C)."))
    for p in ports:
        if p.crc:
            logs.append(f"{stamp} {dev.name} %%01IFNET/4/CRC_ERROR(l)[3]:CRC errors on {p.name} rose to {p.crc}.")
    if "alarm_active" in faults:
        alarms.append(("Critical", stamp, "The link between the device and the NMS is interrupted."))
        alarms.append(("Minor", stamp, "The number of ARP entries exceeded the threshold."))
    uptime = dev.uptime_days * 86400 + int(time.time() - dev.started)
    sig = int(faults.get("signature_outdated", {}).get("days", 1))
    disk = int(faults["disk_full"].get("percent", 97)) if "disk_full" in faults else 30 + dev.rng_seed % 25
    swapped = faults.get("device_swapped")
    model = str(swapped.get("model") or dev.model) if swapped else dev.model
    serial = f"{(int(dev.serial) * 7 + 1) % 10**12:012d}" if swapped else dev.serial
    return Health(cpu, max(cpu, min(99, dev.cpu_base + 30)), memory, fans, psus, temperature, temperature < 70,
                  ports, alarms, logs, uptime, sig, disk, model, serial)


def uptime_text(seconds: int) -> str:
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    return f"{days} days, {hours} hours, {rest // 60} minutes"
