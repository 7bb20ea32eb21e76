"""`sqlplus -S / as sysdba` on a lab Oracle host for what reads the lab database itself: its name, the SCN a
backup covers by its tag, row counts of its tables (`as of scn`), and any statement to a drill's scratch instance
(scratchdb.py), including `shutdown abort`.

Answers as SQL*Plus does with `set pagesize 0 feedback off heading off`: each row's concatenated columns on a
line; an error as `ERROR at line 1:` and the ORA- line; a scratch instance that is not started is ORA-01034 and
ORA-27101, one that is not open ORA-01219. With `whenever sqlerror exit`, the first error ends the script with
exit status 1, as sqlplus does.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from ...timeutil import now
from .oradb import Database, redo_changes, row_counts
from .scratchdb import REGISTRY, load, registered

LAB = Path("/run/cityops-lab/oracle")
ORADATA = Path("/srv/oradata")
COUNT = re.compile(r"select\s+'([^']*)'\s*\|\|\s*count\(\*\)\s+from\s+([a-z0-9_$#.]+)(?:\s+as\s+of\s+scn\s+(\d+))?",
                   re.I)
# the SCN a backup covers, by its tag: data file sets' checkpoint, or the last archived log's next change - 1
BACKUP_SCN = re.compile(r"select\s+'([^']*)'\s*\|\|.*from\s+v\$backup_(datafile|redolog)\b.*\btag\s*=\s*'([A-Za-z0-9_]+)'",
                        re.I)
NAME = re.compile(r"select\s+'([^']*)'\s*\|\|\s*name\s+from\s+v\$database", re.I)
IGNORED = re.compile(r"(set|column|whenever|exit|quit|prompt)\b.*", re.I)


class SqlError(Exception):
    pass


def _env() -> dict:
    return dict(line.partition("=")[::2] for line in (LAB / "env").read_text().splitlines() if "=" in line)


def main() -> int:
    env = _env()
    own = env.get("ORACLE_SID", "orcl")
    sid = os.environ.get("ORACLE_SID") or own
    script = sys.stdin.read()
    stop_on_error = re.search(r"^\s*whenever\s+sqlerror\s+exit", script, re.I | re.M) is not None
    out = sys.stdout
    if sid == own:
        db = Database(ORADATA / env.get("DB", "orcl").upper(), env.get("DB", "orcl").upper())
        state = db.open(now())
        files, opened, root = db.root, True, db.root
    else:
        root = registered(sid)
        state = load(root) if root is not None and (root / "control.json").exists() else {}
        files = Path(state["files_dir"]) if state.get("files_dir") else root
        opened = bool(state.get("open"))
    status = 0
    for chunk in script.split(";"):
        line = " ".join(w for ln in chunk.splitlines() if not IGNORED.fullmatch(ln.strip()) for w in ln.split())
        if not line:
            continue
        try:
            if root is None:
                raise SqlError("ORA-01034: ORACLE not available\nORA-27101: shared memory realm does not exist\n"
                               "Linux-x86_64 Error: 2: No such file or directory")
            if re.fullmatch(r"shutdown abort", line, re.I):
                (REGISTRY / sid).unlink(missing_ok=True)
                out.write("ORACLE instance shut down.\n")
                continue
            if not opened:
                raise SqlError("ORA-01219: database not open: queries allowed on fixed tables/views only")
            m = NAME.fullmatch(line)
            if m:
                out.write(f"{m.group(1)}{state['db']}\n")
                continue
            m = BACKUP_SCN.fullmatch(line)
            if m:
                sets = [b for b in state["backups"] if b.get("tag") == m.group(3).upper()]
                if m.group(2).lower() == "datafile":
                    scns = [int(b["ckp_scn"]) for b in sets if b["type"] == "datafile"]
                else:
                    seqs = {q for b in sets if b["type"] == "archivelog" for q in b.get("sequences", [])}
                    scns = [a["next_scn"] - 1 for a in state.get("archived", []) if a["sequence"] in seqs]
                out.write(f"{m.group(1)}{max(scns) if scns else ''}\n")
                continue
            m = COUNT.fullmatch(line)
            if m:
                as_of = int(m.group(3)) if m.group(3) else None
                n = row_counts(files, [m.group(2)], as_of, state.get("db", ""),
                               redo_changes(files, state) if as_of is not None else None)[m.group(2)]
                if n is None:
                    raise SqlError(f"{m.group(2)}\n*\nERROR at line 1:\nORA-00942: table or view does not exist")
                out.write(f"{m.group(1)}{n}\n")
                continue
            raise SqlError("ERROR at line 1:\nORA-00900: invalid SQL statement")
        except SqlError as exc:
            text = str(exc)
            out.write(text if "ERROR at line" in text else f"ERROR:\n{text}")
            out.write("\n\n")
            status = 1
            if stop_on_error:
                break
    return status if stop_on_error else 0


if __name__ == "__main__":
    sys.exit(main())
