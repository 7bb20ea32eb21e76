"""What a driver's getters return: typed readings, the same for every platform.

napalm's getters return dicts of a documented shape; these are the estate's equivalents as frozen
dataclasses, so a check reads `fan.ok`, never position 1 of a tuple whose meaning differs by vendor.
Numbers (CPU and memory percent) and `{interface: input errors}` need no class of their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Part:
    """A fan or a power supply: its name as the device prints it, whether the device calls it healthy, and why."""

    name: str
    ok: bool
    state: str = ""


@dataclass(frozen=True)
class Temperature:
    """A sensor as 'slot/sensor', its reading, and whether the device itself says it is within its limits."""

    sensor: str
    celsius: float
    ok: bool


@dataclass(frozen=True)
class Board:
    """A board, power or fan module, or an iStack member, from the device's own list of what it holds."""

    name: str
    kind: str
    ok: bool
    state: str


@dataclass(frozen=True)
class Facts:
    """What the archive (设备系统档案) records of a device: napalm's get_facts, as the estate's devices print it."""

    hostname: str
    model: str
    os_version: str
    serial: str  # "" where the command does not print one (the chassis serial is then in the inventory getter)
    uptime: str  # as printed ('1 year, 12 weeks, 3 days, 4 hours, 5 minutes'): vendors word it differently


@dataclass
class Health:
    """A security appliance's one status page: CPU, memory and disk use, fans and supplies, its temperature."""

    cpu: float
    memory: float
    disks: dict[str, float]
    fans: list[tuple[str, bool]] = field(default_factory=list)
    psus: list[tuple[str, bool]] = field(default_factory=list)
    temperature: float | None = None


@dataclass(frozen=True)
class TimeSync:
    """A server's clock against its time source: the offset in seconds (positive = fast) when it is synchronised."""

    offset: float | None
    synchronised: bool
    source: str


@dataclass(frozen=True)
class Service:
    """A Windows service as WMI's Win32_Service describes it: State 'Running' / 'Stopped' ..., StartMode 'Auto',
    'Manual' or 'Disabled'."""

    name: str
    state: str
    start_mode: str

    @property
    def stopped_automatic(self) -> bool:
        return self.start_mode == "Auto" and self.state != "Running"


@dataclass(frozen=True)
class ClusterGroup:
    """A failover-cluster role (group): where it runs and whether it is Online."""

    name: str
    owner: str
    state: str


@dataclass(frozen=True)
class Config:
    """A configuration listing as the device printed it, complete (its end marker seen), with the lines that change
    without a change of configuration (timestamps, 'Last configuration change at') dropped and every secret
    masked: what may be written to a store, a log or a report."""

    text: str
    noise_lines: int
    # the listing as printed, noise dropped but secrets kept: only ever encrypted (the backup's full copy, which can
    # restore a dead device) or keyed-hashed, never written, logged or shown; kept out of repr for that reason
    full: str = field(default="", repr=False, compare=False)


@dataclass(frozen=True)
class Module:
    """One field-replaceable part as the device lists it (chassis, board, supply, fan, optic): what the hardware
    archive (设备系统档案) records and a spare is ordered by."""

    name: str
    description: str
    part: str  # the orderable part number (Cisco PID); "" where the platform prints none apart from the description
    serial: str
