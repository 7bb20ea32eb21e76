"""Starting, watching and stopping the lab's server processes, each by its own PID.

lab.json records every process (kind, pid, command, started, addresses served).
A second `lab.up` while one runs is refused; `lab.down` sends SIGTERM to each
process group, waits, then SIGKILL, and removes what the lab wrote at run time.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from .statedir import LabDir


class LabError(RuntimeError):
    pass


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie of ours counts as dead
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split()[2] != "Z"
    except OSError:
        return False


def running(lab: LabDir) -> dict:
    """The processes lab.json names that are still alive."""
    state = lab.read_json(lab.lab_file, {})
    return {k: v for k, v in state.get("processes", {}).items() if alive(int(v["pid"]))}


def start(lab: LabDir, kind: str, module: str, ready_file: Path, timeout: float = 120.0) -> dict:
    """Start `python -m module --lab DIR`, wait until it writes its ready file, record it."""
    lab.ensure()
    ready_file.unlink(missing_ok=True)
    log_path = lab.logs_dir / f"{kind}.log"
    with open(log_path, "ab") as log:
        proc = subprocess.Popen([sys.executable, "-m", module, "--lab", str(lab.path)], stdout=log,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if ready_file.exists():
            break
        if proc.poll() is not None:
            tail = log_path.read_text(errors="replace")[-2000:]
            raise LabError(f"lab server {kind} exited with {proc.returncode} while starting:\n{tail}")
        time.sleep(0.05)
    else:
        stop_pid(proc.pid)
        raise LabError(f"lab server {kind} did not become ready within {timeout:.0f}s (log: {log_path})")
    entry = {"pid": proc.pid, "module": module, "started": time.time(), "log": str(log_path)}
    with lab.locked():
        state = lab.read_json(lab.lab_file, {})
        state.setdefault("processes", {})[kind] = entry
        lab.write_json(lab.lab_file, state)
    return entry


def stop_pid(pid: int, grace: float = 5.0) -> None:
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(pid, sig)
        except ProcessLookupError:
            return
        except PermissionError:
            os.kill(pid, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            try:
                done, _ = os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                done = 0 if alive(pid) else pid
            if done or not alive(pid):
                return
            time.sleep(0.05)


def stop_all(lab: LabDir) -> list[str]:
    state = lab.read_json(lab.lab_file, {})
    stopped = []
    for kind, entry in state.get("processes", {}).items():
        stop_pid(int(entry["pid"]))
        stopped.append(kind)
    for path in (lab.lab_file, lab.faults_file, *lab.path.glob("plan-*.json"), *lab.path.glob("*.ready")):
        Path(path).unlink(missing_ok=True)
    return stopped
