"""GNU coreutils' `sha256sum`: the digests it prints, and what `sha256sum -c --quiet` says went wrong.

`sha256sum FILE...` prints one line per file: 64 hex digits, a space, a mode character (' ' text, '*' binary)
and the name. A name holding a backslash or a newline is escaped ('\\\\', '\\n') and its line starts with a
backslash (coreutils since 2008; the `-c` reader undoes it). Its `-c` report escapes only names holding a
newline that way, and quotes names the shell's way in its error lines. cityops writes its own manifests in that format,
so an engineer can check a restored tree at 3 a.m. with `sha256sum -c` and no cityops at all.

`sha256sum -c --quiet LIST` prints nothing for a file that matches, '<name>: FAILED' for one that does not,
'<name>: FAILED open or read' for one missing, then warnings counting them ('WARNING: 1 computed checksum did
NOT match'; coreutils 5 and 6 said '1 of 412 computed checksums'). Any other line is not understood: an error
with the excerpt, never a pass.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import ParseError

DIGEST = re.compile(r"(\\?)([0-9a-f]{64}) ([ *])(.+)")
RESULT = re.compile(r"(.+): (FAILED open or read|FAILED|OK)")
WARNING = re.compile(r"(?:\S+: )?WARNING: (\d+)(?: of \d+)? (computed checksums? did NOT match|listed files? could "
                     r"not be read|lines? (?:is|are) improperly formatted)")
OPEN_ERROR = re.compile(r"(?:\S*sha256sum|md5sum): (.+): (?:No such file or directory|Permission denied|Is a directory)")
EXCERPT = 200


def escape(name: str) -> str:
    """A file name as sha256sum writes it (without the leading backslash its line then needs)."""
    return name.replace("\\", "\\\\").replace("\n", "\\n")


def manifest_line(digest: str, name: str) -> str:
    """One line of a manifest `sha256sum -c` reads: binary mode, escaped like coreutils escapes it."""
    escaped = escape(name)
    lead = "\\" if escaped != name else ""
    return f"{lead}{digest} *{escaped}\n"


def _unescape(name: str) -> str:
    out, i = [], 0
    while i < len(name):
        if name[i] == "\\" and i + 1 < len(name) and name[i + 1] in "\\n":
            out.append("\n" if name[i + 1] == "n" else "\\")
            i += 2
        else:
            out.append(name[i])
            i += 1
    return "".join(out)


def digests(text: str) -> dict[str, str]:
    """`sha256sum FILE...` -> {name: hex digest}. A line that is not a digest line is an error with its excerpt."""
    out: dict[str, str] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        m = DIGEST.fullmatch(line)
        if not m:
            raise ParseError(f"not a sha256sum line: {line[:EXCERPT]!r}")
        name = _unescape(m.group(4)) if m.group(1) else m.group(4)
        out[name] = m.group(2)
    if not out:
        raise ParseError("sha256sum printed no digest")
    return out


@dataclass
class CheckReport:
    """What `sha256sum -c --quiet` said: the files that differ, those it could not read, and its own counts."""

    failed: list[str] = field(default_factory=list)
    unreadable: list[str] = field(default_factory=list)
    counted: dict[str, int] = field(default_factory=dict)  # its WARNING lines: mismatched, unreadable, malformed

    @property
    def ok(self) -> bool:
        return not (self.failed or self.unreadable or any(self.counted.values()))


def check_report(text: str) -> CheckReport:
    """`sha256sum -c [--quiet] LIST`'s output (stdout and stderr together). Its own counts must agree with the
    lines it printed; what is not a result or a warning is an error with the excerpt."""
    report = CheckReport()
    # 'sha256sum: NAME: No such file or directory', each owed a 'FAILED open or read' line (coreutils 8.25+ quotes
    # NAME the shell's way here, 'new'$'\\n''line', so only their number is compared)
    cannot_open: list[str] = []
    for line in text.splitlines():
        if not line.strip():
            continue
        w = WARNING.fullmatch(line.strip())
        if w:
            kind = ("mismatched" if "checksum" in w.group(2) else "unreadable" if "read" in w.group(2)
                    else "malformed")
            report.counted[kind] = report.counted.get(kind, 0) + int(w.group(1))
            continue
        opened = OPEN_ERROR.fullmatch(line)
        if opened:
            cannot_open.append(opened.group(1))
            continue
        m = RESULT.fullmatch(line)
        if not m:
            raise ParseError(f"not a sha256sum -c line: {line[:EXCERPT]!r}")
        name = _unescape(m.group(1)[1:]) if m.group(1).startswith("\\") else m.group(1)
        if m.group(2) == "FAILED":
            report.failed.append(name)
        elif m.group(2) == "FAILED open or read":
            report.unreadable.append(name)
    if len(cannot_open) > len(report.unreadable):  # the list itself, or a file never reported on: no answer
        raise ParseError(f"sha256sum -c could not open {cannot_open[0][:EXCERPT]!r}: {text[:EXCERPT]!r}")
    if report.counted.get("mismatched", len(report.failed)) != len(report.failed) or \
            report.counted.get("unreadable", len(report.unreadable)) != len(report.unreadable):
        raise ParseError(f"sha256sum -c counted {report.counted} but listed {len(report.failed)} failed and "
                         f"{len(report.unreadable)} unreadable: {text[:EXCERPT]!r}")
    return report
