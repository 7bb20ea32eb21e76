"""AIX 7.1 on lab servers (the IBM Power P740s): the commands an AIX inspection runs, in AIX's formats.

The lab host underneath is the Debian userland; what makes it AIX for a check is
what these answer: oslevel, prtconf, lsvg, lspv, errpt (the error log, where
io_errors and hardware faults show), lssrc (subsystems, where service_down
shows) and df in AIX's `df -k` layout.
"""

from __future__ import annotations

import datetime as dt
import hashlib

from .state import filesystems


def is_aix(host: dict) -> bool:
    return host.get("os", "").startswith("AIX")


def render(host: dict, faults: dict, now: dt.datetime) -> dict[str, str]:
    seed = int(hashlib.sha256(host["name"].encode()).hexdigest()[:8], 16)
    out: dict[str, str] = {}
    fss = filesystems(host["name"], "oracle_db", faults)
    rows = ["Filesystem    1024-blocks      Free %Used    Iused %Iused Mounted on"]
    for i, fs in enumerate(fss):
        dev = "/dev/hd4" if fs.mount == "/" else f"/dev/fslv{i:02d}"
        rows.append(f"{dev:<13} {fs.size_kb:>11} {fs.size_kb * (100 - fs.used_pct) // 100:>9} {fs.used_pct:>4}% "
                    f"{fs.inodes * fs.iused_pct // 100:>8} {fs.iused_pct:>5}% {fs.mount}")
    out["out/df_P"] = "\n".join(rows) + "\n"
    out["aix/oslevel"] = "7100-05-06-2016\n"
    out["aix/prtconf"] = ("System Model: IBM,8205-E6C\nMachine Serial Number: 06" + f"{seed % 10**5:05d}" + "\n"
                          "Processor Type: PowerPC_POWER7\nProcessor Implementation Mode: POWER 7\n"
                          "Number Of Processors: 16\nProcessor Clock Speed: 3720 MHz\n"
                          "CPU Type: 64-bit\nKernel Type: 64-bit\nMemory Size: 131072 MB\n"
                          "Good Memory Size: 131072 MB\nFirmware Version: IBM,AL740_167\n")
    out["aix/lsvg"] = "rootvg\ndatavg\noravg\n"
    out["aix/lspv"] = ("hdisk0          00f6db0a3f0b8b1c                    rootvg          active\n"
                       "hdisk1          00f6db0a3f0b8c2d                    rootvg          active\n"
                       "hdisk2          00f6db0a4e1a9d3e                    datavg          active\n"
                       "hdisk3          00f6db0a4e1a9e4f                    oravg           "
                       + ("missing\n" if "io_errors" in faults else "active\n"))
    entries = []
    stamp = now.strftime("%m%d%H%M%y")
    if "io_errors" in faults:
        entries.append(f"DCB47997   {stamp} T H hdisk3         DISK OPERATION ERROR")
    if "fan_failed" in faults or "power_failed" in faults:
        entries.append(f"BFE4C025   {stamp} P H sysplanar0     UNDETERMINED ERROR")
    out["aix/errpt"] = ("IDENTIFIER TIMESTAMP  T C RESOURCE_NAME  DESCRIPTION\n" + "\n".join(entries) + "\n") if entries \
        else ""
    down = faults["service_down"].get("service") or "sshd" if "service_down" in faults else None
    subs = [("syslogd", "ras"), ("sendmail", "mail"), ("sshd", "ssh"), ("xntpd", "tcpip"), ("inetd", "tcpip"),
            ("snmpd", "tcpip"), ("clcomd", "caa")]
    out["aix/lssrc"] = ("Subsystem         Group            PID          Status\n"
                        + "".join(f" {n:<17} {g:<16} {'' if n == down else 1000 + i * 317:<12} "
                                  f"{'inoperative' if n == down else 'active'}\n" for i, (n, g) in enumerate(subs)))
    return out
