"""Linux command output: df -P, df -Pi, /proc/meminfo, /proc/loadavg, chronyc tracking, systemctl --failed, rpm --last."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from . import ParseError

PSEUDO_FS = ("tmpfs", "devtmpfs", "overlay", "shm", "none", "udev", "cgroup", "proc", "sysfs")


@dataclass(frozen=True)
class Filesystem:
    device: str
    mount: str
    size: int
    used: int
    percent: int | None  # None where the filesystem reports none ('-', e.g. inodes on vfat)


def df(text: str) -> list[Filesystem]:
    """`df -P -k` or `df -P -i` (POSIX format; a long device name never wraps the line)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines or not lines[0].startswith("Filesystem"):
        raise ParseError("df: no 'Filesystem' header")
    out = []
    for ln in lines[1:]:
        parts = ln.split()
        if len(parts) < 6:
            raise ParseError(f"df: unreadable line '{ln[:80]}'")
        device, size, used, pct, mount = parts[0], parts[1], parts[2], parts[4], " ".join(parts[5:])
        if device in PSEUDO_FS or device.split("/")[-1] in PSEUDO_FS:
            continue
        if not (size.isdigit() and used.isdigit()) or not (pct == "-" or re.fullmatch(r"\d+%", pct)):
            raise ParseError(f"df: unreadable line '{ln[:80]}'")
        out.append(Filesystem(device, mount, int(size), int(used), None if pct == "-" else int(pct[:-1])))
    if not out:
        raise ParseError("df: no filesystem listed")
    return out


def meminfo(text: str) -> dict[str, int]:
    """/proc/meminfo -> {field: kB}."""
    out = {}
    for ln in text.splitlines():
        m = re.match(r"^(\w[\w()]*):\s+(\d+)", ln)
        if m:
            out[m.group(1)] = int(m.group(2))
    if "MemTotal" not in out:
        raise ParseError("/proc/meminfo: no MemTotal")
    return out


def memory_used_percent(info: dict[str, int]) -> float:
    """Used = total - available (MemAvailable since kernel 3.14; free + buffers + cached before it, as on RHEL 6)."""
    total = info["MemTotal"]
    avail = info.get("MemAvailable", info.get("MemFree", 0) + info.get("Buffers", 0) + info.get("Cached", 0))
    return round(100.0 * (total - avail) / total, 1) if total else 0.0


def loadavg(text: str) -> tuple[float, float, float]:
    m = re.match(r"^\s*(\d+\.\d+)\s+(\d+\.\d+)\s+(\d+\.\d+)\s", text)
    if not m:
        raise ParseError(f"/proc/loadavg: unreadable '{text.strip()[:60]}'")
    return float(m.group(1)), float(m.group(2)), float(m.group(3))


def cpu_count(text: str) -> int:
    """`nproc` -> the number of processing units."""
    value = text.strip()
    if not value.isdigit() or int(value) < 1:
        raise ParseError(f"nproc: '{value[:40]}' is not a CPU count")
    return int(value)


def chrony_offset(text: str) -> float:
    """`chronyc tracking` -> seconds the system clock is off NTP time (positive = fast)."""
    m = re.search(r"^System time\s*:\s*([\d.]+) seconds (slow|fast) of NTP time", text, re.M)
    if not m:
        raise ParseError("chronyc tracking: no 'System time' line")
    value = float(m.group(1))
    return -value if m.group(2) == "slow" else value


def chrony_leap(text: str) -> str:
    m = re.search(r"^Leap status\s*:\s*(.+)$", text, re.M)
    return m.group(1).strip() if m else ""


def systemctl_failed(text: str) -> list[str]:
    """`systemctl list-units --failed` (or `systemctl --failed`) -> the failed unit names."""
    if "loaded units listed" not in text and "0 loaded units" not in text and "UNIT" not in text:
        raise ParseError("systemctl --failed: no unit table")
    units = []
    for ln in text.splitlines():
        m = re.match(r"^[\s●*]*(\S+\.(?:service|mount|socket|timer|target|path|device|scope|slice))\s+\S+\s+failed\s", ln)
        if m:
            units.append(m.group(1))
    return units


RPM_DATE = re.compile(r"\s((?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)\w* \d{1,2} \w{3} \d{4}|\w{3} \d{1,2} \w{3} \d{4})\s")


def rpm_last_date(text: str) -> dt.date:
    """`rpm -qa --last` -> the date of the newest install (the first line)."""
    for ln in text.splitlines():
        m = re.search(r"\s(\w{3}) (\d{1,2}) (\w{3}) (\d{4})\s", " " + ln + " ")
        if m:
            try:
                return dt.datetime.strptime(f"{m.group(2)} {m.group(3)} {m.group(4)}", "%d %b %Y").date()
            except ValueError:
                continue
    raise ParseError("rpm --last: no install date found")
