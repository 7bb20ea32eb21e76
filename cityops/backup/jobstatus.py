"""Where each declared database and file backup stands, for `backup.status`: on time, overdue, or not checked.

A manual job (the yearly offline disks) is judged by its last entry in the backup ledger, a files job — and an
RMAN or SQL Server job cityops has run — by its last good run there (verified, still kept, not found damaged by a
later check). Any other RMAN or SQL Server job (the DBA's own scheduler takes it) is judged by the last
inspection of its database (ORA-BAK-002, MSSQL-BAK-002 hold it against the engine's own record) within
`RECENT`: an inspection older than that, or none, says nothing about today, and the job is shown as not checked
— never as on time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from ..timeutil import now
from .ledger import RUN_STATES, last_done, runs
from .schedule import Job

CHECK_OF = {"rman": "ORA-BAK-002", "sqlserver": "MSSQL-BAK-002"}
RECENT = dt.timedelta(days=2)
UNITS = {"rman": "个备份片", "sqlserver": "个备份集", "files": "个文件"}
STATES = {"ok": "按计划", "overdue": "逾期", "unchecked": "未核对"}


@dataclass(frozen=True)
class JobState:
    job: Job
    state: str  # ok | overdue | unchecked
    detail: str  # Chinese: the last entry, the inspection that judged it, or why it is not checked


def _last_inspections(reports: Path, hosts: set[str], checks: set[str], since: dt.datetime) -> dict:
    """(host, check) -> (run id, {item: (status, what it says)}) of the newest result among the runs started since
    `since`: each declared job is one item of the check's result, named by `Job.label`."""
    from ..report.runs import scan_runs

    found: dict[tuple[str, str], tuple[str, dict[str, tuple[str, str]]]] = {}
    for run in scan_runs(Path(reports) / "runs", since):  # oldest first: a later run overwrites
        if run.verify() in ("tampered", "unverified"):
            continue
        for r in run.stream():  # verified against the run's manifest; a torn line is passed over
            key = (r.get("host"), r.get("check_id"))
            if key[0] in hosts and key[1] in checks and r.get("status") in ("pass", "fail"):
                found[key] = (run.run_id, {str(i.get("item")): (str(i.get("status")), str(i.get("value", "")))
                                           for i in r.get("items") or [] if isinstance(i, dict)})
    return found


def job_states(jobs: list[Job], reports: Path, at: dt.datetime | None = None) -> tuple[list[JobState], list[str]]:
    """Each job's state, and the ledger's problems (a broken chain is said)."""
    at = at or now()
    recorded, problems = last_done(reports)
    done = runs(reports)[0] if any(j.kind in ("files", "rman", "sqlserver") for j in jobs) else []
    engine_hosts = {h for j in jobs if j.kind in CHECK_OF for h in j.hosts}
    seen = _last_inspections(reports, engine_hosts, set(CHECK_OF.values()), at - RECENT) if engine_hosts else {}
    out = []
    for j in jobs:
        if j.kind == "manual":
            entry = recorded.get((j.owner, j.name))
            late = j.overdue(entry.done_at if entry else None, at)
            last = f"最近记录 {entry.done_at:%Y-%m-%d %H:%M}（{entry.operator}）" if entry else "从未记录"
            out.append(JobState(j, "overdue" if late else "ok",
                                f"{last}" + (f"；应于 {late:%Y-%m-%d %H:%M} 完成" if late else "")))
        elif j.kind in CHECK_OF and any((r.owner, r.job) == (j.owner, j.name) for r in done):
            out.append(ledger_state(j, [r for r in done if (r.owner, r.job) == (j.owner, j.name)], at))
        elif j.kind in CHECK_OF:
            results = [(run_id, items[j.label]) for h in j.hosts if (h, CHECK_OF[j.kind]) in seen
                       for run_id, items in [seen[h, CHECK_OF[j.kind]]] if j.label in items]
            if not results:
                out.append(JobState(j, "unchecked", f"近 {RECENT.days} 天没有 {CHECK_OF[j.kind]} 的巡检结果"))
                continue
            run_id, (status, said) = max(results)  # the newest run among the cluster's nodes
            out.append(JobState(j, "ok" if status == "pass" else "overdue", f"巡检 {run_id}：{said}"))
        else:
            out.append(ledger_state(j, [r for r in done if (r.owner, r.job) == (j.owner, j.name)], at))
    return out, problems


def ledger_state(job: Job, history: list, at: dt.datetime) -> JobState:
    """A job cityops runs (files, RMAN, SQL Server) by its runs on the ledger: its last good backup (verified, still kept, not
    found damaged since) against its schedule, and what went wrong after it."""
    good = [r for r in history if r.good]
    last = good[-1] if good else None
    late = job.overdue(last.started if last else None, at)
    unit = UNITS.get(job.kind, "个文件")
    said = (f"最近有效备份 {last.started:%Y-%m-%d %H:%M}（{last.files} {unit}，{last.size} 字节）" if last
            else "没有有效备份")
    after = [r for r in history if last is None or r.started > last.started]
    bad = [r for r in history if r.status == "verified" and r.damaged]
    if after:
        r = after[-1]
        state = "已校验，但其后发现损坏" if r.status == "verified" and r.damaged else RUN_STATES[r.status]
        said += f"；其后 {r.started:%Y-%m-%d %H:%M} {state}" + (f"：{r.error}" if r.error else "")
    if bad:
        said += f"；{len(bad)} 份备份校验发现损坏（最近：{bad[-1].damaged}）"
    if late:
        said += f"；应于 {late:%Y-%m-%d %H:%M} 完成"
    return JobState(job, "overdue" if late else "ok", said)
