"""The commands a lab server answers from its rendered state, as POSIX sh (no interpreter per call).

Each shim prints a file the renderer wrote under /run/cityops-lab (the host's own
lab directory, bind-mounted in its namespace), after applying the `slow` and
`garbage` faults. Everything else on the host is the real Debian userland.
"""

from __future__ import annotations

import sys
from pathlib import Path

PRELUDE = """#!/bin/sh
# cityops lab shim: answers from the host's rendered state (see cityops/lab/servers/state.py)
L=/run/cityops-lab
[ -s "$L/slow" ] && sleep "$(cat "$L/slow")"
if [ -s "$L/garbage" ]; then head -c 400 /dev/urandom | tr -dc 'A-Za-z0-9#@!%&*' ; echo; exit 0; fi
"""

SHIMS = {
    "df": 'case " $* " in *" -i"*|*" -"*i*) cat "$L/out/df_i" ;; *) cat "$L/out/df_P" ;; esac\n',
    "free": 'cat "$L/out/free_m"\n',
    "uptime": 'cat "$L/out/uptime"\n',
    "nproc": 'cat "$L/out/nproc"\n',
    "mpstat": 'cat "$L/out/mpstat"\n',
    "chronyc": ('case "$1" in tracking) cat "$L/out/chronyc_tracking" ;;\n'
                '  *) echo "506 Cannot talk to daemon" >&2; exit 1 ;; esac\n'),
    # `service NAME status` as SysV scripts answer (RHEL 6) or redirected to systemctl (EL7)
    "service": ('case "$*" in --status-all) cat "$L/out/service_status_all" ;;\n'
                '  *" status") if [ ! -s "$L/el6" ]; then echo "Redirecting to /bin/systemctl status $1.service";'
                ' exec systemctl status "$1"; fi\n'
                '    st=$(awk -v s="$1" \'$1==s{print $2}\' "$L/services")\n'
                '    case "$st" in active) echo "$1 (pid  4242) is running..." ;;\n'
                '      failed) echo "$1 dead but pid file exists"; exit 1 ;;\n'
                '      *) echo "$1: unrecognized service"; exit 1 ;; esac ;;\n'
                '  *) echo "Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]";'
                ' exit 1 ;; esac\n'),
    "rpm": ('case "$*" in *--last*) cat "$L/out/rpm_last" ;;\n'
            '  "-q "*) awk -v p="$2" \'index($1,p)==1{print $1; f=1} END{exit !f}\' "$L/out/rpm_last" '
            '|| { echo "package $2 is not installed"; exit 1; } ;;\n'
            '  *) cut -d" " -f1 "$L/out/rpm_last" ;; esac\n'),
    "systemctl": (
        'unit=""; for a in "$@"; do case "$a" in -*) ;; is-active|is-enabled|status|list-units) ;;\n'
        '  *) unit="${a%.service}" ;; esac; done\n'
        'st=$(awk -v s="$unit" \'$1==s{print $2}\' "$L/services")\n'
        'case " $* " in\n'
        '  *" --failed "*|*" list-units "*) cat "$L/out/systemctl_failed" ;;\n'
        '  *" is-active "*) [ -n "$st" ] || st=inactive; echo "$st"; [ "$st" = active ] ;;\n'
        '  *" is-enabled "*) if [ -n "$st" ]; then echo enabled; else echo disabled; exit 1; fi ;;\n'
        '  *" status "*) [ -n "$st" ] || { echo "Unit $unit.service could not be found."; exit 4; }\n'
        '      echo "● $unit.service - $unit"; echo "   Loaded: loaded (/usr/lib/systemd/system/$unit.service; enabled)"\n'
        '      if [ "$st" = active ]; then echo "   Active: active (running)"\n'
        '      else echo "   Active: failed (Result: exit-code)"; exit 3; fi ;;\n'
        '  *) echo "systemctl: this lab host answers is-active, is-enabled, status and --failed" >&2; exit 1 ;;\n'
        'esac\n'),
}


