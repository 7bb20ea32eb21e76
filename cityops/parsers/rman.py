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
EXCERPT = 300


@dataclass
class RmanReport:
    pieces: list[tuple[str, str]] = field(default_factory=list)  # (handle, tag) written, or read and restored
    read: list[str] = field(default_factory=list)  # pieces a validation started to read
    finished: bool = False
    errors: list[str] = field(default_factory=list)  # 'ORA-19599: block number 5 is corrupt in backup piece ...'
    corrupt: list[tuple[str, int]] = field(default_factory=list)  # (piece, block)

    @property
    def ok(self) -> bool:
        return self.finished and not self.errors


def report(text: str, command: str = "backup") -> RmanReport:
    """RMAN's output for `command` ('backup' or 'restore'). Pieces of the control file autobackup are left out:
    they are RMAN's own, not the backup asked for."""
    out = RmanReport()
    finish = f"Finished {command} at "
    in_autobackup = False
    for raw in text.splitlines():
        line = raw.strip()
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
