"""SQL Server backups (数据库备份): BACKUP DATABASE / LOG by the instance itself, straight to the separate backup
server's share, checked by RESTORE VERIFYONLY, hashed by cityops, on the ledger.

Each user database of the instance (sys.databases, ONLINE, not master/model/msdb/tempdb) is backed up WITH
CHECKSUM to `\\\\<backup server>\\sqlbak\\<owner>\\<job>\\<file>.bak` — the share is the backup server's
/srv/backup, where cityops makes the directory first, since SQL Server does not. The device path is built in T-SQL
(`REPLACE(N'//server/…', N'/', NCHAR(92))`) so the same command means the same under cmd.exe on the estate's
Win32-OpenSSH and a POSIX shell. The instance then reads each set back (RESTORE VERIFYONLY WITH CHECKSUM), and
cityops streams each file from the backup server (Linux) to compute its own sha256. A failover cluster's backup
runs on the node that answers for the instance.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from ..drivers.mssql import MsSql
from ..inventory.model import Inventory
from ..parsers import ParseError
from ..parsers.sqlbackup import SqlBackupReport, report
from ..transport.base import TransportConfig
from ..transport.errors import ConnectFailure
from ..transport.ssh_exec import SshExec
from . import ledger
from .dbrows import quoted, sqlserver_counts
from .files import TARGET_ROOT, _archive_digest, _plausible, copy_file, job_dir, prune
from .jobrun import EXCERPT, Evidence, JobFailed, JobRun, q, run_checked, run_job, ssh_session
from .schedule import Job

SYSTEM_DATABASES = ("master", "model", "msdb", "tempdb")
PLAIN_NAME = re.compile(r"[A-Za-z0-9_$#-]{1,100}")  # a database name cityops writes into T-SQL and file names
SHARE = "sqlbak"  # the backup server's share: its TARGET_ROOT
STATEMENT = {"full": "BACKUP DATABASE [{db}] TO DISK = @d WITH CHECKSUM, INIT, NAME = N'{tag}'",
             "diff": "BACKUP DATABASE [{db}] TO DISK = @d WITH DIFFERENTIAL, CHECKSUM, INIT, NAME = N'{tag}'",
             "log": "BACKUP LOG [{db}] TO DISK = @d WITH CHECKSUM, INIT, NAME = N'{tag}'"}


def device(server: str, path: str) -> str:
    """T-SQL that puts the UNC device in @d without a backslash on the command line."""
    return f"DECLARE @d nvarchar(400) = REPLACE(N'//{server}/{SHARE}/{path}', N'/', NCHAR(92)); "


def _sqlcmd(session: SshExec, instance: str, statement: str, evidence: Evidence, timeout: float) -> SqlBackupReport:
    command = f'sqlcmd -S {instance} -E -b -Q "{statement}"'
    answer = session.run(command, timeout=timeout)
    evidence.add(session.name, command, answer.exit_status, (answer.stdout + answer.stderr)[-EXCERPT:])
    try:
        return report(answer.stdout + answer.stderr)
    except ParseError as exc:
        raise JobFailed(f"{session.name}: sqlcmd 的输出无法识别：{exc}") from None


def _instance(inv: Inventory, job: Job, config: TransportConfig, deadline: float) -> tuple[SshExec, str, list[str]]:
    """The node that answers for the instance, the instance's name, and its user databases online."""
    tried = []
    for name in job.hosts or (job.owner,):
        host = inv.hosts[name]
        getter = MsSql().for_host("databases", host)
        session = ssh_session(inv, name, config, deadline)
        try:
            answer = session.run(getter.command)
            rows = getter.read(answer.stdout + answer.stderr)
        except (ConnectFailure, ParseError) as exc:
            session.close()
            tried.append(f"{name}: {exc}")
            continue
        dbs = [r[0] for r in rows if r[0] not in SYSTEM_DATABASES and r[1] == "ONLINE"]
        odd = [d for d in dbs if not PLAIN_NAME.fullmatch(d)]
        if odd:  # a name from the instance's answer goes into T-SQL and a file name: plain ones only
            session.close()
            raise JobFailed(f"{name}: 数据库名 {odd[0][:60]!r} 含有 cityops 不写入命令的字符（只接受字母、数字、_ $ # -）")
        return session, str(host.get("sql_instance") or "."), dbs
    raise JobFailed("；".join(tried) or f"{job.owner}: no node")


