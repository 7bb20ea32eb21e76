"""The backup ledger (备份记录): one hash-chained register of every database and file backup, beside the runs.

Each line is one backup with who, when, what and how it ended; every line carries the sha256 of the line before
it (hashchain.py), so a record edited, removed or inserted afterwards breaks the chain where it happened, and a
line torn by a crash is reported, never read as good. What no command can do — the archive bureau's yearly
offline copies on two disks — is entered here by the engineer (`invoke backup.record`), with who did it, when,
and what was written where.

A backup cityops runs writes two lines: `run_start` before it touches anything, `run_end` with the outcome
(verified or failed, size, sha256, the checks and the evidence) once it knows. A start without its end is a run
still going while its job's lock is held, and incomplete once it is not (the process died: kill -9, a reboot);
it is never read as a backup. Later checks of a stored backup (`verify`) and restore drills (`drill`) are lines
of their own, pointing at the run they checked.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import getpass
import os
import re
import secrets
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInput, one_line
from ..hashchain import HashChain
from ..timeutil import BEIJING, now
from ..transport import audit
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
        if e.get("kind") != "manual":
            continue
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
    keyed = [(e.done_at, (f"{e.done_at:%Y-%m-%d %H:%M}", e.owner, e.job, e.what,
                          "已完成" if e.status == "done" else "失败", e.operator, e.note,
                          e.recorded_at[:16].replace("T", " "), e.os_user))
             for e in found if e.owner in owners and start <= e.done_at < end]
    for r in runs(reports)[0]:
        if r.owner in owners and start <= r.started < end:
            keyed.append((r.ended or r.started, (f"{(r.ended or r.started):%Y-%m-%d %H:%M}", r.owner, r.job, r.what,
                                                 RUN_STATES[r.status], r.operator, run_note(r),
                                                 f"{r.started:%Y-%m-%d %H:%M}", "cityops")))
    return [row for _at, row in sorted(keyed, key=lambda k: k[0])], problems


def run_note(r: RunRecord) -> str:
    """What the 运维台账 says of one run: where it went and how it was checked, or why it failed."""
    if r.status == "verified":
        unit = {"rman": "个备份片", "sqlserver": "个备份集"}.get(r.kind, "个文件")
        note = (f"{r.files} {unit}，{r.size} 字节，sha256 {r.sha256[:16]}…，"
                f"存于 {r.location}；"
                + "、".join(c["name"] for c in r.checks if c.get("ok")))
        if r.damaged:
            note += f"；其后校验：{r.damaged}"
        return note + (f"；{r.warnings[0]}" if r.warnings else "")
    if r.status == "incomplete":
        return "运行中断（进程已不存在），未产生有效备份"
    return r.error or "失败"


DRILL_HEADERS = ["演练时间", "设备/群集", "备份任务", "所用备份", "恢复用时（秒）", "恢复内容", "数据核对", "结果", "说明"]


def _drill_what(d: dict) -> tuple[str, str]:
    """What a drill restored and how its data compared: files against the manifest and the live tree, a database's
    rows against the backup's."""
    if "files_restored" in d or "changed_since" in d:
        return (f"{d.get('files_restored', '-')} 个文件",
                f"备份后改 {d.get('changed_since', '-')}/删 {d.get('removed_since', '-')}/增 {d.get('new_since', '-')}")
    chain = d.get("chain") or []
    what = f"{len(chain)} 次备份恢复为临时库" + (f"，恢复至 SCN {d['recovery_point']}" if d.get("recovery_point") else "")
    expected, restored = d.get("rows_expected") or {}, d.get("rows_restored") or {}
    if not expected:
        return what, "未声明核对表"
    if "rows_lost" not in d:
        return what, "未完成核对"
    total = sum(int(v) for v in expected.values() if isinstance(v, int))
    return what, (f"{len(expected)} 张表 {total} 行，丢失 {d['rows_lost']} 行" if restored else "未完成核对")


def drill_rows(reports: Path, owners: set[str], start: dt.datetime, end: dt.datetime) -> list[tuple]:
    """The restore drills (恢复演练记录) of these owners in [start, end), as the 运维台账 lists them."""
    rows = []
    for d in drills(reports):
        at = _when(d.get("at"))
        if d.get("owner") in owners and at is not None and start <= at < end:
            what, checked = _drill_what(d)
            rows.append((at, f"{at:%Y-%m-%d %H:%M}", str(d["owner"]), str(d.get("job", "")),
                         f"{str(d.get('backup_time', ''))[:16].replace('T', ' ')} {d.get('archive', '')}".strip(),
                         d.get("restore_seconds", "-"), what, checked,
                         "成功" if d.get("ok") else "失败", str(d.get("detail", ""))))
    return [row[1:] for row in sorted(rows, key=lambda r: r[0])]


