"""What `sqlcmd` printed for BACKUP DATABASE / BACKUP LOG and RESTORE VERIFYONLY: pages processed, the success
line, the verdict on the backup set, and SQL Server's error messages.

SQL Server 2005 to 2022 print the same lines (tests/fixtures/published/SOURCES.md): `Processed N pages for
database 'D', file 'F' on file 1.` per file, `N percent processed.` with STATS, then `BACKUP DATABASE successfully
processed N pages in S seconds (R MB/sec).` (`BACKUP DATABASE WITH DIFFERENTIAL …`, `BACKUP LOG …`), and
RESTORE DATABASE / RESTORE LOG the same way (a drill restoring under another name); RESTORE VERIFYONLY says
`The backup set on file 1 is valid.`. An error is `Msg N, Level L, State S, …` and its text on the next line
(3201 the device, 3013 terminating abnormally, 3189 damage to the backup set). Any other line is not
understood: an error with the excerpt, never a pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import ParseError

PROCESSED = re.compile(r"Processed (\d+) pages for database '([^']*)', file '([^']*)' on file \d+\.")
PERCENT = re.compile(r"\d+ percent processed\.")
DONE = re.compile(r"(BACKUP DATABASE(?: WITH DIFFERENTIAL)?|BACKUP LOG|RESTORE DATABASE|RESTORE LOG) successfully "
                  r"processed "
                  r"(\d+) pages in ([\d.]+) seconds(?: \(([\d.]+) MB/sec\))?\.")
VALID = re.compile(r"The backup set on file (\d+) is valid\.")
MSG = re.compile(r"Msg (\d+), Level (\d+), State \d+.*")
NOISE = re.compile(r"Completion time: .*|Changed database context to '.*'\.|\(\d+ rows? affected\)|Password:")
EXCERPT = 300


@dataclass
class SqlBackupReport:
    pages: int = 0  # the success line's count
    files: list[tuple[str, str, int]] = field(default_factory=list)  # (database, file, pages)
    done: str = ""  # 'BACKUP DATABASE', 'BACKUP LOG' ... when it said it succeeded
    valid: bool = False  # RESTORE VERIFYONLY's verdict
    errors: list[str] = field(default_factory=list)  # 'Msg 3201: Cannot open backup device …'

    @property
    def ok(self) -> bool:
        return (bool(self.done) or self.valid) and not self.errors


def report(text: str) -> SqlBackupReport:
    out = SqlBackupReport()
    lines = [line.strip() for line in text.splitlines()]
    i = 0
    while i < len(lines):
        line = lines[i]
        i += 1
        if not line or PERCENT.fullmatch(line) or NOISE.fullmatch(line):
            continue
        m = PROCESSED.fullmatch(line)
        if m:
            out.files.append((m.group(2), m.group(3), int(m.group(1))))
            continue
        m = DONE.fullmatch(line)
        if m:
            out.done, out.pages = m.group(1), int(m.group(2))
            continue
        if VALID.fullmatch(line):
            out.valid = True
            continue
        m = MSG.fullmatch(line)
        if m:
            said = ""
            while i < len(lines) and not lines[i]:
                i += 1
            if i < len(lines) and not MSG.fullmatch(lines[i]):
                said = lines[i]
                i += 1
            out.errors.append(f"Msg {m.group(1)}: {said}".strip())
            continue
        raise ParseError(f"not a line of sqlcmd's BACKUP/RESTORE answer: {line[:EXCERPT]!r}")
    if not (out.done or out.valid or out.errors):
        raise ParseError(f"sqlcmd said neither success nor an error: {text.strip()[:EXCERPT]!r}")
    return out
