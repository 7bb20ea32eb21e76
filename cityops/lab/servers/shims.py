"""The commands a lab server answers from its rendered state, as POSIX sh (no interpreter per call).

Each shim prints a file the renderer wrote under /run/cityops-lab (the host's own
lab directory, bind-mounted in its namespace), after applying the `slow` and
`garbage` faults. Everything else on the host is the real Debian userland.
"""

from __future__ import annotations

from pathlib import Path

from .packages import DB

PRELUDE = """#!/bin/sh
# cityops lab shim: answers from the host's rendered state (see cityops/lab/servers/state.py)
L=/run/cityops-lab
[ -s "$L/slow" ] && sleep "$(cat "$L/slow")"
if [ -s "$L/garbage" ]; then head -c 400 /dev/urandom | tr -dc 'A-Za-z0-9#@!%&*' ; echo; exit 0; fi
"""

SHIMS = {
    "df": 'case " $* " in *" -i"*|*" -"*i*) cat "$L/out/df_i" ;; *) cat "$L/out/df_P" ;; esac\n',
    "free": 'cat "$L/out/free_m"\n',
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
    # the host's own package database (packages.py); `rpm -qa --last` here, every other query by rpmq.py
    "rpm": ('D=@DB@; [ -f "$D" ] || { echo "bash: rpm: command not found" >&2; exit 127; }\n'
            'case "$*" in "-qa --last"|"--last -qa"|"-qa --last "*)\n'
            '  awk -F"\\t" \'!/^#/{printf "%s\\t%-45s %s\\n", $6, $1"-"$3"-"$4"."$5, $8}\' "$D" | sort -rn | cut -f2- ;;\n'
            '  *) @RPMQ@ ;; esac\n'),
    "yum": ('[ -f @DB@ ] || { echo "bash: yum: command not found" >&2; exit 127; }\n@YUM@\n'),
    "dnf": ('[ -s "$L/dnf" ] || { echo "bash: dnf: command not found" >&2; exit 127; }\nexport CITYOPS_LAB_YUM=dnf\n'
            '@YUM@\n'),
    # the running kernel is the newest one installed at the host's last boot (its init writes it)
    "uname": ('s=$(cat "$L/uname_s" 2>/dev/null || echo Linux); r=$(cat "$L/running_kernel" 2>/dev/null)\n'
              'v=$(cat "$L/uname_v" 2>/dev/null || echo "#1 SMP"); m=x86_64; n=$(hostname); out=""\n'
              '[ $# -eq 0 ] && set -- -s\n'
              'for a in "$@"; do case "$a" in --all) a=-a ;; --kernel-release) a=-r ;; --kernel-name) a=-s ;;\n'
              '  --nodename) a=-n ;; --machine) a=-m ;; esac\n'
              '  flags=$(printf "%s" "${a#-}" | sed "s/./& /g")\n'
              '  for f in $flags; do case "$f" in a) if [ "$s" = Linux ]; then out="$out $s $n $r $v $m x86_64 x86_64 GNU/Linux";'
              ' else out="$out $s $n $r $v $(cat "$L/uname_m" 2>/dev/null || echo x86_64)"; fi ;;\n'
              '    s) out="$out $s" ;; n) out="$out $n" ;; r) out="$out $r" ;; v) out="$out $v" ;;\n'
              '    m|p|i) out="$out $m" ;; o) out="$out GNU/Linux" ;;\n'
              '    *) echo "uname: invalid option -- \'$f\'" >&2; exit 1 ;; esac; done; done\n'
              'echo "${out# }"\n'),
    "uptime": ('now=$(date +%s); up=$(( now - $(cat "$L/booted") )); set -- $(cat /proc/loadavg)\n'
               'awk -v up="$up" -v t="$(date +%H:%M:%S)" -v a="$1" -v b="$2" -v c="$3" \'BEGIN{\n'
               '  d=int(up/86400); h=int(up%86400/3600); m=int(up%3600/60)\n'
               '  if (d>0) u=sprintf("%d day%s, %2d:%02d", d, d>1?"s":"", h, m); else if (h>0) u=sprintf("%2d:%02d", h, m);'
               ' else u=sprintf("%d min", m)\n'
               '  printf " %s up %s,  1 user,  load average: %s, %s, %s\\n", t, u, a, b, c}\'\n'),
    # sudo as the lab grants it (NOPASSWD for the lab user): the command runs as the same unprivileged user with
    # CITYOPS_LAB_ROOT=1, which the lab's own root-only tools (yum, reboot) take for root. Nothing gains real
    # root on this machine.
    "sudo": ('while [ $# -gt 0 ]; do case "$1" in\n'
             '  -u) [ "$2" = root ] || { echo "sudo: unknown user: $2" >&2; exit 1; }; shift 2 ;;\n'
             '  -u*) shift ;; --) shift; break ;; -*) shift ;; *) break ;; esac; done\n'
             '[ $# -gt 0 ] || { echo "usage: sudo -h | -K | -k | -V" >&2; exit 1; }\n'
             'export CITYOPS_LAB_ROOT=1 PATH=/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root USER=root '
             'LOGNAME=root\nexec "$@"\n'),
    "id": ('if [ "$CITYOPS_LAB_ROOT" = 1 ]; then case "$*" in -u|-g) echo 0 ;; -un|-nu|"-u -n"|-gn) echo root ;;\n'
           '  "") echo "uid=0(root) gid=0(root) groups=0(root)" ;; *) exec /usr/bin/id "$@" ;; esac\n'
           'else exec /usr/bin/id "$@"; fi\n'),
    "whoami": '[ "$CITYOPS_LAB_ROOT" = 1 ] && echo root || exec /usr/bin/whoami\n',
    "reboot": '@REBOOT@',
    "shutdown": ('if [ -f "$L/win/services" ]; then @WINSHUTDOWN@; fi\n'
                 '# AIX: shutdown -Fr (fast restart) or -r; root only, as there\n'
                 'if [ -f "$L/aix/oslevel" ]; then case " $* " in *" -"*r*) ;; *) echo "shutdown: the lab models a'
                 ' restart (shutdown -Fr) only" >&2; exit 1 ;; esac\n'
                 '  [ "$CITYOPS_LAB_ROOT" = 1 ] || { echo "shutdown: 0481-058 You must be root to run shutdown." >&2;'
                 ' exit 1; }; printf "reboot\\n" > "$L/power"; exit 0; fi\n'
                 'case " $* " in *" -r "*) ;; *) echo "shutdown: the lab models reboot (shutdown -r) only; a halted'
                 ' host would need hands in the machine room" >&2; exit 1 ;; esac\n@REBOOT@'),
    "init": 'case "$1" in 6) ;; *) echo "init: the lab models runlevel 6 (reboot) only" >&2; exit 1 ;; esac\n@REBOOT@',
    "systemctl": (
        'unit=""; for a in "$@"; do case "$a" in -*) ;; is-active|is-enabled|status|list-units|reboot) ;;\n'
        '  *) unit="${a%.service}" ;; esac; done\n'
        'st=$(awk -v s="$unit" \'$1==s{print $2}\' "$L/services")\n'
        'case " $* " in\n'
        '  *" reboot "*) @REBOOT@ ;;\n'
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
               '  "stat res -t"*|"status res -t"*) set -- crsctl; @RAC@ ;;\n'
               '  "query css votedisk"*) cat "$O/votedisk" ;;\n'
               '  *) echo "CRS-4000: Command $1 failed, or completed with errors."; exit 1 ;; esac\n'),
    "srvctl": ('[ -f "$O/srvctl_status_database" ] || { echo "bash: srvctl: command not found" >&2; exit 127; }\n'
               '# the cluster\'s own operations and the status they change: the RAC\'s shared state (rac.py)\n'
               'case "$*" in "status database"*|"stop instance"*|"start instance"*) set -- srvctl "$@"; @RAC@ ;;\n'
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
        '# the zone\'s WSUS and a client\'s files (wsus.py)\n'
        'case "$cmd" in *set-content*|*get-content*|*getcomputertargetbyname*|*approve-wsusupdate*)\n'
        '  set -- wsus "$@"; @WSUS@ ;; esac\n'
        '# the failover cluster\'s own operations, and its state once one has run (wsfc.py)\n'
        'if [ -f /srv/sqldata/.cityops-wsfc.json ] || case "$cmd" in *suspend-clusternode*|*resume-clusternode*|'
        '*start-process*|*patchlevel*|*test-path*) true ;; *) false ;; esac; then\n'
        '  ( set -- powershell "$@"; @WSFC@ ); rc=$?; [ $rc -eq 2 ] || exit $rc; fi\n'
        'case "$cmd" in  # PowerShell 2.0 (2008 R2) loads no module by itself\n'
        '  *get-cluster*) [ "$(cat "$W/psversion")" -ge 3 ] || case "$cmd" in *"import-module failoverclusters"*) ;;\n'
        '    *) echo "The term \'Get-ClusterNode\' is not recognized as the name of a cmdlet, function, script file," \\\n'
        '      "or operable program." >&2; exit 1 ;; esac ;;\n'
        'esac\n'
        'case "$cmd" in\n'
        '  *win32_service*) cat "$W/services" ;;\n'
        '  *get-service*) cat "$W/get_service" ;;\n'
        '  *win32_logicaldisk*|*get-volume*) cat "$W/volumes" ;;\n'
        '  *get-hotfix*) [ -f /srv/wsus/state.json ] && ( set -- hotfix; @WSUS@ ); cat "$W/hotfix" ;;\n'
        '  *lastbootuptime*) TZ=Asia/Shanghai date -d "@$(cat "$L/booted")" +%Y%m%d%H%M%S.000000+480 ;;\n'
        '  *get-clusternode*) [ -f "$W/cluster_nodes" ] && cat "$W/cluster_nodes" ||\n'
        '    { echo "Get-ClusterNode : The cluster service is not running" >&2; exit 1; } ;;\n'
        '  *get-clustergroup*) [ -f "$W/cluster_groups" ] && cat "$W/cluster_groups" || exit 1 ;;\n'
        '  *) echo "The term is not recognized as the name of a cmdlet, function, script file," \\\n'
        '    "or operable program." >&2; exit 1 ;;\n'
        'esac\n'),
    # the task scheduler: a task run as SYSTEM (the Windows Update Agent's install, wsus.py)
    "schtasks": ('[ -f "$L/win/services" ] || { echo "bash: schtasks: command not found" >&2; exit 127; }\n'
                 'set -- schtasks "$@"; @WSUS@\n'),
    # sqlcmd -h -1 -W -s "|" -Q "<query>": answers by the catalog views the query reads
    "sqlcmd": (
        'S="$L/sql"; [ -d "$S" ] || { echo "bash: sqlcmd: command not found" >&2; exit 127; }\n'
        'q=$(printf "%s " "$@" | tr "A-Z" "a-z")\n'
        'if [ -f /srv/sqldata/.cityops-wsfc.json ]; then  # the cluster\'s own state says where the role runs\n'
        '  [ -s "$S/service_ok" ] && ( set -- instance; @WSFC@ ) || : > "$S/.down"; else rm -f "$S/.down"; fi\n'
        'if [ ! -s "$S/up" ] && [ ! -f /srv/sqldata/.cityops-wsfc.json ] || [ -f "$S/.down" ]; then\n'
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
# the interim fix manager works on the host's own efix database (efixes.py, emgr.py)
AIX_SHIMS["emgr"] = '[ -f "$L/aix/oslevel" ] || { echo "bash: emgr: command not found" >&2; exit 127; }\n@EMGR@\n'


ESXI_SHIMS = {
    "vmware": ('[ -f "$L/esxi/version" ] || { echo "bash: vmware: command not found" >&2; exit 127; }\n'
               '[ -f "$L/esxi-sw/software.json" ] && { set -- vmware "$@"; @ESXCLI@; }\ncat "$L/esxi/version"\n'),
    # the software, maintenance-mode and power namespaces work on the host's own state (esxcli.py)
    "esxcli": ('E="$L/esxi"; [ -d "$E" ] || { echo "bash: esxcli: command not found" >&2; exit 127; }\n'
               'case "$*" in "software "*|"system maintenanceMode "*|"system shutdown "*|"system stats "*)\n'
               '  set -- esxcli "$@"; @ESXCLI@ ;; esac\n'
               '[ -f "$L/esxi-sw/software.json" ] && case "$*" in "system version get"*) set -- esxcli "$@"; @ESXCLI@ ;; esac\n'
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


ENGINE = "/run/cityops-lab/.engine/python3"  # this machine's Python, bound into each host for the lab's own tools
REBOOT = ('if [ "$CITYOPS_LAB_ROOT" != 1 ]; then if [ -s "$L/el6" ]; then echo "reboot: Need to be root" >&2; else\n'
          '  printf "Failed to set wall message, ignoring: Interactive authentication required.\\nFailed to reboot '
          'system via logind: Interactive authentication required.\\n" >&2; fi; exit 1; fi\n'
          '# the host\'s init (PID 1 of its namespace) ends this host\'s processes and boots it again\n'
          'printf "reboot\\n" > "$L/power"; exit 0\n')


# Windows' shutdown.exe, as an administrator's session runs it: a restart (/r) after /t seconds (default 30), which
# the host's init times (the session that asked has long ended by then); the node leaves its cluster at once
# (wsfc.py: it is being shut down). A halt is not modelled.
WINSHUTDOWN = ('case " $* " in *" /r "*) ;; *) echo "The lab models a restart (shutdown /r) only." >&2; exit 1 ;; esac\n'
               't=30; prev=; for a in "$@"; do [ "$prev" = /t ] && t=$a; prev=$a; done\n'
               'case "$t" in ""|*[!0-9]*) echo "Invalid time value: $t" >&2; exit 87 ;; esac\n'
               '[ -f "$L/win/cluster_nodes" ] && ( set -- going_down; @WSFC@ )  # a cluster node leaves its cluster\n'
               'printf "reboot %s\\n" "$t" > "$L/power"; exit 0')


def lab_tool(module: str) -> str:
    """The command line of one of the lab's own tools (lab.servers.<module>), under the lab clock when it is set,
    run by this machine's Python, bound into the host at ENGINE — the host's own interpreter is never involved
    (RMAN and sqlcmd are binaries on a real host, and the host's Python may be 2.6 or none at all)."""
    from ... import __file__ as package

    root = Path(package).resolve().parents[1]
    return (f'[ -f "$L/clock.json" ] && export CITYOPS_CLOCK="$L/clock.json"; '
            f'PYTHONHOME=/usr PYTHONPATH={root} exec {ENGINE} -m cityops.lab.servers.{module} "$@"')


def write_shims(directory: Path, el6: bool = False) -> None:
    """One generation's shims: EL7 and later (systemctl, chronyc), or RHEL 6 (ntpq and SysV `service` only)."""
    ORACLE_SHIMS["rman"] = lab_tool("rman") + "\n"  # RMAN works on real bytes: the lab database, its pieces
    ORACLE_SHIMS["sqlplus"] = ORACLE_SHIMS["sqlplus"].replace("@ORASQL@", "{ " + lab_tool("orasql") + "; }")
    WINDOWS_SHIMS["sqlcmd"] = WINDOWS_SHIMS["sqlcmd"].replace(
        "# @SQLBACKUP@", 'case "$q" in *"backup database"*|*"backup log"*|*"restore verifyonly"*|*"restore database"*'
        '|*"restore log"*|*"drop database"*|*count_big*) '
        + lab_tool("sqlbackup") + " ;; esac  # real backups of the lab database (sqlbackup.py)")
    directory.mkdir(parents=True, exist_ok=True)
    tools = {"@RPMQ@": lab_tool("rpmq"), "@YUM@": lab_tool("yum"), "@REBOOT@": REBOOT, "@DB@": DB,
             "@EMGR@": lab_tool("emgr"), "@RAC@": lab_tool("rac"), "@WINSHUTDOWN@": WINSHUTDOWN,
             "@WSFC@": lab_tool("wsfc"), "@ESXCLI@": lab_tool("esxcli"), "@WSUS@": lab_tool("wsus")}
    linux = {k: v for k, v in SHIMS.items() if not (el6 and k in NOT_ON_EL6)} | (EL6_SHIMS if el6 else {})
    for table, prelude in ((linux, PRELUDE), (AIX_SHIMS, PRELUDE), (ESXI_SHIMS, PRELUDE), (WINDOWS_SHIMS, PRELUDE),
                           (ORACLE_SHIMS, PRELUDE + ORACLE_PRELUDE)):
        for name, body in table.items():
            path = directory / name
            for mark, text in tools.items():
                body = body.replace(mark, text)
            path.write_text(prelude + body)
            path.chmod(0o755)
