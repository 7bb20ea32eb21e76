"""Starting, watching and stopping the lab's processes, each by its own PID.

lab.json records every process (name, pid, command, started). A second `lab.up`
while one runs is refused; stopping sends SIGTERM to the process, its group and
every descendant (sshd's session children live in sessions of their own), waits,
then SIGKILLs what is left.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess  # nosec B404  # starts the lab's own servers
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ..processes import alive
from .statedir import LabDir


class LabError(RuntimeError):
    pass


def running(lab: LabDir) -> dict:
    """The processes lab.json names that are still alive."""
    state = lab.read_json(lab.lab_file, {})
    return {k: v for k, v in state.get("processes", {}).items() if alive(int(v["pid"]))}


def spawn(lab: LabDir, name: str, argv: list[str]) -> subprocess.Popen:
    lab.ensure()
    log_path = lab.logs_dir / f"{name.replace(':', '_')}.log"
    with open(log_path, "ab") as log:
        return subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,  # nosec B603  # argv built by the lab, no shell
                                start_new_session=True)


def start_many(lab: LabDir, specs: list[tuple[str, list[str], Callable[[], bool]]], timeout: float = 120.0) -> dict:
    """Start every (name, argv, ready) at once, wait until each is ready, record them; stop all on failure."""
    procs = {name: (spawn(lab, name, argv), ready) for name, argv, ready in specs}
    pending = dict(procs)
    deadline = time.monotonic() + timeout
    failure = None
    while pending and failure is None:
        for name, (proc, ready) in list(pending.items()):
            if ready():
                del pending[name]
            elif proc.poll() is not None:
                log = (lab.logs_dir / f"{name.replace(':', '_')}.log").read_text(errors="replace")[-1500:]
                failure = f"lab process {name} exited with {proc.returncode} while starting:\n{log}"
        if time.monotonic() > deadline:
            failure = f"lab processes not ready within {timeout:.0f}s: {', '.join(sorted(pending)[:10])}"
        if pending and failure is None:
            time.sleep(0.05)
    if failure:
        for proc, _ready in procs.values():
            stop_pid(proc.pid)
        raise LabError(failure)
    entries = {name: {"pid": proc.pid, "argv": proc.args, "started": time.time()} for name, (proc, _r) in procs.items()}
    with lab.locked():
        state = lab.read_json(lab.lab_file, {})
        state.setdefault("processes", {}).update(entries)
        lab.write_json(lab.lab_file, state)
    return entries


def start(lab: LabDir, kind: str, module: str, ready_file: Path, timeout: float = 120.0) -> dict:
    """Start `python -m module --lab DIR` and wait until it writes its ready file."""
    ready_file.unlink(missing_ok=True)
    argv = [sys.executable, "-m", module, "--lab", str(lab.path)]
    return start_many(lab, [(kind, argv, ready_file.exists)], timeout)[kind]


def forget(lab: LabDir, name: str) -> None:
    with lab.locked():
        state = lab.read_json(lab.lab_file, {})
        state.get("processes", {}).pop(name, None)
        lab.write_json(lab.lab_file, state)


def descendants(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as fh:
                ppid = int(fh.read().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        children.setdefault(ppid, []).append(int(entry))
    out, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            out.append(child)
            todo.append(child)
    return out


def stop_pid(pid: int, grace: float = 5.0) -> None:
    """SIGTERM the process, its group and its descendants; SIGKILL whatever outlives the grace."""
    targets = [pid, *descendants(pid)]
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(pid, sig)
        for p in targets:
            with contextlib.suppress(ProcessLookupError):
                os.kill(p, sig)
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            if not any(alive(p) for p in targets):
                return
            time.sleep(0.05)


def stop_all(lab: LabDir) -> list[str]:
    state = lab.read_json(lab.lab_file, {})
    stopped = []
    for name, entry in state.get("processes", {}).items():
        stop_pid(int(entry["pid"]))
        stopped.append(name)
    for path in (lab.lab_file, lab.faults_file, *lab.path.glob("plan-*.json"), *lab.path.glob("*.ready")):
        Path(path).unlink(missing_ok=True)
    return stopped
