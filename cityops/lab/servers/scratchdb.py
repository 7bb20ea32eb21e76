"""A scratch Oracle instance on a lab host, as a restore drill starts one: `startup nomount` from a parameter file,
the control file restored from a backup piece, pieces catalogued, the data files restored and recovered to an SCN,
opened with RESETLOGS, queried, shut down — in RMAN 11g's words.

A scratch instance is the lab's stand-in for an instance's memory: while it runs, the login's
~/.cityops-lab/instances/<SID> names its directory, so sqlplus under that ORACLE_SID (orasql.py) finds it; `shutdown
abort` removes it. Its data files and control file live where the drill put them; the production database under
/srv/oradata is never read or written by anything here but a catalogued piece's bytes.
"""

from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from .oradb import DATAFILES, RestoreError, piece_header, read_piece, recover_logs, restore_set
from .rmanwords import RmanError, Speaker, day, elapsed, stamp

REGISTRY = Path.home() / ".cityops-lab" / "instances"


def registered(sid: str) -> Path | None:
    """The directory of the scratch instance `sid` while it runs."""
    try:
        return Path((REGISTRY / sid).read_text().strip())
    except OSError:
        return None


def control(root: Path) -> Path:
    return root / "control.json"


def load(root: Path) -> dict:
    return json.loads(control(root).read_text())


def save(root: Path, state: dict) -> None:
    tmp = control(root).with_suffix(".tmp")
    tmp.write_text(json.dumps(state, ensure_ascii=False))
    os.replace(tmp, control(root))


def split_script(script: str) -> list[str]:
    """RMAN's commands: ';' ends one, except inside a `run { … }` block, which is one command."""
    out, depth, current = [], 0, []
    for ch in script:
        if ch == "{":
            depth += 1
        elif ch == "}":
            depth -= 1
            if depth == 0:  # a run block ends at its brace
                out.append("".join(current).strip() + " }")
                current = []
                continue
        if ch == ";" and depth == 0:
            text = "".join(current).strip()
            out.append(text if text or not out or not out[-1].endswith("}") else ";")  # `};` is RMAN-01009
            current = []
        else:
            current.append(ch)
    if "".join(current).strip():
        out.append("".join(current).strip())
    return [c for c in out if c]