def backup_sqlserver(inv: Inventory, job: Job, config: TransportConfig, reports: Path, *, operator: str,
                     max_drop: float = 0.5, host_timeout: float = 8 * 3600.0) -> ledger.RunRecord:
    """Back up every user database of the instance at the job's level; each set verified and hashed."""

    def body(run: JobRun) -> None:
        token = run.run_id.rsplit("-", 1)[1]
        tag = run.result["tag"] = f"CITYOPS_{job.level.upper()}_{token.upper()}"
        if not job.target:
            raise JobFailed(f"{job.owner} {job.name}: 未声明 target（备份服务器），cityops 无法核对备份文件")
        node, instance, dbs = _instance(inv, job, config, run.deadline)
        run.adopt(node)
        run.result["node"] = node.name
        if not dbs:
            raise JobFailed(f"{node.name}: 实例 {instance} 没有联机的用户数据库可备份")
        dst = run.ssh(job.target)
        run_checked(dst, f"mkdir -p {q(job_dir(job))}", run.evidence, "准备备份目录")
        pieces = []
        for db in dbs:
            name = f"{db}_{job.name}_{run.run_id[:15]}_{token}.bak"
            rel = f"{job.owner}/{job.name}/{name}"
            done = _sqlcmd(node, instance, device(job.target, rel) + STATEMENT[job.level].format(db=db, tag=tag),
                           run.evidence, host_timeout)
            if not done.ok:
                raise JobFailed(f"{node.name}: {db} 备份失败：{'；'.join(done.errors[:3])}")
            checked = _sqlcmd(node, instance, device(job.target, rel) + "RESTORE VERIFYONLY FROM DISK = @d WITH "
                              "CHECKSUM", run.evidence, host_timeout)
            if not checked.ok:
                raise JobFailed(f"{node.name}: {db} 的备份 {name} 校验（RESTORE VERIFYONLY）失败："
                                f"{'；'.join(checked.errors[:3])}")
            stored = f"{TARGET_ROOT}/{rel}"
            sha = _archive_digest(dst, stored, run.evidence)
            size, own = copy_file(dst, stored, None, stored, run.evidence)  # read here, hashed here
            if own != sha:
                raise JobFailed(f"{dst.name}: {stored} 的 sha256 两次读取不一致（{own[:16]}… ≠ {sha[:16]}…）")
            pieces.append({"handle": f"\\\\{job.target}\\{SHARE}\\{rel.replace('/', chr(92))}", "database": db,
                           "bytes": size, "sha256": own, "pages": done.pages, "stored": f"{job.target}:{stored}"})
        total = sum(p["bytes"] for p in pieces)
        run.check("BACKUP 完成（WITH CHECKSUM）", True, f"{len(pieces)} 个数据库：{'、'.join(dbs)}")
        run.check("RESTORE VERIFYONLY 通过", True, f"{len(pieces)} 个备份集")
        run.check("备份文件 sha256（cityops 经传输计算，备份服务器复核一致）", True, f"共 {total} 字节")
        odd = _plausible(job, run.reports, total, max_drop) if job.level == "full" else ""
        run.check("大小与近期备份相称", not odd, odd or f"{total} 字节")
        digest = hashlib.sha256("".join(f"{p['sha256']}  {p['stored']}\n" for p in pieces).encode()).hexdigest()
        run.result.update(pieces=pieces, size=total, sha256=digest, files=len(pieces), error=odd)
        tables = [(t, quoted(t)) for t in job.tables if t.split(".")[0] in dbs]
        try:  # the rows a drill must find; the backup stands without them
            run.result["point"] = {"rows": sqlserver_counts(node, instance, tables, run.evidence)}
        except (JobFailed, ConnectFailure) as exc:
            run.result.setdefault("warnings", []).append(f"未能记录表行数（恢复演练无法核对）：{exc}")

    return run_job(inv, job, config, reports, operator=operator, host=",".join(job.hosts) or job.owner,
                   location=lambda _run_id: f"{job.target}:{job_dir(job)}", body=body, host_timeout=host_timeout,
                   after=lambda run: run.result.update(pruned_runs=prune(inv, job, config, run.reports, run.evidence)))


def verify_sqlserver(inv: Inventory, job: Job, config: TransportConfig, reports: Path) -> list[tuple]:
    """Check again every SQL Server run of the job still kept: the instance reads each set back (RESTORE
    VERIFYONLY WITH CHECKSUM) and the backup server hashes each file against the ledger."""
    from .recheck import recheck_runs

    def engine(node: SshExec, run: ledger.RunRecord, evidence: Evidence) -> list[str]:
        instance = str(inv.hosts[node.name].get("sql_instance") or ".")
        problems = []
        for piece in run.pieces:
            rel = str(piece.get("stored", "")).partition(":")[2].removeprefix(f"{TARGET_ROOT}/")
            checked = _sqlcmd(node, instance, device(job.target, rel) + "RESTORE VERIFYONLY FROM DISK = @d WITH "
                              "CHECKSUM", evidence, 3600)
            if not checked.ok:
                problems.append(f"{piece.get('database')} 的备份集校验失败（RESTORE VERIFYONLY）：{piece.get('handle')}："
                                + "；".join(checked.errors[:2]))
        return problems

    return recheck_runs(inv, job, config, reports, engine, "RESTORE VERIFYONLY", "个备份集")
