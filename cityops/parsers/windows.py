"""Windows Server and SQL Server answers, as the checks ask for them: one row per line, columns joined by '|'.

PowerShell scripts print `a|b|c` per object and sqlcmd runs with `-h -1 -W -s "|"`
(no headers, trimmed, '|' separated), so both parse the same way.
"""

from __future__ import annotations

import datetime as dt
import re

from . import ParseError

SQLCMD_FAILURE = re.compile(r"^(Sqlcmd: Error:.*|Msg \d+, Level (1[1-9]|2\d), State \d+.*)$", re.M)


def rows(text: str, columns: int, what: str) -> list[list[str]]:
    out = []
    for ln in text.splitlines():
        if not ln.strip():
            continue
        parts = [p.strip() for p in ln.split("|")]
        if len(parts) < columns:
            raise ParseError(f"{what}: expected {columns} columns, got '{ln.strip()[:80]}'")
        out.append([*parts[:columns - 1], "|".join(parts[columns - 1:])])  # the last column may hold '|'
    return out


def sqlcmd_failure(text: str) -> str | None:
    """The error sqlcmd printed instead of rows (login timeout, invalid object ...), if any."""
    m = SQLCMD_FAILURE.search(text)
    return m.group(1).strip() if m else None


def when(text: str) -> dt.datetime:
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M:%S.%f", "%Y/%m/%d %H:%M:%S", "%Y/%m/%d"):
        try:
            return dt.datetime.strptime(text.strip(), fmt)
        except ValueError:
            continue
    raise ParseError(f"'{text}' is not a date and time")


SEVERITY = re.compile(r"Severity:\s*(\d+)")


def errorlog_severe(lines: list[list[str]], minimum: int = 17) -> list[str]:
    """Error log rows (date, process, text) whose 'Severity: N' is at least `minimum` (17+: resources, 20+: fatal)."""
    out = []
    for date, _proc, text in lines:
        m = SEVERITY.search(text)
        if m and int(m.group(1)) >= minimum:
            out.append(f"{date} {text}")
    return out
