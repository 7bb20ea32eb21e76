"""The audit log: every command or query sent to a device, one JSON line each, secrets redacted.

Who (the OS user and the inspector), when (+08:00), which host and address, what
was sent, by which run, how it ended (exit status or cause) and how long it took.
Lines are appended under a lock with O_APPEND, so concurrent workers and
concurrent runs never interleave a line.
"""

from __future__ import annotations

import getpass
import json
import os
import threading
from pathlib import Path

from ..timeutil import now
from . import redact


class AuditLog:
    def __init__(self, path: Path, run_id: str = "", operator: str = ""):
        self.path, self.run_id = path, run_id
        self.operator = operator or os.environ.get("CITYOPS_INSPECTOR", "") or getpass.getuser()
        self.user = getpass.getuser()
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def record(self, host: str, address: str, username: str, protocol: str, command: str,
               status: int | str | None, seconds: float, **extra) -> None:
        entry = {"time": now().isoformat(timespec="milliseconds"), "run_id": self.run_id, "operator": self.operator,
                 "os_user": self.user, "host": host, "address": address, "username": username, "protocol": protocol,
                 "command": redact.text(command), "status": status, "seconds": round(seconds, 3)}
        entry.update(redact.clean(extra))
        line = (json.dumps(entry, ensure_ascii=False) + "\n").encode()
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
