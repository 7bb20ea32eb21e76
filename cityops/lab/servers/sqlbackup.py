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
import json
import re
import shutil
import socket
import sys
import time
from pathlib import Path

from ...timeutil import now
from .oradb import Database, RestoreError, check_piece, read_piece, recover_logs, restore_set, row_counts, write_piece

DATA = Path("/srv/sqldata")
SHARES = Path("/srv/share")
DEVICE = re.compile(r"DECLARE @d nvarchar\(\d+\) = REPLACE\(N'([^']+)', N'/', NCHAR\(92\)\);\s*(.*)", re.I | re.S)
BACKUP = re.compile(r"BACKUP (DATABASE|LOG) \[([A-Za-z0-9_]+)\] TO DISK = @d WITH (DIFFERENTIAL, )?CHECKSUM, INIT, "
                    r"NAME = N'([A-Za-z0-9_]+)';?", re.I)
VERIFY = re.compile(r"RESTORE VERIFYONLY FROM DISK = @d WITH CHECKSUM;?", re.I)
# a drill's restore under a scratch name: the full with its files moved beside the source's, then differential and
# log backups, then RECOVERY; the scratch database counted and dropped
RESTORE_FULL = re.compile(r"DECLARE @l1 sysname.*?DB_ID\(N'([A-Za-z0-9_]+)'\).*RESTORE DATABASE \[([A-Za-z0-9_]+)\] "
                          r"FROM DISK = @d WITH CHECKSUM, MOVE @l1 TO @p1, MOVE @l2 TO @p2, NORECOVERY;?", re.I | re.S)
RESTORE_MORE = re.compile(r"RESTORE (DATABASE|LOG) \[([A-Za-z0-9_]+)\] FROM DISK = @d WITH CHECKSUM, NORECOVERY;?", re.I)
RECOVERY = re.compile(r"RESTORE DATABASE \[([A-Za-z0-9_]+)\] WITH RECOVERY;?", re.I)
DROP = re.compile(r"(?:IF DB_ID\(N'([A-Za-z0-9_]+)'\) IS NOT NULL )?DROP DATABASE \[([A-Za-z0-9_]+)\];?", re.I)
COUNT = re.compile(r"SELECT N'([^']*)', COUNT_BIG\(\*\) FROM \[([A-Za-z0-9_]+)\]\.\[([A-Za-z0-9_]+)\]\.\[([A-Za-z0-9_]+)\]",
                   re.I)


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
        size = write_piece(target, what, records, ckp_scn=state["scn"], db=db_name, tag=tag)
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


def _scratch(name: str) -> Path:
    return DATA / name / "restore.json"


def _pages(seconds: float, pages: int, verb: str, new: str, source: str) -> str:
    seconds = max(seconds, 0.001)
    return (f"Processed {pages} pages for database '{new}', file '{source}' on file 1.\n"
            f"Processed 2 pages for database '{new}', file '{source}_log' on file 1.\n"
            f"{verb} successfully processed {pages + 2} pages in {seconds:.3f} seconds "
            f"({(pages + 2) * 8192 / seconds / 1048576:.3f} MB/sec).\n")


