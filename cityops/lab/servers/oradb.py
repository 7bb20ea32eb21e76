"""A lab Oracle database that RMAN can really back up: data files of 8 KiB blocks, rows that change as time
passes, archived logs, and the control file's record of backups.

Each block carries its file and block number, the SCN of its last change and a CRC32 of itself, as Oracle's
blocks carry a checksum; a backup piece holds blocks (level 0: all; level 1: those changed since the last level
0 or 1) or archived logs, each record with its own CRC, and the piece ends with a trailer over the whole. So a
byte flipped in a piece after the fact is found by `restore ... validate` at the block it lands in, with the
piece named, as RMAN reports ORA-19599. The database lives under /srv/oradata/<DB> on the host (a RAC's nodes
share one directory); pieces go where the RMAN `format` says.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path

BLOCK = 8192
HEADER = struct.Struct(">HHIQI")  # magic, file#, block#, scn, crc32 (of the block with this field zeroed)
MAGIC = 0x06A2
DATAFILES = (("system01.dbf", 64), ("users01.dbf", 24), ("app_data01.dbf", 96))
STEP = dt.timedelta(minutes=15)  # the workload: every quarter hour a few blocks change
BLOCKS_PER_STEP = 3
LOG_EVERY = 4  # steps per log switch: an archived log an hour
MAX_STEPS = 3000  # a database left alone for a month catches up at once, not block by block for ever
PIECE_MAGIC = b"CITYOPS-LAB-RMAN-PIECE 1\n"
EPOCH_SCN = 1_000_000
TABLES = {"CASES": 3, "USERS": 2}  # a table's name (any schema) -> the data file holding its rows


def _crc(block: bytes) -> int:
    return zlib.crc32(block[:16] + b"\0\0\0\0" + block[20:])


def make_block(file_no: int, block_no: int, scn: int, payload: bytes) -> bytes:
    body = payload[:BLOCK - HEADER.size].ljust(BLOCK - HEADER.size, b"\0")
    raw = HEADER.pack(MAGIC, file_no, block_no, scn, 0) + body
    return HEADER.pack(MAGIC, file_no, block_no, scn, _crc(raw)) + body


def block_ok(block: bytes) -> bool:
    if len(block) != BLOCK:
        return False
    magic, _f, _b, _scn, crc = HEADER.unpack_from(block)
    return magic == MAGIC and crc == _crc(block)


def block_scn(block: bytes) -> int:
    return HEADER.unpack_from(block)[3]


def _rows(db: str, file_no: int, block_no: int, version: int) -> bytes:
    """A block's rows: how many changes with each version (rows inserted and deleted), so a table's row count
    moves as the workload runs and a restore that missed a change counts differently."""
    rng = random.Random(f"{db}/{file_no}/{block_no}/{version}")  # nosec B311  # lab rows, not secrets
    count = 40 + rng.randrange(40)
    return "".join(f"{rng.randint(1, 10**9)}|{db}|行{block_no}-{i}|v{version}\n" for i in range(count)).encode()


def block_rows(block: bytes) -> int:
    return block[HEADER.size:].split(b"\0", 1)[0].count(b"\n")


def table_file(table: str) -> int | None:
    """The lab's tables: each application table lives in one data file (the last part of its name decides)."""
    return TABLES.get(table.rsplit(".", 1)[-1].upper())


