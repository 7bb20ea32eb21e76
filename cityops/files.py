"""Writing files whole or not at all: a crash never leaves a half-written archive, state file or key."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def write_all_atomic(files: dict[Path, bytes], mode: int = 0o644) -> None:
    """Several files changed together (an import touching a lot file and a CSV): every new version is written
    and fsynced beside its target first, then all are renamed in one quick pass, so a crash while writing leaves
    every file as it was, and only a crash within the renames themselves can leave some changed."""
    staged: list[tuple[str, Path]] = []
    try:
        for path, data in files.items():
            path = Path(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
            staged.append((tmp, path))
            os.fchmod(fd, mode)
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
        for tmp, path in staged:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _path in staged:
            Path(tmp).unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes, mode: int = 0o644) -> None:
    """Write `data` to `path` via a temporary file in the same directory, fsync, then rename over."""
    write_all_atomic({Path(path): data}, mode)
