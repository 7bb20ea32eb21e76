"""The lab devices' configuration changes: what an engineer typed in configuration mode, and what was saved.

A lab device renders its configuration from its inventory entry and health; on top of that it keeps the changes
made in configuration mode (system-view / configure terminal), in `<lab>/netdev-config.json`, shared by every
session and server process under the lab's lock, so a change shows in the next capture from any session.

A change is kept as the devices keep it, by section: each line belongs to the section it was typed in (the
`interface GigabitEthernet0/0/1` or `aaa` opened before it, or the top level) and is rendered inside that
section's block. `undo LINE` / `no LINE` takes a line back out — one added earlier, or one the device rendered
(a negation drops the rendered lines it begins); a single-valued setting (`description`, `ip address`, `sysname`,
a location) replaces the one before it. `save` (VRP, Comware), `write memory` and `copy running-config
startup-config` (IOS, NX-OS) copy the running changes to the startup configuration; `configure replace` sets
the running changes to whatever makes the rendered configuration equal a file.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ...configtext import SEPARATORS, Entry, covers, matching
from ..statedir import LabDir

FILE = "netdev-config.json"
NEGATIONS = ("undo ", "no ")
# settings a section holds one of: typing a new one replaces the old
SINGLE = ("description ", "sysname ", "hostname ", "ip address ", "snmp-agent sys-info location ",
          "snmp-agent sys-info contact ", "snmp-server location ", "snmp-server contact ")
END_MARKERS = ("return", "end")


@dataclass
class Changes:
    add: list[Entry] = field(default_factory=list)
    drop: list[Entry] = field(default_factory=list)  # rendered lines taken out: equal to, or begun by, the line

    def to_json(self) -> dict:
        return {"add": [list(e) for e in self.add], "drop": [list(e) for e in self.drop]}

    @classmethod
    def from_json(cls, raw) -> Changes:
        if isinstance(raw, list):  # a state file from before sections: every line at the top level
            return cls([("", str(x)) for x in raw], [])
        if not isinstance(raw, dict):
            return cls()
        return cls([(str(c), str(x)) for c, x in raw.get("add", [])], [(str(c), str(x)) for c, x in raw.get("drop", [])])

    def dropped(self, entry: Entry) -> bool:
        ctx, line = entry
        return any(c == ctx and covers(x, line) for c, x in self.drop)


def key_of(line: str) -> str | None:
    return next((k for k in SINGLE if line.startswith(k)), None)


def render(text: str, changes: Changes, separator: str = "#") -> str:
    """The listing with the changes applied: dropped lines (and a dropped section's block) gone, added lines
    inside their section's block, a new section as a new block before the end marker."""
    lines = text.split("\n")
    kept: list[str] = []
    ctx, skipping = "", False
    for raw in lines:
        line = raw.rstrip()
        if line and not line[0].isspace():
            stripped = line.strip()
            ctx = "" if stripped.startswith(SEPARATORS) else stripped
            skipping = bool(ctx) and changes.dropped(("", stripped))
            if skipping:
                continue
        elif line.strip() and (skipping or changes.dropped((ctx, line.strip()))):
            continue
        kept.append(raw)
    end = len(kept)
    while end > 0 and not kept[end - 1].strip():
        end -= 1
    if end and kept[end - 1].strip() in END_MARKERS:
        end -= 1
    tail = kept[end:]
    body = kept[:end]
    indent = " "
    for ctx, line in changes.add:
        if not ctx:
            if line not in (x.strip() for x in body if x and not x[0].isspace()):
                body.append(line)
            continue
        at = next((i for i, x in enumerate(body) if x and not x[0].isspace() and x.strip() == ctx), None)
        if at is None:
            body += [separator, ctx, indent + line]
            continue
        j = at + 1
        while j < len(body) and body[j][:1].isspace() and body[j].strip():
            j += 1
        body.insert(j, indent + line)
    return "\n".join(body + tail)


class ConfigState:
    def __init__(self, lab: LabDir):
        self.lab = lab
        self.path: Path = lab.path / FILE
        self._cache: tuple[float, dict] | None = None

    def _load(self) -> dict:
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            return {}
        if self._cache is None or self._cache[0] != mtime:
            try:
                self._cache = (mtime, json.loads(self.path.read_text(encoding="utf-8")))
            except ValueError:
                self._cache = (mtime, {})
        return self._cache[1]

    def changes(self, device: str, which: str = "running") -> Changes:
        return Changes.from_json(self._load().get(device, {}).get(which, []))

    def lines(self, device: str, which: str = "running") -> list[str]:
        """The top-level lines added (a storage array's created objects)."""
        return [line for ctx, line in self.changes(device, which).add if not ctx]

    def _change(self, device: str, change) -> None:
        with self.lab.locked():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (FileNotFoundError, ValueError):
                data = {}
            entry = data.setdefault(device, {})
            running = Changes.from_json(entry.get("running", []))
            startup = Changes.from_json(entry.get("startup", []))
            change(running, startup)
            entry.update(running=running.to_json(), startup=startup.to_json())
            self.lab.write_json(self.path, data)
        self._cache = None

    def enter(self, device: str, line: str, context: str = "", base: frozenset[Entry] = frozenset()) -> None:
        """A line typed in configuration mode, in its section: added (once), or, negated, taken out. `base` is what
        the device renders before any change, so a line it already shows is not added twice."""
        self.apply(device, [(context, line.strip())], base)

    def apply(self, device: str, entries: list[Entry], base: frozenset[Entry] = frozenset()) -> None:
        """Several lines at once (a VRP8 commit, a merge copied in from a file): all, in order, or none."""
        def change(running: Changes, _startup: Changes) -> None:
            for ctx, line in entries:
                enter(running, ctx, line, base)

        self._change(device, change)

    def replace(self, device: str, wanted: list[Entry], base: list[Entry]) -> None:
        """`configure replace`: the running changes become whatever makes the rendered configuration `wanted`."""
        def change(running: Changes, _startup: Changes) -> None:
            have, want = set(base), set(wanted)
            running.add = [e for e in wanted if e not in have]
            # a line of a section that goes goes with its section: the section's own drop takes it
            running.drop = list(dict.fromkeys(e for e in base if e not in want and not (e[0] and ("", e[0]) not in want)))

        self._change(device, change)

    def save(self, device: str) -> None:
        def change(running: Changes, startup: Changes) -> None:
            startup.add, startup.drop = list(running.add), list(running.drop)

        self._change(device, change)

    def clear(self, device: str) -> None:
        """Forget a device's changes: its configuration as `lab.up` first rendered it, its signatures as installed."""
        def change(running: Changes, startup: Changes) -> None:
            running.add, running.drop, startup.add, startup.drop = [], [], [], []

        self._change(device, change)
        with self.lab.locked():
            data = self.lab.read_json(self.path, {})
            data.get(device, {}).pop("signatures_updated", None)
            self.lab.write_json(self.path, data)
        self._cache = None

    def update_signatures(self, device: str, when: float) -> None:
        """A security appliance updated its signature libraries online at `when`."""
        with self.lab.locked():
            data = self.lab.read_json(self.path, {})
            data.setdefault(device, {})["signatures_updated"] = when
            self.lab.write_json(self.path, data)
        self._cache = None

    def signatures_updated(self, device: str) -> float | None:
        value = self._load().get(device, {}).get("signatures_updated")
        return float(value) if isinstance(value, (int, float)) else None


def enter(changes: Changes, ctx: str, line: str, base: frozenset[Entry]) -> None:
    for neg in NEGATIONS:
        if line.startswith(neg):
            target = line[len(neg):].strip()
            changes.add = [(c, x) for c, x in changes.add
                           if not (c == ctx and covers(target, x))]
            if not ctx:  # a section taken out takes its lines with it
                changes.add = [(c, x) for c, x in changes.add if c != target]
            shown = bool(matching(list(base), ctx, target))
            if shown and (ctx, target) not in changes.drop:  # a rendered line taken out
                changes.drop.append((ctx, target))
            return
    key = key_of(line)
    if key:  # a single-valued setting: the new value replaces the old, added or rendered
        changes.add = [(c, x) for c, x in changes.add if not (c == ctx and x.startswith(key))]
        drop = (ctx, key.strip())
        if (ctx, line) in base:
            changes.drop = [d for d in changes.drop if d != drop]
            return
        if any(c == ctx and x.startswith(key) for c, x in base) and drop not in changes.drop:
            changes.drop.append(drop)
        changes.add.append((ctx, line))
        return
    changes.drop = [(c, x) for c, x in changes.drop if not (c == ctx and covers(x, line))]
    if (ctx, line) not in base and (ctx, line) not in changes.add:
        changes.add.append((ctx, line))
