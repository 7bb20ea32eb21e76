"""Checking kept database backups again (`backup.verify`): the engine reads its own sets back on the node that
took them, and the backup server hashes each stored copy against the ledger. One loop for RMAN and SQL Server;
each engine brings only the command that asks it (rman.verify_rman, sqlserver.verify_sqlserver).
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


def stored_problems(inv: Inventory, job: Job, pieces: list, config: TransportConfig, evidence: Evidence,
                    deadline: float) -> tuple[list[str], bool]:
    """Each stored copy hashed on its backup server against the ledger: the problems, and whether it was reached."""
    problems, reached = [], True
    for piece in pieces:
        host, _, path = str(piece.get("stored", "")).partition(":")
        if not job.target or host != job.target:
            continue
        try:
            session = ssh_session(inv, host, config, deadline)
            try:
                found = _archive_digest(session, path, evidence)
            finally:
                session.close()
            want = str(piece.get("sha256"))
            if found != want:
                problems.append(f"{host}:{path} 已损坏：sha256 {found[:16]}… 与备份时 {want[:16]}… 不一致")
        except JobFailed as exc:
            problems.append(f"{host}:{path} 无法校验：{exc}")
        except ConnectFailure as exc:
            problems.append(f"{host} 不可达：{exc}")
            reached = False
    return problems, reached


def recheck_runs(inv: Inventory, job: Job, config: TransportConfig, reports: Path,
                 engine: Callable[[SshExec, ledger.RunRecord, Evidence], list[str]], engine_name: str,
                 unit: str = "个备份片") -> list[tuple]:
    """(run, ok, detail) for every verified run of the job still kept and taken by now; each result on the
    ledger, except a run nothing could be reached for (None: not a finding about the backup)."""
    at = now()
    kept = [r for r in ledger.runs(reports)[0] if (r.owner, r.job) == (job.owner, job.name)
            and r.status == "verified" and not r.pruned and r.pieces and r.started <= at]
    out = []
    deadline = time.monotonic() + 3600
    for run in kept:
        evidence = Evidence()
        problems, reached = [], True
        try:
            node = ssh_session(inv, run.node or run.host.split(",")[0], config, deadline)
            try:
                problems += engine(node, run, evidence)
            finally:
                node.close()
        except (JobFailed, ConnectFailure) as exc:
            problems.append(str(exc))
            reached = not isinstance(exc, ConnectFailure)
        stored, reached_store = stored_problems(inv, job, run.pieces, config, evidence, deadline)
        problems += stored
        if not (reached and reached_store) and not [p for p in problems if any(d in p for d in DAMAGE)]:
            out.append((run, None, "；".join(problems)))
            continue
        ok = not problems
        detail = (f"{run.tag}：{len(run.pieces)} {unit}完好（{engine_name}、备份服务器 sha256）" if ok
                  else "；".join(problems))
        ledger.record_check(reports, run, ok=ok, detail=detail, evidence=evidence.lines)
        out.append((run, ok, detail))
    return out
