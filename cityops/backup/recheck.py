"""Checking kept backups again (`backup.verify`): each stored copy hashed on its backup server against the ledger,
and for a database the engine reading its own sets back on the node that took them. One loop for files, RMAN and
SQL Server; each engine brings only the command that asks it (rman.verify_rman, sqlserver.verify_sqlserver).
A host is logged into once for all the runs it is asked about.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from ..inventory.model import Inventory
from ..timeutil import now
from ..transport.base import TransportConfig
from ..transport.errors import ConnectFailure
from ..transport.ssh_exec import SshExec
from . import ledger
from .files import _archive_digest
from .jobrun import Evidence, JobFailed, ssh_session
from .schedule import Job

DAMAGE = ("已损坏", "校验失败")  # what a problem says when it is the backup's, not the path's to it
Engine = Callable[[SshExec, ledger.RunRecord, Evidence], list[str]]


def copies(run: ledger.RunRecord) -> list[dict]:
    """What a run stored: its pieces (a database's), or its one archive (files)."""
    return run.pieces or [{"stored": run.location, "sha256": run.sha256}]


class Sessions:
    """One session per host for the whole check, opened when first needed; a host that cannot be reached is tried
    once and then said to be unreachable."""

    def __init__(self, inv: Inventory, config: TransportConfig):
        self.inv, self.config = inv, config
        self.deadline = time.monotonic() + 3600
        self.open: dict[str, SshExec] = {}
        self.lost: dict[str, ConnectFailure] = {}

    def get(self, name: str) -> SshExec:
        if name in self.lost:
            raise self.lost[name]
        if name not in self.open:
            self.open[name] = ssh_session(self.inv, name, self.config, self.deadline)
        return self.open[name]

    def run(self, name: str, step: Callable[[SshExec], list[str]]) -> tuple[list[str], bool]:
        """(problems, reached) of one step on a host."""
        try:
            return step(self.get(name)), True
        except ConnectFailure as exc:
            self.lost.setdefault(name, exc)
            return [f"{name} 不可达：{exc}"], False
        except JobFailed as exc:
            return [str(exc)], True

    def close(self) -> None:
        for session in self.open.values():
            session.close()


def recheck_runs(inv: Inventory, job: Job, config: TransportConfig, reports: Path, engine: Engine | None = None,
                 engine_name: str = "", unit: str = "个备份片") -> list[tuple]:
    """(run, ok, detail) for every verified run of the job still kept and taken by now; each result on the
    ledger, except a run nothing could be reached for (None: not a finding about the backup)."""
    at = now()
    kept = [r for r in ledger.runs(reports)[0] if (r.owner, r.job) == (job.owner, job.name)
            and r.status == "verified" and not r.pruned and r.started <= at]
    out = []
    sessions = Sessions(inv, config)
    try:
        for run in kept:
            evidence = Evidence()
            problems, reached = [], True
            if engine is not None:
                problems, reached = sessions.run(run.node or run.host.split(",")[0],
                                                 lambda node, run=run, evidence=evidence: engine(node, run, evidence))
            for copy in copies(run):
                host, _, path = str(copy.get("stored", "")).partition(":")
                if job.target and host == job.target:
                    found, ok = sessions.run(host, lambda s, path=path, copy=copy, evidence=evidence:
                                             _hash_problem(s, path, str(copy.get("sha256")), evidence))
                    problems += found
                    reached = reached and ok
            if not reached and not [p for p in problems if any(d in p for d in DAMAGE)]:
                out.append((run, None, "；".join(problems)))
                continue
            ok = not problems
            what = f"{engine_name}、" if engine_name else ""
            detail = (f"{run.tag or run.location}：{len(copies(run))} {unit}完好（{what}备份服务器 sha256）" if ok
                      else "；".join(problems))
            ledger.record_check(reports, run, ok=ok, detail=detail, evidence=evidence.lines)
            out.append((run, ok, detail))
    finally:
        sessions.close()
    return out


def _hash_problem(session: SshExec, path: str, want: str, evidence: Evidence) -> list[str]:
    try:
        found = _archive_digest(session, path, evidence)
    except JobFailed as exc:
        return [f"{session.name}:{path} 无法校验：{exc}"]
    if found != want:
        return [f"{session.name}:{path} 已损坏：sha256 {found[:16]}… 与备份时 {want[:16]}… 不一致"]
    return []
