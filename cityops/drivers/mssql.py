"""SQL Server 2008 R2 to 2016 on the estate's Windows hosts, single instances and two-node failover clusters.

A fact set of the roles sqlserver_node and sqlserver_db (`ctx.read(getter, facts="mssql")`), read with `sqlcmd`
over the server's SSH session (Win32-OpenSSH): `-E` (the Windows account), `-b` (a T-SQL error sets the exit
status), `-h -1 -W -s "|"` (no headings, trimmed, '|' between columns), so a query prints exactly the columns it
selects. A clustered instance is reached by its network name, the inventory's `sql_instance`.

An instance that does not answer (login timeout, service stopped on this node) is not a reading error but the
finding itself: the readers raise `InstanceUnreachable`, which the checks grade as a failed condition.
"""

from __future__ import annotations

from dataclasses import replace
from typing import ClassVar

from ..parsers import ParseError
from ..parsers import windows as rows_of
from .base import FactSet, Getter


class InstanceUnreachable(ParseError):
    """sqlcmd printed its own error instead of rows: the instance could not be reached or refused the query."""


QUERIES = {  # getter: (what it reads, T-SQL, columns)
    "databases": ("sys.databases", "SELECT name, state_desc FROM sys.databases", 2),
    "failed_jobs": ("sysjobhistory", "SELECT j.name, h.run_status, CONVERT(varchar(19), msdb.dbo.agent_datetime(h.run_date, "
                    "h.run_time), 120), h.message FROM msdb.dbo.sysjobhistory h JOIN msdb.dbo.sysjobs j ON j.job_id = "
                    "h.job_id WHERE h.step_id = 0 AND h.run_status = 0 AND msdb.dbo.agent_datetime(h.run_date, "
                    "h.run_time) > DATEADD(day, -1, GETDATE())", 4),
    "backups": ("backupset", "SELECT database_name, type, CONVERT(varchar(19), MAX(backup_finish_date), 120) FROM "
                "msdb.dbo.backupset GROUP BY database_name, type", 3),
    "errorlog": ("xp_readerrorlog", "EXEC xp_readerrorlog 0, 1, N'Severity'", 3),
}


BACKUP_TYPE = {"full": "D", "diff": "I", "log": "L"}  # msdb.dbo.backupset.type of each backup level


def sqlcmd(query: str) -> str:
    return f'sqlcmd -S {{instance}} -E -b -h -1 -W -s "|" -Q "SET NOCOUNT ON; {query}"'


def reader(name: str, what: str, columns: int):
    """Rows of one query; sqlcmd's own error is InstanceUnreachable; no row where one must be (sys.databases
    always lists master) is refused."""
    def read(text: str) -> list[list[str]]:
        failure = rows_of.sqlcmd_failure(text)
        if failure:
            raise InstanceUnreachable(failure)
        out = rows_of.rows(text, columns, what)
        if not out and name not in MsSql.may_be_empty:
            raise ParseError(f"sqlcmd: no row from the {name} query")
        return out
    return read


class MsSql(FactSet):
    platform = "mssql"
    kind = "database"
    roles: ClassVar[tuple[str, ...]] = ("sqlserver_node", "sqlserver_db")
    may_be_empty = frozenset({"failed_jobs", "backups", "errorlog"})  # none failed, none taken, nothing severe
    getters: ClassVar[dict[str, Getter]] = {
        name: Getter(sqlcmd(query), reader(name, what, columns), ok_status=(0, 1))
        for name, (what, query, columns) in QUERIES.items()
    }

    def for_host(self, name: str, host) -> Getter:
        """The instance by the cluster's network name where it has one, else the local default instance."""
        g = super().for_host(name, host)
        return replace(g, command=g.command.replace("{instance}", str(host.get("sql_instance") or ".")))
