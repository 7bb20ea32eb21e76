"""The lab devices' configuration changes: what an engineer typed in configuration mode, and what was saved.

A lab device renders its configuration from its inventory entry and health; on top of that it keeps the lines
entered in configuration mode (system-view / configure terminal), in `<lab>/netdev-config.json`, shared by
every session and server process under the lab's lock, so a change shows in the next capture from any session.
`save` (VRP, Comware), `write memory` and `copy running-config startup-config` (IOS, NX-OS) copy the running
lines to the startup configuration; `undo LINE` / `no LINE` take a line back out.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from ..statedir import LabDir

FILE = "netdev-config.json"
NEGATIONS = ("undo ", "no ")


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

    def lines(self, device: str, which: str = "running") -> list[str]:
        return list(self._load().get(device, {}).get(which, []))

    def _change(self, device: str, change) -> None:
        with self.lab.locked():
            try:
                data = json.loads(self.path.read_text(encoding="utf-8"))
            except (FileNotFoundError, ValueError):
                data = {}
            entry = data.setdefault(device, {"running": [], "startup": []})
            change(entry)
            self.lab.write_json(self.path, data)
        self._cache = None

    def enter(self, device: str, line: str) -> None:
        """A line typed in configuration mode: added (once), or, negated, taken out."""
        line = line.rstrip()

        def change(entry):
            running = entry["running"]
            for neg in NEGATIONS:
                if line.startswith(neg) and line[len(neg):] in running:
                    running.remove(line[len(neg):])
                    return
            if line not in running:
                running.append(line)

        self._change(device, change)

    def save(self, device: str) -> None:
        self._change(device, lambda entry: entry.update(startup=list(entry["running"])))

    def clear(self, device: str) -> None:
        """Forget a device's changes: its configuration as `lab.up` first rendered it."""
        self._change(device, lambda entry: entry.update(running=[], startup=[]))
