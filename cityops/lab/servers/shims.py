"""The commands a lab server answers from its rendered state, as POSIX sh (no interpreter per call).

Each shim prints a file the renderer wrote under /run/cityops-lab (the host's own
lab directory, bind-mounted in its namespace), after applying the `slow` and
`garbage` faults. Everything else on the host is the real Debian userland.
"""

from __future__ import annotations

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


def write_shims(directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    for name, body in SHIMS.items():
        path = directory / name
        path.write_text(PRELUDE + body)
        path.chmod(0o755)