class Scratch(Speaker):
    """One `rman target /` session on the scratch instance `sid`."""

    def __init__(self, sid: str, out):
        super().__init__(out)
        self.sid = sid
        self.root = registered(sid)

    def _need(self, stage: str) -> dict:
        if self.root is None:
            raise RmanError("ORA-01034: ORACLE not available\nORA-27101: shared memory realm does not exist\n")
        if stage == "nomount":
            return {}
        if not control(self.root).exists() or (stage == "mount" and not load(self.root).get("mounted")):
            raise RmanError("ORA-01507: database not mounted\n")
        return load(self.root)

    def command(self, command: str) -> None:
        c = " ".join(command.split())
        if c == ";":
            raise RmanError("RMAN-00558: error encountered while parsing input commands\nRMAN-01009: syntax error: "
                               'found ";": expecting one of: "allocate, alter, backup, ..."\n')
        m = re.fullmatch(r"startup nomount(?: force)? pfile\s*=\s*'([^']+)'", c, re.I)
        if m:
            return self.startup(Path(m.group(1)))
        m = re.fullmatch(r"restore controlfile from '([^']+)'", c, re.I)
        if m:
            return self.restore_controlfile(Path(m.group(1)))
        if re.fullmatch(r"alter database mount", c, re.I):
            self._need("nomount")
            state = load(self.root) if control(self.root).exists() else None
            if state is None:
                raise RmanError("ORA-00205: error in identifying control file, check alert log for more info\n")
            state["mounted"] = True
            save(self.root, state)
            self.say("database mounted\nreleased channel: ORA_DISK_1")
            self.channel_allocated = False
            return None
        m = re.fullmatch(r"catalog start with '([^']+)'(?: noprompt)?", c, re.I)
        if m:
            return self.catalog(Path(m.group(1)))
        m = re.fullmatch(r"run \{(.*)\}", c, re.I | re.S)
        if m:
            return self.run_block(split_script(m.group(1)))
        if re.fullmatch(r"alter database open resetlogs", c, re.I):
            state = self._need("mount")
            if not state.get("recovered"):
                raise RmanError("ORA-01139: RESETLOGS option only valid after an incomplete database recovery\n")
            state["open"] = True
            save(self.root, state)
            self.say("database opened")
            return None
        if re.fullmatch(r"shutdown abort", c, re.I):
            (REGISTRY / self.sid).unlink(missing_ok=True)
            self.say("Oracle instance shut down")
            return None
        raise RmanError("RMAN-00558: error encountered while parsing input commands\nRMAN-01009: syntax error: "
                           f"found \"identifier\": expecting one of: \"allocate, alter, backup, ...\"\n"
                           f"RMAN-01008: the bad identifier was: {c.split()[0][:30]}\n")

    def startup(self, pfile: Path) -> None:
        try:
            params = dict(re.findall(r"^\s*(\w+)\s*=\s*'?([^'\n]*)'?\s*$", pfile.read_text(), re.M))
        except OSError:
            raise RmanError("ORA-01078: failure in processing system parameters\n"
                               f"LRM-00109: could not open parameter file '{pfile}'\n") from None
        files = params.get("control_files", "")
        if not files.startswith("/"):
            raise RmanError("ORA-01078: failure in processing system parameters\n"
                               "ORA-00205: error in identifying control file\n")
        self.root = Path(files).parent
        self.root.mkdir(parents=True, exist_ok=True)
        control(self.root).unlink(missing_ok=True)
        REGISTRY.mkdir(parents=True, exist_ok=True)
        (REGISTRY / self.sid).write_text(str(self.root))
        self.say("Oracle instance started\n\nTotal System Global Area     1068937216 bytes\n\n"
                 "Fixed Size                     2260088 bytes\nVariable Size                675286920 bytes\n"
                 "Database Buffers             385875968 bytes\nRedo Buffers                   5517312 bytes")

    def restore_controlfile(self, piece: Path) -> None:
        self._need("nomount")
        self.say(f"Starting restore at {day()}")
        self.channel()
        self.say("")
        self.say("channel ORA_DISK_1: restoring control file")
        try:
            header, records = read_piece(piece)
        except RestoreError as exc:
            raise RmanError(f"RMAN-03002: failure of restore command at {stamp()}\n"
                               f"ORA-19870: error while restoring backup piece {piece}\n"
                               + (f"ORA-19599: block number {exc.problem.split()[-1]} is corrupt in backup piece "
                                  f"{piece}\n" if exc.problem.startswith("block") else
                                  f"ORA-19505: failed to identify file \"{piece}\"\n")) from None
        if header.get("kind") != "controlfile":
            raise RmanError(f"RMAN-03002: failure of restore command at {stamp()}\n"
                               "ORA-19697: standby control file not found in backup set\n")
        state = json.loads(records[0])
        state.update(mounted=False, recovered=False, open=False)
        save(self.root, state)
        self.say("channel ORA_DISK_1: restore complete, elapsed time: 00:00:01")
        self.say(f"output file name={self.root}/control01.ctl")
        self.say(f"Finished restore at {day()}")

    def catalog(self, where: Path) -> None:
        state = self._need("mount")
        self.say(f"searching for all files that match the pattern {where}\n")
        known = {b["piece"] for b in state["backups"]}
        found = [p for p in sorted(where.rglob("*")) if p.is_file() and str(p) not in known and piece_header(p)]
        if not found:
            self.say("no files found to be unknown to the database")
            return
        self.say("List of Files Unknown to the Database\n=====================================")
        for p in found:
            self.say(f"File Name: {p}")
        self.say("cataloging files...\ncataloging done\n\nList of Cataloged Files\n=======================")
        by_key = {b["key"]: b for b in state["backups"]}
        for p in found:
            h = piece_header(p)
            entry = by_key.get(h.get("key"))
            if entry is not None and entry.get("tag") == h.get("tag"):
                entry["piece"] = str(p)  # the copy the drill brought: the one this instance restores from
            else:
                state["backups"].append({"key": h.get("key"), "type": h.get("kind"), "level": h.get("level"),
                                         "tag": h.get("tag"), "piece": str(p), "ckp_scn": h.get("ckp_scn"),
                                         "sequences": h.get("sequences", []), "status": "A"})
            self.say(f"File Name: {p}")
        save(self.root, state)

    def run_block(self, commands: list[str]) -> None:
        until, newname = None, None
        for c in commands:
            c = " ".join(c.split())
            m = re.fullmatch(r"set until scn (\d+)", c, re.I)
            if m:
                until = int(m.group(1))
                self.say("\nexecuting command: SET until clause")
                continue
            m = re.fullmatch(r"set newname for database to '([^']+)/%b'", c, re.I)
            if m:
                newname = Path(m.group(1))
                self.say("\nexecuting command: SET NEWNAME")
                continue
            if re.fullmatch(r"restore database", c, re.I):
                self.restore(until, newname)
            elif re.fullmatch(r"switch datafile all", c, re.I):
                state = self._need("mount")
                for i, (name, _blocks) in enumerate(DATAFILES, 1):
                    self.say(f"datafile {i} switched to datafile copy\ninput datafile copy RECID={i} STAMP="
                             f"{880000000 + i} file name={state['files_dir']}/{name}")
            elif re.fullmatch(r"recover database", c, re.I):
                self.recover(until)
            else:
                raise RmanError(f"RMAN-00558: error encountered while parsing input commands\n"
                                   f"RMAN-01008: the bad identifier was: {c.split()[0][:30] if c else ';'}\n")

    def _sets(self, state: dict, until: int | None) -> list[dict]:
        """The data file sets a restore to `until` reads: the newest level 0 at or before it, then each level 1
        after it, in order."""
        usable = [b for b in state["backups"] if b["type"] == "datafile" and b.get("status") == "A"
                  and (until is None or int(b["ckp_scn"]) <= until)]
        zeros = [b for b in usable if b.get("level") == 0]
        if not zeros:
            raise RmanError(f"RMAN-03002: failure of restore command at {stamp()}\n"
                               "RMAN-06026: some targets not found - aborting restore\n"
                               "RMAN-06023: no backup or copy of datafile 1 found to restore\n")
        # the newest level 0 whose piece is there (RMAN fails over to an older backup when a piece is missing)
        ordered = sorted(zeros, key=lambda b: (int(b["ckp_scn"]), int(b["key"] or 0)), reverse=True)
        base = next((b for b in ordered if Path(b["piece"]).exists()), ordered[0])
        later = [b for b in usable if b.get("level") == 1 and int(b["ckp_scn"]) > int(base["ckp_scn"])
                 and Path(b["piece"]).exists()]
        return [base, *sorted(later, key=lambda b: (int(b["ckp_scn"]), int(b["key"] or 0)))]

    def restore(self, until: int | None, newname: Path | None) -> None:
        state = self._need("mount")
        t0 = time.monotonic()
        self.say(f"\nStarting restore at {day()}")
        self.channel()
        base = self._sets(state, until)[0]
        files_dir = newname or self.root
        self.say("\nchannel ORA_DISK_1: starting datafile backup set restore")
        self.say("channel ORA_DISK_1: specifying datafile(s) to restore from backup set")
        for i, (name, _blocks) in enumerate(DATAFILES, 1):
            self.say(f"channel ORA_DISK_1: restoring datafile {i:05d} to {files_dir}/{name}")
        self._read_set(files_dir, base, "restore", over=False)
        self.say(f"channel ORA_DISK_1: restore complete, elapsed time: {elapsed(time.monotonic() - t0)}")
        self.say(f"Finished restore at {day()}")
        state["files_dir"], state["restored_key"] = str(files_dir), base["key"]
        save(self.root, state)

    def recover(self, until: int | None) -> None:
        state = self._need("mount")
        if "files_dir" not in state:
            raise RmanError(f"RMAN-03002: failure of recover command at {stamp()}\n"
                               "ORA-01110: data file 1 was not restored\n")
        t0 = time.monotonic()
        self.say(f"\nStarting recover at {day()}")
        self.channel()
        sets = self._sets(state, until)
        files_dir = Path(state["files_dir"])
        for b in sets[1:]:
            self.say("channel ORA_DISK_1: starting incremental datafile backup set restore")
            self._read_set(files_dir, b, "recover", over=True)
        start = int(sets[-1]["ckp_scn"])
        logs = [b for b in state["backups"] if b["type"] == "archivelog" and b.get("status") == "A"
                and Path(b["piece"]).exists()]
        self.say("\nstarting media recovery\n")
        for b in logs:
            for seq in b.get("sequences") or []:
                self.say("channel ORA_DISK_1: starting archived log restore to default destination")
                self.say(f"channel ORA_DISK_1: restoring archived log\narchived log thread=1 sequence={seq}")
        try:
            done = recover_logs(files_dir, state["db"], [Path(b["piece"]) for b in logs], start, until)
        except RestoreError as exc:
            if exc.piece:
                raise self._piece_error("recover", exc) from None
            raise RmanError(f"RMAN-03002: failure of recover command at {stamp()}\n"
                               f"RMAN-06054: media recovery requesting unknown archived log for thread 1 with "
                               f"sequence {exc.sequence} and starting SCN of {exc.scn}\n") from None
        for seq in done["logs"]:
            self.say(f"archived log file name={files_dir}/arch/1_{seq}_{state['dbid']}.arc thread=1 sequence={seq}")
        self.say(f"media recovery complete, elapsed time: {elapsed(time.monotonic() - t0)}")
        self.say(f"Finished recover at {day()}")
        state.update(recovered=True, scn=done["scn"])
        save(self.root, state)

    def _read_set(self, files_dir: Path, backup: dict, verb: str, over: bool) -> None:
        """One data file set read into the data files (a full one anew, an incremental one over them)."""
        self.say(f"channel ORA_DISK_1: reading from backup piece {backup['piece']}")
        try:
            restore_set(files_dir, Path(backup["piece"]), over=over)
        except RestoreError as exc:
            raise self._piece_error(verb, exc) from None
        self.say(f"channel ORA_DISK_1: piece handle={backup['piece']} tag={backup['tag']}")
        self.say("channel ORA_DISK_1: restored backup piece 1")

    def _piece_error(self, verb: str, exc: RestoreError) -> RmanError:
        self.say(f"channel ORA_DISK_1: ORA-19870: error while restoring backup piece {exc.piece}")
        if exc.problem.startswith("block"):
            self.say(f"ORA-19599: block number {exc.problem.split()[-1]} is corrupt in backup piece {exc.piece}")
        else:
            self.say(f"ORA-19505: failed to identify file \"{exc.piece}\"\nORA-27037: unable to obtain file status\n"
                     "Linux-x86_64 Error: 2: No such file or directory")
        self.say("\nfailover to previous backup\n")
        return RmanError(f"RMAN-03002: failure of {verb} command at {stamp()}\n"
                            "RMAN-06026: some targets not found - aborting restore\n"
                            "RMAN-06023: no backup or copy of datafile 3 found to restore\n")
