"""A server's state as its commands report it: filesystems, memory, load, services, time, patches, logs.

Pure functions of (host facts, active faults, now): `render(host, faults)` returns
the files a lab host serves, keyed by their path inside the host's lab directory.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import random
from dataclasses import dataclass

from ...drivers.linux import is_el6
from ...timeutil import BEIJING

ROLE_SERVICES = {
    "oracle_rac_node": ["crond", "sshd", "ntpd", "ohasd", "oracle-tfa"],
    "oracle_db": ["crond", "sshd", "chronyd", "oracle-ohasd"],
    "db_server": ["crond", "sshd", "chronyd", "mysqld"],
    "web_server": ["crond", "sshd", "chronyd", "nginx"],
    "app_server": ["crond", "sshd", "chronyd", "tomcat"],
    "weblogic": ["crond", "sshd", "chronyd", "weblogic-nodemanager"],
    "dns_server": ["crond", "sshd", "chronyd", "named"],
    "sms_gateway": ["crond", "sshd", "chronyd", "sms-gateway"],
    "backup_server": ["crond", "sshd", "chronyd", "rsyncd"],
}
DEFAULT_SERVICES = ["crond", "sshd", "chronyd", "rsyslog"]


@dataclass(frozen=True)
class FileSystem:
    device: str
    mount: str
    size_kb: int
    used_pct: int
    inodes: int
    iused_pct: int
    fstype: str = "ext4"


def _rng(name: str) -> random.Random:
    return random.Random(int(hashlib.sha256(name.encode()).hexdigest()[:12], 16))  # nosec B311  # seeded lab readings, not security


def os_release(host_os: str) -> tuple[str, str]:
    """(/etc/os-release, /etc/redhat-release) for the host's OS text in the inventory."""
    text = host_os or "CentOS 7.9"
    if "Debian" in text:  # a zone runner's OS: Debian 12 carries the Python 3.11 cityops runs on
        return ('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\n'
                'VERSION="12 (bookworm)"\nID=debian\n', "")
    if "Kylin" in text:
        return ('NAME="Kylin Linux Advanced Server"\nVERSION="V10 (Sword)"\nID="kylin"\nVERSION_ID="V10"\n'
                'PRETTY_NAME="Kylin Linux Advanced Server V10 (Sword)"\n', "")
    major = "6" if " 6." in text else "7"
    if "Red Hat" in text:
        minor = text.split("Linux ")[-1].split()[0] if "Linux " in text else f"{major}.9"
        name, rid = "Red Hat Enterprise Linux Server", "rhel"
        rel = f"Red Hat Enterprise Linux Server release {minor} (Santiago)" if major == "6" else \
            f"Red Hat Enterprise Linux Server release {minor} (Maipo)"
    elif "Oracle Linux" in text:
        minor = text.split("Oracle Linux ")[1].split()[0]
        name, rid, rel = "Oracle Linux Server", "ol", f"Oracle Linux Server release {minor}"
    else:
        minor = text.split("CentOS ")[1].split()[0] if "CentOS " in text else "7.9"
        name, rid, rel = "CentOS Linux", "centos", f"CentOS Linux release {minor}.2009 (Core)"
    return (f'NAME="{name}"\nVERSION="{minor}"\nID="{rid}"\nVERSION_ID="{minor}"\n'
            f'PRETTY_NAME="{name} {minor}"\n', rel + "\n")


