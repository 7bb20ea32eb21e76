"""What a database held at a backup's point, read through the engine's own client: Oracle's SCN and the row
counts of the job's tables as of that SCN, SQL Server's row counts — taken when a backup is verified, and again in
the scratch database a drill restores, so a drill can say whether any row was lost.

The queries print `name|value` rows (sqlplus with the drivers' prelude, sqlcmd with `-h -1 -W -s "|"`) and are
read by the same readers as the inspection queries (drivers.oracle.rows, parsers.windows), which refuse an
ORA-/Msg error or a line they do not understand. Table names come from the inventory, checked by schedule.py
(plain identifiers), and are never taken from a device's answer.
"""

from __future__ import annotations

from ..drivers.mssql import reader, sqlcmd
from ..drivers.oracle import SQL_PRELUDE
from ..drivers.oracle import rows as oracle_rows
from ..parsers import ParseError
from ..transport.ssh_exec import SshExec
from .jobrun import EXCERPT, Evidence, JobFailed


def sqlplus(statements: list[str], sid: str = "", prefix: str = "") -> str:
    """sqlplus as SYSDBA with the statements on a quoted here-document; `sid` names another instance (a drill's
    scratch one); the first SQL error ends it with exit status 1."""
    env = f"ORACLE_SID={sid} " if sid else ""
    body = "\n".join(statements)
    return (f"{prefix}{env}sqlplus -S / as sysdba <<'CITYOPS_SQL'\n{SQL_PRELUDE}\nwhenever sqlerror exit failure\n"
            f"{body}\nexit\nCITYOPS_SQL")


def _pairs(session: SshExec, command: str, evidence: Evidence, what: str) -> dict[str, str]:
    answer = session.run(command)
    evidence.add(session.name, command.split("\n", 1)[0] + " … " + what, answer.exit_status,
                 (answer.stdout + answer.stderr)[-EXCERPT:])
    try:
        found = {k: v for k, v in oracle_rows(answer.stdout + answer.stderr, 2)}
    except ParseError as exc:
        raise JobFailed(f"{session.name}: {what}失败：{exc}") from None
    if not answer.ok:
        raise JobFailed(f"{session.name}: {what}失败（退出码 {answer.exit_status}）："
                        f"{(answer.stdout + answer.stderr).strip()[-EXCERPT:]!r}")
    return found


def _count(text: str, where: str) -> int:
    if not text.isdigit():
        raise JobFailed(f"{where}: 行数无法识别：{text[:60]!r}")
    return int(text)


def oracle_counts(session: SshExec, tables: tuple[str, ...], evidence: Evidence, *, sid: str = "",
                  scn: int | None = None, prefix: str = "") -> dict[str, int]:
    """Rows of each table (as of `scn` when given: Oracle's flashback query, one consistent point)."""
    if not tables:
        return {}
    at = f" as of scn {int(scn)}" if scn is not None else ""
    # table names are the inventory's, checked by schedule.TABLE_RE (plain identifiers): nothing to escape
    found = _pairs(session, sqlplus([f"select '{t}|'||count(*) from {t}{at};"  # nosec B608
                                     for t in tables], sid, prefix),
                   evidence, "统计表行数")
    missing = [t for t in tables if t not in found]
    if missing:
        raise JobFailed(f"{session.name}: 没有返回 {missing[0]} 的行数")
    return {t: _count(found[t], f"{session.name} {t}") for t in tables}


# the SCN a backup covers, read from RMAN's own record by the run's tag: a data file set's checkpoint (or its
# absolute fuzzy change, past which a hot backup needs redo), or the last archived log's next change - 1
COVERED = {
    "datafile": ("select 'SCN|'||max(greatest(bd.checkpoint_change#, nvl(bd.absolute_fuzzy_change#, 0))) from "
                 "v$backup_datafile bd join v$backup_piece bp on bp.set_stamp = bd.set_stamp and bp.set_count = "
                 "bd.set_count where bp.tag = '{tag}';"),
    "archivelog": ("select 'SCN|'||(max(br.next_change#) - 1) from v$backup_redolog br join v$backup_piece bp on "
                   "bp.set_stamp = br.set_stamp and bp.set_count = br.set_count where bp.tag = '{tag}';"),
}


def oracle_point(session: SshExec, tables: tuple[str, ...], evidence: Evidence, *, tag: str, level: str,
                 prefix: str = "") -> dict:
    """The database's name, the SCN the backup tagged `tag` covers, and its tables' rows as of that SCN (a
    flashback query): the point a drill recovers to and what it must find there."""
    covered = COVERED["archivelog" if level == "archivelog" else "datafile"].format(tag=tag)
    found = _pairs(session, sqlplus(["select 'DB|'||name from v$database;", covered], prefix=prefix), evidence,
                   "读取备份覆盖的 SCN")
    if not found.get("SCN", "").isdigit() or not found.get("DB"):
        raise JobFailed(f"{session.name}: 备份 {tag} 覆盖的 SCN 或库名无法识别：{found!r}"[:EXCERPT])
    scn = int(found["SCN"])
    return {"db": found["DB"], "scn": scn,
            "rows": oracle_counts(session, tables, evidence, scn=scn, prefix=prefix)}


def sqlserver_counts(session: SshExec, instance: str, tables: list[tuple[str, str]], evidence: Evidence
                     ) -> dict[str, int]:
    """Rows of each (label, [db].[schema].[table]) on the instance, in one query, through the mssql driver's
    sqlcmd call and reader (sqlcmd's own error, a missing row and a line it does not understand are refused)."""
    if not tables:
        return {}
    # labels and names are the inventory's tables (schedule.TABLE_RE), bracketed by quoted(): nothing to escape
    query = " UNION ALL ".join(f"SELECT N'{label}', COUNT_BIG(*) FROM {name}"  # nosec B608
                               for label, name in tables)
    command = sqlcmd(query).replace("{instance}", instance)
    answer = session.run(command)
    evidence.add(session.name, command, answer.exit_status, (answer.stdout + answer.stderr)[-EXCERPT:])
    try:
        found = {k: v for k, v in reader("counts", "COUNT_BIG", 2)(answer.stdout + answer.stderr)}
    except ParseError as exc:
        raise JobFailed(f"{session.name}: 统计表行数失败：{exc}") from None
    missing = [label for label, _n in tables if label not in found]
    if missing:
        raise JobFailed(f"{session.name}: 没有返回 {missing[0]} 的行数")
    return {label: _count(found[label], f"{session.name} {label}") for label, _n in tables}


def quoted(table: str, database: str = "") -> str:
    """db.schema.table as [db].[schema].[table], the database renamed when a drill restored it under another
    name."""
    db, schema, name = table.split(".")
    return f"[{database or db}].[{schema}].[{name}]"


def compare(expected: dict[str, int], restored: dict[str, int]) -> tuple[int, list[str]]:
    """(rows lost, what differs) between the counts at the backup's point and those restored."""
    lost, differ = 0, []
    for table, n in expected.items():
        got = restored.get(table)
        if got != n:
            differ.append(f"{table} 备份时 {n} 行，恢复后 {got if got is not None else '无此表'}")
            lost += max(0, n - (got or 0))
    return lost, differ
