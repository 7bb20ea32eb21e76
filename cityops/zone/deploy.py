"""A zone runner set up by one idempotent pyinfra deploy: nothing on the host but SSH, a shell and its OS's Python.

The zones reach no package index, so the deploy carries everything: an offline wheelhouse of cityops and its
dependencies (`wheelhouse`), the release (the checkout as `git archive` makes it), the zone's inventory, its
signing key and credentials (an ansible-vault file and its key file, the pinned known_hosts), and the runner's
crontab — all into the login's own tree, `~/cityops-runner/`:

    wheelhouse/   releases/<commit>/ and current ->   venv/   inventory/   secrets/ (0700)   runner.env
    crontab       reports/

It runs in two stages: files first (pyinfra compares each file's hash and sends only what differs), then what
depends on them — the virtualenv, installed offline when the lock of wheels changed; the release unpacked when it
is new; `current` pointed at it; the crontab written (and loaded with crontab(1) when asked; the lab's runner keeps
it in its tree). A second deploy of the same release changes nothing, and says so.
"""

from __future__ import annotations

import hashlib
import io
import re
import subprocess  # nosec B404  # pip and git on this machine, fixed argv
import sys
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import BadInput
from ..inventory.model import Host, Inventory
from ..transport.base import TransportConfig

REPO = Path(__file__).resolve().parents[2]
BASE = "cityops-runner"


@dataclass
class Deployed:
    host: str
    changed: list[str] = field(default_factory=list)  # what this deploy changed, in order
    error: str = ""
    base: str = ""  # the runner's tree on the host


def wheelhouse(dest: Path) -> Path:
    """cityops and every dependency as wheels (pip wheel), rebuilt only when pyproject.toml changes."""
    dest = Path(dest)
    stamp = hashlib.sha256((REPO / "pyproject.toml").read_bytes()).hexdigest()
    marker = dest / ".pyproject-sha256"
    if marker.is_file() and marker.read_text() == stamp and any(dest.glob("cityops-*.whl")):
        return dest
    dest.mkdir(parents=True, exist_ok=True)
    for old in dest.glob("*.whl"):
        old.unlink()
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", "--quiet", "--disable-pip-version-check",  # nosec B603  # fixed argv
                          "--wheel-dir", str(dest), str(REPO)], capture_output=True, text=True, check=False)
    if out.returncode:
        raise BadInput(f"wheelhouse: pip wheel failed: {out.stderr.strip()[-500:]}")
    marker.write_text(stamp)
    return dest


