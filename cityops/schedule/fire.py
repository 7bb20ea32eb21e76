"""One scheduled firing: is the entry due, is its last run still going, run it within its limit, and record it all.

cron calls `invoke schedule.fire --entry <id>` at the runner-clock time of each slot. This module:

- finds the slot: the latest Beijing time of the entry's expression not after now; a firing more than GRACE after
  it is not that slot's (cron was late, or the line fires every day to cover a day-of-month that crossed midnight)
  and does nothing; a slot already fired is not run twice;
- records every slot of the entry between its last record and this one that has no record as `missed`: the
  runner was off, cron was stopped, the crontab was removed;
- takes the entry's lock (`reports/schedule/locks/<id>.lock`, flock: the kernel drops it when its holder dies) —
  if the previous run still holds it, `skip` records the slot as skipped, `wait` waits for it up to the limit;
- runs the entry's commands one after another, each in its own process group, and ends the lot at the time
  limit (SIGTERM, then SIGKILL): a hung run is ended and recorded as `timeout`, never left to pile up;
- writes `start` and `end` lines (status, exit code, seconds, the run ids the commands made) to the schedule
  ledger, a hash chain (`reports/schedule/ledger.jsonl`).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import signal
import subprocess  # nosec B404  # cityops' own invoke, argv from the schedule's entries
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from croniter import croniter

from ..hashchain import HashChain
from ..processes import lock_held
from ..timeutil import BEIJING, now
from .plan import Entry

GRACE = dt.timedelta(minutes=20)  # how late after its slot a firing still counts as that slot's
KILL_AFTER = 30.0  # seconds between SIGTERM and SIGKILL when a run is ended at its limit
LEDGER = Path("schedule") / "ledger.jsonl"  # under the reports directory
MISSED_LOOKBACK = dt.timedelta(days=35)  # the furthest back a firing records missed slots
STATUS_NAMES = {"ok": "完成", "findings": "完成（有发现）", "failed": "失败", "timeout": "超时已终止",
                "skipped": "跳过（上次未结束）", "missed": "未执行", "running": "运行中或中断"}


def ledger(reports: Path) -> HashChain:
    return HashChain(Path(reports) / LEDGER, "计划任务记录")


def slot_of(entry: Entry, at: dt.datetime) -> dt.datetime:
    """The entry's latest Beijing slot not after `at`."""
    return croniter(entry.cron, at.astimezone(BEIJING) + dt.timedelta(seconds=1)).get_prev(dt.datetime)


def slots_between(entry: Entry, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
    """The entry's slots in (start, end)."""
    out: list[dt.datetime] = []
    it = croniter(entry.cron, start.astimezone(BEIJING))
    while len(out) < 10_000:
        t = it.get_next(dt.datetime)
        if t >= end:
            break
        out.append(t)
    return out


@dataclass
class Fired:
    entry: str
    slot: str
    status: str  # not_due | already | skipped | ok | findings | failed | timeout
    exit_code: int | None = None
    detail: str = ""
    missed: int = 0
    run_ids: tuple[str, ...] = ()


def _records(reports: Path, entry_id: str) -> list[dict]:
    return [e for e in ledger(reports).read().entries if e.get("entry") == entry_id]


def _installed_at(reports: Path) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(json.loads((Path(reports) / "schedule" / "installed.json")
                                                    .read_text(encoding="utf-8"))["installed_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def missed_slots(entry: Entry, reports: Path, at: dt.datetime, records: list[dict] | None = None,
                 installed: dt.datetime | None = None) -> list[dt.datetime]:
    """Slots of the entry since it was installed (or its first record; at most MISSED_LOOKBACK) that have passed
    their grace without any record. `records` and `installed`, when a caller already read them, are not read again."""
    records = _records(reports, entry.id) if records is None else records
    seen = {r.get("slot") for r in records}
    firsts = [dt.datetime.fromisoformat(r["slot"]) for r in records if r.get("slot")]
    since = installed or _installed_at(reports) or (min(firsts) if firsts else None)
    if since is None:
        return []
    since = max(since, at - MISSED_LOOKBACK)
    return [s for s in slots_between(entry, since, at - GRACE) if s.isoformat() not in seen]


@contextlib.contextmanager
def _entry_lock(reports: Path, entry: Entry, wait_until: float | None):
    """Yields True holding the entry's lock, False if another run holds it (after waiting, for `wait`)."""
    path = Path(reports) / "schedule" / "locks" / f"{entry.id}.lock"
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT, 0o644)
    held = False
    try:
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                held = True
                break
            except BlockingIOError:
                if wait_until is None or time.monotonic() >= wait_until:
                    break
                time.sleep(1.0)
        if held:
            os.ftruncate(fd, 0)
            os.write(fd, f"{os.getpid()}\n".encode())
        yield held
    finally:
        os.close(fd)


def _holder(reports: Path, entry: Entry) -> str:
    try:
        return (Path(reports) / "schedule" / "locks" / f"{entry.id}.lock").read_text().strip()
    except OSError:
        return "?"


def _runs_made(reports: Path, pids: set[int], before: set[str]) -> tuple[str, ...]:
    """Run directories that appeared during the firing and whose manifest names one of its processes."""
    out = []
    for d in sorted((Path(reports) / "runs").glob("*")):
        if d.name in before or not (d / "manifest.json").is_file():
            continue
        try:
            if json.loads((d / "manifest.json").read_text(encoding="utf-8")).get("pid") in pids:
                out.append(d.name)
        except (OSError, ValueError):
            continue
    return tuple(out)


def _run_until(argv: list[str], deadline: float, env: dict, cwd: Path, log) -> tuple[int | None, int]:
    """Run one command in its own process group; end it at the deadline. (exit code or None if ended, pid)."""
    proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=log, stderr=log, start_new_session=True)  # nosec B603  # cityops' own invoke
    try:
        return proc.wait(timeout=max(0.0, deadline - time.monotonic())), proc.pid
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=KILL_AFTER)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        return None, proc.pid


