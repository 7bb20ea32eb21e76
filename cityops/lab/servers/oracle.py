"""Oracle 11g on lab servers: Grid Infrastructure (RAC) and database answers, from shared state.

A RAC's view is cluster-wide: `crsctl stat res -t` or `srvctl status database`
on any node shows every node's instances, listeners and SCAN, so a fault on one
node re-renders all of them. Outputs follow 11g R2's formats (patch set 4), and 10g R2's on a host whose `os` names
10g (lot 24): its alert log under $ORACLE_BASE/admin/<db>/bdump (no ADR `diag/` before 11g), its listener log in
$ORACLE_HOME/network/log. SQL*Plus answers
the inspection queries by the view they read (dba_tablespace_usage_metrics,
v$recovery_file_dest, v$rman_backup_job_details, v$archive_dest ...), one row per
line with fields joined by '|', as `set pagesize 0 feedback off` prints them.
"""

from __future__ import annotations

import datetime as dt
import re

ORACLE_ROLES = ("oracle_rac_node", "oracle_db")
TABLESPACES = (("SYSTEM", 32768, 41), ("SYSAUX", 32768, 62), ("UNDOTBS1", 32768, 12), ("USERS", 65536, 35),
               ("APP_DATA", 524288, 58), ("APP_INDEX", 262144, 47))
DISKGROUPS = (("DATA", "EXTERN", 1048576, 41), ("FRA", "EXTERN", 409600, 28), ("OCR", "NORMAL", 6144, 15))


def is_oracle(host: dict) -> bool:
    return host.get("role") in ORACLE_ROLES or "Oracle 1" in host.get("os", "")


def db_name(host: dict) -> str:
    if host.get("cluster"):
        return host["cluster"].split("_")[0] + "db"
    return host["name"].split("-")[0] + "db"


def declared_backups(host: dict, now: dt.datetime) -> tuple[dt.datetime, dt.datetime]:
    """When a healthy database last completed its database and its archive log backups: 20 and 5 minutes after the
    slots its inventory's `backup_jobs` last made due; without a declaration, the nightly policy most lots ask for
    (9 hours ago)."""
    from ...backup.schedule import jobs_of

    slots = {"db": [], "archivelog": []}
    for j in jobs_of(host):
        due = j.last_due(now - dt.timedelta(minutes=20)) if j.kind == "rman" else None
        if due is not None:
            slots["archivelog" if j.level == "archivelog" else "db"].append(due)
    db = max(slots["db"]) + dt.timedelta(minutes=20) if slots["db"] else now - dt.timedelta(hours=9)
    arch = max(slots["archivelog"]) + dt.timedelta(minutes=5) if slots["archivelog"] else db
    return db, arch


