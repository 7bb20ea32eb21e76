"""One run of a declared backup, from its first ledger line to its last: the job's lock, the run's id, the hosts'
sessions (closed whatever happens), the evidence, the checks and the outcome — so each kind (files.py, rman.py,
sqlserver.py) writes only what it does, and no kind can forget to end its run on the ledger.

A step that fails raises JobFailed (or a transport's ConnectFailure) with one line naming the host and the
cause; `run_job` records it as the run's error. A check that finds the backup wrong without stopping it (a size
far below the usual) sets `result["error"]`: the run ends failed all the same.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ..inventory.model import Inventory
from ..timeutil import now
from ..transport.base import TransportConfig
from ..transport.errors import ConnectFailure
from ..transport.registry import open_session
from ..transport.ssh_exec import SshExec
from . import ledger
from .schedule import Job

EXCERPT = 300


class JobFailed(Exception):
    """A backup or drill that failed for a reason the ledger records: one line naming the host and the cause."""


@dataclass
class Evidence:
    """The commands a run sent and what they answered (excerpts), for the ledger."""

    lines: list[dict] = field(default_factory=list)

    def add(self, host: str, command: str, status, text: str = "") -> None:
        self.lines.append({"host": host, "command": command, "status": status, "excerpt": text.strip()[:EXCERPT]})


def q(path: str) -> str:
    return shlex.quote(path)


def ssh_session(inv: Inventory, name: str, config: TransportConfig, deadline: float) -> SshExec:
    host = inv.hosts.get(name)
    if host is None:
        raise JobFailed(f"{name}: not a host of the inventory")
    session = open_session(host, config, deadline)
    if not isinstance(session, SshExec):
        raise JobFailed(f"{name}: backups are run over SSH; its platform {host.get('platform')} has no shell")
    return session


def run_checked(session: SshExec, command: str, evidence: Evidence, what: str) -> str:
    """Run a command that must succeed; its failure is the job's, named with the host and the tool's words."""
    answer = session.run(command)
    evidence.add(session.name, command, answer.exit_status, answer.stdout + answer.stderr)
    if not answer.ok:
        said = (answer.stderr or answer.stdout).strip().splitlines()
        raise JobFailed(f"{session.name}: {what}失败（退出码 {answer.exit_status}）：{said[-1][:EXCERPT] if said else '无输出'}")
    return answer.stdout


@dataclass
class JobRun:
    """A run under way: what its steps share."""

    inv: Inventory
    job: Job
    config: TransportConfig
    reports: Path
    run_id: str
    started: object
    deadline: float
    evidence: Evidence = field(default_factory=Evidence)
    result: dict = field(default_factory=lambda: {"checks": []})
    sessions: list = field(default_factory=list)

    def ssh(self, name: str) -> SshExec:
        """A session to a host, closed when the run ends."""
        return self.adopt(ssh_session(self.inv, name, self.config, self.deadline))

    def adopt(self, session: SshExec) -> SshExec:
        self.sessions.append(session)
        return session

    def check(self, name: str, ok: bool, detail: str) -> None:
        self.result["checks"].append({"name": name, "ok": ok, "detail": detail})


def run_job(inv: Inventory, job: Job, config: TransportConfig, reports: Path, *, operator: str, host: str,
            location: Callable[[str], str], body: Callable[[JobRun], None], host_timeout: float,
            on_failure: Callable[[JobRun], None] | None = None,
            after: Callable[[JobRun], None] | None = None) -> ledger.RunRecord:
    """Run `body` as one run of `job`: refused if the job is running already; `run_start` on the ledger before
    anything is touched, `run_end` with the outcome whatever happens (bar a kill, which leaves it incomplete)."""
    reports = Path(reports)
    with ledger.job_lock(reports, job):
        started = now()
        run_id = ledger.new_run_id(job, started)
        ledger.start_run(reports, job, run_id, host=host, started=started, operator=operator,
                         location=location(run_id))
        run = JobRun(inv, job, config, reports, run_id, started, time.monotonic() + host_timeout)
        try:
            body(run)
            status = "failed" if run.result.get("error") else "verified"
        except (JobFailed, ConnectFailure) as exc:
            status, run.result["error"] = "failed", str(exc)
            if on_failure is not None:
                on_failure(run)
        finally:
            for session in run.sessions:
                session.close()
        if status == "verified" and after is not None:
            after(run)
        return ledger.end_run(reports, run_id, job, status=status, evidence=run.evidence.lines, **run.result)