@dataclass
class Database:
    root: Path  # /srv/oradata/<DB>, or where the lab keeps it when the lab itself acts on it (a fault)
    name: str
    shown: Path | None = None  # the directory as the host names it, when `root` is the lab's path to it

    def as_host_sees(self, path: Path) -> str:
        return str(self.shown / path.relative_to(self.root)) if self.shown else str(path)

    @property
    def control(self) -> Path:
        return self.root / "control.json"

    def load(self) -> dict:
        return json.loads(self.control.read_text())

    def save(self, state: dict) -> None:
        tmp = self.control.with_suffix(".tmp")
        tmp.write_text(json.dumps(state, ensure_ascii=False, indent=1))
        os.replace(tmp, self.control)

    def datafile(self, file_no: int) -> Path:
        return self.root / DATAFILES[file_no - 1][0]

    def create(self, now: dt.datetime) -> dict:
        """A new database: every block written at SCN EPOCH_SCN, no archived log, no backup."""
        self.root.mkdir(parents=True, exist_ok=True)
        for file_no, (name, blocks) in enumerate(DATAFILES, 1):
            with open(self.root / name, "wb") as fh:
                for b in range(blocks):
                    fh.write(make_block(file_no, b, EPOCH_SCN, _rows(self.name, file_no, b, 0)))
        state = {"db": self.name, "dbid": int(hashlib.sha256(self.name.encode()).hexdigest()[:8], 16) % 4_000_000_000,
                 "scn": EPOCH_SCN, "sequence": 1, "steps": 0, "clock": now.isoformat(), "archived": [],
                 "backups": [], "next_key": 1}
        self.save(state)
        return state

    def open(self, now: dt.datetime) -> dict:
        """The database as it stands `now`: created on first use, then its workload caught up to the clock."""
        state = self.load() if self.control.exists() else self.create(now)
        return self.advance(state, now)

    def advance(self, state: dict, now: dt.datetime) -> dict:
        last = dt.datetime.fromisoformat(state["clock"])
        steps = int((now - last) / STEP) if now > last else 0
        if not steps:
            return state
        todo = min(steps, MAX_STEPS)
        changed = state.setdefault("pending", [])  # the online redo log: changes not yet archived
        for _ in range(todo):
            state["steps"] += 1
            rng = random.Random(f"{self.name}/step/{state['steps']}")  # nosec B311  # lab workload
            for _b in range(BLOCKS_PER_STEP):
                file_no = rng.choice((2, 3, 3))  # users and application data change; SYSTEM seldom
                block_no = rng.randrange(DATAFILES[file_no - 1][1])
                state["scn"] += rng.randint(5, 40)
                self._write_block(file_no, block_no, state["scn"], state["steps"])
                changed.append([file_no, block_no, state["scn"], state["steps"]])
            if state["steps"] % LOG_EVERY == 0:
                self._archive(state)
                changed = state["pending"]
        state["clock"] = (last + steps * STEP).isoformat()
        self.save(state)
        return state

    def _write_block(self, file_no: int, block_no: int, scn: int, version: int) -> None:
        with open(self.datafile(file_no), "r+b") as fh:
            fh.seek(block_no * BLOCK)
            fh.write(make_block(file_no, block_no, scn, _rows(self.name, file_no, block_no, version)))

    def _archive(self, state: dict) -> None:
        """A log switch: the changes in the online log archived as the next sequence (each change: file, block,
        SCN and the version of the rows written, which is all a recovery needs to redo it)."""
        seq = state["sequence"]
        first = state["archived"][-1]["next_scn"] if state["archived"] else EPOCH_SCN
        name = self.root / "arch" / f"1_{seq}_{state['dbid']}.arc"
        name.parent.mkdir(exist_ok=True)
        changed, state["pending"] = state.get("pending", []), []
        redo = json.dumps({"sequence": seq, "first_scn": first, "next_scn": state["scn"] + 1,
                           "changes": changed}).encode()
        name.write_bytes(redo + b"\n" + zlib.crc32(redo).to_bytes(4, "big"))
        state["archived"].append({"sequence": seq, "first_scn": first, "next_scn": state["scn"] + 1,
                                  "name": self.as_host_sees(name), "backed_up": 0})
        state["sequence"] += 1

    def blocks(self, since_scn: int | None = None):
        """(file#, block bytes) of every block, or of those changed after `since_scn` (a level 1's choice)."""
        for file_no in range(1, len(DATAFILES) + 1):
            data = self.datafile(file_no).read_bytes()
            for i in range(0, len(data), BLOCK):
                block = data[i:i + BLOCK]
                if since_scn is None or block_scn(block) > since_scn:
                    yield file_no, block


def write_piece(path: Path, kind: str, records: list[bytes], **meta) -> int:
    """A backup piece: magic, a header line, each record length-prefixed with its CRC, then a trailer CRC over all.
    Written aside and renamed, as RMAN completes a piece before it lists it. The header carries what RMAN reads
    from a piece's header when it catalogues it (its kind, tag, key, checkpoint SCN)."""
    header = json.dumps({"kind": kind, "records": len(records), **meta}).encode() + b"\n"
    body = bytearray(PIECE_MAGIC + header)
    for r in records:
        body += struct.pack(">II", len(r), zlib.crc32(r)) + r
    body += struct.pack(">I", zlib.crc32(bytes(body)))
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as fh:
        fh.write(body)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
    return len(body)