ORACLE_PRELUDE = """O="$L/oracle"
if [ ! -f "$O/env" ]; then echo "bash: $(basename "$0"): command not found" >&2; exit 127; fi
"""
ORACLE_SHIMS = {
    "crsctl": ('[ -f "$O/crsctl_check_crs" ] || { echo "bash: crsctl: command not found" >&2; exit 127; }\n'
               'case "$*" in "check crs"*) cat "$O/crsctl_check_crs" ;;\n'
               '  "stat res -t"*|"status res -t"*) cat "$O/crsctl_stat_res_t" ;;\n'
               '  "query css votedisk"*) cat "$O/votedisk" ;;\n'
               '  *) echo "CRS-4000: Command $1 failed, or completed with errors."; exit 1 ;; esac\n'),
    "srvctl": ('[ -f "$O/srvctl_status_database" ] || { echo "bash: srvctl: command not found" >&2; exit 127; }\n'
               'case "$*" in "status database"*) cat "$O/srvctl_status_database" ;;\n'
               '  "config database"*) sed -n "s/^DB=//p" "$O/env" ;;\n'
               '  "status listener"*) cat "$O/srvctl_status_listener" ;;\n'
               '  "status scan_listener"*) cat "$O/srvctl_status_scan_listener" ;;\n'
               '  *) echo "PRKO-2002 : Invalid command line option"; exit 1 ;; esac\n'),
    "olsnodes": '[ -f "$O/olsnodes_s" ] || { echo "bash: olsnodes: command not found" >&2; exit 127; }\ncat "$O/olsnodes_s"\n',
    "ocrcheck": '[ -f "$O/ocrcheck" ] || { echo "bash: ocrcheck: command not found" >&2; exit 127; }\ncat "$O/ocrcheck"\n',
    "asmcmd": ('[ -f "$O/asmcmd_lsdg" ] || { echo "bash: asmcmd: command not found" >&2; exit 127; }\n'
               'case "$*" in *lsdg*) cat "$O/asmcmd_lsdg" ;; *) echo "ASMCMD-8022: unknown command" ; exit 1 ;; esac\n'),
    "lsnrctl": 'cat "$O/lsnrctl_status"; exit "$(cat "$O/lsnrctl_rc")"\n',
    "sqlplus": (
        '# answers the inspection queries by the view they read; reads the script from stdin\n'
        'raw=$(cat); sql=$(printf "%s" "$raw" | tr "A-Z" "a-z")\n'
        '# another ORACLE_SID is a drill\'s scratch instance; the database\'s own rows are read by orasql.py\n'
        'own=$(sed -n "s/^ORACLE_SID=//p" "$O/env")\n'
        'if [ -n "$ORACLE_SID" ] && [ "$ORACLE_SID" != "$own" ]; then printf "%s\\n" "$raw" | @ORASQL@; exit $?; fi\n'
        'if [ -s "$O/sql_down" ]; then cat "$O/sql_down"; exit 1; fi\n'
        'case "$sql" in *"count(*)"*|*v\\$backup_datafile*|*v\\$backup_redolog*)\n'
        '  printf "%s\\n" "$raw" | @ORASQL@; exit $? ;; esac\n'
        'case "$sql" in\n'
        '  *dba_tablespace_usage_metrics*|*dba_data_files*) cat "$O/sql_tablespaces" ;;\n'
        '  *dba_temp_free_space*|*v\\$temp_space_header*) cat "$O/sql_temp" ;;\n'
        '  *v\\$recovery_file_dest*) cat "$O/sql_fra" ;;\n'
        '  *v\\$rman_backup_job_details*) cat "$O/sql_rman" ;;\n'
        '  *v\\$archive_dest*) cat "$O/sql_archive_dest" ;;\n'
        '  *dba_objects*invalid*) cat "$O/sql_invalid" ;;\n'
        '  *v\\$resource_limit*) cat "$O/sql_sessions" ;;\n'
        '  *background_dump_dest*) cat "$O/sql_alert_dir" ;;\n'
        '  *v\\$instance*) cat "$O/sql_instance" ;;\n'
        '  *) echo "ORA-00942: table or view does not exist"; exit 1 ;;\n'
        'esac\n'),
}


WINDOWS_SHIMS = {
    # powershell -Command "<script>": answers by the cmdlets the script names, rows as a|b|c
    "powershell": (
        'W="$L/win"; [ -f "$W/services" ] || { echo "bash: powershell: command not found" >&2; exit 127; }\n'
        'cmd=$(printf "%s " "$@" | tr "A-Z" "a-z")\n'
        'case "$cmd" in  # PowerShell 2.0 (2008 R2) loads no module by itself\n'
        '  *get-cluster*) [ "$(cat "$W/psversion")" -ge 3 ] || case "$cmd" in *"import-module failoverclusters"*) ;;\n'
        '    *) echo "The term \'Get-ClusterNode\' is not recognized as the name of a cmdlet, function, script file," \\\n'
        '      "or operable program." >&2; exit 1 ;; esac ;;\n'
        'esac\n'
        'case "$cmd" in\n'
        '  *win32_service*) cat "$W/services" ;;\n'
        '  *get-service*) cat "$W/get_service" ;;\n'
        '  *win32_logicaldisk*|*get-volume*) cat "$W/volumes" ;;\n'
        '  *get-hotfix*) cat "$W/hotfix" ;;\n'
        '  *get-clusternode*) [ -f "$W/cluster_nodes" ] && cat "$W/cluster_nodes" ||\n'
        '    { echo "Get-ClusterNode : The cluster service is not running" >&2; exit 1; } ;;\n'
        '  *get-clustergroup*) [ -f "$W/cluster_groups" ] && cat "$W/cluster_groups" || exit 1 ;;\n'
        '  *) echo "The term is not recognized as the name of a cmdlet, function, script file," \\\n'
        '    "or operable program." >&2; exit 1 ;;\n'
        'esac\n'),
    # sqlcmd -h -1 -W -s "|" -Q "<query>": answers by the catalog views the query reads
    "sqlcmd": (
        'S="$L/sql"; [ -d "$S" ] || { echo "bash: sqlcmd: command not found" >&2; exit 127; }\n'
        'q=$(printf "%s " "$@" | tr "A-Z" "a-z")\n'
        'if [ ! -s "$S/up" ]; then\n'
        '  echo "Sqlcmd: Error: Microsoft ODBC Driver 17 for SQL Server : Login timeout expired."; exit 1; fi\n'
        '# @SQLBACKUP@\n'
        'case "$q" in\n'
        '  *sys.dm_os_cluster_nodes*) cat "$S/nodes" ;;\n'
        '  *sys.databases*) cat "$S/databases" ;;\n'
        '  *sysjobhistory*) cat "$S/failed_jobs" ;;\n'
        '  *backupset*) cat "$S/backups" ;;\n'
        '  *xp_readerrorlog*|*sp_readerrorlog*) cat "$S/errorlog" ;;\n'
        '  *) echo "Msg 208, Level 16, State 1: Invalid object name."; exit 1 ;;\n'
        'esac\n'),
}


