"""Windows roles on lab servers: PowerShell and SQL Server answers, from the host's and its cluster's state.

The lab serves Windows roles over SSH (as Win32-OpenSSH would) rather than WinRM;
`powershell -Command ...` and `sqlcmd ... -Q ...` answer the inspection queries
by what they ask for (services, volumes, hotfixes, cluster nodes and groups;
SQL Server cluster nodes, database states, failed agent jobs, last backups,
error log). A two-node failover cluster's SQL Server role runs on the first node
unless that node is down, then on the second: a node fault fails it over.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re

DATABASES = ("master", "model", "msdb", "tempdb", "OA_DB", "GOV_PORTAL", "REPORT_DB")
JOBS = ("DatabaseBackup - USER_DATABASES - FULL", "DatabaseBackup - USER_DATABASES - LOG",
        "IndexOptimize - USER_DATABASES", "syspolicy_purge_history")


def is_windows(host: dict) -> bool:
    return host.get("os", "").startswith("Windows")


def powershell_version(host: dict) -> int:
    """The PowerShell each release shipped with: 2.0 (2008 R2, .NET 3.5), 4.0 (2012 R2, .NET 4.5), 5.1 (2016).
    Before 3.0 no module loads by itself; before 5.1 (.NET 4.6.1) Get-Service has no StartType."""
    release = re.search(r"Windows Server (\d{4})", host.get("os", ""))
    year = int(release.group(1)) if release else 2016
    return 2 if year <= 2008 else 4 if year <= 2012 else 5


def declared_backups(host: dict, now: dt.datetime) -> dict[str, dt.datetime]:
    """msdb's last good backup of each type (D full, I differential, L log), 15 minutes after the slot the
    inventory's `backup_jobs` last made due; without a declaration, a full 10 hours ago and a log 40 minutes ago."""
    from ...backup.schedule import jobs_of
    from ...drivers.mssql import BACKUP_TYPE

    due: dict[str, list[dt.datetime]] = {}
    for j in jobs_of(host):
        slot = j.last_due(now - dt.timedelta(minutes=15)) if j.kind == "sqlserver" else None
        if slot is not None:
            due.setdefault(BACKUP_TYPE[j.level], []).append(slot)
    out = {kind: max(slots) + dt.timedelta(minutes=15) for kind, slots in due.items()}
    return out or {"D": now - dt.timedelta(hours=10), "L": now - dt.timedelta(minutes=40)}


def render(host: dict, members: list[dict], faults: dict[str, dict], now: dt.datetime) -> dict[str, str]:
    name = host["name"]
    f = faults.get(name, {})
    seed = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    nodes = [m["name"] for m in members]
    down = {n for n in nodes if "sqlserver_node_down" in faults.get(n, {})}
    owner = next((n for n in nodes if n not in down), None)
    sql = "SQL Server" in host.get("os", "")
    out: dict[str, str] = {}
    services = ["W32Time", "WinRM", "EventLog"] + (["MSSQLSERVER", "SQLSERVERAGENT"] if sql else [])
    if len(nodes) > 1:
        services.append("ClusSvc")
    stopped = (f["service_down"].get("service") or services[-1]) if "service_down" in f else None
    ps = powershell_version(host)
    wmi, cmdlet = [], []
    for s in services:
        running = s != stopped and not (s in ("MSSQLSERVER", "SQLSERVERAGENT") and name != owner and len(nodes) > 1)
        state = "Running" if running else "Stopped"
        auto = s not in ("MSSQLSERVER", "SQLSERVERAGENT") or len(nodes) == 1  # a clustered instance starts by role
        wmi.append(f"{state}|{s}|{'Auto' if auto else 'Manual'}")
        cmdlet.append(f"{state}|{s}|{('Automatic' if auto else 'Manual') if ps >= 5 else ''}")
    out["win/services"] = "\n".join(wmi) + "\n"  # Win32_Service: State|Name|StartMode
    out["win/get_service"] = "\n".join(cmdlet) + "\n"  # Get-Service: no StartType before PowerShell 5.1
    out["win/psversion"] = f"{ps}\n"
    full = f.get("disk_full", {})
    vols = []
    for letter, size_gb, pct in (("C:", 120, 40 + seed % 30), ("D:", 500, 30 + (seed >> 3) % 40)):
        if full and full.get("mount", "D:") in (letter, "/data"):
            pct = int(full.get("percent", 97))
        vols.append(f"{letter}|{size_gb * 1024**3}|{size_gb * 1024**3 * (100 - pct) // 100}")
    out["win/volumes"] = "\n".join(vols) + "\n"
    hotfix_day = now - dt.timedelta(days=int(f.get("patch_old", {}).get("days", 20 + seed % 20)))
    out["win/hotfix"] = f"KB5034682|Security Update|{hotfix_day.strftime('%Y/%m/%d')}\n"
    if len(nodes) > 1:
        out["win/cluster_nodes"] = "".join(f"{n}|{'Down' if n in down else 'Up'}\n" for n in nodes)
        out["win/cluster_groups"] = (f"SQL Server (MSSQLSERVER)|{owner or nodes[0]}|{'Online' if owner else 'Failed'}\n"
                                     f"Cluster Group|{owner or nodes[0]}|{'Online' if owner else 'Failed'}\n")
    if sql:
        from .wsfc import release

        out["win/sql_key"], out["win/sql_level"] = release(host.get("os", ""))  # the registry's Setup key, PatchLevel
        active = name == owner or len(nodes) == 1
        service_ok = not ({"service_down"} & set(f) and stopped == "MSSQLSERVER")
        out["sql/up"] = "1" if active and service_ok else ""
        out["sql/service_ok"] = "1" if service_ok else ""  # where the cluster's own state says who runs the role
        out["sql/nodes"] = "".join(f"{n}|{'down' if n in down else 'up'}|{int(n == owner)}\n" for n in nodes) \
            if len(nodes) > 1 else ""
        cluster_faults = {k: v for n in nodes for k, v in faults.get(n, {}).items()}  # the instance's, wherever noted
        suspect = cluster_faults["sql_db_suspect"].get("database", "REPORT_DB") if "sql_db_suspect" in cluster_faults \
            else None
        out["sql/databases"] = "".join(f"{d}|{'SUSPECT' if d == suspect else 'ONLINE'}\n" for d in DATABASES)
        failed = [JOBS[0]] if "sql_job_failed" in cluster_faults else []
        out["sql/failed_jobs"] = "".join(
            f"{j}|0|{(now - dt.timedelta(hours=3)).strftime('%Y-%m-%d %H:%M:%S')}|The job failed.\n" for j in failed)
        age = dt.timedelta(days=int(cluster_faults.get("sql_backup_old", {}).get("days", 0)))
        taken = {kind: at - age for kind, at in declared_backups(host, now).items()}
        out["sql/backups"] = "".join(f"{d}|{kind}|{at.strftime('%Y-%m-%d %H:%M:%S')}\n"
                                     for d in DATABASES[4:] for kind, at in sorted(taken.items()))
        logon = (now - dt.timedelta(hours=5)).strftime("%Y-%m-%d %H:%M:%S")
        err = [f"{logon}|Logon|Login succeeded for user 'NT AUTHORITY\\SYSTEM'."]
        if "sql_errors" in cluster_faults:
            err.append(f"{now.strftime('%Y-%m-%d %H:%M:%S')}|spid52|Error: 823, Severity: 24, State: 2.")
        out["sql/errorlog"] = "\n".join(err) + "\n"
    return out
