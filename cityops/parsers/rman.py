"""What RMAN printed for a backup or a `restore ... validate`: the pieces it wrote or read, whether it finished,
and its error stack.

RMAN 10g to 19c print the same lines for these (tests/fixtures/published/SOURCES.md): `piece handle=<path>
tag=<tag> comment=NONE` for each piece written, `Finished backup at <date>` once the command is done;
`channel ORA_DISK_1: reading from backup piece <path>` and `... piece handle=<path> tag=<tag>` then `restored
backup piece 1` per piece a validation read, `Finished restore at <date>` when all were good. An error stack
follows RMAN-00571/00569 banners; ORA-19599 names the corrupt block and its piece. Output with neither a
finish nor an error is not an answer cityops understands: an error with the excerpt.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import ParseError

PIECE = re.compile(r"(?:channel \S+: )?piece handle=(\S+)(?: tag=(\S+))?(?: comment=\S+)?\s*$")
READING = re.compile(r"channel \S+: reading from backup piece (\S+)\s*$")
ERROR = re.compile(r"((?:RMAN|ORA)-\d{5}): ?(.*)")
CORRUPT = re.compile(r"ORA-19599: block number (\d+) is corrupt in backup piece (\S+)")
BANNERS = ("RMAN-00571", "RMAN-00569")
AUTOBACKUP = "Starting Control File and SPFILE Autobackup"
CONTROL_SET = "including current control file in backup set"  # 11g/12c without autobackup: a set of its own
EXCERPT = 300


@dataclass
class RmanReport:
    pieces: list[tuple[str, str]] = field(default_factory=list)  # (handle, tag) written, or read and restored
    read: list[str] = field(default_factory=list)  # pieces a validation started to read
    finished: bool = False
    errors: list[str] = field(default_factory=list)  # 'ORA-19599: block number 5 is corrupt in backup piece ...'
    corrupt: list[tuple[str, int]] = field(default_factory=list)  # (piece, block)
    control_pieces: list[str] = field(default_factory=list)  # pieces of a set `including current control file`

    @property
    def ok(self) -> bool:
        return self.finished and not self.errors


def report(text: str, command: str = "backup") -> RmanReport:
    """RMAN's output for `command` ('backup' or 'restore'). Pieces of the control file autobackup are left out:
    they are RMAN's own, not the backup asked for."""
    out = RmanReport()
    finish = f"Finished {command} at "
    in_autobackup = control_set = False
    for raw in text.splitlines():
        line = raw.strip()
        if line == CONTROL_SET:
            control_set = True
            continue
        if line.startswith(AUTOBACKUP):
            in_autobackup = True
            continue
        if line.startswith("Finished Control File and SPFILE Autobackup"):
            in_autobackup = False
            continue
        if line.startswith(finish):
            out.finished = True
            continue
        m = READING.match(line)
        if m:
            out.read.append(m.group(1))
            continue
        m = PIECE.match(line)
        if m and not in_autobackup:
            out.pieces.append((m.group(1), m.group(2) or ""))
            if control_set:
                out.control_pieces.append(m.group(1))
            control_set = False
            continue
        e = ERROR.search(line)
        if e and e.group(1) not in BANNERS:
            out.errors.append(f"{e.group(1)}: {e.group(2)}".strip())
            c = CORRUPT.search(line)
            if c:
                out.corrupt.append((c.group(2), int(c.group(1))))
    if not out.finished and not out.errors:
        raise ParseError(f"RMAN said neither 'Finished {command}' nor an error: {text.strip()[-EXCERPT:]!r}")
    if command == "backup" and out.finished and not out.errors and not out.pieces:
        raise ParseError(f"RMAN finished a backup without naming a piece: {text.strip()[-EXCERPT:]!r}")
    return out


APPLIED = re.compile(r"archived log file name=\S+ thread=(\d+) sequence=(\d+)")
UNKNOWN_LOG = re.compile(r"RMAN-06054: media recovery requesting unknown archived log for thread (\d+) with sequence "
                         r"(\d+) and starting SCN of (\d+)")


@dataclass
class RecoveryReport:
    """What RMAN printed restoring a database elsewhere: the control file from a piece, mount, pieces catalogued,
    data files restored, media recovery through archived logs, opened with RESETLOGS."""

    control_restored: bool = False
    mounted: bool = False
    catalogued: list[str] = field(default_factory=list)
    restored: bool = False
    recovered: bool = False
    opened: bool = False
    logs: list[int] = field(default_factory=list)  # sequences applied
    errors: list[str] = field(default_factory=list)
    corrupt: list[tuple[str, int]] = field(default_factory=list)
    missing_log: tuple[int, int] | None = None  # (sequence, SCN) recovery asked for and no backup held

    @property
    def ok(self) -> bool:
        return self.recovered and self.opened and not self.errors


def recovery(text: str) -> RecoveryReport:
    """RMAN's output for a restore to a scratch instance (restore controlfile … open resetlogs). Output with no
    step of it and no error is not understood: an error with the excerpt."""
    out = RecoveryReport()
    in_control = in_catalogued = False
    for raw in text.splitlines():
        line = raw.strip()
        if line.endswith("restoring control file"):
            in_control = True
        elif in_control and line.startswith("output file name="):
            out.control_restored = True
        elif line == "database mounted":
            out.mounted = True
        elif line == "List of Cataloged Files":
            in_catalogued = True
        elif in_catalogued and line.startswith("File Name: "):
            out.catalogued.append(line.removeprefix("File Name: "))
        elif line.startswith("Finished restore at ") and not in_control:
            out.restored = True
        elif line.startswith("media recovery complete"):
            out.recovered = True
        elif line == "database opened":
            out.opened = True
        elif m := APPLIED.match(line):
            out.logs.append(int(m.group(2)))
        elif (e := ERROR.search(line)) and e.group(1) not in BANNERS:
            out.errors.append(f"{e.group(1)}: {e.group(2)}".strip())
            if c := CORRUPT.search(line):
                out.corrupt.append((c.group(2), int(c.group(1))))
            if u := UNKNOWN_LOG.search(line):
                out.missing_log = (int(u.group(2)), int(u.group(3)))
        if line.startswith("Finished restore at ") and in_control:
            in_control = False
        if in_catalogued and line and not line.startswith(("File Name: ", "=", "List of Cataloged")):
            in_catalogued = False
    if not (out.control_restored or out.mounted or out.catalogued or out.restored or out.recovered or out.opened
            or out.errors):
        raise ParseError(f"RMAN printed no step of a restore and no error: {text.strip()[-EXCERPT:]!r}")
    return out