AIX_SHIMS = {name: (f'[ -f "$L/aix/{name}" ] || {{ echo "bash: {name}: command not found" >&2; exit 127; }}\n'
                    f'cat "$L/aix/{name}"\n') for name in ("oslevel", "prtconf", "lsvg", "lspv", "errpt", "lssrc")}


ESXI_SHIMS = {
    "vmware": '[ -f "$L/esxi/version" ] || { echo "bash: vmware: command not found" >&2; exit 127; }\ncat "$L/esxi/version"\n',
    "esxcli": ('E="$L/esxi"; [ -d "$E" ] || { echo "bash: esxcli: command not found" >&2; exit 127; }\n'
               'case "$*" in "system version get"*) cat "$E/system_version" ;;\n'
               '  "hardware platform get"*) cat "$E/hardware_platform" ;;\n'
               '  "storage filesystem list"*) cat "$E/filesystem_list" ;;\n'
               '  "storage core path list"*) cat "$E/path_list" ;;\n'
               '  "network nic list"*) cat "$E/nic_list" ;;\n'
               '  *) echo "Error: Unknown command or namespace $*"; exit 1 ;; esac\n'),
}


# RHEL 6: ntpd and its ntpq; systemd's and chrony's commands are not there
EL6_SHIMS = {"ntpq": ('case "$*" in -p*|"-n -p") cat "$L/out/ntpq_pn" ;;\n'
                      '  *) echo "ntpq: unknown option" >&2; exit 1 ;; esac\n')}
NOT_ON_EL6 = ("systemctl", "chronyc")


def lab_tool(module: str) -> str:
    """The command line of one of the lab's own tools (lab.servers.<module>), under the lab clock when it is set,
    run by this machine's Python — the host's own interpreter is never involved, as RMAN and sqlcmd are binaries
    on a real host — and by the system's python3 where there is one (the lab user cannot reach a virtualenv under
    /root)."""
    import shutil

    from ... import __file__ as package

    python = shutil.which("python3", path="/usr/bin:/bin") or sys.executable
    root = Path(package).resolve().parents[1]
    return (f'[ -f "$L/clock.json" ] && export CITYOPS_CLOCK="$L/clock.json"; '
            f'PYTHONPATH={root} exec {python} -m cityops.lab.servers.{module} "$@"')


def write_shims(directory: Path, el6: bool = False) -> None:
    """One generation's shims: EL7 and later (systemctl, chronyc), or RHEL 6 (ntpq and SysV `service` only)."""
    ORACLE_SHIMS["rman"] = lab_tool("rman") + "\n"  # RMAN works on real bytes: the lab database, its pieces
    ORACLE_SHIMS["sqlplus"] = ORACLE_SHIMS["sqlplus"].replace("@ORASQL@", "{ " + lab_tool("orasql") + "; }")
    WINDOWS_SHIMS["sqlcmd"] = WINDOWS_SHIMS["sqlcmd"].replace(
        "# @SQLBACKUP@", 'case "$q" in *"backup database"*|*"backup log"*|*"restore verifyonly"*|*"restore database"*'
        '|*"restore log"*|*"drop database"*|*count_big*) '
        + lab_tool("sqlbackup") + " ;; esac  # real backups of the lab database (sqlbackup.py)")
    directory.mkdir(parents=True, exist_ok=True)
    linux = {k: v for k, v in SHIMS.items() if not (el6 and k in NOT_ON_EL6)} | (EL6_SHIMS if el6 else {})
    for table, prelude in ((linux, PRELUDE), (AIX_SHIMS, PRELUDE), (ESXI_SHIMS, PRELUDE), (WINDOWS_SHIMS, PRELUDE),
                           (ORACLE_SHIMS, PRELUDE + ORACLE_PRELUDE)):
        for name, body in table.items():
            path = directory / name
            path.write_text(prelude + body)
            path.chmod(0o755)