# ---- backups cityops runs ----------------------------------------------------------------------------------

RUN_STATES = {"verified": "已校验", "failed": "失败", "running": "进行中", "incomplete": "未完成（进程中断）"}


@dataclass
class RunRecord:
    """One backup run as the ledger holds it, with what later checks of it found."""

    id: str
    owner: str
    job: str
    kind: str
    level: str
    what: str
    host: str
    target: str
    location: str  # <backup server>:<path> of the archive
    started: dt.datetime
    operator: str
    status: str  # verified | failed | running | incomplete
    ended: dt.datetime | None = None
    size: int = 0
    sha256: str = ""
    manifest_sha256: str = ""
    files: int = 0
    seconds: float = 0.0
    error: str = ""
    checks: list = field(default_factory=list)
    warnings: list = field(default_factory=list)
    evidence: list = field(default_factory=list)
    pieces: list = field(default_factory=list)  # RMAN: {handle, bytes, sha256, stored} per piece
    tag: str = ""  # RMAN: the run's own tag, by which its pieces are validated again
    node: str = ""  # RMAN: the node of the database that took it
    pruned: bool = False  # removed from the backup server by retention
    damaged: str = ""  # a later check found the stored archive no longer what was verified
    rechecked: dt.datetime | None = None  # the last later check that found it intact
    point: dict = field(default_factory=dict)  # databases: what it held when taken ({db, scn, rows}) for drills

    @property
    def good(self) -> bool:
        """A backup one could restore from today: verified, still stored, and not found damaged since."""
        return self.status == "verified" and not self.pruned and not self.damaged


def jobs_dir(reports: Path) -> Path:
    return Path(reports) / "backups" / "jobs"


@contextlib.contextmanager
def job_lock(reports: Path, job: Job):
    """Held for a run of the job: a second run waits for nothing, it is refused; a reader sees the run alive."""
    from ..inspect.record import RunLock

    directory = jobs_dir(reports) / f"{job.owner}.{job.name}"
    directory.mkdir(parents=True, exist_ok=True)
    try:
        lock = RunLock(directory)
    except BadInput:
        raise LedgerError(f"{job.owner} {job.name}: another run of this backup is under way") from None
    with lock:
        yield


def _job_alive(reports: Path, owner: str, job: str) -> bool:
    from ..inspect.record import is_live

    return is_live(jobs_dir(reports) / f"{owner}.{job}")


def new_run_id(job: Job, started: dt.datetime) -> str:
    """Unique even for two runs of a job in one second (a retry right after a quick failure)."""
    return f"{started:%Y%m%dT%H%M%S}-{job.owner}-{job.name}-{secrets.token_hex(3)}"


def start_run(reports: Path, job: Job, run_id: str, *, host: str, started: dt.datetime, operator: str,
              location: str) -> str:
    register(reports).append({
        "type": "run_start", "id": run_id, "kind": job.kind, "owner": job.owner, "job": job.name, "what": job.what,
        "level": job.level, "host": host, "target": job.target, "location": location,
        "started_at": started.isoformat(timespec="seconds"), "operator": operator or _os_user(),
        "os_user": _os_user(), "pid": os.getpid()})
    return run_id


def end_run(reports: Path, run_id: str, job: Job, *, status: str, evidence: list, **result) -> RunRecord:
    register(reports).append({"type": "run_end", "id": run_id, "owner": job.owner, "job": job.name,
                              "status": status, "ended_at": now().isoformat(timespec="seconds"),
                              "evidence": evidence[-40:], **result,
                              "audit_head": audit.head(Path(reports) / "audit")})
    found = {r.id: r for r in runs(reports)[0]}
    return found[run_id]


def record_check(reports: Path, run: RunRecord, *, ok: bool, detail: str, evidence: list, kind: str = "verify",
                 **extra) -> dict:
    """A later check of a stored backup (`verify`) or a restore drill (`drill`), pointing at its run."""
    return register(reports).append({"type": kind, "id": run.id, "owner": run.owner, "job": run.job, "ok": ok,
                                     "at": now().isoformat(timespec="seconds"), "detail": detail[:600],
                                     "operator": os.environ.get("CITYOPS_INSPECTOR", "") or _os_user(),
                                     "os_user": _os_user(), "evidence": evidence[-40:], **extra})


