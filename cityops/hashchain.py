"""Append-only registers whose every line carries the sha256 of the line before it.

One helper for every hash chain cityops keeps: the evidence register (a line per
sealed evidence pack), the run register (a line per finished inspection run, with
its manifest's sha256, so a manifest edited together with its results is caught),
and the audit log later. Editing, removing or inserting any line breaks the chain
at the next line, and `read()` says where.

Appends are serialised with a lock file beside the register (two runs ending at
the same moment still chain correctly) and written with one O_APPEND write and
fsync; a line torn by a crash is reported as such by `read()`, never taken as good.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from dataclasses import dataclass, field
from pathlib import Path

LINK = "previous_line_sha256"


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ChainRead:
    entries: list[dict] = field(default_factory=list)  # the lines that parse, in order
    problems: list[str] = field(default_factory=list)  # Chinese, each naming the line

    @property
    def intact(self) -> bool:
        return not self.problems


class HashChain:
    def __init__(self, path: Path, label: str = ""):
        self.path = Path(path)
        self.label = label or self.path.name  # how its problems name it (登记簿, 巡检登记簿 ...)

    @contextlib.contextmanager
    def _locked(self):
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_name(f".{self.path.name}.lock"), "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _last_line(self) -> str:
        try:
            with open(self.path, "rb") as f:
                f.seek(0, os.SEEK_END)
                size = f.tell()
                f.seek(max(0, size - (1 << 20)))
                tail = f.read()
        except FileNotFoundError:
            return ""
        lines = tail.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        return lines[-1].decode("utf-8", "replace") if lines else ""

    def append(self, entry: dict) -> dict:
        """Add one line chained to the last; returns the entry as written."""
        with self._locked():
            last = self._last_line()
            entry = {**entry, LINK: sha256_text(last) if last else ""}
            line = (json.dumps(entry, ensure_ascii=False, sort_keys=True) + "\n").encode()
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
            try:
                if last and not self._ends_with_newline():
                    os.write(fd, b"\n")  # a torn last line stays torn (and reported); the new line starts clean
                os.write(fd, line)
                os.fsync(fd)
            finally:
                os.close(fd)
            return entry

    def _ends_with_newline(self) -> bool:
        with open(self.path, "rb") as f:
            f.seek(0, os.SEEK_END)
            if f.tell() == 0:
                return True
            f.seek(-1, os.SEEK_END)
            return f.read(1) == b"\n"

    def read(self) -> ChainRead:
        """Every line, checked: each must be a JSON object whose link is the hash of the line before it."""
        out = ChainRead()
        try:
            data = self.path.read_bytes()
        except FileNotFoundError:
            return out
        text = data.decode("utf-8", "replace")
        lines = text.split("\n")
        torn = lines[-1] != ""
        if not torn:
            lines.pop()
        previous = None
        for i, line in enumerate(lines, 1):
            try:
                entry = json.loads(line)
                if not isinstance(entry, dict):
                    raise ValueError("not an object")
            except ValueError:
                if torn and i == len(lines):
                    out.problems.append(f"{self.label}第 {i} 行不完整（写入时被中断）")
                else:
                    out.problems.append(f"{self.label}第 {i} 行不是有效记录（被改动）")
                previous = line
                continue
            expected = sha256_text(previous) if previous is not None else ""
            if entry.get(LINK) != expected:
                out.problems.append(f"{self.label}第 {i} 行之前的记录被改动、删除或插入（哈希链断开）")
            out.entries.append(entry)
            previous = line
        return out
