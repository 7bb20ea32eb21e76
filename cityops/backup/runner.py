"""Which declared backups run now, and running them: files backups (files.py), RMAN (rman.py) and SQL Server
(sqlserver.py), one after another, each on the ledger; and checking again the ones already kept (`backup.verify`).

A job runs when its latest slot has passed without a good backup taken since (a failed or killed run does not
count, so the next invocation — cron's, usually — tries again), or always with `force`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..inventory.model import Inventory
from ..timeutil import now
from ..transport.base import TransportConfig
from . import ledger
from .schedule import Job

RUNNABLE = ("files", "rman", "sqlserver")
KIND_CHOICE = {"files": ("files",), "db": ("rman", "sqlserver"), "all": RUNNABLE, "jobs": RUNNABLE}
# a full before the incremental or differential that rests on it, the logs last, when several are due at once
LEVEL_ORDER = {"0": 0, "full": 0, "1": 1, "diff": 1, "incremental": 1, "archivelog": 2, "log": 2}


def due(job: Job, reports: Path, at=None, history: list[ledger.RunRecord] | None = None) -> bool:
    """Whether the job's latest slot has passed without a good backup taken since (`history`: the ledger's runs,
    when the caller has read them already)."""
    at = at or now()
    slot = job.last_due(at)
    if slot is None:
        return False
    history = ledger.runs(reports)[0] if history is None else history
    taken = [r.started for r in history if (r.owner, r.job) == (job.owner, job.name) and r.good
             and r.started <= at]  # a replayed month is judged by what had been taken by then
    return not taken or max(taken) < slot


@dataclass
class JobsOutcome:
    ran: list[ledger.RunRecord] = field(default_factory=list)
    not_due: list[Job] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # one line each: a job already running

    @property
    def failed(self) -> list[ledger.RunRecord]:
        return [r for r in self.ran if r.status != "verified"]


def selected_jobs(inv: Inventory, hosts, kinds=RUNNABLE) -> list[Job]:
    """The jobs of these kinds that belong to the selected hosts (a cluster's when any of its nodes is selected)."""
    from .schedule import jobs

    chosen = {h.name for h in hosts}
    picked = [j for j in jobs(inv)[0] if j.kind in kinds and chosen & set(j.hosts)]
    return sorted(picked, key=lambda j: (j.owner, LEVEL_ORDER.get(j.level, 9), j.name))


def run_one(inv: Inventory, job: Job, config: TransportConfig, reports: Path, *, operator: str,
            max_drop: float = 0.5) -> ledger.RunRecord:
    from .files import backup_files
    from .rman import backup_rman
    from .sqlserver import backup_sqlserver

    run = {"files": backup_files, "rman": backup_rman, "sqlserver": backup_sqlserver}[job.kind]
    return run(inv, job, config, reports, operator=operator, max_drop=max_drop)


def run_jobs(inv: Inventory, hosts, reports: Path, *, kinds=RUNNABLE, lab_dir: Path | None = None,
             operator: str = "", force: bool = False, max_drop: float = 0.5, progress=None) -> JobsOutcome:
    """Every due job of the selection (all of them with `force`), one after another: backups are the heavy part
    of a night, and two at once would only share the backup server's disk."""
    from ..inspect.session import transport_config
    from ..transport.audit import AuditLog

    reports = Path(reports)
    start = now()
    audit = AuditLog(reports / "audit", f"{start:%Y%m%dT%H%M%S}-dbfiles", operator, "backup.jobs")
    config = transport_config(audit, lab_dir)
    out = JobsOutcome()
    history = ledger.runs(reports)[0]  # read once: one job's run does not change whether another is due
    for job in selected_jobs(inv, hosts, kinds):
        if not force and not due(job, reports, start, history):
            out.not_due.append(job)
            continue
        try:
            record = run_one(inv, job, config, reports, operator=audit.operator, max_drop=max_drop)
        except ledger.LedgerError as exc:
            out.refused.append(str(exc))
            continue
        out.ran.append(record)
        if progress:
            progress(record)
    return out


def verify_job(inv: Inventory, job: Job, config: TransportConfig, reports: Path) -> list[tuple]:
    """Check again every kept backup of the job: (run, ok or None when not reached, detail), each on the ledger."""
    from .files import verify_files
    from .rman import verify_rman
    from .sqlserver import verify_sqlserver

    verify = {"files": verify_files, "rman": verify_rman, "sqlserver": verify_sqlserver}[job.kind]
    return verify(inv, job, config, reports)
