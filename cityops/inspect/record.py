"""What a run leaves behind in reports/runs/<run-id>/: results.jsonl, junit.xml, manifest.json; and the trend store.

The manifest is written first, marked `running`, and rewritten at the end as
`complete` (or `incomplete` with the reason) with the sha256 of every file, so a
run interrupted half way is visibly incomplete and every line of results.jsonl
already written stays whole (one write per line, O_APPEND).

A live run holds an exclusive lock on `.lock` in its directory for its whole life;
the kernel drops it when the process dies, however it dies, so a reader that can
take the lock knows a `running` manifest belongs to a dead run (no PID guessing).
A run that ends is sealed: its manifest's sha256 is appended to the run register
(`reports/registers/runs.jsonl`, a hash chain), so a manifest rewritten together
with its results no longer matches the register.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
import subprocess  # nosec B404  # git only, fixed argv
import threading
import xml.etree.ElementTree as ET  # nosec B405  # writes JUnit XML, never parses input
from importlib import metadata
from pathlib import Path

from ..errors import BadInput, one_line
from ..files import write_atomic
from ..hashchain import HashChain
from ..processes import lock_held
from ..terms import STATUS_NAMES

REPO = Path(__file__).resolve().parents[2]
RUN_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,119}")
LOCK = ".lock"
REGISTER = Path("registers") / "runs.jsonl"  # under reports/, beside runs/ (never inside it: runs/ holds runs only)


def run_dir(runs_dir: Path, run_id: str) -> Path:
    """The directory of a run named on the command line or in a file: a plain name, never a path."""
    run_id = str(run_id)
    if not RUN_ID.fullmatch(run_id) or ".." in run_id:
        raise BadInput(f"run id '{one_line(run_id, 80)}': not a run name (letters, digits, '-', '_', '.'; no path)")
    return runs_dir / run_id


class RunLock:
    """The lock a live run holds on `<run>/.lock`; released by the kernel if the process dies."""

    def __init__(self, directory: Path):
        self.path = directory / LOCK
        self._fd: int | None = os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o644)
        try:
            fcntl.flock(self._fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(self._fd)
            self._fd = None
            raise BadInput(f"{directory}: another cityops process is writing this run now") from None

    def release(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> RunLock:
        return self

    def __exit__(self, *exc) -> None:
        self.release()


def is_live(directory: Path) -> bool:
    """True while some process holds the run's lock (a run whose lock can be taken is dead or finished)."""
    return lock_held(directory / LOCK)


def run_register(runs_dir: Path) -> HashChain:
    """The run register of a reports directory (given its runs/): a line per sealed run, hash-chained."""
    return HashChain(runs_dir.parent / REGISTER, "巡检登记簿")


def seal(directory: Path, manifest: dict, audit=None) -> None:
    """Write the final manifest (with every file's sha256 and, given the run's AuditLog, the audit chain's head once
    the run's lines are on disk) and register its hash in the run register."""
    if audit is not None:
        manifest["audit_head"] = audit.head()
    write_manifest(directory, manifest)
    run_register(directory.parent).append({
        "run_id": directory.name, "status": manifest.get("status"), "ended": manifest.get("ended"),
        "manifest_sha256": sha256_file(directory / "manifest.json")})


class ResultsFile:
    """results.jsonl, appended one whole line per result, from any worker thread; `written` keeps what this
    object wrote, so the end of a run need not read back a file of thousands of lines it has just written."""

    def __init__(self, path: Path):
        self.path = path
        self.written: list[dict] = []
        self._lock = threading.Lock()
        self._fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)

    def write(self, record: dict) -> None:
        line = (json.dumps(record, ensure_ascii=False, default=str) + "\n").encode()
        with self._lock:
            if self._fd is not None:  # a worker finishing after an interrupted run closed the file writes nothing
                os.write(self._fd, line)
                self.written.append(record)

    def close(self) -> None:
        with self._lock:
            if self._fd is not None:
                os.fsync(self._fd)
                os.close(self._fd)
                self._fd = None


def parse_result_line(line: bytes | str) -> dict | None:
    """One line of results.jsonl, or None for a torn or foreign line (a killed run's last write)."""
    try:
        r = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    return r if isinstance(r, dict) and "host" in r and "status" in r else None


def read_results(path: Path) -> list[dict]:
    """Every whole line of a results file (a torn last line of a killed run is skipped)."""
    with path.open("rb") as f:
        return [r for line in f if (r := parse_result_line(line)) is not None]


def junit(results: list[dict], run_id: str, path: Path) -> None:
    """JUnit XML: a testsuite per host, a testcase per check (CI dashboards and pytest tooling read it)."""
    root = ET.Element("testsuites", name=f"cityops inspect {run_id}")
    by_host: dict[str, list[dict]] = {}
    for r in results:
        by_host.setdefault(r["host"], []).append(r)
    for host, rows in sorted(by_host.items()):
        suite = ET.SubElement(root, "testsuite", name=host, tests=str(len(rows)),
                              failures=str(sum(r["status"] in ("fail", "warn") for r in rows)),
                              errors=str(sum(r["status"] == "error" for r in rows)),
                              skipped=str(sum(r["status"] in ("skip", "waived") for r in rows)))
        for r in rows:
            case = ET.SubElement(suite, "testcase", classname=host, name=f"{r['check_id']} {r['title']}",
                                 time=str(r.get("seconds", 0)))
            if r["status"] in ("fail", "warn"):
                ET.SubElement(case, "failure", type=r["status"], message=r["message"]).text = r.get("remedy", "")
            elif r["status"] == "error":
                ET.SubElement(case, "error", type=r.get("cause", ""), message=r["message"])
            elif r["status"] in ("skip", "waived"):
                ET.SubElement(case, "skipped", message=f"{STATUS_NAMES[r['status']]}：{r['message']}")
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def tool_identity() -> dict:
    try:
        version = metadata.version("cityops")
    except metadata.PackageNotFoundError:
        version = "unknown"
    commit, dirty = "", None
    try:
        commit = subprocess.run(["git", "-C", str(REPO), "rev-parse", "HEAD"], capture_output=True, text=True,  # nosec B603 B607  # fixed argv, git from PATH
                                timeout=5).stdout.strip()
        dirty = bool(subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],  # nosec B603 B607  # fixed argv, git from PATH
                                    capture_output=True, text=True, timeout=5).stdout.strip())
    except (OSError, subprocess.SubprocessError):
        pass
    return {"tool": "cityops", "version": version, "git_commit": commit, "git_dirty": dirty}


def write_manifest(run_dir: Path, manifest: dict) -> None:
    files = {p.name: sha256_file(p) for p in sorted(run_dir.iterdir())
             if p.is_file() and p.name != "manifest.json" and not p.name.startswith(".")}
    write_atomic(run_dir / "manifest.json",
                 (json.dumps({**manifest, "files": files}, ensure_ascii=False, indent=2) + "\n").encode())


class TrendStore:
    """The last good value of every trending item, by host and check (reports/state/values.json)."""

    def __init__(self, path: Path):
        self.path = path

    def load(self) -> dict:
        try:
            return json.loads(self.path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except json.JSONDecodeError:
            return {}  # a damaged store costs one baseline, never the run

    def update(self, values: dict) -> None:
        """Merge this run's values in (a host or check that errored keeps its previous values)."""
        import fcntl

        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path.with_suffix(".lock"), "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # two runs ending together merge, never overwrite each other
            data = self.load()
            for host, checks in values.items():
                data.setdefault(host, {}).update(checks)
            write_atomic(self.path, json.dumps(data, ensure_ascii=False, sort_keys=True).encode())