def filesystems(name: str, role: str, faults: dict) -> list[FileSystem]:
    rng = _rng(name)
    fss = [
        FileSystem("/dev/mapper/vg_root-lv_root", "/", 52403200, rng.randint(18, 55), 3276800, rng.randint(3, 20)),
        FileSystem("/dev/sda1", "/boot", 1038336, rng.randint(14, 30), 524288, 1),
        FileSystem("/dev/mapper/vg_root-lv_var", "/var", 20961280, rng.randint(10, 60), 1310720, rng.randint(2, 12)),
        FileSystem("/dev/mapper/vg_data-lv_data", "/data", 524032000, rng.randint(20, 70), 32768000, rng.randint(1, 10)),
    ]
    if role.startswith("oracle"):
        fss.append(FileSystem("/dev/mapper/vg_ora-lv_u01", "/u01", 104806400, rng.randint(30, 60), 6553600, 4))
    out = []
    full = faults.get("disk_full", {})
    inode = faults.get("inode_exhausted", {})
    for fs in fss:
        used, iused = fs.used_pct, fs.iused_pct
        if full and fs.mount == full.get("mount", "/data"):
            used = int(full.get("percent", 97))
        if inode and fs.mount == inode.get("mount", "/var"):
            iused = int(inode.get("percent", 100))
        out.append(FileSystem(fs.device, fs.mount, fs.size_kb, used, fs.inodes, iused, fs.fstype))
    return out


