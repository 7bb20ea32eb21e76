"""VMware ESXi storage: datastores (`esxcli storage filesystem list`) and multipath states
(`esxcli storage core path list`). Arrays are read by their fact sets in cityops/drivers."""

from __future__ import annotations

import re

from . import ParseError


def filesystems(text: str) -> list[tuple[str, float]]:
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


def paths(text: str) -> list[tuple[str, str]]:
    """`esxcli storage core path list` -> [(runtime name, state)]."""
    out = re.findall(r"Runtime Name:\s*(\S+)\s*\n(?:.*\n)*?\s*State:\s*(\S+)", text)
    if not out:
        raise ParseError("esxcli storage core path list: no path")
    return out
