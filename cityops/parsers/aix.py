"""IBM AIX output: df -k (AIX columns), errpt, lspv, lssrc -a, emgr -l."""

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


@dataclass(frozen=True)
class Efix:
    """An interim fix as `emgr -l` lists it; `state` without the asterisks emgr puts around a reboot-required Q."""

    label: str
    state: str
    installed: str
    abstract: str


EFIX_HEADER = re.compile(r"^ID\s+STATE\s+LABEL\s+INSTALL TIME\s+UPDATED BY\s+ABSTRACT\s*$")
EFIX_ROW = re.compile(r"^\s*(\d+)\s+(\*?[A-Z]{1,2}\*?)\s+(\S+)\s+(\d\d/\d\d/\d\d \d\d:\d\d:\d\d)\s*(.*?)\s*$")
EFIX_STATES = frozenset({"S", "M", "U", "Q", "B", "I", "R", "T", "P", "N", "SP", "SN", "QP", "QN", "RQ"})


def efixes(text: str) -> list[Efix]:
    """`emgr -l`: the header, a rule of `=`, one row per fix, then the STATE codes legend (IBM's ansible-power-aix
    captures of AIX 7.2 and 7.3); "There is no efix data on this system." is none. A row or line not of that
    layout is an error with the line, never skipped."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n")]
    body = [ln for ln in lines if ln.strip()]
    if len(body) == 1 and body[0].strip() == "There is no efix data on this system.":
        return []
    if not body or not EFIX_HEADER.match(body[0].strip()):
        raise ParseError(f"emgr -l: not its header (ID STATE LABEL INSTALL TIME UPDATED BY ABSTRACT): "
                         f"'{(body[0] if body else '')[:80]}'")
    if len(body) < 2 or set(body[1].replace(" ", "")) != {"="}:
        raise ParseError("emgr -l: the rule under the header is missing")
    out = []
    for ln in body[2:]:
        if ln.strip() == "STATE codes:":
            return out
        m = EFIX_ROW.match(ln)
        state = m.group(2).strip("*") if m else ""
        if m is None or state not in EFIX_STATES:
            raise ParseError(f"emgr -l: unreadable line '{ln[:80]}'")
        out.append(Efix(m.group(3), state, m.group(4), m.group(5)))
    raise ParseError("emgr -l: the listing ends before its STATE codes legend (cut short)")