def render(host: dict, members: list[dict], faults: dict[str, dict], now: dt.datetime) -> dict[str, str]:
    """Files under oracle/ for one host; `members` is its RAC (all nodes, itself included) or [host]."""
    db = db_name(host)
    nodes = [m["name"] for m in members]
    idx = {n: i + 1 for i, n in enumerate(nodes)}
    f = faults.get(host["name"], {})
    down_inst = {n for n in nodes if "rac_instance_down" in faults.get(n, {})}
    down_lsnr = {n for n in nodes if "listener_down" in faults.get(n, {})}
    off_res = {n: faults[n]["rac_resource_offline"].get("resource", "ora.cvu") for n in nodes
               if "rac_resource_offline" in faults.get(n, {})}
    scan_down = any("scan_offline" in faults.get(n, {}) for n in nodes)
    inst = f"{db}{idx[host['name']]}" if len(nodes) > 1 else db
    out: dict[str, str] = {}
    stamp = now.strftime("%d-%b-%Y %H:%M:%S").upper()
    cluster_wide = {k: v for n in nodes for k, v in faults.get(n, {}).items()}

    if len(nodes) > 1 or host.get("role") == "oracle_rac_node":
        out["oracle/crsctl_check_crs"] = ("CRS-4638: Oracle High Availability Services is online\n"
                                          "CRS-4537: Cluster Ready Services is online\n"
                                          "CRS-4529: Cluster Synchronization Services is online\n"
                                          "CRS-4533: Event Manager is online\n")
        out["oracle/crsctl_stat_res_t"] = _stat_res(db, nodes, down_inst, down_lsnr, off_res, scan_down)
        out["oracle/srvctl_status_database"] = "".join(
            f"Instance {db}{idx[n]} is {'not running' if n in down_inst else 'running'} on node {n}\n" for n in nodes)
        up_lsnr = [n for n in nodes if n not in down_lsnr]
        out["oracle/srvctl_status_listener"] = ("Listener LISTENER is enabled\n"
                                                f"Listener LISTENER is running on node(s): {','.join(up_lsnr)}\n")
        scans = "".join(
            f"SCAN Listener LISTENER_SCAN{i} is enabled\n"
            + (f"SCAN listener LISTENER_SCAN{i} is not running\n" if scan_down and i == 2 else
               f"SCAN listener LISTENER_SCAN{i} is running on node {nodes[(i - 1) % len(nodes)]}\n")
            for i in (1, 2, 3))
        out["oracle/srvctl_status_scan_listener"] = scans
        out["oracle/olsnodes_s"] = "".join(f"{n}\tActive\n" for n in nodes)
        # the nodes whose instance will not start once their home took a patch (rac.py reads it)
        out["oracle/breaks_after_patch"] = "".join(f"{n}\n" for n in nodes if "patch_breaks_start" in faults.get(n, {}))
        out["oracle/ocrcheck"] = ("Status of Oracle Cluster Registry is as follows :\n\t Version                  :"
                                  "          3\n\t Total space (kbytes)     :     262120\n"
                                  "\t Used space (kbytes)      :       3044\n\t Available space (kbytes) :     259076\n"
                                  "\t ID                       : 1861276332\n\t Device/File Name         :       +OCR\n"
                                  "                                    Device/File integrity check succeeded\n\n"
                                  "\t Cluster registry integrity check succeeded\n\n"
                                  "\t Logical corruption check bypassed due to non-privileged user\n")
        out["oracle/votedisk"] = ("##  STATE    File Universal Id                File Name Disk group\n"
                                  "--  -----    -----------------                --------- ---------\n"
                                  + "".join(f" {i}. ONLINE   {'%032x' % (0xa1b2c3 * i)} (/dev/mapper/ocr{i}) [OCR]\n"
                                            for i in (1, 2, 3))
                                  + "Located 3 voting disk(s).\n")
        asm_full = cluster_wide.get("asm_full")
        rows = ["State    Type    Rebal  Sector  Block       AU  Total_MB  Free_MB  Req_mir_free_MB  "
                "Usable_file_MB  Offline_disks  Voting_files  Name"]
        for name, red, total, pct in DISKGROUPS:
            if asm_full and name == asm_full.get("diskgroup", "DATA"):
                pct = int(asm_full.get("percent", 96))
            free = total * (100 - pct) // 100
            voting = "Y" if name == "OCR" else "N"
            rows.append(f"MOUNTED  {red:<6}  N         512   4096  1048576  {total:>8}  {free:>7}  "
                        f"{2048 if red == 'NORMAL' else 0:>15}  {free:>14}  {0:>13}  {voting:>12}  {name}/")
        out["oracle/asmcmd_lsdg"] = "\n".join(rows) + "\n"

    release = oracle_release(host)
    ten = release.startswith("10.")
    lsnr_log = ("/opt/oracle/product/10.2.0/db_1/network/log/listener.log" if ten
                else f"/opt/oracle/diag/tnslsnr/{host['name']}/listener/alert/log.xml")
    # listener on this host
    if host["name"] in down_lsnr:
        out["oracle/lsnrctl_status"] = (
            f"\nLSNRCTL for Linux: Version {release} - Production on {stamp}\n\n"
            "Copyright (c) 1991, 2013, Oracle.  All rights reserved.\n\n"
            "Connecting to (DESCRIPTION=(ADDRESS=(PROTOCOL=IPC)(KEY=LISTENER)))\n"
            "TNS-12541: TNS:no listener\n TNS-12560: TNS:protocol adapter error\n  TNS-00511: No listener\n"
            "   Linux Error: 2: No such file or directory\n")
        out["oracle/lsnrctl_rc"] = "1"
    else:
        running = "" if host["name"] in down_inst else (
            f'Service "{db}" has 1 instance(s).\n  Instance "{inst}", status READY, has 1 handler(s) for this service...\n')
        out["oracle/lsnrctl_status"] = (
            f"\nLSNRCTL for Linux: Version {release} - Production on {stamp}\n\n"
            "Copyright (c) 1991, 2013, Oracle.  All rights reserved.\n\n"
            "Connecting to (DESCRIPTION=(ADDRESS=(PROTOCOL=IPC)(KEY=LISTENER)))\nSTATUS of the LISTENER\n"
            "------------------------\nAlias                     LISTENER\n"
            f"Version                   TNSLSNR for Linux: Version {release} - Production\n"
            f"Start Date                {(now - dt.timedelta(days=54)).strftime('%d-%b-%Y %H:%M:%S').upper()}\n"
            "Uptime                    54 days 0 hr. 0 min. 0 sec\nTrace Level               off\n"
            "Security                  ON: Local OS Authentication\nSNMP                      OFF\n"
            f"Listener Log File         {lsnr_log}\n"
            "Services Summary...\n" + running + "The command completed successfully\n")
        out["oracle/lsnrctl_rc"] = "0"

    # SQL*Plus answers (this instance)
    if host["name"] in down_inst:
        out["oracle/sql_down"] = "ORA-01034: ORACLE not available\nORA-27101: shared memory realm does not exist\n"
    else:
        out["oracle/sql_down"] = ""
    out["oracle/sql_instance"] = f"{inst}|OPEN|{host['name']}|ACTIVE|{release}\n"
    trace_dir = f"/opt/oracle/admin/{db}/bdump" if ten else f"/opt/oracle/diag/rdbms/{db}/{inst}/trace"
    out["oracle/sql_alert_dir"] = f"{inst}|{trace_dir}\n"  # background_dump_dest, where the alert log is
    tbs_fault = f.get("tablespace_full") or cluster_wide.get("tablespace_full")
    rows = []
    for name, size_mb, pct in TABLESPACES:
        if tbs_fault and name == tbs_fault.get("tablespace", "APP_DATA"):
            pct = int(tbs_fault.get("percent", 96))
        rows.append(f"{name}|{size_mb}|{size_mb * pct // 100}|{pct}|YES|{size_mb * 2}")
    out["oracle/sql_tablespaces"] = "\n".join(rows) + "\n"
    temp = cluster_wide.get("temp_full")
    tpct = int(temp.get("percent", 97)) if temp else 8
    out["oracle/sql_temp"] = f"TEMP|32768|{32768 * tpct // 100}|{tpct}\n"
    fra = cluster_wide.get("fra_full")
    fpct = int(fra.get("percent", 96)) if fra else 31
    out["oracle/sql_fra"] = f"+FRA|{409600 * 1024 * 1024}|{409600 * 1024 * 1024 * fpct // 100}|{fpct}\n"
    last_ok, last_arch = declared_backups(host, now)
    if "rman_old" in cluster_wide:
        last_ok = last_arch = now - dt.timedelta(days=int(cluster_wide["rman_old"].get("days", 9)))
    rman = [f"DB FULL|COMPLETED|{(last_ok - dt.timedelta(days=3)).strftime('%Y-%m-%d %H:%M:%S')}",
            f"DB INCR|COMPLETED|{last_ok.strftime('%Y-%m-%d %H:%M:%S')}",
            f"ARCHIVELOG|COMPLETED|{last_arch.strftime('%Y-%m-%d %H:%M:%S')}"]
    if "rman_failed" in cluster_wide:
        rman.append(f"DB INCR|FAILED|{(now - dt.timedelta(hours=2)).strftime('%Y-%m-%d %H:%M:%S')}")
    out["oracle/sql_rman"] = "\n".join(rman) + "\n"
    dest_err = "archive_dest_error" in cluster_wide
    out["oracle/sql_archive_dest"] = (
        "1|LOG_ARCHIVE_DEST_1|VALID|\n"
        + ("2|LOG_ARCHIVE_DEST_2|ERROR|ORA-16191: Primary log shipping client not logged on standby\n" if dest_err
           else "2|LOG_ARCHIVE_DEST_2|VALID|\n"))
    out["oracle/sql_invalid"] = "0\n"
    out["oracle/sql_sessions"] = "processes|150|1500\nsessions|168|2272\n"
    # alert log of this instance
    lines = [f"{(now - dt.timedelta(hours=1)).strftime('%a %b %d %H:%M:%S %Y')}",
             "Thread 1 advanced to log sequence 48211 (LGWR switch)",
             "  Current log# 2 seq# 48211 mem# 0: +DATA/redo02.log"]
    if "ora_errors" in f:
        lines += [now.strftime("%a %b %d %H:%M:%S %Y"),
                  f"Errors in file {trace_dir}/{inst}_ora_23011.trc:",
                  "ORA-00600: internal error code, arguments: [kcbz_check_objd_typ], [0], [0], [1], [], [], [], []",
                  "ORA-01555: snapshot too old: rollback segment number 12 with name \"_SYSSMU12$\" too small"]
    out[f"{trace_dir.lstrip('/')}/alert_{inst}.log"] = "\n".join(lines) + "\n"
    out["oracle/env"] = f"ORACLE_SID={inst}\nDB={db}\n"
    return out


