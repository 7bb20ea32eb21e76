"""The files a lab host's files backups archive, and the faults that strike them or their backup server.

Each directory a host's `backup_jobs` name (kind files) holds real bytes under the host's own /srv (bind-mounted
from its lab directory): a program tree that stays put, and documents that grow day by day as the lab clock
moves — names with spaces and Chinese, as a bureau's file server has them. A backup server's /srv/backup is a
small tmpfs of its own, so a full disk is a real ENOSPC from the real `cat`, not a rendered number; its content is
kept aside when the lab goes down and put back when it comes up, as a real disk keeps it.

Faults act on the bytes: `backup_corrupt` flips one byte in the middle of the newest archive or RMAN piece on a host
(clearing it flips the byte back), `data_dir_moved` moves a backed-up directory aside, `file_locked` makes one file
of a host's data unreadable (tar: Permission denied), `backup_disk_full` fills the backup server's disk but a few
KiB, `archive_log_gap` loses an archived log RMAN has not backed up yet (oradb.hide_log).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import random
import subprocess  # nosec B404  # mount/umount with fixed argv
from pathlib import Path

BACKUP_FS_MB = 256  # a tmpfs: memory only as it fills (a disk-full fault's ballast fills it for a moment)
DAYS_KEPT = 20  # document days present at any time: a file server's recent intake
LAB_UID = 2000
STATE = "datafaults.json"  # under the host's run/: which fault did what, so clearing undoes exactly that


def _rng(*parts) -> random.Random:
    return random.Random(int(hashlib.sha256("/".join(map(str, parts)).encode()).hexdigest()[:12], 16))  # nosec B311  # lab content


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        path.write_bytes(data)


def seed(srv: Path, host: dict, today: dt.date) -> list[str]:
    """Make the host's declared files-backup directories hold what they should today; returns their paths."""
    from ...backup.schedule import jobs_of

    made = []
    for job in jobs_of(host):
        if job.kind != "files":
            continue
        for i, path in enumerate(job.paths):
            if not Path(path).is_relative_to("/srv"):
                continue  # the lab serves /srv per host; other trees are the machine's own
            root = srv / Path(path).relative_to("/srv")
            if i == 0:  # the first directory a job names holds the program; the others, and a lone one, documents
                _program(root, host["name"])
            if i > 0 or len(job.paths) == 1:
                _documents(root, host["name"], today)
            made.append(path)
    return made


def _program(root: Path, name: str) -> None:
    rng = _rng(name, root.name, "program")
    for i in range(12):
        _write(root / "lib" / f"module{i:02d}.jar", rng.randbytes(rng.randint(2_000, 40_000)))
    _write(root / "conf" / "application.properties",
           f"server.port=8080\napp.name={name}\nupload.dir=/srv/attachments\n".encode())
    _write(root / "WEB-INF" / "web.xml", b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<web-app version=\"2.5\"/>\n")


def _documents(root: Path, name: str, today: dt.date) -> None:
    for back in range(DAYS_KEPT):
        day = today - dt.timedelta(days=back)
        rng = _rng(name, root.name, day.isoformat())
        folder = root / f"{day:%Y}" / f"{day:%m}" / f"{day:%d}"
        for i in range(rng.randint(1, 3)):
            text = f"会议纪要 {day:%Y%m%d}-{i}.txt" if i == 0 else f"scan_{day:%Y%m%d}_{i}.pdf"
            body = (f"{name} {day} 第 {i} 份\n".encode() * 40 if text.endswith(".txt")
                    else rng.randbytes(rng.randint(8_000, 60_000)))
            _write(folder / text, body)


KEPT = "srv-backup.kept"  # the backup disk's content while the lab is down: backups outlive a lab restart


def mount_backup_fs(d: Path) -> None:
    """The host's /srv/backup: a tmpfs of BACKUP_FS_MB, mounted here once, carried into its namespace, holding
    again what it held when the lab last went down."""
    import shutil

    target = d / "srv" / "backup"
    target.mkdir(parents=True, exist_ok=True)
    if not os.path.ismount(target):
        subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={BACKUP_FS_MB}m,mode=1777", "cityops-lab-backup",  # nosec B603 B607  # fixed argv
                        str(target)], check=True)
        if (d / KEPT).is_dir():
            shutil.copytree(d / KEPT, target, symlinks=True, dirs_exist_ok=True)
            shutil.rmtree(d / KEPT)
            for path in target.rglob("*"):  # the backups were the lab user's, and go on being written by it
                os.lchown(path, LAB_UID, LAB_UID)


def unmount_backup_fs(d: Path) -> None:
    """Keep the disk's backups (not a file half-written, not the ballast of a disk-full fault), then release it."""
    import shutil

    target = d / "srv" / "backup"
    if os.path.ismount(target):
        shutil.rmtree(d / KEPT, ignore_errors=True)
        shutil.copytree(target, d / KEPT, symlinks=True,
                        ignore=shutil.ignore_patterns(".*.part", "*.tmp", ".cityops-lab-ballast"))
        subprocess.run(["umount", "-l", str(target)], check=False)  # nosec B603 B607  # fixed argv


