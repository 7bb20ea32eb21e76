"""IBM AIX output: df -k (AIX columns), errpt, lspv, lssrc -a."""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from . import ParseError


@dataclass(frozen=True)
class AixFs:
    device: str
    mount: str
    used_percent: int | None
    inode_percent: int | None


def df(text: str) -> list[AixFs]:
    """`df -k` on AIX: Filesystem 1024-blocks Free %Used Iused %Iused Mounted on ('-' for /proc and NFS)."""
    lines = [ln for ln in text.splitlines() if ln.strip()]
    if not lines or not lines[0].startswith("Filesystem") or "%Iused" not in lines[0]:
        raise ParseError("df -k: not AIX's header (Filesystem ... %Used Iused %Iused Mounted on)")
    out = []
    for ln in lines[1:]:
        p = ln.split()
        if len(p) < 7:
            raise ParseError(f"df -k: unreadable line '{ln[:80]}'")

        def pct(cell: str) -> int | None:
            return int(cell[:-1]) if re.fullmatch(r"\d+%", cell) else None
        out.append(AixFs(p[0], " ".join(p[6:]), pct(p[3]), pct(p[5])))
    return out


def errpt(text: str) -> list[tuple[dt.datetime, str]]:
    """`errpt -d H`: hardware (class H) permanent or temporary errors, (when, 'resource description') each
    (errpt's TIMESTAMP is mmddHHMMyy). errpt prints nothing at all when there is none."""
    out = []
    for ln in text.splitlines():
        m = re.match(r"^([0-9A-F]{8})\s+(\d{10})\s+([PTIU])\s+([HSOU])\s+(\S+)\s+(.*)$", ln.strip())
        if not m:
            continue
        stamp = dt.datetime.strptime(m.group(2), "%m%d%H%M%y")
        if m.group(4) == "H" and m.group(3) in ("P", "T"):
            out.append((stamp, f"{stamp:%Y-%m-%d %H:%M} {m.group(5)} {m.group(6)}"))
    if not out and text.strip() and not text.strip().startswith("IDENTIFIER"):
        raise ParseError("errpt: no header and no entries")
    return out


def lspv(text: str) -> list[tuple[str, str, str]]:
    """[(pv, vg, state)] for PVs that belong to a volume group."""
    out = []
    for ln in text.splitlines():
        p = ln.split()
        if len(p) >= 3 and p[0].startswith("hdisk"):
            out.append((p[0], p[2], p[3] if len(p) > 3 else ""))
    if not out:
        raise ParseError("lspv: no hdisk rows")
    return [x for x in out if x[1] != "None"]


def lssrc(text: str) -> dict[str, str]:
    """{subsystem: status} from `lssrc -a`."""
    if "Subsystem" not in text:
        raise ParseError("lssrc -a: no header")
    out = {}
    for ln in text.splitlines()[1:]:
        p = ln.split()
        if len(p) >= 2 and p[-1] in ("active", "inoperative", "stopping"):
            out[p[0]] = p[-1]
    return out
