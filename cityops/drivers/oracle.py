"""Oracle Database 10g R2 and 11g R2, single instances and RAC with Grid Infrastructure (and the 12c layouts).

A fact set of a role, not of a platform: the same database runs on Linux and on AIX, so the hosts whose role is
oracle_rac_node or oracle_db are read with it (`ctx.read(getter, facts="oracle")`). Its commands run in the
oracle user's environment: the inventory's `oracle_shell_prefix` (e.g. "sudo -iu oracle") goes before each.
The SQL it sends (SQL below) prints one row per line with '|' between columns and no headings, so the readers
read exactly the columns they asked for.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, replace
from typing import ClassVar

from ..parsers import ParseError
from .base import FactSet, Getter

# sqlplus settings: bare rows, '|' separated, no feedback or headings
SQL_PRELUDE = "set pagesize 0 feedback off heading off verify off echo off linesize 400 trimspool on"
SQL = {
    "tablespaces": (
        "select m.tablespace_name||'|'||round(d.mb)||'|'||round(m.used_space*t.block_size/1048576)||'|'||"
        "round(m.used_percent)||'|'||d.auto||'|'||round(d.maxmb) from dba_tablespace_usage_metrics m "
        "join dba_tablespaces t on t.tablespace_name=m.tablespace_name join (select tablespace_name, "
        "sum(bytes)/1048576 mb, max(autoextensible) auto, sum(greatest(maxbytes,bytes))/1048576 maxmb "
        "from dba_data_files group by tablespace_name) d on d.tablespace_name=m.tablespace_name "
        "where t.contents='PERMANENT' order by 1;"),
    "temp": (
        "select tablespace_name||'|'||round(sum(bytes_used+bytes_free)/1048576)||'|'||round(sum(bytes_used)/1048576)"
        "||'|'||round(100*sum(bytes_used)/sum(bytes_used+bytes_free)) from v$temp_space_header "
        "group by tablespace_name;"),
    "fra": ("select name||'|'||space_limit||'|'||space_used||'|'||round(100*space_used/nullif(space_limit,0)) "
            "from v$recovery_file_dest;"),
    "rman": ("select input_type||'|'||status||'|'||to_char(max(end_time),'YYYY-MM-DD HH24:MI:SS') "
             "from v$rman_backup_job_details where start_time > sysdate-14 group by input_type, status;"),
    "archive_dest": ("select dest_id||'|'||dest_name||'|'||status||'|'||error from v$archive_dest "
                     "where status <> 'INACTIVE';"),
    "instance": "select instance_name||'|'||status||'|'||host_name||'|'||database_status||'|'||version from v$instance;",
    # where this instance writes its alert log: ADR's diag/.../trace from 11g, $ORACLE_BASE/admin/<db>/bdump on 10g
    # (lot 24) or wherever the DBA pointed it; background_dump_dest answers on every release
    "alert_dir": ("select i.instance_name||'|'||p.value from v$instance i, v$parameter p "
                  "where p.name='background_dump_dest';"),
}


@dataclass(frozen=True)
class Resource:
    name: str
    target: str
    state: str
    server: str
    detail: str


def crs_resources(text: str) -> list[Resource]:
    """`crsctl stat res -t` -> one row per resource per node or cardinality slot.

    11.2 heads the table `NAME TARGET STATE SERVER STATE_DETAILS`; 12c and later `Name Target State Server
    State details`, and wrap a long detail onto continuation lines under its column (joined back here)."""
    header = next((ln for ln in text.splitlines() if re.match(r"^NAME\s+TARGET\s+STATE", ln, re.I)), "")
    if not header:
        raise ParseError("crsctl stat res -t: no resource table")
    upper = header.upper()
    server_col = upper.find("SERVER")
    detail_col = max(upper.find("STATE_DETAILS"), upper.find("STATE DETAILS"))
    rows: list[list[str]] = []
    name = None
    for ln in text.splitlines():
        if not ln.strip() or ln.startswith("-") or ln.strip() in ("Local Resources", "Cluster Resources"):
            continue
        if ln is header or re.match(r"^NAME\s+TARGET", ln, re.I):
            continue
        if not ln.startswith(" "):
            name = ln.strip()
            continue
        m = re.match(r"^\s+(?:\d+\s+)?(ONLINE|OFFLINE)\s+(ONLINE|OFFLINE|INTERMEDIATE|UNKNOWN)", ln)
        if m and name:
            # SERVER and STATE_DETAILS sit under their headings; an offline slot has no server
            server = ln[server_col:detail_col].strip() if 0 < server_col < detail_col else ""
            detail = ln[detail_col:].strip() if detail_col > 0 else ""
            rows.append([name, m.group(1), m.group(2), server, detail])
        elif rows and detail_col > 0 and len(ln) - len(ln.lstrip()) >= detail_col - 1:
            rows[-1][4] += ln.strip()  # 12c wraps the detail at the column's width, mid-word
    if not rows:
        raise ParseError("crsctl stat res -t: no resource rows")
    return [Resource(*r) for r in rows]


def srvctl_instances(text: str) -> list[tuple[str, bool, str]]:
    """`srvctl status database -d DB` -> [(instance, running, node)]."""
    out = []
    for m in re.finditer(r"^Instance (\S+) is (not )?running on node (\S+)", text, re.M):
        out.append((m.group(1), m.group(2) is None, m.group(3)))
    if not out:
        raise ParseError("srvctl status database: no instance lines")
    return out


def srvctl_listener_nodes(text: str) -> tuple[list[str], list[str]]:
    """`srvctl status listener` -> (listeners running with their nodes 'L@n1,n2', listeners not running)."""
    running, down = [], []
    for m in re.finditer(r"^Listener (\S+) is running on node\(s\): (\S+)", text, re.M):
        running.append(f"{m.group(1)}@{m.group(2)}")
    for m in re.finditer(r"^Listener (\S+) is not running", text, re.M):
        down.append(m.group(1))
    if not running and not down:
        raise ParseError("srvctl status listener: no listener lines")
    return running, down


def scan_listeners(text: str) -> list[tuple[str, bool, str]]:
    """`srvctl status scan_listener` -> [(listener, running, node)]."""
    out = []
    for m in re.finditer(r"^SCAN listener (\S+) is (not )?running(?: on node (\S+))?", text, re.M | re.I):
        out.append((m.group(1), m.group(2) is None, m.group(3) or ""))
    if not out:
        raise ParseError("srvctl status scan_listener: no SCAN listener lines")
    return out


def cluster_nodes(text: str, own: str) -> list[str]:
    """Nodes named by `srvctl status listener` (falls back to this node)."""
    nodes = re.findall(r"running on node\(s\): (\S+)", text)
    return sorted({n for group in nodes for n in group.split(",")} | {own})


@dataclass(frozen=True)
class DiskGroup:
    name: str
    state: str
    redundancy: str
    total_mb: int
    free_mb: int
    usable_mb: int
    offline_disks: int

    @property
    def used_percent(self) -> float:
        return round(100.0 * (self.total_mb - self.free_mb) / self.total_mb, 1) if self.total_mb else 0.0


def asm_diskgroups(text: str) -> list[DiskGroup]:
    """`asmcmd lsdg` (11.2 columns: State Type Rebal Sector Block AU Total_MB Free_MB Req_mir_free_MB Usable_file_MB
    Offline_disks Voting_files Name)."""
    out = []
    for ln in text.splitlines():
        parts = ln.split()
        if len(parts) >= 13 and parts[0] in ("MOUNTED", "DISMOUNTED", "CONNECTED") and parts[6].isdigit():
            out.append(DiskGroup(parts[-1].rstrip("/"), parts[0], parts[1], int(parts[6]), int(parts[7]),
                                 int(parts[9]), int(parts[10])))
    if not out:
        raise ParseError("asmcmd lsdg: no disk group rows")
    return out


def listener_up(text: str) -> tuple[bool, str]:
    """`lsnrctl status` -> (up, why). Up means the command completed and the listener has services; down, the TNS
    error it printed (lsnrctl then exits 1, which is why the getter accepts that status)."""
    errors = re.findall(r"(TNS-\d+: [^\n]+)", text)
    if errors:
        return False, errors[0].strip()
    if "The command completed successfully" in text:
        services = len(re.findall(r'^Service "', text, re.M))
        return True, f"运行中，{services} 个服务"
    raise ParseError("lsnrctl status: neither success nor a TNS error in the answer")


def rows(text: str, columns: int) -> list[list[str]]:
    """sqlplus output of a query printing '|'-joined columns; ORA- errors are raised."""
    err = re.search(r"^(ORA-\d{5}[^\n]*|SP2-\d{4}[^\n]*)", text, re.M)  # at a line's start: not ORA- in a column
    if err or re.search(r"^ERROR at line", text, re.M):
        raise ParseError(f"sqlplus: {err.group(1).strip() if err else 'ERROR at line ...'}")
    out = []
    for ln in text.splitlines():
        if not ln.strip():
            continue
        parts = [p.strip() for p in ln.split("|")]
        if len(parts) != columns:
            raise ParseError(f"sqlplus: expected {columns} columns, got '{ln.strip()[:80]}'")
        out.append(parts)
    return out


def oracle_time(text: str) -> dt.datetime:
    try:
        return dt.datetime.strptime(text, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        raise ParseError(f"'{text}' is not a time in YYYY-MM-DD HH24:MI:SS") from None


ORA_LINE = re.compile(r"\b(ORA-\d{5})\b[:\s]?(.*)")
BENIGN = {"ORA-03136"}  # inbound connection timed out: logged by every busy listener, not a database fault


def alert_errors(lines: list[str]) -> list[str]:
    """ORA- errors in alert log lines (one entry per line that carries one)."""
    out = []
    for ln in lines:
        m = ORA_LINE.search(ln)
        if m and m.group(1) not in BENIGN:
            out.append(ln.strip())
    return out


def registered_databases(text: str) -> list[str]:
    """`srvctl config database`: the databases registered with the cluster, one name per line."""
    names = [ln.strip() for ln in text.splitlines() if ln.strip()]
    if not names or any(not re.fullmatch(r"[A-Za-z][\w$#]*", n) for n in names):
        raise ParseError(f"srvctl config database: not a list of database names ('{(names or [''])[0][:60]}')")
    return names


def sqlplus(name: str) -> str:
    """The sqlplus call of one of the queries in SQL, as SYSDBA, the query on stdin."""
    return f"sqlplus -S / as sysdba <<'SQL'\n{SQL_PRELUDE}\n{SQL[name]}\nexit\nSQL"


def table(name: str, columns: int):
    """The reader of one query: its rows; no row at all is refused, since every query but the backup history's
    has a row on a database that answers (an empty answer would grade as 'nothing wrong')."""
    def read(text: str) -> list[list[str]]:
        out = rows(text, columns)
        if not out and name not in MAY_BE_EMPTY:
            raise ParseError(f"sqlplus: no row from the {name} query")
        return out
    return read


# sqlplus exits 1 after an ORA- error: the reader raises it with its text (rows()), never reads around it
QUERY_COLUMNS = {"tablespaces": 6, "temp": 4, "fra": 4, "rman": 3, "archive_dest": 4, "instance": 5, "alert_dir": 2}
MAY_BE_EMPTY = {"rman"}  # no backup job in 14 days: ORA-RMAN-001's finding, not a reading error


class Oracle(FactSet):
    platform = "oracle"
    kind = "database"
    roles: ClassVar[tuple[str, ...]] = ("oracle_rac_node", "oracle_db")
    may_be_empty = frozenset(MAY_BE_EMPTY)
    getters: ClassVar[dict[str, Getter]] = {
        "crs_resources": Getter("crsctl stat res -t", crs_resources),
        "databases": Getter("srvctl config database", registered_databases),
        "scan_listeners": Getter("srvctl status scan_listener", scan_listeners),
        "asm_diskgroups": Getter("asmcmd lsdg", asm_diskgroups),
        "listener": Getter("lsnrctl status", listener_up, ok_status=(0, 1)),
        **{name: Getter(sqlplus(name), table(name, columns), ok_status=(0, 1)) for name, columns in QUERY_COLUMNS.items()},
    }

    def for_host(self, name: str, host) -> Getter:
        """Each command in the oracle user's environment: the host's `oracle_shell_prefix` before it."""
        g = super().for_host(name, host)
        prefix = str(host.get("oracle_shell_prefix") or "").strip()
        return replace(g, command=f"{prefix} {g.command}") if prefix else g
