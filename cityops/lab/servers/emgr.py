"""`emgr` (the AIX interim fix manager) on a lab AIX host: the host's own efix database (efixes.py).

Answers `emgr -l` in AIX's layout (as IBM's captures show it: the header, the rule, a row per fix, the STATE codes
legend; "There is no efix data on this system." when there is none), `emgr -p -e FILE` (preview) and
`emgr [-X] -e FILE` (install: root only; the package must be one of the lab's, built for this host's level, not
installed already; a fix that needs a reboot is listed *Q* until the host has booted again), and `emgr -r -L
LABEL` (remove).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path

from ...timeutil import now
from .efixes import DB, level_of, read_db, read_payload, write_db

LEGEND = ("\nSTATE codes:\n S = STABLE\n M = MOUNTED\n U = UNMOUNTED\n Q = REBOOT REQUIRED\n B = BROKEN\n"
          " I = INSTALLING\n R = REMOVING\n T = TESTED\n P = PATCHED\n N = NOT PATCHED\n SP = STABLE + PATCHED\n"
          " SN = STABLE + NOT PATCHED\n QP = BOOT IMAGE MODIFIED + PATCHED\n QN = BOOT IMAGE MODIFIED + NOT PATCHED\n"
          " RQ = REMOVING + REBOOT REQUIRED\n")
USAGE = "Usage: emgr -l | -e <efix package> [-p] [-X] | -r -L <label>\n"


def booted_since(db: Path) -> set[str]:
    """The labels installed *Q* before the host's last boot: that boot has put them in place (STABLE now)."""
    try:
        pending = json.loads(db.with_name("emgr-reboot.json").read_text())
        booted = float(Path("/run/cityops-lab/booted").read_text().strip())
    except (OSError, ValueError):
        return set()
    return {label for label, at in pending.items() if at <= booted}


def listing(rows: list[list[str]]) -> str:
    if not rows:
        return "There is no efix data on this system.\n"
    out = ["ID  STATE LABEL      INSTALL TIME      UPDATED BY ABSTRACT",
           "=== ===== ========== ================= ========== ======================================"]
    for i, (label, state, installed, abstract) in enumerate(rows, 1):
        shown = f"*{state}*" if state == "Q" else state
        out.append(f"{i:<4}{shown:^3}   {label:<10} {installed}            {abstract}")
    return "\n".join(out) + "\n" + LEGEND


def host_level() -> str:
    try:
        return level_of(Path("/run/cityops-lab/aix/oslevel").read_text())
    except OSError:
        return ""


def main(argv: list[str]) -> int:
    db = Path(DB)
    args = list(argv)
    if args[:1] == ["-l"]:
        done = booted_since(db)
        sys.stdout.write(listing([[r[0], "S" if r[1] == "Q" and r[0] in done else r[1], *r[2:]] for r in read_db(db)]))
        return 0
    root = os.environ.get("CITYOPS_LAB_ROOT") == "1"
    if "-e" in args:
        at = args.index("-e")
        if at + 1 >= len(args):
            sys.stderr.write(USAGE)
            return 1
        if not root:
            sys.stderr.write("emgr: 0645-007 ATTENTION: emgr must be run by the root user.\n")
            return 1
        package = Path(args[at + 1])
        try:
            fields = read_payload(package.read_bytes())
        except OSError as exc:
            sys.stderr.write(f"emgr: 0645-031 Unable to access efix package {package}: {exc.strerror}\n")
            return 1
        if fields is None:
            sys.stderr.write(f"emgr: 0645-025 {package} is not a valid efix package.\n")
            return 1
        rows = read_db(db)
        level, label = host_level(), fields["label"]
        print(f"+{'-' * 76}+\nEfix Manager Initialization\n+{'-' * 76}+")
        print(f"Initializing log /var/adm/ras/emgr.log ...\nEfix package file is: {package}")
        if fields["level"] != level:
            print(f"EPKG NUMBER 1\n  {label}: built for {fields['level']}, this system is at {level}.\n"
                  "Return Status = FAILURE")
            return 1
        if any(r[0] == label for r in rows):
            print(f"emgr: 0645-065 efix with label {label} is already installed on this system.\n"
                  "Return Status = FAILURE")
            return 1
        if "-p" in args:
            print(f"EPKG NUMBER 1\n  LABEL: {label}\n  ABSTRACT: {fields['abstract']}\n"
                  f"  REBOOT REQUIRED: {fields['reboot']}\nPreview of efix {label}: no prerequisite missing.\n"
                  "Return Status = SUCCESS")
            return 0
        state = "Q" if fields["reboot"] == "yes" else "S"
        write_db(db, [*rows, [label, state, now().strftime("%m/%d/%y %H:%M:%S"), fields["abstract"]]])
        if state == "Q":  # in place at the next boot
            marks = db.with_name("emgr-reboot.json")
            try:
                pending = json.loads(marks.read_text())
            except (OSError, ValueError):
                pending = {}
            marks.write_text(json.dumps({**pending, label: time.time()}))
        print(f"EPKG NUMBER 1\n  LABEL: {label}\n  INSTALL: SUCCESS\n" + (
            "ATTENTION: system reboot will be required by this operation.\n" if state == "Q" else "")
            + "Return Status = SUCCESS")
        return 0
    if "-r" in args and "-L" in args:
        if not root:
            sys.stderr.write("emgr: 0645-007 ATTENTION: emgr must be run by the root user.\n")
            return 1
        at = args.index("-L")
        label = args[at + 1] if at + 1 < len(args) else ""
        rows = read_db(db)
        if not any(r[0] == label for r in rows):
            print(f"emgr: 0645-076 There is no efix with label {label} on this system.\nReturn Status = FAILURE")
            return 1
        write_db(db, [r for r in rows if r[0] != label])
        print(f"Removing efix {label}\nReturn Status = SUCCESS")
        return 0
    sys.stderr.write(USAGE)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
