"""The audit trail: every command or query sent to a device, one JSON line each, secrets redacted, hash-chained.

Who (the OS user and the cityops operator), when (+08:00), which task and run, which host and address, what was
sent, how it ended (exit status or cause) and how long it took (lot 24: every operation recorded and traceable).

The trail is a directory of monthly segments (`2026-12.jsonl`, …). Each line carries the sha256 of the line before
it, and the first line of a segment the sha256 of the last line of the segment before, so one chain runs through
every month (hashchain.py): `verify()` names an edited, removed or inserted line, a torn one, a missing month, and
— through the chain heads that run manifests, change records and zone bundles keep (`head()`) — a truncated tail.

Appends from every thread and process go through one lock file for the whole directory (a segment's first line
reads the previous segment, so the lock cannot be per segment). Lines are written with O_APPEND and no fsync on the
hot path, which survives `kill -9`; `sync()` flushes to disk when a run is sealed, before its head is recorded.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import getpass
import json
import os
import re
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from ..hashchain import HashChain, sha256_text
from ..timeutil import now
from . import redact

SEGMENT = re.compile(r"(\d{4})-(\d{2})\.jsonl")
LOCK = ".audit.lock"


def segments(directory: Path) -> list[Path]:
    """The trail's monthly segments, oldest first (other files in the directory are not the trail's)."""
    try:
        return sorted(p for p in Path(directory).iterdir() if SEGMENT.fullmatch(p.name) and p.is_file())
    except FileNotFoundError:
        return []


@contextlib.contextmanager
def _locked(directory: Path):
    """The one lock of the trail's directory, across threads (each opens it) and processes."""
    with open(Path(directory) / LOCK, "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _chain(directory: Path, segment: Path, durable: bool = False) -> HashChain:
    """One segment as a chain whose first line links to the last line of the segment before it."""
    def first_link() -> str:
        before = [p for p in segments(directory) if p.name < segment.name]
        last = HashChain(before[-1]).last_line() if before else ""
        return sha256_text(last) if last else ""

    return HashChain(segment, f"审计日志 {segment.name} ", lock=Path(directory) / LOCK, first_link=first_link,
                     durable=durable)


class AuditLog:
    """The trail of one task's run: `record()` appends a line; `head()` says where the chain stands."""

    def __init__(self, directory: Path, run_id: str = "", operator: str = "", task: str = ""):
        self.directory, self.run_id, self.task = Path(directory), run_id, task
        self.operator = operator or os.environ.get("CITYOPS_INSPECTOR", "") or getpass.getuser()
        self.user = getpass.getuser()
        self._lock = threading.Lock()
        self._chains: dict[str, HashChain] = {}
        self.directory.mkdir(parents=True, exist_ok=True)

    def _segment(self, at: dt.datetime) -> HashChain:
        """The month's segment — never one before the newest that exists (a clock set back appends to the newest,
        so the chain's order is the order of writing). Called under the directory's lock."""
        month = f"{at:%Y-%m}.jsonl"
        if month not in self._chains:
            existing = segments(self.directory)
            name = existing[-1].name if existing and existing[-1].name > month else month
            self._chains[month] = _chain(self.directory, self.directory / name)
        return self._chains[month]

    def record(self, host: str, address: str, username: str, protocol: str, command: str,
               status: int | str | None, seconds: float, **extra) -> None:
        at = now()
        entry = {"time": at.isoformat(timespec="milliseconds"), "run_id": self.run_id, "task": self.task,
                 "operator": self.operator, "os_user": self.user, "host": host, "address": address,
                 "username": username, "protocol": protocol, "command": redact.text(command), "status": status,
                 "seconds": round(seconds, 3)}
        entry.update(redact.clean(extra))
        with self._lock, _locked(self.directory):
            self._segment(at).append(entry, locked=True)

    def sync(self) -> None:
        """Flush every segment this log appended to onto the disk."""
        with self._lock:
            for chain in self._chains.values():
                chain.sync()

    def head(self) -> dict:
        """Sync, then where the chain ends now: {segment, bytes, sha256} — what a manifest or bundle keeps, so a
        trail cut back before that line is caught by `verify()`."""
        self.sync()
        return head(self.directory)


def head(directory: Path) -> dict:
    """Where the trail ends now: the newest segment, its size in bytes and the sha256 of its last line ({} for an
    empty trail). Taken under the trail's lock, so no line is half counted; costs a stat and one block."""
    if not Path(directory).is_dir():
        return {}
    with _locked(directory):
        for segment in reversed(segments(directory)):
            size = segment.stat().st_size
            last = HashChain(segment).last_line()
            if last:
                return {"segment": segment.name, "bytes": size, "sha256": sha256_text(last)}
    return {}


@dataclass
class Verdict:
    segments: int = 0
    entries: int = 0
    heads: int = 0  # recorded heads checked
    problems: list[str] = field(default_factory=list)  # Chinese, each naming the segment and line

    @property
    def ok(self) -> bool:
        return not self.problems


def verify(directory: Path, heads: list[tuple[str, dict]] = ()) -> Verdict:
    """Check every segment's chain and that each recorded head (who recorded it, {segment, bytes, sha256}) still ends
    a line of the trail: a head gone or changed means the trail was cut back or rewritten after it was recorded."""
    directory = Path(directory)
    out = Verdict()
    sizes: dict[str, int] = {}
    for segment in segments(directory):
        read = _chain(directory, segment).read(keep=False)
        out.segments += 1
        out.entries += read.count
        out.problems.extend(read.problems)
        sizes[segment.name] = segment.stat().st_size
    for who, h in heads:
        if not isinstance(h, dict) or not h:
            continue
        out.heads += 1
        name, size, sha = str(h.get("segment", "")), h.get("bytes"), str(h.get("sha256", ""))
        if name not in sizes:
            out.problems.append(f"{who} 记录的审计链头在 {name}，该月审计日志已不存在（被删除）")
        elif not isinstance(size, int) or size < 1 or size > sizes[name]:
            out.problems.append(f"{who} 记录的审计链头在 {name} 第 {size} 字节处，日志只剩 {sizes[name]} 字节"
                                f"（尾部被截断）")
        else:
            chain = HashChain(directory / name)
            if not chain.ends_line_at(size) or sha256_text(chain.last_line(size)) != sha:
                with open(directory / name, "rb") as fh:
                    number = fh.read(size).count(b"\n")  # only to name the line: a problem is rare
                out.problems.append(f"{who} 记录的审计链头与 {name} 第 {number} 行不符（此前的记录被改写、删除或插入）")
    return out


def entries(directory: Path) -> Iterator[dict]:
    """Every line of every segment that parses as an object, oldest first (show, not verification)."""
    for segment in segments(directory):
        with open(segment, encoding="utf-8", errors="replace") as fh:
            for n, line in enumerate(fh, 1):
                try:
                    entry = json.loads(line)
                except ValueError:
                    continue
                if isinstance(entry, dict):
                    yield {**entry, "_segment": segment.name, "_line": n}