def render(host: dict, faults: dict, now: dt.datetime | None = None) -> dict[str, str]:
    """Every file the lab host serves, by relative path (out/* are printed by the shims)."""
    now = now or dt.datetime.now(tz=BEIJING)
    name, role = host["name"], host.get("role", "")
    rng = _rng(name)
    files: dict[str, str] = {}
    # -- filesystems
    fss = filesystems(name, role, faults)
    rows = ["Filesystem                   1024-blocks      Used Available Capacity Mounted on"]
    irows = ["Filesystem                    Inodes  IUsed   IFree IUse% Mounted on"]
    for fs in fss:
        used = fs.size_kb * fs.used_pct // 100
        rows.append(f"{fs.device:<28} {fs.size_kb:>11} {used:>9} {fs.size_kb - used:>9} {fs.used_pct:>7}% {fs.mount}")
        iu = fs.inodes * fs.iused_pct // 100
        irows.append(f"{fs.device:<28} {fs.inodes:>8} {iu:>6} {fs.inodes - iu:>7} {fs.iused_pct:>4}% {fs.mount}")
    files["out/df_P"] = "\n".join(rows) + "\n"
    files["out/df_i"] = "\n".join(irows) + "\n"
    # -- memory and load
    total_kb = 32 * 1024 * 1024 if role.startswith("oracle") else 16 * 1024 * 1024
    mem_pct = int(faults.get("memory_high", {}).get("percent", rng.randint(25, 60)))
    used_kb = total_kb * mem_pct // 100
    avail_kb = total_kb - used_kb
    files["proc/meminfo"] = (f"MemTotal:       {total_kb:>8} kB\nMemFree:        {avail_kb // 3:>8} kB\n"
                             f"MemAvailable:   {avail_kb:>8} kB\nBuffers:        {avail_kb // 20:>8} kB\n"
                             f"Cached:         {avail_kb // 2:>8} kB\nSwapTotal:       8388604 kB\n"
                             f"SwapFree:        8388604 kB\n")
    files["out/free_m"] = ("              total        used        free      shared  buff/cache   available\n"
                           f"Mem:   {total_kb // 1024:>12}{used_kb // 1024:>12}{avail_kb // 3072:>12}{64:>12}"
                           f"{avail_kb * 2 // 3072:>12}{avail_kb // 1024:>12}\nSwap:          8191           0        8191\n")
    cores = 16 if role.startswith("oracle") else 8
    cpu_pct = int(faults.get("cpu_high", {}).get("percent", rng.randint(3, 35)))
    load = round(cores * cpu_pct / 100, 2)
    files["proc/loadavg"] = f"{load:.2f} {load * 0.9:.2f} {load * 0.8:.2f} 2/612 {rng.randint(2000, 60000)}\n"
    files["out/nproc"] = f"{cores}\n"
    files["up_days"] = f"{rng.randint(20, 400)}\n"  # how long the host has been up when the lab starts it
    idle = 100 - cpu_pct - 1.35
    files["out/mpstat"] = f"Average:     all {cpu_pct:>6.2f}  0.00  1.10  0.20  0.00  0.05  0.00  0.00  {idle:.2f}\n"
    # -- services (RHEL 6: SysV init scripts, ntpd instead of chronyd, no systemd)
    el6 = is_el6(host.get("os", ""))
    files["el6"] = "1" if el6 else ""
    services = [("ntpd" if el6 and s == "chronyd" else s) for s in ROLE_SERVICES.get(role, DEFAULT_SERVICES)]
    down = (faults["service_down"].get("service") or services[-1]) if "service_down" in faults else None
    files["services"] = "".join(f"{s} {'failed' if s == down else 'active'}\n" for s in services)
    failed = [s for s in services if s == down]
    files["out/systemctl_failed"] = (
        "  UNIT                LOAD   ACTIVE SUB    DESCRIPTION\n"
        + "".join(f"● {s}.service  loaded failed failed {s}\n" for s in failed)
        + f"\n{len(failed)} loaded units listed.\n")
    files["out/service_status_all"] = "".join(
        f"{s} dead but pid file exists\n" if s == down else f"{s} (pid  {rng.randint(900, 9000)}) is running...\n"
        for s in services) + "netconsole module not loaded\n" if el6 else (
        "\nNote: This output shows SysV services only and does not include native\n"
        "systemd services. SysV configuration data might be overridden by native\nsystemd configuration.\n\n"
        "netconsole module not loaded\nConfigured devices:\nlo eth0\nCurrently active devices:\nlo eth0\n")
    # -- time
    offset = float(faults.get("ntp_drift", {}).get("seconds", rng.uniform(-0.004, 0.004)))
    files["out/chronyc_tracking"] = (
        "Reference ID    : 7F000001 (127.0.0.1)\nStratum         : 3\n"
        f"Ref time (UTC)  : {now.astimezone(dt.UTC).strftime('%a %b %d %H:%M:%S %Y')}\n"
        f"System time     : {abs(offset):.9f} seconds {'slow' if offset < 0 else 'fast'} of NTP time\n"
        f"Last offset     : {offset:+.9f} seconds\nRMS offset      : {abs(offset):.9f} seconds\n"
        "Frequency       : 12.345 ppm slow\nResidual freq   : +0.001 ppm\nSkew            : 0.050 ppm\n"
        "Root delay      : 0.000423 seconds\nRoot dispersion : 0.001234 seconds\n"
        "Update interval : 64.2 seconds\nLeap status     : Normal\n")
    files["out/ntpq_pn"] = (
        "     remote           refid      st t when poll reach   delay   offset  jitter\n"
        "==============================================================================\n"
        f"*127.0.0.1       127.0.0.2        2 u   33   64  377    0.412  {offset * 1000:>7.3f}   0.210\n")
    # -- patches: how long ago the packages the host was installed with went in (hosts.py moves them in its
    # package database; what yum installed since keeps its own time)
    files["installed_days_ago"] = f"{int(faults.get('patch_old', {}).get('days', rng.randint(5, 60)))}\n"
    # -- logs
    stamp = now.strftime("%b %d %H:%M:%S")
    messages = ([f"{stamp} {name} init: tty (/dev/tty1) main process (1502) killed by TERM signal",
                 f"{stamp} {name} ntpd[812]: synchronized to 127.0.0.1, stratum 2"] if el6 else
                [f"{stamp} {name} systemd: Started Session 1 of user opsadmin.",
                 f"{stamp} {name} chronyd[812]: Selected source 127.0.0.1"])
    if down and not el6:
        messages.append(f"{stamp} {name} systemd: {down}.service: main process exited, code=exited, status=1/FAILURE")
    if "io_errors" in faults:
        messages.append(f"{stamp} {name} kernel: blk_update_request: I/O error, dev sdb, sector 123456")
    files["log/messages"] = "\n".join(messages) + "\n"
    # -- connection-adjacent faults the shims apply
    files["slow"] = str(float(faults["slow"].get("seconds", 20))) if "slow" in faults else ""
    files["garbage"] = "1" if "garbage" in faults else ""
    files["no_boot"] = "1" if "no_boot" in faults else ""
    return files
