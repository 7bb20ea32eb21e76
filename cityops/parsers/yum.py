"""`yum check-update` / `dnf check-update` -> the updates a host would take, or ParseError.

The table has three columns (name.arch, [epoch:]version-release, repository). yum
moves what does not fit onto an indented next line: a long name is followed by
"version repo" on the next line, a long version by the repository alone. Before
the table come plugin lines ("Loaded plugins: …", " * base: mirror …", a
subscription-manager notice); after it may come "Obsoleting Packages" (the
packages listed under it replace installed ones and are already in the table or
named there), "Security: … is an installed security update" and broken
update-notice warnings. Any other line in the table, or a row whose version does
not look like an RPM version, is not understood: a ParseError with the line,
never a shorter list that passes for the whole.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import ParseError

# RPM names and versions are letters, digits and . _ + - ~ ^: a row with anything else (a shell's ; $ ` |) is not
# a package, and a name cityops will write back into a command line must never carry one
NAME = r"(?P<name>[A-Za-z0-9_+][A-Za-z0-9._+-]*)"
EVR = r"(?P<evr>(?:\d+:)?[A-Za-z0-9._+~^]+-[A-Za-z0-9._+~^]+)"
ROW = re.compile(rf"^{NAME}\.(?P<arch>[A-Za-z0-9_]+)\s+{EVR}\s+(?P<repo>[A-Za-z0-9_.@-]+)\s*$")
NAME_ONLY = re.compile(rf"^{NAME}\.(?P<arch>[A-Za-z0-9_]+)\s*$")
NAME_VERSION = re.compile(rf"^{NAME}\.(?P<arch>[A-Za-z0-9_]+)\s+{EVR}\s*$")
CONTINUED = re.compile(rf"^\s+{EVR}(?:\s+(?P<repo>[A-Za-z0-9_.@-]+))?\s*$")
REPO_ONLY = re.compile(r"^\s+(?P<repo>[A-Za-z0-9_.@-]+)\s*$")
PREAMBLE = (
    re.compile(r"^Loaded plugins:"), re.compile(r"^Loading mirror speeds"), re.compile(r"^Determining fastest mirrors"),
    re.compile(r"^\s\*\s\S+: "),
    re.compile(r"^Last metadata expiration check:"), re.compile(r"^This system is (?:not )?registered"),
    re.compile(r"^Updating Subscription Management repositories"), re.compile(r"^Unable to read consumer identity"),
    re.compile(r"^Limiting package lists to security relevant ones"), re.compile(r"^\d+ package\(s\) needed for security"),
    re.compile(r"^No packages needed for security"), re.compile(r"^Repository \S+ is listed more than once"),
)
EPILOGUE = (
    re.compile(r"^Security: .+ is (?:an installed security update|the currently running version)$"),
    re.compile(r"^Update notice \S+ \(from \S+\) is broken, or a bad duplicate, skipping\.$"),
    re.compile(r"^You should report this problem to the owner of the \S+ repository\.$"),
)
OBSOLETING = re.compile(r"^Obsoleting [Pp]ackages\s*$")


@dataclass(frozen=True)
class PendingUpdate:
    name: str
    arch: str
    evr: str  # [epoch:]version-release, as yum prints it
    repo: str

    @property
    def version(self) -> str:
        """version-release without the epoch (as `rpm -q` shows the installed package)."""
        return self.evr.split(":", 1)[-1]


def check_update(text: str) -> list[PendingUpdate]:
    """Every pending update in the table, in yum's order; ParseError on a line that is not understood."""
    if not text.strip():
        raise ParseError("yum check-update: empty answer (yum prints at least its plugin line)")
    out: list[PendingUpdate] = []
    seen: set[tuple[str, str]] = set()
    lines = text.replace("\r\n", "\n").split("\n")
    i, in_table, obsoleting = 0, False, False
    pending_name: tuple[str, str] | None = None  # a long name waiting for its version
    pending_version: tuple[str, str, str] | None = None  # name, arch, version waiting for its repository

    def add(name: str, arch: str, evr: str, repo: str) -> None:
        if (name, arch) not in seen:  # an obsoleting package may also be listed as an update
            seen.add((name, arch))
            out.append(PendingUpdate(name, arch, evr, repo))

    while i < len(lines):
        line = lines[i]
        i += 1
        if not line.strip():
            if in_table and (pending_name or pending_version):
                raise ParseError(f"yum check-update: a row broken off before its {'version' if pending_name else 'repository'}")
            continue
        if any(p.match(line) for p in EPILOGUE):
            continue
        if not in_table and any(p.match(line) for p in PREAMBLE):
            continue
        if OBSOLETING.match(line):
            obsoleting, in_table = True, True
            continue
        if obsoleting:
            if line.startswith((" ", "\t")):
                continue  # the installed package an obsoleting one replaces: not an update of its own
            m = ROW.match(line) or NAME_ONLY.match(line)
            if not m:
                raise ParseError(f"yum check-update: not understood in Obsoleting Packages: {line[:120]!r}")
            if m.re is ROW:
                add(m["name"], m["arch"], m["evr"], m["repo"])
            continue
        if pending_name:
            m = CONTINUED.match(line)
            if not m:
                raise ParseError(f"yum check-update: the version of {pending_name[0]} not found: {line[:120]!r}")
            if m["repo"]:
                add(*pending_name, m["evr"], m["repo"])
                pending_name = None
            else:
                pending_version, pending_name = (*pending_name, m["evr"]), None
            continue
        if pending_version:
            m = REPO_ONLY.match(line)
            if not m:
                raise ParseError(f"yum check-update: the repository of {pending_version[0]} not found: {line[:120]!r}")
            add(*pending_version, m["repo"])
            pending_version = None
            continue
        m = ROW.match(line)
        if m:
            in_table = True
            add(m["name"], m["arch"], m["evr"], m["repo"])
            continue
        m = NAME_VERSION.match(line)
        if m:
            in_table, pending_version = True, (m["name"], m["arch"], m["evr"])
            continue
        m = NAME_ONLY.match(line)
        if m and i < len(lines) and lines[i].startswith((" ", "\t")):
            in_table, pending_name = True, (m["name"], m["arch"])
            continue
        raise ParseError(f"yum check-update: line not understood: {line[:120]!r}")
    if pending_name or pending_version:
        raise ParseError("yum check-update: the output ends in the middle of a row")
    return out


def pending_updates(text: str) -> dict[str, str]:
    """{'name.arch': '[epoch:]version-release'} of every pending update: the reading the patch check takes."""
    return {f"{u.name}.{u.arch}": u.evr for u in check_update(text)}
