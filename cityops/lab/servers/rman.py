"""`rman target /` on a lab Oracle host: the commands cityops sends, run on the lab database (oradb.py) and
answered in RMAN 10g/11g's own words.

Reads the script from stdin as RMAN does under a here-document. It backs up (incremental level 0 or 1 of the
database; archived logs not yet backed up, after archiving the current log) into pieces where the `format`
says, records them in the control file, and validates them (`restore database validate from tag`, `restore
archivelog all validate from tag`) by reading every record back. Failures are the real ones: a full disk fails
the piece write (ORA-19502/ORA-27072), a missing archived log stops the archive log backup (RMAN-06059), a
damaged piece fails validation at its block (ORA-19870/ORA-19599). Exit status 1 after any error, as RMAN's.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
import os
import re
import sys
import time
from pathlib import Path

from ...timeutil import now
from .oradb import DATAFILES, Database, check_piece, write_piece
from .rmanwords import STACK, RmanError, Speaker, day, elapsed, stamp
from .scratchdb import Scratch, split_script

LAB = Path("/run/cityops-lab/oracle")
ORADATA = Path("/srv/oradata")
def _env() -> dict:
    out = {}
    for line in (LAB / "env").read_text().splitlines():
        key, _, value = line.partition("=")
        out[key] = value
    return out


def _release() -> str:
    try:
        return (LAB / "sql_instance").read_text().split("|")[4].strip()
    except (OSError, IndexError):
        return "11.2.0.4.0"


def _piece_name(fmt: str, db: str, key: int, t: dt.datetime) -> Path:
    unique = f"{key:02x}{int(t.timestamp()) % 0xFFFFF:05x}"
    name = (fmt.replace("%d", db.upper()).replace("%T", t.strftime("%Y%m%d")).replace("%U", f"{unique}_1_1")
            .replace("%s", str(key)).replace("%p", "1"))
    return Path(name)


class Session(Speaker):
    def __init__(self, db: Database, state: dict, instance: str, out):
        super().__init__(out)
        self.db, self.state, self.instance = db, state, instance

    def channel(self, sid: str = "") -> None:
        super().channel(f"SID={130 + len(self.state['backups']) % 40} instance={self.instance}")

    def _write(self, path: Path, kind: str, records: list[bytes], t: dt.datetime, **meta) -> int:
        self.say(f"channel ORA_DISK_1: starting piece 1 at {day(t)}")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            size = write_piece(path, kind, records, key=self.state["next_key"], ckp_scn=self.state["scn"],
                               db=self.db.name, dbid=self.state["dbid"], **meta)
        except OSError as exc:
            path.with_name(path.name + ".tmp").unlink(missing_ok=True)
            if exc.errno in (errno.ENOSPC, errno.EDQUOT):
                raise RmanError(f"RMAN-03009: failure of backup command on ORA_DISK_1 channel at {stamp(t)}\n"
                                f'ORA-19502: write error on file "{path}", block number {len(records) * 2 + 1} '
                                "(block size=8192)\nORA-27072: File I/O error\n"
                                "Linux-x86_64 Error: 28: No space left on device\n"
                                "Additional information: 4\n") from None
            raise RmanError(f"RMAN-03009: failure of backup command on ORA_DISK_1 channel at {stamp(t)}\n"
                            f'ORA-19504: failed to create file "{path}"\nORA-27040: file create error, unable '
                            f"to create file\nLinux-x86_64 Error: {exc.errno}: {exc.strerror}\n") from None
        self.say(f"channel ORA_DISK_1: finished piece 1 at {day(now())}")
        return size

    def backup_database(self, level: int, fmt: str, tag: str) -> None:
        t = now()
        self.say(f"Starting backup at {day(t)}")
        self.channel()
        parents = [b for b in self.state["backups"] if b["type"] == "datafile" and b["status"] == "A"]
        if level == 1 and not [b for b in parents if b["level"] == 0]:
            for file_no in range(1, len(DATAFILES) + 1):
                self.say(f"no parent backup or copy of datafile {file_no} found")
            level = 0
        since = max(b["ckp_scn"] for b in parents) if level == 1 else None
        self.say(f"channel ORA_DISK_1: starting incremental level {level} datafile backup set")
        self.say("channel ORA_DISK_1: specifying datafile(s) in backup set")
        for file_no, (name, _blocks) in enumerate(DATAFILES, 1):
            self.say(f"input datafile file number={file_no:05d} name={self.db.root / name}")
        records = [block for _f, block in self.db.blocks(since)]
        key = self.state["next_key"]
        path = _piece_name(fmt, self.db.name, key, t)
        started = time.monotonic()
        size = self._write(path, "datafile", records, t, tag=tag, level=level)
        self._record(key, "datafile", level, tag, path, size, t, len(records))
        self.say(f"piece handle={path} tag={tag} comment=NONE")
        self.say(f"channel ORA_DISK_1: backup set complete, elapsed time: {elapsed(time.monotonic() - started)}")
        # 11g with controlfile autobackup off (its default): a backup that includes data file 1 takes the control
        # file and SPFILE in a set of its own, under the same tag
        self.say(f"channel ORA_DISK_1: starting {'full' if level == 0 else f'incremental level {level}'} datafile "
                 "backup set")
        self.say("channel ORA_DISK_1: specifying datafile(s) in backup set")
        self.say("including current control file in backup set")
        self.say("including current SPFILE in backup set")
        key = self.state["next_key"]
        path = _piece_name(fmt, self.db.name, key, t)
        control = json.dumps(self.state, ensure_ascii=False).encode()
        size = self._write(path, "controlfile", [control], t, tag=tag)
        self._record(key, "controlfile", None, tag, path, size, t, 1)
        self.say(f"piece handle={path} tag={tag} comment=NONE")
        self.say("channel ORA_DISK_1: backup set complete, elapsed time: 00:00:01")
        self.say(f"Finished backup at {day(now())}")

    def backup_archivelog(self, fmt: str, tag: str) -> None:
        t = now()
        self.say(f"Starting backup at {day(t)}")
        self.db._archive(self.state)  # `current log archived`: the log in use is switched and archived first
        self.say("current log archived")
        self.channel()
        todo = [a for a in self.state["archived"] if not a["backed_up"]]
        for a in todo:
            if not Path(a["name"]).exists():
                raise RmanError(f"RMAN-03002: failure of backup command at {stamp(t)}\n"
                                "RMAN-06059: expected archived log not found, loss of archived log compromises "
                                f"recoverability\nORA-19625: error identifying file {a['name']}\n"
                                "ORA-27037: unable to obtain file status\n"
                                "Linux-x86_64 Error: 2: No such file or directory\nAdditional information: 3\n")
        self.say("channel ORA_DISK_1: starting archived log backup set")
        self.say("channel ORA_DISK_1: specifying archived log(s) in backup set")
        for a in todo:
            self.say(f"input archived log thread=1 sequence={a['sequence']} RECID={a['sequence']} "
                     f"STAMP={880000000 + a['sequence']}")
        records = [Path(a["name"]).read_bytes() for a in todo]
        key = self.state["next_key"]
        path = _piece_name(fmt, self.db.name, key, t)
        started = time.monotonic()
        size = self._write(path, "archivelog", records, t, tag=tag,
                           sequences=[a["sequence"] for a in todo])
        for a in todo:
            a["backed_up"] += 1
        self._record(key, "archivelog", None, tag, path, size, t, len(records),
                     sequences=[a["sequence"] for a in todo])
        self.say(f"piece handle={path} tag={tag} comment=NONE")
        self.say(f"channel ORA_DISK_1: backup set complete, elapsed time: {elapsed(time.monotonic() - started)}")
        self.say(f"Finished backup at {day(now())}")

    def _record(self, key, kind, level, tag, path, size, t, records, **extra) -> None:
        self.state["backups"].append({"key": key, "type": kind, "level": level, "tag": tag, "piece": str(path),
                                      "bytes": size, "records": records, "ckp_scn": self.state["scn"],
                                      "start": t.isoformat(), "completion": now().isoformat(), "status": "A",
                                      **extra})
        self.state["next_key"] = key + 1
        self.db.save(self.state)

    def restore_validate(self, what: str, tag: str) -> None:
        t = now()
        self.say(f"Starting restore at {day(t)}")
        self.channel()
        kind = what if what in ("archivelog", "controlfile") else "datafile"
        sets = [b for b in self.state["backups"] if b["type"] == kind and b["tag"] == tag.upper()]
        if not sets:
            raise RmanError(f"RMAN-03002: failure of restore command at {stamp(t)}\n"
                            "RMAN-06026: some targets not found - aborting restore\n"
                            + ("RMAN-06025: no backup of archived log for thread 1 with sequence 1 and starting SCN "
                               "of 1000000 found to restore\n" if kind == "archivelog" else
                               "RMAN-06023: no backup or copy of datafile 1 found to restore\n"))
        for b in sets:
            self.say("")
            self.say(f"channel ORA_DISK_1: starting validation of "
                     f"{ {'archivelog': 'archived log', 'controlfile': 'datafile'}.get(kind, 'datafile')} backup set")
            self.say(f"channel ORA_DISK_1: reading from backup piece {b['piece']}")
            _count, problem = check_piece(Path(b["piece"]))
            if problem:
                block = problem.split()[-1] if problem.startswith("block") else "1"
                self.say(f"channel ORA_DISK_1: ORA-19870: error while restoring backup piece {b['piece']}")
                if problem.startswith("unreadable"):
                    self.say(f"ORA-19505: failed to identify file \"{b['piece']}\"\nORA-27037: unable to obtain file "
                             "status\nLinux-x86_64 Error: 2: No such file or directory")
                else:
                    self.say(f"ORA-19599: block number {block} is corrupt in backup piece {b['piece']}")
                self.say("")
                self.say("failover to previous backup")
                self.say("")
                raise RmanError(f"RMAN-03002: failure of restore command at {stamp(now())}\n"
                                "RMAN-06026: some targets not found - aborting restore\n"
                                + ("RMAN-06025: no backup of archived log for thread 1 with sequence "
                                   f"{(b.get('sequences') or [1])[0]} and starting SCN of 1000000 found to restore\n"
                                   if kind == "archivelog" else
                                   "RMAN-06023: no backup or copy of datafile 3 found to restore\n"))
            self.say(f"channel ORA_DISK_1: piece handle={b['piece']} tag={b['tag']}")
            self.say("channel ORA_DISK_1: restored backup piece 1")
            self.say("channel ORA_DISK_1: validation complete, elapsed time: 00:00:01")
        self.say(f"Finished restore at {day(now())}")


BACKUP_DB = re.compile(r"backup\s+incremental\s+level\s*=?\s*([01])\s+database(?:\s+format\s+'([^']+)')?"
                       r"(?:\s+tag\s+'([^']+)')?", re.I)
BACKUP_ARCH = re.compile(r"backup\s+archivelog\s+all\s+not\s+backed\s+up(?:\s+1\s+times)?(?:\s+format\s+'([^']+)')?"
                         r"(?:\s+tag\s+'([^']+)')?", re.I)
VALIDATE = re.compile(r"restore\s+(database|archivelog\s+all|controlfile)\s+validate\s+from\s+tag\s+'([^']+)'",
                      re.I)


def main(argv: list[str]) -> int:
    out = sys.stdout
    env = _env()
    db_name, instance = env.get("DB", "orcl"), env.get("ORACLE_SID", "orcl")
    sid = os.environ.get("ORACLE_SID") or instance
    t = now()
    out.write(f"\nRecovery Manager: Release {_release()} - Production on {t:%a %b %d %H:%M:%S %Y}\n\n"
              "Copyright (c) 1982, 2011, Oracle and/or its affiliates.  All rights reserved.\n\n")
    if argv[:2] != ["target", "/"]:
        out.write(STACK + "RMAN-00558: error encountered while parsing input commands\n"
                  "RMAN-01009: syntax error: found \"identifier\": expecting one of: \"target\"\n")
        return 1
    commands = split_script(sys.stdin.read())
    if sid != instance:  # ORACLE_SID names another instance on this host: a drill's scratch instance
        return scratch_session(sid, commands, out)
    db = Database(ORADATA / db_name.upper(), db_name.upper())
    state = db.open(t)
    out.write(f"connected to target database: {db_name.upper()} (DBID={state['dbid']})\n\n")
    session = Session(db, state, instance, out)

    def handle(command: str) -> None:
        m = BACKUP_DB.fullmatch(command)
        a = BACKUP_ARCH.fullmatch(command)
        v = VALIDATE.fullmatch(command)
        if m:
            session.backup_database(int(m.group(1)), m.group(2) or f"{ORADATA}/{db.name}_%U",
                                    (m.group(3) or f"TAG{t:%Y%m%dT%H%M%S}").upper())
        elif a:
            session.backup_archivelog(a.group(1) or f"{ORADATA}/{db.name}_%U",
                                      (a.group(2) or f"TAG{t:%Y%m%dT%H%M%S}").upper())
        elif v:
            session.restore_validate(v.group(1).lower().split()[0], v.group(2))
        elif command.split()[0] == ";":
            raise RmanError("RMAN-00558: error encountered while parsing input commands\nRMAN-01009: syntax "
                            'error: found ";": expecting one of: "allocate, alter, backup, ..."\n')
        else:
            raise RmanError("RMAN-00558: error encountered while parsing input commands\n"
                            f"RMAN-01009: syntax error: found \"identifier\": expecting one of: \"allocate, "
                            f"alter, backup, ...\"\nRMAN-01008: the bad identifier was: {command.split()[0][:30]}\n")

    return run_commands(commands, out, handle)


def run_commands(commands: list[str], out, handle) -> int:
    """RMAN's loop over a script: each command echoed, the first error ends it under the error stack's banner
    (a bug of the lab's own shown as RMAN shows its internal errors), exit status 1 after an error."""
    failed = False
    for command in commands:
        out.write(f"RMAN> {command};\n\n")
        if command.lower() in ("exit", "quit"):
            break
        try:
            handle(command)
        except RmanError as exc:
            failed = True
            out.write("\n" + STACK + str(exc))
            break
        except Exception as exc:
            failed = True
            out.write("\n" + STACK + f"RMAN-00600: internal error, arguments [{type(exc).__name__}] [{exc}]\n")
            break
        out.write("\n")
    out.write("\nRecovery Manager complete.\n")
    return 1 if failed else 0


def scratch_session(sid: str, commands: list[str], out) -> int:
    """`rman target /` on a scratch instance (scratchdb.py): a drill's restore, never the host's database."""
    session = Scratch(sid, out)
    out.write("connected to target database (not started)\n\n" if session.root is None else
              f"connected to target database: {sid.upper()} (not mounted)\n\n")
    return run_commands(commands, out, session.command)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