def restore(kind: str, new: str, device: str, source: str = "") -> tuple[str, int]:
    """One step of a restore under the scratch name `new`: the full (`source` named), a differential or a log."""
    verb = "RESTORE LOG" if kind.upper() == "LOG" else "RESTORE DATABASE"
    stop = msg(3013, 1, f"{verb} is terminating abnormally.")
    target = local(device)
    if target is None or not target.exists():
        return msg(3201, 2, f"Cannot open backup device '{device}'. Operating system error 2(The system cannot find "
                            "the file specified.).") + stop, 1
    t0 = time.monotonic()
    root = DATA / new
    state = json.loads(_scratch(new).read_text()) if _scratch(new).exists() else None
    try:
        if source:
            if (root / "control.json").exists():
                return msg(1834, 1, f"The file cannot be overwritten. It is being used by database '{new}'.") + stop, 1
            root.mkdir(parents=True, exist_ok=True)
            ckp = restore_set(root, target, over=False)
            state = {"source": source, "ckp": ckp, "restoring": True}
            pages = read_piece(target)[0]["records"]
        elif state is None or not state.get("restoring"):
            return msg(3117, 1, "The log or differential backup cannot be restored because no files are ready to "
                                "rollforward.") + stop, 1
        elif kind.upper() == "DATABASE":
            state["ckp"] = max(state["ckp"], restore_set(root, target, over=True))
            pages = read_piece(target)[0]["records"]
        else:
            logs = [json.loads(r[:-5]) for r in read_piece(target)[1]]
            first = min((lg["first_scn"] for lg in logs), default=state["ckp"] + 1)
            last = max((lg["next_scn"] for lg in logs), default=state["ckp"] + 1)
            if last < state["ckp"] + 1:
                return msg(4326, 1, f"The log in this backup set terminates at LSN {last}000000001, which is too "
                                    "early to apply to the database. A more recent log backup that includes LSN "
                                    f"{state['ckp'] + 1}000000001 can be restored.") + stop, 1
            if first > state["ckp"] + 1:
                return msg(4305, 1, f"The log in this backup set begins at LSN {first}000000001, which is too recent "
                                    "to apply to the database. An earlier log backup that includes LSN "
                                    f"{state['ckp'] + 1}000000001 can be restored.") + stop, 1
            state["ckp"] = recover_logs(root, state["source"], [target], state["ckp"], last - 1)["scn"]
            pages = max(1, target.stat().st_size // 8192)
    except RestoreError as exc:
        page = exc.problem.split()[-1] if exc.problem.startswith("block") else "1"
        return msg(3183, 1, f"RESTORE detected an error on page (1:{page}) in database \"{new}\" as read from the "
                            "backup set.") + stop, 1
    _scratch(new).write_text(json.dumps(state))
    return _pages(time.monotonic() - t0, 0 if kind.upper() == "LOG" else pages, verb, new, state["source"]), 0


def recovery(new: str) -> tuple[str, int]:
    """RESTORE DATABASE … WITH RECOVERY: the scratch database brought online once its chain is restored."""
    state = json.loads(_scratch(new).read_text()) if _scratch(new).exists() else None
    if state is None:
        return (msg(911, 1, f"Database '{new}' does not exist. Make sure that the name is entered correctly.")
                + msg(3013, 1, "RESTORE DATABASE is terminating abnormally."), 1)
    state["restoring"] = False
    _scratch(new).write_text(json.dumps(state))
    return "RESTORE DATABASE successfully processed 0 pages in 0.005 seconds (0.000 MB/sec).\n", 0


def drop(name: str, only_if_there: bool) -> tuple[str, int]:
    root = DATA / name
    if not _scratch(name).exists():
        if (root / "control.json").exists():
            return msg(3702, 3, f"Cannot drop database \"{name}\" because it is currently in use."), 1
        return ("", 0) if only_if_there else (msg(3701, 11, f"Cannot drop the database '{name}', because it does "
                                                           "not exist or you do not have permission."), 1)
    shutil.rmtree(root, ignore_errors=True)
    return "", 0


def counts(query: str) -> tuple[str, int]:
    lines = []
    for label, db, _schema, table in COUNT.findall(query):
        root = DATA / db
        if _scratch(db).exists():
            if json.loads(_scratch(db).read_text()).get("restoring"):
                return msg(927, 2, f"Database '{db}' cannot be opened. It is in the middle of a restore."), 1
        elif (root / "control.json").exists():
            Database(root, db).open(now())
        else:
            return msg(911, 1, f"Database '{db}' does not exist. Make sure that the name is entered correctly."), 1
        n = row_counts(root, [table])[table]
        if n is None:
            return msg(208, 1, f"Invalid object name '{db}.{_schema}.{table}'."), 1
        lines.append(f"{label}|{n}")
    return "".join(f"{line}\n" for line in lines), 0


def main(argv: list[str]) -> int:
    query = argv[argv.index("-Q") + 1] if "-Q" in argv and argv.index("-Q") + 1 < len(argv) else ""
    plain = query.strip()
    if plain.upper().startswith("SET NOCOUNT ON;") and COUNT.search(plain):
        out, status = counts(plain)
        sys.stdout.write(out)
        return status
    for pattern, handler in ((RECOVERY, lambda m: recovery(m.group(1))),
                             (DROP, lambda m: drop(m.group(2), bool(m.group(1))))):
        m = pattern.fullmatch(plain)
        if m:
            out, status = handler(m)
            sys.stdout.write(out)
            return status
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
    elif r := RESTORE_FULL.fullmatch(statement):
        out, status = restore("DATABASE", r.group(2), device, source=r.group(1))
    elif r := RESTORE_MORE.fullmatch(statement):
        out, status = restore(r.group(1), r.group(2), device)
    else:
        out, status = msg(102, 1, f"Incorrect syntax near '{statement[:30]}'."), 1
    sys.stdout.write(out)
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
