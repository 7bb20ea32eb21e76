"""A period of a lot's database and files backups replayed under the lab clock, as the month would have gone.

Every slot the lot's declared jobs had in the period is visited in time order: the lab clock is set to it (the
lab's RMAN and database follow it, and so does cityops through $CITYOPS_CLOCK), and the due jobs run for real —
RMAN on the database, tar to the backup server, verification, the ledger. Nothing is written to the ledger
directly. The month is not all sunshine: the first RMAN slot meets a full backup disk and is taken again once
the engineer has freed it; every backup is checked again the next morning (`backup.verify`); at the first of
those checks each files backup and each database is restored in a drill (a files job with no slot in the period
gets an ad-hoc backup before a change, so there is one to drill); a manual job
due in the period is entered by the engineer on its day; the lot's daily inspection follows the last event. What
it leaves is what the 运维台账 of that month then shows.
"""

from __future__ import annotations

import datetime as dt
import heapq
import os
from pathlib import Path

from ..backup import runner
from ..backup.ledger import record_manual
from ..backup.schedule import Job, jobs
from ..inventory.model import Inventory
from ..timeutil import BEIJING, CLOCK_ENV
from . import control
from .statedir import LabDir

MAX_SLOTS = 40  # per job: an hourly archive log job's month is the same night forty times over
EVERY_HOURS = 4
RETRY_AFTER = dt.timedelta(hours=8)


AD_HOC = dt.timedelta(days=7, hours=10)  # a files job with no slot in the period is taken once, before a change


def events(declared: list[Job], start: dt.datetime, end: dt.datetime) -> list[tuple[dt.datetime, Job, bool]]:
    """(time, job, forced) in time order: each job's slots; a files job without one gets an ad-hoc backup (an
    engineer's copy before a change), so the period has a files backup to drill."""
    out = []
    for job in declared:
        slots = job.slots(start, end)
        if job.every == "hourly":  # an hourly log backup replayed every four hours: the same night, fewer times
            slots = [s for s in slots if s.hour % EVERY_HOURS == 0]
        slots = slots[:MAX_SLOTS]
        out += [(slot, job, False) for slot in slots]
        if not slots and job.kind == "files" and start + AD_HOC < end:
            out.append((start + AD_HOC, job, True))
    return sorted(out, key=lambda e: (e[0], e[1].owner, runner.LEVEL_ORDER.get(e[1].level, 9), e[1].name))


def replay(inv: Inventory, lab: LabDir, reports: Path, lot: str, start: dt.date, end: dt.date,
           operator: str = "回放值班员", kinds: tuple[str, ...] = (*runner.RUNNABLE, "manual")) -> list[str]:
    """Replay [start, end) for the lot's hosts (their jobs of `kinds`); returns what happened, a line per event."""
    hosts = [h for h in inv.hosts.values() if lot in h.lots]
    chosen = {h.name for h in hosts}
    declared = [j for j in jobs(inv)[0] if chosen & set(j.hosts) and j.kind in kinds]
    begin = dt.datetime.combine(start, dt.time(), tzinfo=BEIJING)
    finish = dt.datetime.combine(end, dt.time(), tzinfo=BEIJING)
    from ..inspect.session import transport_config
    from ..transport.audit import AuditLog

    said: list[str] = []
    previous = os.environ.get(CLOCK_ENV)
    os.environ[CLOCK_ENV] = str(control.clock_file(lab))
    config = transport_config(AuditLog(Path(reports) / "audit", f"replay-{lot}-{start:%Y%m}", operator,
                                       "lab.replay"), lab.path)
    todo = [(t, n, ("forced" if forced else "slot"), job) for n, (t, job, forced)
            in enumerate(events(declared, begin, finish))]
    heapq.heapify(todo)
    order = len(todo)
    broke_disk = False
    drilled: set[str] = set()
    latest = begin
    checks: set[tuple[str, str, dt.date]] = set()
    try:
        while todo:
            at, _n, what, job = heapq.heappop(todo)
            if at >= finish:
                continue
            control.set_clock(lab, at)
            latest = at
            if job.kind == "manual":
                record_manual(reports, job, done_at=at, operator=operator,
                              note="两套移动硬盘（回放：编号 DAG-OFF-A、DAG-OFF-B），一套存档案馆库房，一套存运维机房")
                said.append(f"{at:%m-%d %H:%M} {job.owner} {job.name}: 人工登记")
                continue
            if what == "verify":
                checked = runner.verify_job(inv, job, config, reports)
                said.append(f"{at:%m-%d %H:%M} {job.owner} {job.name}: 复核 "
                            f"{sum(ok is True for _r, ok, _d in checked)}/{len(checked)} 完好")
                if job.owner not in drilled:  # the first morning check of each files or database backup: a drill
                    from ..backup.dbdrill import drill_rman, drill_sqlserver
                    from ..backup.files import drill_files

                    drill = {"files": drill_files, "rman": drill_rman, "sqlserver": drill_sqlserver}[job.kind](
                        inv, job, config, reports)
                    drilled.add(job.owner)
                    said.append(f"{at:%m-%d %H:%M} {job.owner} {job.name}: 恢复演练 {'成功' if drill['ok'] else '失败'}")
                continue
            if what == "slot" and not runner.due(job, reports, at):
                continue
            node = job.hosts[0]
            fault = job.kind == "rman" and job.level != "archivelog" and not broke_disk
            if fault:  # the database's backup disk is full on the first night of a database backup
                control.set_fault(lab, inv, node, "backup_disk_full")
                broke_disk = True
            try:
                run = runner.run_one(inv, job, config, reports, operator=operator)
            finally:
                if fault:
                    control.set_fault(lab, inv, node, "backup_disk_full", clear=True)
            said.append(f"{at:%m-%d %H:%M} {job.owner} {job.name}{'（重做）' if what == 'retry' else ''}: "
                        f"{run.status} {run.error[:80]}")
            order += 1
            if run.status != "verified" and what != "retry":  # the engineer frees the disk and takes it again
                heapq.heappush(todo, (at + RETRY_AFTER, order, "retry", job))
            morning = (at + dt.timedelta(days=1)).replace(hour=8, minute=30, second=0, microsecond=0)
            if run.status == "verified" and (job.owner, job.name, morning.date()) not in checks:
                checks.add((job.owner, job.name, morning.date()))
                heapq.heappush(todo, (morning, order, "verify", job))
        last = latest + dt.timedelta(hours=1)
        if last < finish:  # the day's inspection after the last event: what the month's papers are made from
            from ..inspect.session import inspect

            control.set_clock(lab, last)
            run = inspect(inv, hosts, cadence="daily", selection={"lot": lot, "replay": True}, reports=Path(reports),
                          lab_dir=lab.path, inspector=operator)
            said.append(f"{last:%m-%d %H:%M} 标项{lot} 日巡检 {run.run_id}: {run.results} 项结果")
    finally:
        control.set_clock(lab, None)
        if previous is None:
            os.environ.pop(CLOCK_ENV, None)
        else:
            os.environ[CLOCK_ENV] = previous
    return said
