"""Append-only registers whose every line carries the sha256 of the line before it.

One helper for every hash chain cityops keeps: the evidence register (a line per
sealed evidence pack), the run register (a line per finished inspection run, with
its manifest's sha256, so a manifest edited together with its results is caught),
the backup and change registers, and the audit log, whose monthly segments are
chains each starting from the last line of the segment before (`first_link`).
Editing, removing or inserting any line breaks the chain at the next line, and
`read()` says where.

Appends are serialised with a lock file beside the register (or one shared by
several, `lock`), so two runs ending at the same moment still chain correctly,
and written with one O_APPEND write — and fsync, unless the caller syncs later
(`durable=False`: the audit log's hot path, synced when its run is sealed). A line
torn by a crash is reported as such by `read()`, never taken as good.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

LINK = "previous_line_sha256"
TAIL_BLOCK = 1 << 16


def sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class ChainRead:
    entries: list[dict] = field(default_factory=list)  # the lines that parse, in order
    problems: list[str] = field(default_factory=list)  # Chinese, each naming the line
    trusted: int = 0  # how many of `entries` come before the first break: only those vouch for anything
    count: int = 0  # the entries read (kept in `entries` unless read with keep=False)
    lines: list[bytes] = field(default_factory=list)  # with raw=True: each entry's line as written, beside `entries`


class HashChain:
    def __init__(self, path: Path, label: str = "", *, lock: Path | None = None,
                 first_link: Callable[[], str] | None = None, durable: bool = True):
        self.path = Path(path)
        self.label = label or self.path.name  # how its problems name it (登记簿, 巡检登记簿 ...)
        self.lock = Path(lock) if lock else self.path.with_name(f".{self.path.name}.lock")
        self.first_link = first_link or (lambda: "")  # what the first line links to ("" for a chain's start)
        self.durable = durable
        self._mine: tuple[int, int, str] | None = None  # (inode, size, sha) after this object's own last append

    @contextlib.contextmanager
    def locked(self):
        """Held while appending; a caller holding it may read and append as one step (the audit's segments)."""
        self.lock.parent.mkdir(parents=True, exist_ok=True)
        with open(self.lock, "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            yield

    def _tail(self, upto: int | None = None) -> tuple[str, bool]:
        """The last line (of the first `upto` bytes), and whether they end with a newline (a torn last line does
        not). Read backwards a block at a time, so a long register costs one block, and a line of any length is read
        whole."""
        try:
            with open(self.path, "rb") as f:
                end = f.seek(0, os.SEEK_END) if upto is None else upto
                tail, at = b"", end
                while at > 0:
                    at = max(0, at - TAIL_BLOCK)
                    f.seek(at)
                    tail = f.read(min(TAIL_BLOCK, end - at)) + tail
                    if tail.rstrip(b"\n").count(b"\n") >= 1:
                        break
        except FileNotFoundError:
            return "", True
        whole = tail.endswith(b"\n") or not tail
        lines = tail.split(b"\n")
        if lines and lines[-1] == b"":
            lines.pop()
        return (lines[-1].decode("utf-8", "replace") if lines else ""), whole

    def last_line(self, upto: int | None = None) -> str:
        """The last line written (possibly torn) — of the first `upto` bytes when given —, "" for an empty or absent
        register."""
        return self._tail(upto)[0]

    def ends_line_at(self, upto: int) -> bool:
        """Whether the first `upto` bytes end with a whole line."""
        return self._tail(upto)[1]

    def append(self, entry: dict, *, locked: bool = False) -> dict:
        """Add one line chained to the last; returns the entry as written (`locked`: the caller holds `locked()`)."""
        if not locked:
            with self.locked():
                return self.append(entry, locked=True)
        try:
            st = os.stat(self.path)
            here = (st.st_ino, st.st_size)
        except FileNotFoundError:
            here = None
        if here and self._mine and self._mine[:2] == here:  # nobody wrote since our own last line: no read
            link, whole = self._mine[2], True
        elif here and here[1]:
            last, whole = self._tail()
            link = sha256_text(last) if last else self.first_link()
        else:
            link, whole = self.first_link(), True
        entry = {**entry, LINK: link}
        text = json.dumps(entry, ensure_ascii=False, sort_keys=True)
        line = (text + "\n").encode()
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            if not whole:
                os.write(fd, b"\n")  # a torn last line stays torn (and reported); the new line starts clean
            os.write(fd, line)
            if self.durable:
                os.fsync(fd)
            st = os.fstat(fd)
        finally:
            os.close(fd)
        self._mine = (st.st_ino, st.st_size, sha256_text(text))
        return entry

    def sync(self) -> None:
        """Flush what was appended without fsync to the disk."""
        try:
            fd = os.open(self.path, os.O_RDONLY)
        except FileNotFoundError:
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self, keep: bool = True, raw: bool = False) -> ChainRead:
        """Every line, checked: each must be a JSON object whose link is the hash of the line before it. Read a
        line at a time; `keep=False` keeps only the count and the problems (a month of audit lines is verified in
        the memory of one line); `raw=True` also keeps each entry's line verbatim, for whoever hands lines on
        (evidence packs, zone bundles) from the same reading that verified them."""
        out = ChainRead()
        if not self.path.exists():
            return out
        previous = None
        broken = 0  # entries before this line number vouch for anything
        numbers: list[int] = []  # the line number of each entry
        with open(self.path, "rb") as fh:
            i = 0
            for raw_line in fh:
                i += 1
                torn = not raw_line.endswith(b"\n")  # only the last line can lack its newline
                line = raw_line.decode("utf-8", "replace").removesuffix("\n")
                try:
                    entry = json.loads(line)
                    if not isinstance(entry, dict):
                        raise ValueError("not an object")
                except ValueError:
                    if torn:
                        out.problems.append(f"{self.label}第 {i} 行不完整（写入时被中断）")
                    else:
                        out.problems.append(f"{self.label}第 {i} 行不是有效记录（被改动）")
                    broken = broken or i
                    previous = line
                    continue
                expected = sha256_text(previous) if previous is not None else self.first_link()
                if entry.get(LINK) != expected:
                    out.problems.append(f"{self.label}第 {i} 行之前的记录被改动、删除或插入（哈希链断开）")
                    broken = broken or i - 1  # the line before a broken link is the one that may have been edited
                if keep:
                    out.entries.append(entry)
                if raw:
                    out.lines.append(raw_line.rstrip(b"\n"))
                out.count += 1
                numbers.append(i)
                previous = line
        out.trusted = sum(1 for n in numbers if not broken or n < broken)
        return out