def _state(d: Path) -> dict:
    try:
        return json.loads((d / "run" / STATE).read_text())
    except (FileNotFoundError, ValueError):
        return {}


def _save(d: Path, state: dict) -> None:
    (d / "run").mkdir(parents=True, exist_ok=True)
    (d / "run" / STATE).write_text(json.dumps(state))


def _oradata(d: Path, host: dict) -> Path | None:
    """The host's lab database directory (a RAC's is shared by its nodes), if the host runs Oracle."""
    from .oracle import db_name, is_oracle

    if not is_oracle(host):
        return None
    base = d.parent / "_shared" / str(host["cluster"]) / "oradata" if host.get("cluster") else d / "srv" / "oradata"
    return base / db_name(host).upper()


def _newest_archive(d: Path, match: str = "") -> Path | None:
    """The newest backup on the host's backup disk whose name holds `match`: a files archive or an RMAN piece
    (not a manifest, not a file still being written, not the disk-full ballast)."""
    found = sorted((p for p in (d / "srv" / "backup").rglob("*") if p.is_file() and not p.name.startswith(".")
                    and not p.name.endswith((".sha256", ".part", ".tmp")) and match in p.name),
                   key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def _flip(path: Path, offset: int) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        byte = fh.read(1)
        fh.seek(offset)
        fh.write(bytes([byte[0] ^ 0x5A]))


def reset(d: Path) -> None:
    """A host prepared again starts healthy: whatever a past fault did to its bytes is undone (a locked file
    readable, a flipped byte flipped back, a hidden archived log back), its record gone."""
    state = _state(d)
    locked = Path(state.get("locked", "")) if state.get("locked") else None
    if locked is not None and locked.exists():
        locked.chmod(0o644)
    corrupt = state.get("corrupt")
    if corrupt and Path(corrupt["path"]).exists():
        _flip(Path(corrupt["path"]), corrupt["offset"])
    if state.get("gap"):
        from .oradb import unhide_log

        unhide_log(state["gap"])
    if state.get("moved"):
        here = Path(state["moved"])
        aside = here.with_name(here.name + ".cityops-lab-moved")
        if aside.is_dir() and not here.exists():
            aside.rename(here)
    (d / "run" / STATE).unlink(missing_ok=True)


def apply_faults(d: Path, host: dict, faults: dict) -> None:
    """Make the host's data and backup disk show exactly the active data faults (idempotent; clearing undoes)."""
    state = _state(d)
    want_corrupt = "backup_corrupt" in faults
    if want_corrupt and "corrupt" not in state:
        victim = _newest_archive(d, str(faults["backup_corrupt"].get("match") or ""))
        if victim is not None:
            offset = victim.stat().st_size // 2
            _flip(victim, offset)
            state["corrupt"] = {"path": str(victim), "offset": offset}
    elif not want_corrupt and "corrupt" in state:
        done = state.pop("corrupt")
        if Path(done["path"]).exists():
            _flip(Path(done["path"]), done["offset"])
    want_locked = "file_locked" in faults
    if want_locked and "locked" not in state:
        files = sorted(p for p in (d / "srv").rglob("*") if p.is_file() and "backup" not in p.parts)
        if files:
            files[len(files) // 2].chmod(0)
            state["locked"] = str(files[len(files) // 2])
    elif not want_locked and "locked" in state:
        path = Path(state.pop("locked"))
        if path.exists():
            path.chmod(0o644)
    want_moved = "data_dir_moved" in faults
    if want_moved and "moved" not in state:
        paths = [str(x) for j in host.get("backup_jobs") or [] if isinstance(j, dict) and j.get("kind") == "files"
                 for x in j.get("paths") or [] if str(x).startswith("/srv/")]
        here = d / paths[0].lstrip("/") if paths else None
        if here is not None and here.is_dir():
            here.rename(here.with_name(here.name + ".cityops-lab-moved"))
            state["moved"] = str(here)
    elif not want_moved and "moved" in state:
        here = Path(state.pop("moved"))
        aside = here.with_name(here.name + ".cityops-lab-moved")
        if aside.is_dir() and not here.exists():
            aside.rename(here)
    want_gap = "archive_log_gap" in faults
    if want_gap and "gap" not in state and _oradata(d, host) is not None:
        from ...timeutil import now
        from .oradb import hide_log

        db_root = _oradata(d, host)
        state["gap"] = hide_log(db_root, db_root.name, now(), LAB_UID)
    elif not want_gap and "gap" in state:
        from .oradb import unhide_log

        unhide_log(state.pop("gap"))
    ballast = d / "srv" / "backup" / ".cityops-lab-ballast"
    if "backup_disk_full" in faults and not ballast.exists() and os.path.ismount(ballast.parent):
        free = os.statvfs(ballast.parent)
        left = free.f_bavail * free.f_frsize - 48 * 1024
        if left > 0:
            subprocess.run(["fallocate", "-l", str(left), str(ballast)], check=True)  # nosec B603 B607  # fixed argv
    elif "backup_disk_full" not in faults:
        ballast.unlink(missing_ok=True)
    _save(d, state)
