"""`sqlcmd -Q "… BACKUP DATABASE | BACKUP LOG | RESTORE VERIFYONLY …"` on a lab SQL Server host: real backups of a
lab database, answered in SQL Server's own words.

The database is the same block store as the lab's Oracle (oradb.Database: 8 KiB pages carrying their checksum,
rows that change as the lab clock moves, a log that grows), under /srv/sqldata/<DB> (a failover cluster's nodes
share it). A full backup writes every page, a differential the pages changed since the last full, a log backup
the log not yet backed up; each to the device named — a UNC path `\\\\<server>\\sqlbak\\…` is the backup server's
disk, reached at /srv/share/<server> (the lab's SMB share), a drive path the host's own /srv/backup. RESTORE
VERIFYONLY reads the set back record by record. A full disk is Msg 3202 (OS error 112), a missing directory Msg
3201 (OS error 3), damage Msg 3189; each followed by Msg 3013, and sqlcmd -b exits 1.
"""

from __future__ import annotations

import errno
import re
import socket
import sys
import time
from pathlib import Path

from ...timeutil import now
from .oradb import Database, check_piece, write_piece

DATA = Path("/srv/sqldata")
SHARES = Path("/srv/share")
DEVICE = re.compile(r"DECLARE @d nvarchar\(\d+\) = REPLACE\(N'([^']+)', N'/', NCHAR\(92\)\);\s*(.*)", re.I | re.S)
BACKUP = re.compile(r"BACKUP (DATABASE|LOG) \[([A-Za-z0-9_]+)\] TO DISK = @d WITH (DIFFERENTIAL, )?CHECKSUM, INIT, "
                    r"NAME = N'([A-Za-z0-9_]+)';?", re.I)
VERIFY = re.compile(r"RESTORE VERIFYONLY FROM DISK = @d WITH CHECKSUM;?", re.I)


def local(device: str) -> Path | None:
    """Where a device path (Windows form) lives on this lab host, or None if nothing is mounted there."""
    m = re.fullmatch(r"\\\\([A-Za-z0-9_.-]+)\\sqlbak\\(.+)", device)
    if m:
        return SHARES / m.group(1) / m.group(2).replace("\\", "/")
    m = re.fullmatch(r"[A-Za-z]:\\(.+)", device)
    return Path("/srv/backup") / m.group(1).replace("\\", "/") if m else None


def msg(number: int, state: int, text: str) -> str:
    return f"Msg {number}, Level 16, State {state}, Server {socket.gethostname().upper()}, Line 1\n{text}\n"


def backup(kind: str, db_name: str, differential: bool, tag: str, device: str) -> tuple[str, int]:
    verb = "BACKUP LOG" if kind.upper() == "LOG" else "BACKUP DATABASE"
    stop = msg(3013, 1, f"{verb} is terminating abnormally.")
    target = local(device)
    if target is None or not target.parent.is_dir():
        return msg(3201, 1, f"Cannot open backup device '{device}'. Operating system error 3(The system cannot "
                            "find the path specified.).") + stop, 1
    t0 = time.monotonic()
    db = Database(DATA / db_name, db_name)
    state = db.open(now())
    fulls = [b for b in state["backups"] if b["type"] == "full"]
    if kind.upper() == "LOG":
        db._archive(state)
        logs = [a for a in state["archived"] if not a["backed_up"]]
        records = [Path(a["name"]).read_bytes() for a in logs if Path(a["name"]).exists()]
        pages = max(1, sum(len(r) for r in records) // 8192 + 1)
        lines = [f"Processed {pages} pages for database '{db_name}', file '{db_name}_log' on file 1."]
        what = "log"
    else:
        if differential and not fulls:
            return msg(3035, 1, f"Cannot perform a differential backup for database \"{db_name}\", because a current "
                                "database backup does not exist. Perform a full database backup by reissuing BACKUP "
                                "DATABASE, omitting the WITH DIFFERENTIAL option.") + stop, 1
        since = fulls[-1]["ckp_scn"] if differential else None
        records = [block for _f, block in db.blocks(since)]
        lines = [f"Processed {len(records)} pages for database '{db_name}', file '{db_name}' on file 1.",
                 f"Processed 2 pages for database '{db_name}', file '{db_name}_log' on file 1."]
        pages, what = len(records) + 2, "diff" if differential else "full"
    try:
        size = write_piece(target, what, records)
    except OSError as exc:
        target.with_name(target.name + ".tmp").unlink(missing_ok=True)
        code = "112(There is not enough space on the disk.)" if exc.errno == errno.ENOSPC else \
            f"{exc.errno}({exc.strerror}.)"
        return msg(3202, 2, f"Write on \"{device}\" failed: {code}") + stop, 1
    if what == "log":
        for a in state["archived"]:
            a["backed_up"] += 1
    state["backups"].append({"key": state["next_key"], "type": what, "level": None, "tag": tag, "piece": str(target),
                             "bytes": size, "records": len(records), "ckp_scn": state["scn"],
                             "start": now().isoformat(), "completion": now().isoformat(), "status": "A"})
    state["next_key"] += 1
    db.save(state)
    seconds = max(time.monotonic() - t0, 0.001)
    done = f"{verb}{' WITH DIFFERENTIAL' if differential else ''} successfully processed {pages} pages in " \
           f"{seconds:.3f} seconds ({size / seconds / 1048576:.3f} MB/sec)."
    return "\n".join([*lines, done]) + "\n", 0


def verify(device: str) -> tuple[str, int]:
    stop = msg(3013, 1, "VERIFY DATABASE is terminating abnormally.")
    target = local(device)
    if target is None or not target.exists():
        return msg(3201, 2, f"Cannot open backup device '{device}'. Operating system error 2(The system cannot find "
                            "the file specified.).") + stop, 1
    _count, problem = check_piece(target)
    if problem:
        return msg(3189, 1, "Damage to the backup set was detected.") + stop, 1
    return "The backup set on file 1 is valid.\n", 0


def main(argv: list[str]) -> int:
    query = argv[argv.index("-Q") + 1] if "-Q" in argv and argv.index("-Q") + 1 < len(argv) else ""
    m = DEVICE.fullmatch(query.strip())
    if not m:
        sys.stdout.write(msg(102, 1, "Incorrect syntax near the statement (the lab serves BACKUP DATABASE / LOG and "
                                     "RESTORE VERIFYONLY to a device in @d)."))
        return 1
    device = m.group(1).replace("/", "\\")
    statement = m.group(2).strip()
    b = BACKUP.fullmatch(statement)
    if b:
        out, status = backup(b.group(1), b.group(2), bool(b.group(3)), b.group(4), device)
    elif VERIFY.fullmatch(statement):
        out, status = verify(device)
    else:
        out, status = msg(102, 1, f"Incorrect syntax near '{statement[:30]}'."), 1
    sys.stdout.write(out)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