def check_piece(path: Path) -> tuple[int, str]:
    """(records read, '' or the first problem as RMAN words it: the corrupt block's number, or 'unreadable')."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return 0, f"unreadable: {exc.strerror}"
    if not data.startswith(PIECE_MAGIC):
        return 0, "not a backup piece"
    pos = data.index(b"\n", len(PIECE_MAGIC)) + 1
    count = 0
    while pos < len(data) - 4:
        if pos + 8 > len(data) - 4:
            return count, "truncated"
        size, crc = struct.unpack_from(">II", data, pos)
        record = data[pos + 8:pos + 8 + size]
        if len(record) != size:
            return count, "truncated"
        if zlib.crc32(record) != crc or (size == BLOCK and not block_ok(record)):
            block_no = HEADER.unpack_from(record)[2] if size == BLOCK and len(record) >= HEADER.size else count + 1
            return count, f"block {block_no}"
        count += 1
        pos += 8 + size
    if struct.unpack_from(">I", data, len(data) - 4)[0] != zlib.crc32(data[:-4]):
        return count, f"block {count + 1}"
    return count, ""


def piece_header(path: Path) -> dict:
    """A piece's header, or {} when the file is not a readable piece."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(len(PIECE_MAGIC) + 4096)
    except OSError:
        return {}
    if not head.startswith(PIECE_MAGIC) or b"\n" not in head[len(PIECE_MAGIC):]:
        return {}
    try:
        return json.loads(head[len(PIECE_MAGIC):].split(b"\n", 1)[0])
    except ValueError:
        return {}


class RestoreError(Exception):
    """A restore that cannot go on: a damaged or missing piece (`piece`, `problem` as check_piece words it), or
    a recovery that needs a log nobody has (`sequence`, `scn`)."""

    def __init__(self, piece: str = "", problem: str = "", sequence: int = 0, scn: int = 0):
        super().__init__(problem or f"log sequence {sequence}")
        self.piece, self.problem, self.sequence, self.scn = piece, problem, sequence, scn


def read_piece(path: Path) -> tuple[dict, list[bytes]]:
    """Every record of a piece, checked as it is read; RestoreError at the first damage."""
    _count, problem = check_piece(path)
    if problem:
        raise RestoreError(str(path), problem)
    data = path.read_bytes()
    pos = data.index(b"\n", len(PIECE_MAGIC)) + 1
    header = json.loads(data[len(PIECE_MAGIC):pos - 1])
    records = []
    while pos < len(data) - 4:
        size = struct.unpack_from(">I", data, pos)[0]
        records.append(data[pos + 8:pos + 8 + size])
        pos += 8 + size
    return header, records


def restore_set(root: Path, piece: Path, over: bool) -> int:
    """Write a data file set's blocks into the data files at `root`: a full set (level 0, full) makes them anew,
    an incremental one (level 1, differential; `over`) writes its blocks over them. Returns the set's checkpoint
    SCN; RestoreError at the first damaged record, before anything is written."""
    header, records = read_piece(piece)
    root.mkdir(parents=True, exist_ok=True)
    handles: dict = {}
    try:
        for block in records:
            _m, file_no, block_no, _scn, _crc32 = HEADER.unpack_from(block)
            if file_no not in handles:
                target = root / DATAFILES[file_no - 1][0]
                handles[file_no] = open(target, "r+b" if over and target.exists() else "wb")  # noqa: SIM115
            handles[file_no].seek(block_no * BLOCK)
            handles[file_no].write(block)
    finally:
        for fh in handles.values():
            fh.close()
    return int(header.get("ckp_scn") or 0)