def release(dest: Path) -> tuple[str, Path]:
    """The checkout as a release tarball (git archive of HEAD, or of the working tree when it has changes:
    `git stash create`), named by its tree: the same files are the same release, made once."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True,  # nosec B603 B607  # git from PATH, fixed argv
                              timeout=60).stdout.strip()

    commit = git("stash", "create") or git("rev-parse", "HEAD")
    tree = git("rev-parse", f"{commit}^{{tree}}")
    path = Path(dest) / f"{tree[:12]}.tar"
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        data = subprocess.run(["git", "-C", str(REPO), "archive", "--format=tar", commit], capture_output=True,  # nosec B603 B607  # fixed argv
                              check=True, timeout=120).stdout
        tmp = path.with_suffix(".partial")
        tmp.write_bytes(data)
        tmp.rename(path)
    return tree[:12], path


def _minutes(text: str) -> int | None:
    """`date +%z` (+0800, -0330) as minutes east of UTC; None for anything else."""
    m = re.fullmatch(r"([+-])(\d{2})(\d{2})", text.strip())
    return None if m is None else (1 if m[1] == "+" else -1) * (int(m[2]) * 60 + int(m[3]))


def _lock(wheels: Path) -> str:
    """The wheels the runner's virtualenv holds, one `name==version` per line (pip's own reading of the names)."""
    lines = []
    for w in sorted(wheels.glob("*.whl")):
        name, version = w.name.split("-")[:2]
        lines.append(f"{name.replace('_', '-').lower()}=={version}")
    return "\n".join(lines) + "\n"


def _audited(config: TransportConfig, runner: Host):
    """A pyinfra callback: every operation on the runner goes to the audit log — its name and arguments (paths,
    never a file's content), how it ended, how long it took."""
    import time

    from pyinfra.api import BaseStateCallback

    started: dict[str, float] = {}

    class Audited(BaseStateCallback):
        @classmethod
        def _record(cls, state, op_hash, status) -> None:
            meta = state.get_op_meta(op_hash)
            seconds = time.monotonic() - started.pop(op_hash, time.monotonic())
            what = f"deploy: {', '.join(sorted(meta.names)) or op_hash} {' '.join(map(str, meta.args))}".strip()
            config.audit.record(runner.name, runner.address, "", "ssh/pyinfra", what, status, seconds)

        @classmethod
        def operation_host_start(cls, state, host, op_hash) -> None:
            started[op_hash] = time.monotonic()

        @classmethod
        def operation_host_success(cls, state, host, op_hash, retry_count=0) -> None:
            cls._record(state, op_hash, 0)

        @classmethod
        def operation_host_error(cls, state, host, op_hash, retry_count=0, max_retries=0) -> None:
            cls._record(state, op_hash, "failed")

    return Audited()


def deploy(inv: Inventory, runner: Host, zone: str, config: TransportConfig, *, wheels: Path, release_tar: Path,
           commit: str, secrets: dict[str, bytes], load_crontab: bool = False) -> Deployed:
    """Deploy (or bring up to date) the zone runner on `runner`."""
    from pyinfra.api.operation import add_op
    from pyinfra.api.operations import run_ops
    from pyinfra.facts.files import Directory, Sha1File
    from pyinfra.facts.server import Home
    from pyinfra.operations import files, server

    from ..change.pyinfra_hosts import connect_all, disconnect_all, pyinfra_state, run_command
    from ..schedule import crontab
    from ..schedule.plan import entries, load_config, select

    out = Deployed(runner.name)
    state, refused = pyinfra_state([runner], config)
    if refused:
        out.error = refused[runner.name]
        return out
    failed = connect_all(state)
    if failed:
        out.error = failed[runner.name]
        return out
    host = next(iter(state.inventory))
    state.add_callback_handler(_audited(config, runner))
    try:
        base = f"{host.get_fact(Home)}/{BASE}"
        out.base = base
        ok, zone_offset, _err = run_command(state, host, "date +%z", config)  # the runner's clock, as cron sees it
        offset = _minutes(zone_offset)
        if not ok or offset is None:
            raise RuntimeError(f"date +%z answered {zone_offset.strip()!r}: the runner's clock is unknown")
        env = (f"export PYTHONPATH={base}/current\nexport CITYOPS_VAULT={base}/secrets/vault.yml\n"
               f"export CITYOPS_VAULT_PASSWORD_FILE={base}/secrets/vault.pass\n"
               f"export CITYOPS_KNOWN_HOSTS={base}/secrets/known_hosts\nexport CITYOPS_ZONE={zone}\n")
        plan = select(entries(inv, load_config(REPO / "schedule.yml")), [zone], centre=False)
        cron = crontab.block(plan, repo=Path(f"{base}/current"), reports=Path(f"{base}/reports"),
                             inventory=Path(f"{base}/inventory"), join="none", offset_minutes=offset,
                             stamp=f"release {commit}", invoke=[f"{base}/venv/bin/python", "-m", "invoke"],
                             env_file=Path(f"{base}/runner.env"))
        lock = _lock(wheels)
        # what is already there decides the steps that follow the files (read before anything is sent)
        fresh_venv = not host.get_fact(Directory, path=f"{base}/venv")
        new_lock = host.get_fact(Sha1File, path=f"{base}/requirements.lock") != hashlib.sha1(  # nosec B324  # pyinfra's own file hash, not security
            lock.encode()).hexdigest()
        new_release = not host.get_fact(Directory, path=f"{base}/releases/{commit}")
        steps: list[tuple[str, dict]] = []  # (what, op results by host), in the order they run

        def op(what: str, func, **kwargs) -> None:
            steps.append((what, add_op(state, func, **kwargs)))

        for d in ("", "/wheelhouse", "/releases", "/reports", "/reports/schedule", "/inventory"):  # cron.log: schedule/
            op(f"目录 {BASE}{d}", files.directory, path=f"{base}{d}")
        op("目录 secrets（0700）", files.directory, path=f"{base}/secrets", mode="700")
        op("离线安装包（wheelhouse）", files.sync, src=str(wheels), dest=f"{base}/wheelhouse", exclude=".*")
        op(f"发布包 {commit}", files.put, src=str(release_tar), dest=f"{base}/releases/{commit}.tar")
        op("区域资产清单", files.sync, src=str(inv.root), dest=f"{base}/inventory", delete=True)
        for name, data in sorted(secrets.items()):
            op(f"secrets/{name}", files.put, src=io.BytesIO(data), dest=f"{base}/secrets/{name}", mode="600")
        op("runner.env", files.put, src=io.StringIO(env), dest=f"{base}/runner.env", mode="600")
        op("依赖清单（requirements.lock）", files.put, src=io.StringIO(lock), dest=f"{base}/requirements.lock")
        if fresh_venv or new_lock:
            op("虚拟环境（离线安装）", server.shell, commands=[
                f"test -x {base}/venv/bin/python || python3.11 -m venv {base}/venv",
                f"{base}/venv/bin/python -m pip install --quiet --disable-pip-version-check --no-index "
                f"--find-links {base}/wheelhouse -r {base}/requirements.lock"])
        if new_release:
            op(f"解包发布 {commit}", server.shell, commands=[
                f"rm -rf {base}/releases/{commit}.partial && mkdir -p {base}/releases/{commit}.partial && tar -xf "
                f"{base}/releases/{commit}.tar -C {base}/releases/{commit}.partial && "
                f"mv {base}/releases/{commit}.partial {base}/releases/{commit}"])
        op(f"current → {commit}", files.link, path=f"{base}/current", target=f"{base}/releases/{commit}")
        op("crontab（区域计划任务）", files.put, src=io.BytesIO(cron), dest=f"{base}/crontab")
        if load_crontab:  # a real runner: cron reads its user's crontab (only when the file changed)
            op("crontab 载入", server.shell, commands=[
                f"crontab -l 2>/dev/null | cmp -s - {base}/crontab || crontab {base}/crontab"])
        run_ops(state)
        failed_steps = [what for what, meta in steps if not meta[host].did_succeed()]
        if failed_steps:
            raise RuntimeError(f"failed: {'、'.join(failed_steps)}")
        out.changed = [what for what, meta in steps if meta[host].did_change()]
        if "crontab（区域计划任务）" not in out.changed and "crontab 载入" in out.changed:
            out.changed.remove("crontab 载入")  # a shell step always says it ran; cmp kept it from loading
    except Exception as exc:  # an operation that failed on the host: that host's error, named
        out.error = f"{type(exc).__name__}: {exc}"
    finally:
        disconnect_all(state)
    return out