# the last patch set of each release the estate runs: 10g R2 (lot 24's archive database) and 11g R2
RELEASES = {"10g": (10, 2, 0, 5, 0), "11g": (11, 2, 0, 4, 0)}


def oracle_release(host: dict) -> str:
    """The Oracle release a host runs, from its `os` ('Oracle Linux 6.10 / Oracle Database 10g Release 2'), as
    Oracle prints it: five numbers joined by dots."""
    release = RELEASES["10g" if re.search(r"\b10g\b", host.get("os", "")) else "11g"]
    return ".".join(map(str, release))


def _stat_res(db: str, nodes: list[str], down_inst: set, down_lsnr: set, off_res: dict, scan_down: bool) -> str:
    sep = "-" * 80 + "\n"

    def row(target: str, state: str, node: str, detail: str = "", card: str = "") -> str:
        return f"{card:>7}        {target:<7} {state:<12} {node:<24} {detail}\n" if card else \
            f"               {target:<7} {state:<12} {node:<24} {detail}\n"

    out = [sep, "NAME           TARGET  STATE        SERVER                   STATE_DETAILS       \n", sep,
           "Local Resources\n", sep]
    for res in ("ora.DATA.dg", "ora.FRA.dg", "ora.OCR.dg", "ora.LISTENER.lsnr", "ora.asm", "ora.gsd",
                "ora.net1.network", "ora.ons"):
        out.append(res + "\n")
        for n in nodes:
            if res == "ora.gsd":
                out.append(row("OFFLINE", "OFFLINE", n))
            elif (res == "ora.LISTENER.lsnr" and n in down_lsnr) or off_res.get(n) == res:
                out.append(row("ONLINE", "OFFLINE", n))
            else:
                out.append(row("ONLINE", "ONLINE", n, "Started" if res == "ora.asm" else ""))
    out += [sep, "Cluster Resources\n", sep]
    for i in (1, 2, 3):
        owner = nodes[(i - 1) % len(nodes)]
        out.append(f"ora.LISTENER_SCAN{i}.lsnr\n")
        out.append(row("ONLINE", "OFFLINE" if scan_down and i == 2 else "ONLINE", owner, card="1"))
    for res in ("ora.cvu", "ora.oc4j"):
        out.append(res + "\n")
        down = any(v == res for v in off_res.values())
        out.append(row("ONLINE", "OFFLINE" if down else "ONLINE", nodes[0], card="1"))
    for n in nodes:
        out.append(f"ora.{n}.vip\n")
        out.append(row("ONLINE", "ONLINE", n, card="1"))
    out.append(f"ora.{db}.db\n")
    for i, n in enumerate(nodes, 1):
        out.append(row("ONLINE", "OFFLINE" if n in down_inst else "ONLINE", n,
                       "Instance Shutdown" if n in down_inst else "Open", card=str(i)))
    for i in (1, 2, 3):
        out.append(f"ora.scan{i}.vip\n")
        out.append(row("ONLINE", "ONLINE", nodes[(i - 1) % len(nodes)], card="1"))
    return "".join(out)
