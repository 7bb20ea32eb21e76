"""Storage arrays: disks, pools and health from Huawei OceanStor / Inspur (ISM CLI), EMC VNX (naviseccli),
EMC VMAX (Solutions Enabler), HDS AMS (SNM2 CLI) and IBM DS4000 (SMcli)."""

from __future__ import annotations

import re

from . import ParseError


def _table(text: str, first: str) -> list[list[str]]:
    """Rows of an ISM-style table (header line starting with `first`, a dashes line, then rows)."""
    lines = text.splitlines()
    try:
        start = next(i for i, ln in enumerate(lines) if ln.strip().startswith(first))
    except StopIteration:
        raise ParseError(f"no table with a '{first}' header") from None
    return [re.split(r"\s{2,}", ln.strip()) for ln in lines[start + 2:] if ln.strip()]


def ism_disks(text: str) -> list[tuple[str, bool, str]]:
    """`show disk general` -> [(disk id, healthy, health status)]."""
    rows = _table(text, "ID")
    out = [(r[0], r[1] == "Normal", r[1]) for r in rows if len(r) >= 3]
    if not out:
        raise ParseError("show disk general: no disk rows")
    return out


def ism_pools(text: str) -> list[tuple[str, float]]:
    """`show storage_pool general` -> [(pool, used %)]."""
    out = []
    for r in _table(text, "ID"):
        m = re.search(r"(\d+(?:\.\d+)?)%$", r[-1])
        if len(r) >= 5 and m:
            out.append((r[1], float(m.group(1))))
    if not out:
        raise ParseError("show storage_pool general: no pool rows")
    return out


def ism_health(system: str, alarms: str) -> list[tuple[str, bool, str]]:
    m = re.search(r"Health Status\s*:\s*(\S+)", system)
    if not m:
        raise ParseError("show system general: no Health Status")
    out = [("系统健康状态", m.group(1) == "Normal", m.group(1))]
    if "Command executed successfully" not in alarms:
        rows = [ln.strip() for ln in alarms.splitlines() if ln.strip() and not ln.strip().startswith(("Sequence", "-"))]
        out += [("告警", False, row) for row in rows]
    return out


def vnx_disks(text: str) -> list[tuple[str, bool, str]]:
    out = [(f"{m.group(1)}", m.group(2) in ("Enabled", "Unbound", "Hot Spare Ready"), m.group(2))
           for m in re.finditer(r"^(Bus \d+ Enclosure \d+\s+Disk \d+)\s*\nState:\s+(.+?)\s*$", text, re.M)]
    if not out:
        raise ParseError("getdisk -state: no disk entries")
    return out


def vnx_pools(text: str) -> list[tuple[str, float]]:
    names = re.findall(r"^Pool Name:\s+(.+?)\s*$", text, re.M)
    full = re.findall(r"^Percent Full:\s+([\d.]+)", text, re.M)
    if not names or len(names) != len(full):
        raise ParseError("storagepool -list: no pool with 'Percent Full'")
    return [(n, float(p)) for n, p in zip(names, full, strict=True)]


def vnx_faults(text: str) -> list[tuple[str, bool, str]]:
    if "The array is operating normally" in text:
        return [("阵列故障列表", True, "The array is operating normally.")]
    faults = [ln.strip() for ln in text.splitlines() if ln.strip() and not ln.startswith("Faulted Subsystem")]
    if not faults:
        raise ParseError("faults -list: neither 'operating normally' nor a fault")
    return [("阵列故障", False, f) for f in faults]


def vmax_failed_disks(text: str) -> list[tuple[str, bool, str]]:
    if "No Failed disks" in text:
        return [("故障硬盘", True, "无")]
    rows = [ln.split() for ln in text.splitlines() if "Failed" in ln]
    if not rows:
        raise ParseError("symdisk list -failed: unreadable")
    return [(f"{r[0]}/{r[2]}", False, "Failed") for r in rows]


def vmax_pools(text: str) -> list[tuple[str, float]]:
    out = []
    for ln in text.splitlines():
        m = re.match(r"^(\S+)\s+[A-Z]{6}\s+.*?\s(\d+)\s*$", ln)
        if m:
            out.append((m.group(1), float(m.group(2))))
    if not out:
        raise ParseError("symcfg list -pool: no pool rows")
    return out


def hds_disks(text: str) -> list[tuple[str, bool, str]]:
    out = [(f"HDU {m.group(1)}", m.group(2) == "Normal", m.group(2))
           for m in re.finditer(r"^\s*\d+\s+(\d+)\s+\S+\s+(\S+)\s*$", text, re.M)]
    if not out:
        raise ParseError("audrive: no drive rows")
    return out


def hds_pools(text: str) -> list[tuple[str, float]]:
    out = [(f"DP Pool {m.group(1)}", float(m.group(2)))
           for m in re.finditer(r"^\s*(\d+)\s+\S+.*?GB\s+.*?GB\s+(\d+)\s+", text, re.M)]
    if not out:
        raise ParseError("audppool: no pool rows")
    return out


def hds_health(text: str) -> list[tuple[str, bool, str]]:
    m = re.search(r"Array Status\s*:\s*(\S+)", text)
    if not m:
        raise ParseError("auunitinfo: no Array Status")
    return [("阵列状态", m.group(1) == "Normal", m.group(1))]


def smcli_health(text: str) -> list[tuple[str, bool, str]]:
    if "health status = optimal" in text:
        return [("存储子系统健康状态", True, "optimal")]
    m = re.search(r"The following failures have been found:\n(.*?)(?:\nScript execution complete|\Z)", text, re.S)
    if not m:
        raise ParseError("SMcli healthStatus: neither optimal nor a failure list")
    return [("故障", False, ln.strip()) for ln in m.group(1).splitlines() if ln.strip()]


def esxi_filesystems(text: str) -> list[tuple[str, float]]:
    """`esxcli storage filesystem list` -> [(volume, used %)] for mounted VMFS/NFS datastores."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("Mount Point"):
        raise ParseError("esxcli storage filesystem list: no header")
    out = []
    for ln in lines[1:]:
        p = ln.split()
        if len(p) >= 7 and p[-2].isdigit() and p[-1].isdigit() and p[-4] == "true" and int(p[-2]):
            out.append((p[1], round(100.0 * (int(p[-2]) - int(p[-1])) / int(p[-2]), 1)))
    if not out:
        raise ParseError("esxcli storage filesystem list: no mounted datastore")
    return out


def esxi_paths(text: str) -> list[tuple[str, str]]:
    """`esxcli storage core path list` -> [(runtime name, state)]."""
    out = re.findall(r"Runtime Name:\s*(\S+)\s*\n(?:.*\n)*?\s*State:\s*(\S+)", text)
    if not out:
        raise ParseError("esxcli storage core path list: no path")
    return out
