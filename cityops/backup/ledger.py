"""The backup ledger (备份记录): one hash-chained register of every database and file backup, beside the runs.

Each line is one backup with who, when, what and how it ended; every line carries the sha256 of the line before
it (hashchain.py), so a record edited, removed or inserted afterwards breaks the chain where it happened, and a
line torn by a crash is reported, never read as good. What no command can do — the archive bureau's yearly
offline copies on two disks — is entered here by the engineer (`invoke backup.record`), with who did it, when,
and what was written where; the runs of `rman`, `sqlcmd` and `tar` will add their own lines the same way.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput, one_line
from ..hashchain import HashChain
from ..timeutil import BEIJING, now
from .schedule import Job

LEDGER = Path("backups") / "ledger.jsonl"  # under the reports directory
NOTE_MAX = 300
OPERATOR_MAX = 40


class LedgerError(BadInput):
    """A ledger entry refused: one line naming the job and the cause."""


@dataclass(frozen=True)
class Entry:
    owner: str
    job: str
    status: str  # done | failed
    done_at: dt.datetime
    operator: str
    note: str
    what: str = ""
    recorded_at: str = ""
    os_user: str = ""


def register(reports: Path) -> HashChain:
    return HashChain(Path(reports) / LEDGER, "备份记录")


def record_manual(reports: Path, job: Job, *, done_at: dt.datetime, operator: str, note: str,
                  status: str = "done") -> dict:
    """Enter a manual backup the engineer did (the yearly offline disks): checked, then appended to the ledger."""
    where = f"{job.owner} {job.name}"
    if job.kind != "manual":
        raise LedgerError(f"{where}: a {job.kind} backup is recorded by its run, not by hand")
    if status not in ("done", "failed"):
        raise LedgerError(f"{where}: status {one_line(status, 20)!r}: done or failed")
    operator = one_line(operator or "", OPERATOR_MAX + 1).strip()
    if not operator or len(operator) > OPERATOR_MAX:
        raise LedgerError(f"{where}: --operator: who did it (1 to {OPERATOR_MAX} characters)")
    note = one_line(note or "", NOTE_MAX + 1).strip()
    if not note:
        raise LedgerError(f"{where}: --note: what was written where (disks, their serials, where they are kept)")
    if len(note) > NOTE_MAX:
        raise LedgerError(f"{where}: --note is {len(note)} characters (at most {NOTE_MAX})")
    at = now()
    if done_at > at + dt.timedelta(minutes=5):
        raise LedgerError(f"{where}: --time {done_at.isoformat(timespec='minutes')} is in the future")
    if done_at < at - dt.timedelta(days=400):
        raise LedgerError(f"{where}: --time {done_at.isoformat(timespec='minutes')} is more than 400 days ago")
    entry = {"kind": "manual", "owner": job.owner, "job": job.name, "what": job.what, "status": status,
             "done_at": done_at.astimezone(BEIJING).isoformat(timespec="minutes"), "operator": operator,
             "os_user": _os_user(), "note": note, "recorded_at": at.isoformat(timespec="seconds")}
    return register(reports).append(entry)


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


def entries(reports: Path) -> tuple[list[Entry], list[str]]:
    """The ledger's entries that the chain vouches for, and its problems (a broken chain, a torn line), in Chinese."""
    chain = register(reports).read()
    out = []
    for e in chain.entries[:chain.trusted]:
        try:
            out.append(Entry(str(e["owner"]), str(e["job"]), str(e["status"]),
                             dt.datetime.fromisoformat(str(e["done_at"])), str(e.get("operator", "")),
                             str(e.get("note", "")), str(e.get("what", "")), str(e.get("recorded_at", "")),
                             str(e.get("os_user", ""))))
        except (KeyError, ValueError):
            continue
    return out, list(chain.problems)


def last_done(reports: Path) -> tuple[dict[tuple[str, str], Entry], list[str]]:
    """The latest good entry of each (owner, job)."""
    found, problems = entries(reports)
    last: dict[tuple[str, str], Entry] = {}
    for e in found:
        if e.status == "done" and ((e.owner, e.job) not in last or e.done_at > last[e.owner, e.job].done_at):
            last[e.owner, e.job] = e
    return last, problems


LEDGER_HEADERS = ["完成时间", "设备/群集", "备份任务", "备份内容", "结果", "操作人", "说明", "登记时间", "登记账号"]


def ledger_rows(reports: Path, owners: set[str], start: dt.datetime, end: dt.datetime) -> tuple[list[tuple], list[str]]:
    """The ledger's entries of these owners (hosts, clusters) done in [start, end), as the 运维台账 lists them; and
    the ledger's problems (a broken chain is said in the ledger, never hidden)."""
    found, problems = entries(reports)
    rows = [(f"{e.done_at:%Y-%m-%d %H:%M}", e.owner, e.job, e.what, "已完成" if e.status == "done" else "失败",
             e.operator, e.note, e.recorded_at[:16].replace("T", " "), e.os_user)
            for e in found if e.owner in owners and start <= e.done_at < end]
    return sorted(rows), problems
