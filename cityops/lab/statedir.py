"""The lab's state directory: what runs, which faults are active, credentials, host keys.

Default `.cityops/lab/` under the current directory (untracked), or CITYOPS_LAB_DIR,
or an explicit path (tests use their own). Every file is replaced atomically;
the fault file is shared by the CLI and the servers under a file lock.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
from pathlib import Path

from ..files import write_atomic

ENV_VAR = "CITYOPS_LAB_DIR"


def default_dir() -> Path:
    env = os.environ.get(ENV_VAR)
    return Path(env) if env else Path.cwd() / ".cityops" / "lab"


class LabDir:
    def __init__(self, path: Path | str | None = None):
        self.path = Path(path) if path else default_dir()

    # well-known files
    @property
    def lab_file(self) -> Path:
        return self.path / "lab.json"

    @property
    def faults_file(self) -> Path:
        return self.path / "faults.json"

    @property
    def credentials_file(self) -> Path:
        return self.path / "credentials.yml"

    @property
    def known_hosts(self) -> Path:
        return self.path / "known_hosts"

    @property
    def keys_dir(self) -> Path:
        return self.path / "keys"

    @property
    def logs_dir(self) -> Path:
        return self.path / "logs"

    def plan_file(self, server: str) -> Path:
        return self.path / f"plan-{server}.json"

    def ensure(self) -> None:
        self.path.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.keys_dir.mkdir(exist_ok=True, mode=0o700)
        self.logs_dir.mkdir(exist_ok=True)

    # json helpers
    def read_json(self, path: Path, default):
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return default

    def write_json(self, path: Path, data, mode: int = 0o644) -> None:
        write_atomic(path, json.dumps(data, ensure_ascii=False, indent=1).encode("utf-8"), mode)

    @contextlib.contextmanager
    def locked(self):
        """An exclusive lock for read-modify-write of the lab's shared files."""
        self.ensure()
        with open(self.path / ".lock", "w") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
