"""Whether a process still runs: the test every reader of a lock, a marker or a run applies to its writer."""

from __future__ import annotations

import os


def alive(pid: int) -> bool:
    """True while the process exists and is not a zombie (a zombie has ended; only its exit status is left)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie counts as dead
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def lock_held(path) -> bool:
    """True while some process holds an flock on the file (the kernel drops it when its holder dies, however it
    dies: no PID guessing); False for a lock file that is absent or free."""
    import fcntl

    try:
        fd = os.open(path, os.O_RDONLY)
    except FileNotFoundError:
        return False
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