def _when(text) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


SAFE_ID = re.compile(r"[0-9T]{15}-[A-Za-z0-9_.-]{1,120}")


def runs(reports: Path) -> tuple[list[RunRecord], list[str]]:
    """Every backup run on the ledger (oldest first) with its outcome and later checks; and the ledger's problems.
    Only lines the hash chain vouches for count."""
    chain = register(reports).read()
    found: dict[str, RunRecord] = {}
    newest_start: dict[tuple[str, str], str] = {}
    pruned: set[str] = set()
    for e in chain.entries[:chain.trusted]:
        kind, rid = e.get("type"), str(e.get("id", ""))
        if kind == "run_start" and SAFE_ID.fullmatch(rid):
            started = _when(e.get("started_at"))
            if started is None:
                continue
            found[rid] = RunRecord(rid, str(e.get("owner")), str(e.get("job")), str(e.get("kind")),
                                   str(e.get("level", "")), str(e.get("what", "")), str(e.get("host", "")),
                                   str(e.get("target", "")), str(e.get("location", "")), started,
                                   str(e.get("operator", "")), "running")
            newest_start[str(e.get("owner")), str(e.get("job"))] = rid
        elif kind == "run_end" and rid in found:
            r = found[rid]
            r.status = "verified" if e.get("status") == "verified" else "failed"
            r.ended = _when(e.get("ended_at"))
            r.size, r.sha256, r.files = int(e.get("size") or 0), str(e.get("sha256") or ""), int(e.get("files") or 0)
            r.manifest_sha256 = str(e.get("manifest_sha256") or "")
            r.seconds, r.error = float(e.get("seconds") or 0), str(e.get("error") or "")
            r.checks, r.warnings = list(e.get("checks") or []), list(e.get("warnings") or [])
            r.evidence = list(e.get("evidence") or [])
            r.pieces = [p for p in e.get("pieces") or [] if isinstance(p, dict)]
            r.tag, r.node = str(e.get("tag") or ""), str(e.get("node") or "")
            r.point = e.get("point") if isinstance(e.get("point"), dict) else {}
            pruned.update(f"{r.target}:{p}" for p in e.get("pruned") or [])  # archive paths (the first ledgers)
            pruned.update(str(i) for i in e.get("pruned_runs") or [])
        elif kind == "verify" and rid in found:
            r = found[rid]
            if e.get("ok"):
                r.rechecked, r.damaged = _when(e.get("at")), ""
            else:
                r.damaged = str(e.get("detail") or "校验失败")
    for r in found.values():
        r.pruned = r.location in pruned or r.id in pruned
        if r.status == "running" and not (newest_start.get((r.owner, r.job)) == r.id
                                          and _job_alive(reports, r.owner, r.job)):
            r.status = "incomplete"
    return sorted(found.values(), key=lambda r: r.started), list(chain.problems)


def drills(reports: Path) -> list[dict]:
    """Every restore drill on the ledger (what `backup.drill` recorded), oldest first."""
    chain = register(reports).read()
    return [e for e in chain.entries[:chain.trusted] if e.get("type") == "drill"]


def _entry_time(e: dict) -> dt.datetime | None:
    """When a line's event happened: a run's start, a manual entry's, a check's or a drill's (a run's end line goes
    with its start)."""
    return _when(e.get("started_at") or e.get("done_at") or e.get("at"))


def lot_lines(reports: Path, owners: set[str], start: dt.datetime, end: dt.datetime) -> tuple[bytes, list[str]]:
    """The ledger's lines of these owners in [start, end), verbatim (each keeps the hash of the line before it in the
    whole ledger, so anyone holding the ledger can place it), for an evidence pack; and why they cannot be sealed
    (a broken chain, a run still going). A run's end line goes with its start, whenever it was written."""
    chain = register(reports).read(raw=True)
    if chain.problems:
        return b"", list(chain.problems)
    chosen, ids = [], set()
    for line, e in zip(chain.lines, chain.entries, strict=True):  # no problem: a line per entry
        at = _entry_time(e)
        if e.get("owner") not in owners:
            continue
        if e.get("type") == "run_start" and at is not None and start <= at < end:
            ids.add(e.get("id"))
        if e.get("id") in ids or (e.get("type") != "run_end" and at is not None and start <= at < end):
            chosen.append(line)
    going = [r.id for r in runs(reports)[0] if r.id in ids and r.status == "running"]
    problems = [f"备份 {rid} 仍在进行中" for rid in going]
    return b"".join(line + b"\n" for line in chosen), problems
