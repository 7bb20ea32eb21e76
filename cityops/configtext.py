"""Configuration listings as sections: what VRP, Comware, IOS and NX-OS print is a list of lines, each belonging
to the unindented line above it (`interface GigabitEthernet0/0/1`, `aaa`, `line vty 0 4`) or to the top level.

Reading a change, verifying it landed and replaying a backup to undo one all compare listings this way, by
(section, line) — so a `shutdown` under one interface is never mistaken for the same word under another.
"""

from __future__ import annotations

SEPARATORS = ("#", "!")

Entry = tuple[str, str]  # (the section's opening line, or "" at the top level; the line, unindented)


def parse(text: str) -> list[Entry]:
    """A listing as entries: an indented line belongs to the unindented line above it; lines under a separator
    (`#`, `!`: VRP indents its top-level commands under `#`) are top level."""
    out, ctx = [], ""
    for raw in text.replace("\r\n", "\n").split("\n"):
        line = raw.rstrip()
        if not line.strip():
            continue
        if not line[0].isspace():
            stripped = line.strip()
            ctx = "" if stripped.startswith(SEPARATORS) else stripped
            out.append(("", stripped))
        else:
            out.append((ctx, line.strip()))
    return out


def covers(prefix: str, line: str) -> bool:
    """Does a negation of `prefix` take `line` out? The line itself, or the line it begins as whole words
    (`undo ntp-service unicast-server` takes out `ntp-service unicast-server 127.0.0.2`)."""
    return line == prefix or line.startswith(prefix + " ")


def matching(entries: list[Entry], ctx: str, prefix: str) -> list[str]:
    """The lines of section `ctx` that a negation of `prefix` takes out."""
    return [x for c, x in entries if c == ctx and covers(prefix, x)]
