"""The configuration store: a git repository of its own, one masked file per device, one commit per run.

Laid out as `<bureau>/<site>/<host>.cfg` (and `<host>.startup.cfg` where the platform keeps a startup
configuration apart), so a bureau's engineer finds a device by where it stands. Only masked, noise-free text
is ever written here (the full copies live encrypted in the vault, outside this tree).

Safe against kill -9 at any moment: one writer at a time holds `.git/cityops.lock` (the kernel drops it
when the process dies); every file is written aside and renamed into place; git itself moves a branch
only by renaming its ref into place after the commit's objects are written. A writer that finds a dead
run's leftovers (git's own `index.lock`, files changed but never committed) puts the tree back to the
last commit before it starts, so the store always shows the last good copy of every device.
"""

from __future__ import annotations

import fcntl
import os
import re
import subprocess  # nosec B404  # git only, fixed argv
from dataclasses import dataclass
from pathlib import Path

from ..errors import BadInput
from ..files import write_atomic

SAFE_PART = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,99}")
GIT_ENV = {"GIT_AUTHOR_NAME": "cityops", "GIT_AUTHOR_EMAIL": "cityops@localhost",
           "GIT_COMMITTER_NAME": "cityops", "GIT_COMMITTER_EMAIL": "cityops@localhost",
           "GIT_CONFIG_NOSYSTEM": "1", "GIT_TERMINAL_PROMPT": "0"}


class StoreError(RuntimeError):
    """git refused or failed: the store is left as git left it (its last commit intact)."""


@dataclass(frozen=True)
class Commit:
    id: str
    time: str  # ISO 8601 with offset
    subject: str


def part(value: str, what: str) -> str:
    """One path component from the inventory (bureau, site, host): a plain name, never a path."""
    value = str(value or "").strip()
    if not SAFE_PART.fullmatch(value) or ".." in value:
        raise BadInput(f"{what} '{value[:60]}' cannot name a folder of the configuration store")
    return value


class ConfigStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self._lock_fd: int | None = None

    # -- git ---------------------------------------------------------------------
    def _run(self, *args: str, input_text: str | None = None) -> subprocess.CompletedProcess:
        env = {**os.environ, **GIT_ENV, "HOME": str(self.root)}  # no user's ~/.gitconfig reaches the store
        return subprocess.run(["git", "-C", str(self.root), *args], capture_output=True, text=True, env=env,  # nosec B603 B607  # fixed argv, git from PATH
                              input=input_text, timeout=300)

    def git(self, *args: str, input_text: str | None = None) -> str:
        """git's output; StoreError naming the command when git fails."""
        proc = self._run(*args, input_text=input_text)
        if proc.returncode != 0:
            raise StoreError(f"git {args[0]} in {self.root}: {proc.stderr.strip()[:300]}")
        return proc.stdout

    @property
    def exists(self) -> bool:
        return (self.root / ".git").is_dir()

    def init(self) -> None:
        if self.exists:
            return
        self.root.mkdir(parents=True, exist_ok=True)
        self.git("init", "-q", "-b", "main")
        self.git("config", "core.autocrlf", "false")
        self.git("config", "gc.auto", "0")  # a run never stops to repack; `git gc` is an operator's choice
        write_atomic(self.root / ".gitattributes", b"*.cfg text eol=lf diff\n")
        self.git("add", ".gitattributes")
        self.git("commit", "-q", "-m", "cityops configuration store")

    # -- one writer at a time, and recovery from a dead one ------------------------
    def lock(self) -> None:
        self.init()
        fd = os.open(self.root / ".git" / "cityops.lock", os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise BadInput(f"{self.root}: another backup run is writing the configuration store now") from None
        self._lock_fd = fd

    def unlock(self) -> None:
        if self._lock_fd is not None:
            os.close(self._lock_fd)
            self._lock_fd = None

    def recover(self) -> list[str]:
        """Put the tree back to the last commit after a writer that died; returns what was found (for the log)."""
        assert self._lock_fd is not None, "recover() only under the store lock"  # nosec B101  # internal contract
        found = []
        stale = self.root / ".git" / "index.lock"
        if stale.exists():  # we hold the store lock: no live cityops writer owns it
            stale.unlink()
            found.append("git index.lock of a dead run removed")
        dirty = self.git("status", "--porcelain", "--untracked-files=all")
        if dirty.strip():
            found.append(f"{len(dirty.splitlines())} uncommitted file(s) of a dead run put back to the last commit")
            self.git("reset", "-q", "--hard", "HEAD")
            self.git("clean", "-q", "-f", "-d")
        return found

    # -- files -------------------------------------------------------------------
    def read(self, rel: str) -> str | None:
        try:
            return (self.root / rel).read_text(encoding="utf-8")
        except FileNotFoundError:
            return None

    def write(self, rel: str, text: str) -> None:
        write_atomic(self.root / rel, text.encode("utf-8"))

    def remove(self, rel: str) -> None:
        (self.root / rel).unlink(missing_ok=True)
        parent = (self.root / rel).parent
        while parent != self.root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent

    def files(self) -> list[str]:
        return [f for f in self.git("ls-files", "-z").split("\0") if f.endswith(".cfg")]

    def commit(self, subject: str, body: str = "") -> str | None:
        """Commit everything changed; None when nothing changed (no empty commits)."""
        self.git("add", "-A")
        if not self.git("status", "--porcelain").strip():
            return None
        self.git("commit", "-q", "-F", "-", input_text=subject + ("\n\n" + body if body else "") + "\n")
        return self.git("rev-parse", "HEAD").strip()

    # -- history -----------------------------------------------------------------
    def log(self, rel: str | None = None, limit: int = 0) -> list[Commit]:
        args = ["log", "--format=%H%x1f%cI%x1f%s"] + ([f"-n{limit}"] if limit else []) + (["--", rel] if rel else [])
        out = []
        for line in self.git(*args).splitlines():
            cid, when, subject = line.split("\x1f", 2)
            out.append(Commit(cid, when, subject))
        return out

    def at(self, rel: str, before: str | None) -> Commit | None:
        """The last commit that touched `rel` at or before an ISO time (the newest when None)."""
        args = ["log", "-n1", "--format=%H%x1f%cI%x1f%s"] + ([f"--before={before}"] if before else []) + ["--", rel]
        line = self.git(*args).strip()
        if not line:
            return None
        cid, when, subject = line.split("\x1f", 2)
        return Commit(cid, when, subject)

    def show(self, commit: str, rel: str) -> str | None:
        out = self._run("show", f"{commit}:{rel}")
        return out.stdout if out.returncode == 0 else None

    def diff(self, old: str, new: str, rel: str) -> str:
        return self.git("diff", "--no-color", "-U3", old, new, "--", rel)

    def fsck(self) -> tuple[bool, str]:
        proc = self._run("fsck", "--full", "--no-dangling")
        return proc.returncode == 0, (proc.stdout + proc.stderr).strip()
