"""Shared state of a lab cluster's own operations (rac.py, wsfc.py): one JSON file that every node of the cluster
mounts, read and changed under a file lock, written aside and renamed into place."""

from __future__ import annotations

import fcntl
import json
from collections.abc import Callable
from pathlib import Path


def locked_state(path: Path, defaults: Callable[[dict], None], change: Callable[[dict], None] | None = None) -> dict:
    """The state at `path` with `defaults` filled in; `change` applied and saved under the lock when given."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.stem + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            state = json.loads(path.read_text())
        except (OSError, ValueError):
            state = {}
        defaults(state)
        if change is not None:
            change(state)
            tmp = path.with_name(path.name + ".tmp")
            tmp.write_text(json.dumps(state, sort_keys=True))
            tmp.replace(path)
        return state