def recover_logs(root: Path, source: str, logs: list[Path], ckp_scn: int, until_scn: int | None) -> dict:
    """Redo the changes of archived logs (read from their backup pieces) on the data files at `root`, in
    sequence, from just after `ckp_scn` up to `until_scn` (None: as far as the logs go). Returns {'scn': the point
    reached, 'logs': the sequences applied}; RestoreError for a damaged piece, or for a log the recovery needs
    that no piece holds (its sequence and SCN)."""
    redo = []
    for piece in logs:
        _header, records = read_piece(piece)
        for record in records:
            body, crc = record[:-5], record[-4:]
            if zlib.crc32(body) != int.from_bytes(crc, "big"):
                raise RestoreError(str(piece), "block 1")
            log = json.loads(body)
            if "next_scn" in log:  # a log written before the lab's redo carried its SCN range is left out
                redo.append(log)
    reached = ckp_scn + 1  # every change below this SCN is in the files
    applied = []
    for log in sorted(redo, key=lambda r: r["sequence"]):
        if log["next_scn"] <= reached or log["sequence"] in applied:
            continue
        if (until_scn is not None and reached > until_scn) or log["first_scn"] > reached:
            break
        for change in log["changes"]:
            if len(change) != 4:  # a log written before the lab's redo carried versions: nothing to redo from it
                continue
            file_no, block_no, scn, version = change
            if scn < reached or (until_scn is not None and scn > until_scn):
                continue
            with open(root / DATAFILES[file_no - 1][0], "r+b") as fh:
                fh.seek(block_no * BLOCK)
                fh.write(make_block(file_no, block_no, scn, _rows(source, file_no, block_no, version)))
        applied.append(log["sequence"])
        reached = log["next_scn"]
    if until_scn is not None and reached <= until_scn:
        later = [r["sequence"] for r in redo if r["first_scn"] >= reached]
        raise RestoreError(sequence=(max(applied) + 1 if applied else min(later, default=1)), scn=reached)
    return {"scn": until_scn if until_scn is not None else reached - 1, "logs": applied}


def row_counts(root: Path, tables: list[str], as_of: int | None = None, db: str = "",
               changes: list | None = None) -> dict[str, int | None]:
    """Rows of each named table in the database at `root` (None: no such table); `as_of` an SCN, as a flashback
    query reads them: a block changed after it counts the rows of its last version at or before it (from the redo,
    `changes`), or of its first."""
    out: dict[str, int | None] = {}
    older: dict[tuple[int, int], tuple[int, int]] = {}
    for file_no, block_no, scn, version in (c for c in changes or [] if len(c) == 4):
        if as_of is not None and scn <= as_of and scn >= older.get((file_no, block_no), (0, 0))[0]:
            older[file_no, block_no] = (scn, version)
    for table in tables:
        file_no = table_file(table)
        if file_no is None:
            out[table] = None
            continue
        data = (root / DATAFILES[file_no - 1][0]).read_bytes()
        total = 0
        for i in range(0, len(data), BLOCK):
            block = data[i:i + BLOCK]
            if as_of is None or block_scn(block) <= as_of:
                total += block_rows(block)
            else:
                version = older.get((file_no, i // BLOCK), (0, 0))[1]
                total += _rows(db, file_no, i // BLOCK, version).count(b"\n")
        out[table] = total
    return out


def redo_changes(root: Path, state: dict) -> list:
    """Every change the database still has redo for: its archived logs on disk and the online log."""
    out = []
    for log in sorted((root / "arch").glob("1_*.arc")):
        try:
            out.extend(json.loads(log.read_bytes()[:-5]).get("changes", []))
        except (OSError, ValueError):
            continue
    return out + list(state.get("pending", []))


def hide_log(root: Path, name: str, now: dt.datetime, uid: int) -> str:
    """The archive_log_gap fault: a log switch archives one more log, which then goes missing before RMAN backs
    it up (an operator's `rm`, a full archive destination cleaned by hand). Returns where it was hidden."""
    db = Database(root, name, Path("/srv/oradata") / name)
    state = db.open(now)
    db._archive(state)
    db.save(state)
    log = root / "arch" / Path(state["archived"][-1]["name"]).name
    hidden = log.with_name(log.name + ".gap")
    log.rename(hidden)
    for path in [root, *root.rglob("*")]:
        os.chown(path, uid, uid)  # made by the lab as root; the database's owner must go on writing it
    return str(hidden)


def unhide_log(hidden: str) -> None:
    path = Path(hidden)
    if path.exists():
        path.rename(path.with_name(path.name.removesuffix(".gap")))
