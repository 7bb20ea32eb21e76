"""`invoke schedule.show | install | remove | fire`: the runner's unattended runs, from the inventory to cron."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import sys
from pathlib import Path

from invoke import Collection, Exit, task

from ..errors import BadInput, one_line
from ..files import write_atomic
from ..timeutil import BEIJING, now
from .common import SelectionTask, load

REPO = Path(__file__).resolve().parents[2]
HELP = {"zone": "network zones this runner serves, comma-separated (default: every zone)",
        "centre": "with --zone: also the centre's entries (the lots' documents), which a run without --zone has",
        "user": "whose crontab (default: the current user's; another user's needs root)",
        "reports": "reports directory (default ./reports)", "inventory": "inventory directory",
        "schedule": "the schedule's times and overrides (default ./schedule.yml)"}


def _plan(inventory, schedule: str, zone: str, centre: bool):
    from ..schedule.plan import entries, load_config, select

    inv = load(inventory)
    warnings: list[str] = []
    every = entries(inv, load_config(Path(schedule)), schedule, warnings)
    zones = [z for z in zone.split(",") if z]
    known = {e.zone for e in every if e.zone}
    unknown = [z for z in zones if z not in known]
    if unknown:
        raise BadInput(f"--zone {','.join(unknown)}: no scheduled runs in that zone (zones with runs: "
                       f"{', '.join(sorted(known))})")
    for w in warnings:
        print(f"cityops: {w}", file=sys.stderr)
    return inv, select(every, zones or None, bool(centre) or not zones)


def _state_file(reports: Path) -> Path:
    return reports / "schedule" / "installed.json"


@task(help=HELP)
def install(c, zone="", centre=False, user="", reports="reports", inventory=None, schedule="schedule.yml"):
    """写入计划任务: cityops' entries into the crontab as one marked block (replacing the previous block); every
    other line stays as it is. Prints the block."""
    from ..schedule import crontab

    _inv, chosen = _plan(inventory, schedule, zone, centre)
    reports_dir = Path(reports).resolve()
    previous = crontab.read(user)
    rest, _old, _join = crontab.split(previous)
    block = crontab.block(chosen, repo=REPO, reports=reports_dir,
                          inventory=Path(inventory).resolve() if inventory else None, join=crontab.join_of(rest),
                          offset_minutes=crontab.runner_offset(), stamp=f"{now():%Y-%m-%d %H:%M} 北京时间")
    crontab.write(user, crontab.joined(rest, block))
    state = _state_file(reports_dir)
    try:
        first = json.loads(state.read_text(encoding="utf-8"))["installed_at"]
    except (OSError, ValueError, KeyError, TypeError):
        first = now().isoformat(timespec="seconds")
    state.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(state, json.dumps({"installed_at": first, "updated_at": now().isoformat(timespec="seconds"),
                                    "user": user, "zones": zone, "entries": [e.id for e in chosen],
                                    "block_sha256": hashlib.sha256(block).hexdigest()}, ensure_ascii=False,
                                   indent=2).encode())
    sys.stdout.write(block.decode())
    print(f"crontab{' of ' + user if user else ''}: {len(chosen)} entries installed "
          f"({sum(1 for e in chosen if e.disabled)} disabled); ledger {reports_dir / 'schedule' / 'ledger.jsonl'}")


@task(help={k: HELP[k] for k in ("user", "reports")})
def remove(c, user="", reports="reports"):
    """移除计划任务: take cityops' block out of the crontab, leaving the crontab as it was before install (with any
    line added outside the block since)."""
    from ..schedule import crontab

    previous = crontab.read(user)
    rest, block, _join = crontab.split(previous)
    if not block:
        print(f"crontab{' of ' + user if user else ''}: no cityops entries; nothing changed")
        return
    crontab.write(user, rest)
    _state_file(Path(reports).resolve()).unlink(missing_ok=True)
    entries = sum(1 for line in block.decode().splitlines() if line and not line.startswith("#"))
    print(f"crontab{' of ' + user if user else ''}: {entries} cityops entries removed"
          + ("; the user has no crontab again" if rest is None else ""))


@task(help={**HELP, "json_": "one JSON object per entry"}, klass=SelectionTask)
def show(c, zone="", centre=False, user="", reports="reports", inventory=None, schedule="schedule.yml",
         json_=False):
    """计划任务: each entry (what, when in Beijing time, limit), whether the crontab holds it, how it last ended, and
    every missed slot. Exit 1 when a slot was missed or an entry is not installed."""
    from ..schedule import crontab
    from ..schedule.fire import STATUS_NAMES, states

    _inv, chosen = _plan(inventory, schedule, zone, centre)
    reports_dir = Path(reports).resolve()
    try:
        _rest, block, _join = crontab.split(crontab.read(user))
    except BadInput as exc:
        print(f"cityops: {exc}", file=sys.stderr)
        block = b""
    installed = {line.split(" ", 2)[1].rstrip(":") for line in block.decode().splitlines() if line.startswith("# ")
                 and ":" in line.split(" ", 2)[1]} if block else set()
    trouble = 0
    for s in states(chosen, reports_dir):
        e = s.entry
        last = s.last or {}
        row = {"entry": e.id, "title": e.title, "beijing_cron": e.cron, "next": s.next_slot.isoformat(),
               "limit_minutes": e.limit_minutes, "overlap": e.overlap, "installed": e.id in installed,
               "disabled": e.disabled, "running": s.running, "last_status": last.get("status"),
               "last_slot": last.get("slot"), "missed": [m.isoformat() for m in s.missed]}
        trouble += bool(s.missed) or (e.id not in installed and not e.disabled)
        if json_:
            print(json.dumps(row, ensure_ascii=False))
            continue
        state = "已停用" if e.disabled else "运行中" if s.running else (
            f"上次 {STATUS_NAMES.get(last.get('status'), last.get('status'))} "
            f"（{str(last.get('slot', ''))[:16].replace('T', ' ')}）" if last else "尚未运行")
        print(f"{e.id:44} 北京时间 {e.cron:18} 下次 {s.next_slot:%m-%d %H:%M}  限时 {e.limit_minutes:>3g} 分钟  "
              f"{'已安装' if e.id in installed else '未安装'}  {state}  {e.title}")
        if s.missed:
            shown = "、".join(f"{m:%m-%d %H:%M}" for m in s.missed[-5:])
            print(f"    未执行 {len(s.missed)} 次：{shown}{' …' if len(s.missed) > 5 else ''}")
    if trouble:
        raise Exit(f"cityops: {trouble} entries missed a slot or are not installed", code=1)


@task(help={"entry": "the entry's id (as schedule.show prints it)", "reports": HELP["reports"],
            "inventory": HELP["inventory"], "schedule": HELP["schedule"],
            "now_": "run it now whatever its slot (a rehearsal; recorded as forced)",
            "lab": "lab state directory (the lab's runs only)"}, klass=SelectionTask)
def fire(c, entry, reports="reports", inventory=None, schedule="schedule.yml", now_=False, lab=None):
    """What cron calls: run one entry for its slot, within its limit, never over itself; record it in the ledger.
    Exit 0 done (or not due), 1 done with findings, 2 failed or ended at its limit."""
    from ..schedule import fire as firing
    from ..schedule.plan import entries, load_config

    reports_dir = Path(reports).resolve()
    inv = load(inventory)
    chosen = {e.id: e for e in entries(inv, load_config(Path(schedule)), schedule)}
    e = chosen.get(entry)
    if e is None:
        detail = (f"entry '{one_line(entry, 60)}' is no longer in the schedule (the inventory or schedule.yml "
                  f"changed since install): run invoke schedule.install")
        firing.ledger(reports_dir).append({"entry": one_line(entry, 80), "type": "end", "status": "failed",
                                           "slot": now().astimezone(BEIJING).isoformat(timespec="seconds"),
                                           "time": now().isoformat(timespec="seconds"), "detail": detail})
        raise Exit(f"cityops: {detail}", code=2)
    sys.stdout.flush()
    done = firing.fire(e, reports_dir, repo=REPO, inventory=Path(inventory).resolve() if inventory else None,
                       lab=Path(lab).resolve() if lab else None, force=bool(now_))
    print(f"{dt.datetime.now(BEIJING):%Y-%m-%d %H:%M:%S} schedule {done.entry} slot {done.slot[:16]}: "
          f"{firing.STATUS_NAMES.get(done.status, done.status)} — {done.detail}"
          + (f"; runs {', '.join(done.run_ids)}" if done.run_ids else "")
          + (f"; {done.missed} missed slot(s) recorded" if done.missed else ""))
    if done.status in ("failed", "timeout"):
        raise Exit(code=2)
    if done.status == "findings":
        raise Exit(code=1)


schedule_ns = Collection("schedule", show, install, remove, fire)