def fire(entry: Entry, reports: Path, *, repo: Path, inventory: Path | None = None, lab: Path | None = None,
         at: dt.datetime | None = None, force: bool = False, log=None) -> Fired:
    """Fire the entry for its slot at `at` (now); `force` runs it now whatever the slot (an engineer's rehearsal)."""
    reports = Path(reports)
    at = at or now()
    slot = at.astimezone(BEIJING).replace(microsecond=0) if force else slot_of(entry, at)
    records = _records(reports, entry.id)
    chain = ledger(reports)
    base = {"entry": entry.id, "slot": slot.isoformat(), "zone": entry.zone, "kind": entry.kind, "lots": entry.lots,
            "title": entry.title}
    if not force and at - slot > GRACE:
        return Fired(entry.id, slot.isoformat(), "not_due", detail=f"最近的计划时间 {slot:%Y-%m-%d %H:%M} 已过宽限期")
    if not force and any(r.get("slot") == slot.isoformat() for r in records):
        return Fired(entry.id, slot.isoformat(), "already", detail="本时段已执行")
    missed = [s for s in missed_slots(entry, reports, at, records) if s < slot]
    for s in missed:
        chain.append({**base, "slot": s.isoformat(), "type": "missed", "status": "missed",
                      "time": at.isoformat(timespec="seconds"),
                      "detail": "计划时段内未运行（运行机关机、cron 停止或计划被移除）"})
    if entry.disabled:
        return Fired(entry.id, slot.isoformat(), "not_due", detail=f"已停用：{entry.disabled}", missed=len(missed))
    limit = entry.limit_minutes * 60
    with _entry_lock(reports, entry, time.monotonic() + limit if entry.overlap == "wait" else None) as held:
        if not held:
            detail = (f"上一次运行仍在进行（进程 {_holder(reports, entry)}），"
                      + ("等待至限时仍未结束，本次跳过" if entry.overlap == "wait" else "本次跳过"))
            chain.append({**base, "type": "skipped", "status": "skipped", "time": now().isoformat(timespec="seconds"),
                          "detail": detail})
            return Fired(entry.id, slot.isoformat(), "skipped", detail=detail, missed=len(missed))
        chain.append({**base, "type": "start", "status": "running", "time": now().isoformat(timespec="seconds"),
                      "pid": os.getpid(), "commands": [c[0] for c in entry.commands], "limit_minutes":
                      entry.limit_minutes, "forced": force})
        t0 = time.monotonic()  # a run that waited for the one before still has its whole limit
        deadline = t0 + limit
        before = {d.name for d in (reports / "runs").glob("*")}
        env = {**os.environ, "CITYOPS_INSPECTOR": os.environ.get("CITYOPS_INSPECTOR") or f"计划任务 {entry.id}",
               "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
        invoke = Path(sys.executable).parent / "invoke"
        codes, pids, status = [], set(), "ok"
        for command in entry.commands:
            argv = [str(invoke), *[_resolved(a, slot) for a in command], "--reports", str(reports)]
            argv += ["--inventory", str(inventory)] if inventory else []
            argv += ["--lab", str(lab)] if lab and command[0] in ("inspect", "backup.run") else []
            code, pid = _run_until(argv, deadline, env, repo, log)
            pids.add(pid)
            if code is None:
                status = "timeout"
                break
            codes.append(code)
        if status != "timeout":
            worst = max(codes, default=0)
            status = "ok" if worst == 0 else "findings" if worst == 1 else "failed"
        seconds = round(time.monotonic() - t0, 1)
        detail = (f"超过限时 {entry.limit_minutes:g} 分钟，已终止" if status == "timeout"
                  else f"{len(codes)} 条命令，退出码 {','.join(map(str, codes))}")
        run_ids = _runs_made(reports, pids, before)
        chain.append({**base, "type": "end", "status": status, "time": now().isoformat(timespec="seconds"),
                      "exit_codes": codes, "seconds": seconds, "run_ids": list(run_ids), "detail": detail})
        return Fired(entry.id, slot.isoformat(), status, max(codes, default=None) if codes else None, detail,
                     len(missed), run_ids)


def _resolved(arg: str, slot: dt.datetime) -> str:
    """A document entry's period placeholders, for the period just ended at the slot."""
    day = slot.date()
    last_month = day.replace(day=1) - dt.timedelta(days=1)
    quarter = (day.month - 1) // 3  # the current quarter's index; the previous one ended before it
    prev_q_year, prev_q = (day.year, quarter) if quarter else (day.year - 1, 4)
    return (arg.replace("{previous_month}", f"{last_month:%Y-%m}")
               .replace("{previous_quarter}", f"{prev_q_year}-Q{prev_q}")
               .replace("{previous_year}", str(day.year - 1)))


@dataclass
class EntryState:
    entry: Entry
    last: dict | None  # the newest record
    running: bool  # its lock is held now
    missed: list[dt.datetime]
    next_slot: dt.datetime


def states(entries: list[Entry], reports: Path, at: dt.datetime | None = None) -> list[EntryState]:
    """Where each entry stands: its last record, whether it runs now, its missed slots, its next slot."""
    at = at or now()
    read = ledger(reports).read().entries
    installed = _installed_at(reports)
    out = []
    for e in entries:
        records = [r for r in read if r.get("entry") == e.id]
        recorded_missed = [dt.datetime.fromisoformat(r["slot"]) for r in records if r.get("type") == "missed"
                           and at - dt.datetime.fromisoformat(r["slot"]) <= MISSED_LOOKBACK]
        missed = sorted(set(recorded_missed) | set(missed_slots(e, reports, at, records, installed)))
        lock = Path(reports) / "schedule" / "locks" / f"{e.id}.lock"
        out.append(EntryState(e, records[-1] if records else None, lock_held(lock), missed,
                              croniter(e.cron, at.astimezone(BEIJING)).get_next(dt.datetime)))
    return out


LEDGER_HEADERS = ["计划时间", "计划任务", "网络区域", "结果", "耗时（秒）", "巡检/备份编号", "说明"]


def lot_rows(reports: Path, lot: str, start: dt.datetime, end: dt.datetime) -> tuple[list[tuple], list[str]]:
    """The lot's scheduled slots in [start, end) as the 运维台账 lists them — one row per slot: how it ended, or
    that it was missed or skipped — and the ledger's own verification problems."""
    read = ledger(reports).read()
    by_slot: dict[tuple[str, str], dict] = {}
    for e in read.entries[:read.trusted]:
        if lot not in (e.get("lots") or []) or not e.get("slot"):
            continue
        try:
            at = dt.datetime.fromisoformat(str(e["slot"]))
        except ValueError:
            continue
        if start <= at < end:
            by_slot[(str(e["slot"]), str(e.get("entry")))] = e  # the newest line of a slot says how it ended
    rows = [(slot[:16].replace("T", " "), e.get("title") or e.get("entry"), e.get("zone", ""),
             STATUS_NAMES.get(e.get("status"), e.get("status")), e.get("seconds", ""),
             "、".join(e.get("run_ids") or []), e.get("detail", ""))
            for (slot, _entry), e in sorted(by_slot.items())]
    return rows, list(read.problems)
