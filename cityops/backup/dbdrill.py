"""Database restore drills (数据库恢复演练): a backup chain restored into a scratch database from the copies on the
backup server, recovered to the point the backup recorded, opened, and its rows counted against what the
database held then — how long it took and how many rows would have been lost, judged against the tender's target
(lot 19: recovery within 12 hours, no data lost). Recorded on the ledger like every drill.

Oracle: the pieces of the chain (the newest level 0 at or before the chosen backup, the level 1s after it, the
archive log backups after those) stream from the backup server through cityops — hashed on the way against the
ledger — into a scratch directory on a node of the database. There a scratch instance of its own ORACLE_SID
(never the database's) is started from a minimal parameter file, its control file restored from the chain's
control file set, the copies catalogued, the data files restored under the scratch directory (`set newname`) and
recovered `until scn` the backup's recorded point, and opened with RESETLOGS — the textbook restore on a new host,
in the engine's own words, read by the reader tested on published RMAN restores. The scratch instance is shut down
with `shutdown abort` and its directory removed whatever happened (`--keep` leaves the directory).

SQL Server: each database of the chain (the newest full at or before the chosen backup, the newest differential
after it, the log backups after those) is restored by the instance itself from the backup server's share under a
scratch name (`<db>_cityops_drill`, its files moved beside the source's), WITH NORECOVERY until the last, then
WITH RECOVERY; each file is hashed again on the backup server against the ledger first. The scratch database is
counted and dropped. One data file and one log file per database are moved; a database with more fails the
restore (Msg 1834), never passes it.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from pathlib import Path

from ..inventory.model import Inventory
from ..parsers import ParseError
from ..parsers.rman import recovery
from ..timeutil import now
from ..transport.base import TransportConfig
from ..transport.errors import ConnectFailure
from ..transport.ssh_exec import SshExec
from . import ledger
from .dbrows import compare, oracle_counts, quoted, sqlplus, sqlserver_counts
from .files import DRILL_DIR, TARGET_ROOT, _upload, copy_file, on_server, scratch_dir
from .jobrun import EXCERPT, Evidence, JobFailed, q, ssh_session
from .rman import _node, oracle_prefix, rman_script
from .schedule import Job
from .sqlserver import PLAIN_NAME, _instance, _sqlcmd, device

DEADLINE = 12 * 3600.0  # the longest a drill may run: the tender's recovery target


# per engine: the full level, the incremental level and whether each incremental counts (RMAN's level 1s are
# differential: every one since the level 0) or only the newest (SQL Server's differentials are cumulative), the
# log level, and the words of a refusal
CHAINS = {"rman": ("0", "1", True, "archivelog", "RMAN", "0 级备份"),
          "sqlserver": ("full", "diff", False, "log", "SQL Server", "完全备份")}


def backup_chain(reports: Path, owner: str, kind: str, at=None) -> tuple[ledger.RunRecord, list[ledger.RunRecord]]:
    """The backup a drill recovers to (the newest run of `owner` verified at or before `at` and still kept) and the
    runs its recovery reads, oldest first: the newest full before it, the incrementals after that (each RMAN level
    1, or SQL Server's newest differential), and the log backups after the last of those."""
    full, incremental, every, log, engine, full_name = CHAINS[kind]
    mine = [r for r in ledger.runs(reports)[0] if r.owner == owner and r.kind == kind and r.status == "verified"
            and not r.pruned and (at is None or r.started <= at)]
    if not mine:
        raise JobFailed(f"{owner}: 没有可用于恢复演练的已校验 {engine} 备份" + (f"（{at:%Y-%m-%d %H:%M} 之前）" if at else ""))
    target = mine[-1]
    fulls = [r for r in mine if r.level == full]
    if not fulls:
        raise JobFailed(f"{owner}: {target.started:%Y-%m-%d %H:%M} 之前没有已校验的{full_name}，无从恢复")
    base = fulls[-1]
    incrementals = [r for r in mine if r.level == incremental and r.started > base.started]
    incrementals = incrementals if every else incrementals[-1:]
    last = incrementals[-1] if incrementals else base
    logs = [r for r in mine if r.level == log and r.started > last.started]
    return target, [base, *incrementals, *logs]


def _judge(job: Job, seconds: float, lost: int, differ: list[str], problems: list[str], counted: bool
           ) -> tuple[bool, str]:
    target = f"，目标 {job.restore_hours:g} 小时内恢复" if job.restore_hours else ""
    if job.restore_hours and seconds > job.restore_hours * 3600:
        problems.append(f"恢复用时 {seconds / 3600:.1f} 小时，超过目标 {job.restore_hours:g} 小时")
    if differ:
        problems.append(f"数据不一致（丢失 {lost} 行）：" + "；".join(differ[:3]))
    if problems:
        return False, "恢复失败：" + "；".join(problems)
    rows = "表行数与备份时一致，未丢失数据" if counted else "未声明核对表（tables），未比对行数"
    return True, f"恢复成功：用时 {seconds:.0f} 秒{target}，{rows}"


def drill_rman(inv: Inventory, job: Job, config: TransportConfig, reports: Path, *, at=None,
               keep: bool = False) -> dict:
    """Restore the chain of the newest good RMAN backup of the job's database into a scratch instance, recover it
    to the backup's point, open it, count its rows; record the drill on the ledger."""
    reports = Path(reports)
    target, chain = backup_chain(reports, job.owner, "rman", at or now())
    point = target.point or {}
    evidence = Evidence()
    sid = f"CD{secrets.token_hex(3).upper()}"  # the scratch instance's own SID, never the database's
    facts: dict = {"backup": target.id, "backup_time": target.started.isoformat(timespec="seconds"),
                   "chain": [r.id for r in chain], "level": target.level, "scratch_sid": sid,
                   "recovery_point": point.get("scn"), "target_hours": job.restore_hours,
                   "rows_expected": point.get("rows", {})}
    problems: list[str] = []
    node = dst = None
    scratch = ""
    started = time.monotonic()
    deadline = started + DEADLINE
    try:
        if not point.get("scn") or not point.get("db"):
            raise JobFailed(f"{target.id}: 备份时没有记录恢复点（SCN），无从核对恢复结果")
        node = _node(inv, job, config, deadline)
        prefix = oracle_prefix(inv, node.name)
        dst = ssh_session(inv, target.target, config, deadline)
        scratch = scratch_dir(node, f"{job.drill_dir or DRILL_DIR}/db-{target.id}", evidence)
        facts["restored_to"] = f"{node.name}:{scratch}"
        control = ""
        for run in chain:
            for piece in run.pieces:
                name = piece["handle"].rsplit("/", 1)[-1]
                _size, sha = copy_file(dst, on_server(piece["stored"]), node, f"{scratch}/{name}", evidence)
                if sha != piece.get("sha256"):
                    problems.append(f"备份片 {piece.get('stored')} 已损坏：sha256 {sha[:16]}… 与备份时不一致")
                if piece.get("control") and run.level in ("0", "1"):
                    control = f"{scratch}/{name}"
        facts["pieces"] = sum(len(r.pieces) for r in chain)
        facts["copy_seconds"] = round(time.monotonic() - started, 1)
        if not control:
            raise JobFailed(f"{chain[-1].id}: 备份链中没有控制文件备份集，无法在临时实例上恢复")
        _upload(node, f"{scratch}/init{sid}.ora",
                f"db_name={point['db']}\ncontrol_files='{scratch}/control01.ctl'\n".encode(), evidence)
        script = rman_script(
            f"startup nomount pfile='{scratch}/init{sid}.ora'", f"restore controlfile from '{control}'",
            "alter database mount", f"catalog start with '{scratch}/' noprompt",
            f"run {{ set until scn {int(point['scn'])}; set newname for database to '{scratch}/%b'; restore database; "
            "switch datafile all; recover database; }", "alter database open resetlogs")
        answer = node.run(f"{prefix}ORACLE_SID={sid} {script}", timeout=max(60.0, deadline - time.monotonic()))
        evidence.add(node.name, f"ORACLE_SID={sid} rman target / (restore controlfile … open resetlogs)",
                     answer.exit_status, answer.stdout[-EXCERPT * 2:] + answer.stderr[-EXCERPT:])
        try:
            said = recovery(answer.stdout)
        except ParseError as exc:
            raise JobFailed(f"{node.name}: RMAN 的输出无法识别：{exc}") from None
        facts["logs_applied"] = said.logs
        if not said.ok:
            named = ("，".join(f"{p} 的第 {b} 块损坏" for p, b in said.corrupt)
                     or (f"缺少序列号 {said.missing_log[0]} 的归档日志（SCN {said.missing_log[1]}）"
                         if said.missing_log else "") or "；".join(said.errors[:3]) or "未完成恢复")
            raise JobFailed(f"{node.name}: RMAN 恢复失败：{named}")
        facts["restore_seconds"] = round(time.monotonic() - started, 1)
        restored = oracle_counts(node, tuple(facts["rows_expected"]), evidence, sid=sid, prefix=prefix)
        facts["rows_restored"] = restored
        lost, differ = compare(facts["rows_expected"], restored)
        facts["rows_lost"] = lost
    except (JobFailed, ConnectFailure, OSError) as exc:
        problems.append(str(exc))
        differ = []
    finally:
        if node is not None and node.fatal is None:
            with contextlib.suppress(ConnectFailure):
                node.run(sqlplus(["shutdown abort"], sid, oracle_prefix(inv, node.name)))
                if scratch and not keep:
                    node.run(f"rm -rf {q(scratch)}")
        for s in (node, dst):
            if s is not None:
                s.close()
    seconds = facts.get("restore_seconds", round(time.monotonic() - started, 1))
    facts["restore_seconds"] = seconds
    ok, detail = _judge(job, seconds, facts.get("rows_lost", 0), differ, problems, bool(facts["rows_expected"]))
    facts["data_since_hours"] = round((now() - (target.ended or target.started)).total_seconds() / 3600, 1)
    ledger.record_check(reports, target, ok=ok, detail=detail, evidence=evidence.lines, kind="drill", **facts)
    return {"run": target, "ok": ok, "detail": detail, **facts}


SCRATCH_SUFFIX = "_cityops_drill"


def _full_statement(db: str, new: str) -> str:
    """RESTORE of a full backup under `new`, its data and log files moved beside the source database's (their
    logical names and folders read from sys.master_files, no path on the command line)."""
    folder = "LEFT(@p{n}, LEN(@p{n}) - CHARINDEX(NCHAR(92), REVERSE(@p{n})) + 1)"
    if not (PLAIN_NAME.fullmatch(db) and PLAIN_NAME.fullmatch(new)):
        raise JobFailed(f"{db}: 数据库名含有 cityops 不写入命令的字符")
    # db and new are plain names (PLAIN_NAME): nothing in them can leave the quoted literal or the brackets
    return (f"DECLARE @l1 sysname, @l2 sysname, @p1 nvarchar(400), @p2 nvarchar(400); "  # nosec B608
            f"SELECT @l1 = name, @p1 = physical_name FROM sys.master_files WHERE database_id = DB_ID(N'{db}') "
            f"AND type = 0; SELECT @l2 = name, @p2 = physical_name FROM sys.master_files WHERE database_id = "
            f"DB_ID(N'{db}') AND type = 1; SET @p1 = {folder.format(n=1)} + N'{new}.mdf'; "
            f"SET @p2 = {folder.format(n=2)} + N'{new}_log.ldf'; RESTORE DATABASE [{new}] FROM DISK = @d WITH "
            "CHECKSUM, MOVE @l1 TO @p1, MOVE @l2 TO @p2, NORECOVERY")


def drill_sqlserver(inv: Inventory, job: Job, config: TransportConfig, reports: Path, *, at=None,
                    keep: bool = False) -> dict:
    """Restore each database of the newest good SQL Server chain under a scratch name on its instance, bring it
    online, count its rows against the backup's, drop it; record the drill on the ledger."""
    reports = Path(reports)
    target, chain = backup_chain(reports, job.owner, "sqlserver", at or now())
    expected = (target.point or {}).get("rows", {})
    evidence = Evidence()
    facts: dict = {"backup": target.id, "backup_time": target.started.isoformat(timespec="seconds"),
                   "chain": [r.id for r in chain], "level": target.level, "target_hours": job.restore_hours,
                   "rows_expected": expected, "rows_restored": {}}
    problems: list[str] = []
    node = dst = None
    created: list[str] = []
    started = time.monotonic()
    deadline = started + DEADLINE
    try:
        node, instance, _dbs = _instance(inv, job, config, deadline)
        dst = ssh_session(inv, target.target, config, deadline)
        facts["restored_to"] = f"{node.name}（实例 {instance}）"
        databases = [p["database"] for p in chain[0].pieces if p.get("database")]
        for db in databases:
            new = f"{db}{SCRATCH_SUFFIX}"
            steps = [(r, p) for r in chain for p in r.pieces if p.get("database") == db]
            for _run, piece in steps:
                _size, sha = copy_file(dst, on_server(piece["stored"]), None, on_server(piece["stored"]), evidence)
                if sha != piece.get("sha256"):
                    problems.append(f"备份文件 {piece.get('stored')} 已损坏：sha256 {sha[:16]}… 与备份时不一致")
            _drop(node, instance, new, evidence)
            created.append(new)
            for i, (run, piece) in enumerate(steps):
                rel = on_server(piece["stored"]).removeprefix(TARGET_ROOT + "/")
                statement = (_full_statement(db, new) if i == 0 else
                             f"RESTORE {'LOG' if run.level == 'log' else 'DATABASE'} [{new}] FROM DISK = @d WITH "
                             "CHECKSUM, NORECOVERY")
                done = _sqlcmd(node, instance, device(run.target, rel) + statement, evidence,
                               max(60.0, deadline - time.monotonic()))
                if not done.ok:
                    raise JobFailed(f"{node.name}: {db} 恢复 {piece.get('stored')} 失败：{'；'.join(done.errors[:3])}")
            done = _sqlcmd(node, instance, f"RESTORE DATABASE [{new}] WITH RECOVERY", evidence, 600)
            if not done.ok:
                raise JobFailed(f"{node.name}: {new} 联机（WITH RECOVERY）失败：{'；'.join(done.errors[:3])}")
            tables = [(t, quoted(t, new)) for t in expected if t.split(".")[0] == db]
            facts["rows_restored"].update(sqlserver_counts(node, instance, tables, evidence))
        facts["restore_seconds"] = round(time.monotonic() - started, 1)
        lost, differ = compare(expected, facts["rows_restored"])
        facts["rows_lost"] = lost
    except (JobFailed, ConnectFailure, OSError) as exc:
        problems.append(str(exc))
        differ = []
    finally:
        if node is not None and node.fatal is None and not keep:
            for new in created:
                with contextlib.suppress(JobFailed, ConnectFailure):
                    _drop(node, instance, new, evidence)
        for s in (node, dst):
            if s is not None:
                s.close()
    seconds = facts.get("restore_seconds", round(time.monotonic() - started, 1))
    facts["restore_seconds"] = seconds
    ok, detail = _judge(job, seconds, facts.get("rows_lost", 0), differ, problems, bool(expected))
    ledger.record_check(reports, target, ok=ok, detail=detail, evidence=evidence.lines, kind="drill", **facts)
    return {"run": target, "ok": ok, "detail": detail, **facts}


def _drop(node: SshExec, instance: str, name: str, evidence: Evidence) -> None:
    """DROP DATABASE of a drill's scratch database if it is there. sqlcmd prints nothing when it succeeds, so
    the exit status and the absence of a Msg are the answer."""
    if not name.endswith(SCRATCH_SUFFIX):
        raise JobFailed(f"{name}: 只删除演练的临时库")
    command = f'sqlcmd -S {instance} -E -b -Q "IF DB_ID(N\'{name}\') IS NOT NULL DROP DATABASE [{name}]"'
    answer = node.run(command, timeout=600)
    said = (answer.stdout + answer.stderr).strip()
    evidence.add(node.name, command, answer.exit_status, said[-EXCERPT:])
    if answer.exit_status != 0 or "Msg " in said:
        raise JobFailed(f"{node.name}: 删除临时库 {name} 失败：{said[:EXCERPT]!r}")
