"""Linux servers (RHEL/CentOS/Oracle Linux 6 and 7, Kylin V10) over SSH: filesystems, inodes, memory, load,
CPUs, failed services, time synchronisation, the kernel's I/O errors and the last patch date.

Two generations answer differently. EL7 and later run systemd and chrony: `systemctl list-units --failed`,
`chronyc tracking`. RHEL 6 and Oracle Linux 6 (29 servers of this estate) have neither: a service that died
shows in `service --status-all` as 'dead but pid file exists' / 'dead but subsys locked', and ntpd's peers in
`ntpq -pn`, the selected one marked '*'. The inventory's `os` says which a host runs.
"""

from __future__ import annotations

import re
from typing import ClassVar

from ..parsers import linux, yum
from .base import FactSet, Getter, nonempty, refuse
from .models import TimeSync

PLATFORM = "linux"


def is_el6(os_text: str) -> bool:
    """RHEL 6, CentOS 6 or Oracle Linux 6, by the inventory's `os` text ('Red Hat Enterprise Linux 6.9'); the lab
    decides its hosts' generation by the same test."""
    return bool(re.search(r"(Red Hat|CentOS|Oracle Linux)\D*\b6\.\d", os_text or ""))


def el6(host) -> bool:
    return is_el6(str(host.get("os") or ""))


def memory(text: str) -> float:
    return linux.memory_used_percent(linux.meminfo(text))


SYSV_STATUS = re.compile(r"\b(is running|is stopped|dead but (?:pid file exists|subsys locked)|is not running)\b")


def sysv_failed(text: str) -> list[str]:
    """`service --status-all` (RHEL 6): each init script's status line; a daemon that died prints 'NAME dead but pid
    file exists' or 'NAME dead but subsys locked'. Stopped services ('is stopped') were stopped on purpose."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not any(SYSV_STATUS.search(ln) for ln in lines):
        raise refuse(PLATFORM, "service --status-all: no service status line", text)
    return [ln.split()[0] for ln in lines if re.search(r"\bdead but\b", ln)]


def chrony_sync(text: str) -> TimeSync:
    """`chronyc tracking`: the system clock's offset, and the leap status ('Not synchronised' when chronyd has no
    usable source)."""
    offset = linux.chrony_offset(text)
    leap = linux.chrony_leap(text)
    m = re.search(r"^Reference ID\s*:\s*\S+\s*\(([^)]*)\)", text, re.M)
    return TimeSync(offset, leap != "Not synchronised", m.group(1) if m else "")


NTPQ_ROW = re.compile(r"^([ *#o+x.\-])(\S+)\s+(\S+)\s+(\d+)\s+\w\s+\S+\s+\d+\s+\d+\s+([\d.]+)\s+(-?[\d.]+)\s+([\d.]+)\s*$")


def ntpq_sync(text: str) -> TimeSync:
    """`ntpq -pn`: a peer table ('remote refid st t when poll reach delay offset jitter', offsets in ms), the peer
    ntpd synchronises to marked '*'. No '*' is a clock not synchronised; 'No association ID's returned' is ntpd
    without peers."""
    if "No association ID's returned" in text:
        return TimeSync(None, False, "ntpd 无可用时间源")
    lines = text.splitlines()
    at = next((i for i, ln in enumerate(lines) if re.match(r"^\s*remote\s+refid\s+st\s+t\s+when", ln)), None)
    if at is None:
        raise refuse(PLATFORM, "ntpq -pn: no peer table", text)
    peers = []
    for ln in lines[at + 1:]:
        if not ln.strip() or set(ln.strip()) <= {"="}:
            continue
        m = NTPQ_ROW.match(ln)
        if m is None:
            raise refuse(PLATFORM, "ntpq -pn: unreadable peer row", ln)
        peers.append(m)
    peers = nonempty(peers, PLATFORM, "ntpq -pn: no peer", text)
    chosen = next((m for m in peers if m.group(1) == "*"), None)
    if chosen is None:
        return TimeSync(None, False, "ntpd 未选定同步源")
    return TimeSync(round(float(chosen.group(6)) / 1000, 6), True, chosen.group(2))


SYSLOG_LINE = re.compile(r"^(?:\w{3} [ \d]\d \d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\S*) \S+ ")


def messages(text: str) -> list[str]:
    """The tail of /var/log/messages: syslog lines ('Dec  2 07:00:01 host prog: ...', or rsyslog's high-precision
    stamps). A line that is not one means this is not the log (a shell error, a garbled answer); an empty tail
    means nothing was read. Both are refused: a log that cannot be read must not pass as a log without errors."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    bad = next((ln for ln in lines if not SYSLOG_LINE.match(ln)), None)
    if bad is not None or not lines:
        raise refuse(PLATFORM, "/var/log/messages: not syslog lines" if lines else "/var/log/messages: empty", bad or "")
    return lines


class Linux(FactSet):
    platform = PLATFORM
    kind = "server"
    getters: ClassVar[dict[str, Getter]] = {
        "filesystems": Getter("df -P -k", linux.df),
        "inodes": Getter("df -P -i", linux.df),
        "memory": Getter("cat /proc/meminfo", memory),
        "load": Getter("cat /proc/loadavg", linux.loadavg),
        "cpus": Getter("nproc", linux.cpu_count),
        "failed_services": Getter("systemctl list-units --failed", linux.systemctl_failed),
        "time_sync": Getter("chronyc tracking", chrony_sync),
        "messages": Getter("tail -n 2000 /var/log/messages", messages),
        "last_patch": Getter("rpm -qa --last | head -n 20", linux.rpm_last_date),
        # yum exits 100 when updates are pending: that answer is the reading (the host's own repositories, its
        # zone's mirror; no root needed to look)
        "pending_updates": Getter("yum check-update", yum.pending_updates, ok_status=(0, 100)),
    }
    EL6: ClassVar[dict[str, Getter]] = {
        "failed_services": Getter("service --status-all", sysv_failed),
        "time_sync": Getter("ntpq -pn", ntpq_sync),
    }

    def variant(self, name: str, host) -> Getter:
        return self.EL6[name] if el6(host) and name in self.EL6 else self.getter(name)

    def variants(self, name: str) -> list[Getter]:
        return [self.getter(name), *([self.EL6[name]] if name in self.EL6 else [])]
