"""One node's run of a rolling-patch playbook (playbooks/*.yml) by ansible-core, for the routes that hand a cluster's
patch to its playbook (playbook_rac, playbook_mssql).

ansible reaches the node with paramiko (a password needs no sshpass); the inventory's credential is passed in a
0600 variables file that is deleted afterwards, and the run has its own HOME whose known_hosts is the pinned one —
an unknown or changed host key stops the node. The playbook runs for this node alone (`--limit`) and without its
own inspection (the flow inspects between batches). Every task it ran on the node goes to the audit log under the
change (plugins/callback/cityops_events.py), and a failure is told by the task that failed and what it printed.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess  # nosec B404  # ansible-playbook, run with a fixed argv
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import one_line
from ..inventory.model import Host, Inventory
from ..transport.base import TransportConfig
from ..transport.credentials import CredentialError
from .route import HostPlan, HostResult, PatchRoute

REPO = Path(__file__).resolve().parents[2]
FULL_LEVELS = {"rman": "0", "sqlserver": "full"}  # the backup a database change takes first, per kind
RUN_LIMIT = 3600.0  # one node: drain or stop, patch, restart, wait for the cluster
LIMIT = 600


@dataclass
class PlaybookRun:
    ok: bool
    detail: str = ""  # what failed, in one line (empty when ok)
    tasks: list[str] = field(default_factory=list)  # the names of the tasks run on the node, in order


def run_playbook(inv: Inventory, playbook: Path, h: Host, config: TransportConfig, extra: dict) -> PlaybookRun:
    """Run `playbook` for node `h` alone with `extra` variables beside its credential; audited under the change."""
    try:
        cred = config.credentials.get(h.get("credential"))
    except CredentialError as exc:
        return PlaybookRun(False, str(exc))
    home = Path(tempfile.mkdtemp(prefix="cityops-ansible-"))
    try:
        (home / ".ssh").mkdir(mode=0o700)
        shutil.copyfile(config.known_hosts, home / ".ssh" / "known_hosts")
        extra_file = home / "vars.json"
        fd = os.open(extra_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump({**extra, "cityops_inspect": False, "ansible_user": cred.username,
                       "ansible_password": cred.password}, fh)
        argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(inv.root), str(playbook),
                "--limit", h.name, "-c", "paramiko", "-e", f"@{extra_file}"]
        events = home / "events.jsonl"
        env = {**os.environ, "HOME": str(home), "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
               "ANSIBLE_HOST_KEY_CHECKING": "True", "ANSIBLE_CALLBACK_PLUGINS": str(REPO / "plugins" / "callback"),
               "ANSIBLE_CALLBACKS_ENABLED": "cityops_events", "CITYOPS_ANSIBLE_EVENTS": str(events),
               "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCAL_TEMP": str(home / "tmp"), "ANSIBLE_HOME": str(home / "ansible"),
               "ANSIBLE_REMOTE_TMP": str(home / "remote-tmp"),  # a task delegated to this machine stays in the run's HOME
               "ANSIBLE_RETRY_FILES_ENABLED": "False"}
        t0 = time.monotonic()
        try:
            run = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=RUN_LIMIT)  # nosec B603  # fixed argv
        except subprocess.TimeoutExpired:
            return PlaybookRun(False, f"ansible-playbook 超过 {RUN_LIMIT:.0f} 秒未结束，已中止")
        tasks = _tasks(events, h.name)
    finally:
        shutil.rmtree(home, ignore_errors=True)  # the credential's file with it
    for name, result in tasks:
        config.audit.record(h.name, h.address, cred.username, "ssh/ansible", f"{playbook.name}: {name}",
                            result.get("rc") if result.get("rc") is not None else result.get("status"), 0.0)
    config.audit.record(h.name, h.address, cred.username, "ssh/ansible",
                        f"ansible-playbook {playbook.name} --limit {h.name}", run.returncode, time.monotonic() - t0)
    names = [n for n, _r in tasks]
    failed = [(name, r) for name, r in tasks if r.get("status") in ("failed", "unreachable")]
    if run.returncode != 0 or failed:
        name, result = failed[0] if failed else ("ansible-playbook", {"msg": run.stderr[-LIMIT:]})
        said = " ".join(str(result.get(k) or "") for k in ("stdout", "stderr", "msg")).strip()
        return PlaybookRun(False, f"任务“{name}”失败：{one_line(said, 300) or run.returncode}", names)
    return PlaybookRun(True, "", names)


def _tasks(events: Path, host: str) -> list[tuple[str, dict]]:
    """(task name, result) of each task the playbook ran on the host, from plugins/callback/cityops_events.py."""
    out = []
    try:
        lines = events.read_text(encoding="utf-8").splitlines()
    except OSError:
        return out
    for line in lines:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if event.get("host") == host:
            out.append((str(event.get("task", "")), event))
    return out


class PlaybookRoute(PatchRoute):
    """A cluster's rolling patch by its playbook: each node planned on its own, applied one after another, the first
    that fails stopping the batch (the flow then stops the change).

    A database change takes a database backup first (标项6-3): before the first node of a cluster is touched, the
    cluster's declared full backup (RMAN level 0, SQL Server full) runs through the backup collector — verified,
    on the backup ledger — and a node whose cluster has none declared, or whose backup fails, is not patched."""


    def __init__(self, inv: Inventory, reports: Path = Path("reports"), operator: str = ""):
        self.inv, self.reports, self.operator = inv, Path(reports), operator
        self.backed_up: dict[str, dict] = {}  # backup job owner -> what its run before the change left
        self.took: dict[str, dict] = {}  # node -> the backup taken just before it changed

    def full_backup(self, h: Host):
        """The full database backup the node's cluster (or the node) declares, or None."""
        from ..backup.schedule import jobs

        full = [j for j in jobs(self.inv)[0] if h.name in j.hosts and FULL_LEVELS.get(j.kind) == j.level]
        return full[0] if full else None

    def plan(self, hosts: list[Host], config: TransportConfig) -> list[HostPlan]:
        plans = [self.plan_node(h, config) for h in hosts]
        for h, p in zip(hosts, plans, strict=True):
            job = self.full_backup(h)
            if p.items and not p.error and job is None:
                p.error = "未登记全量数据库备份（backup_jobs 中 rman 0 级或 sqlserver full），数据库变更前须先备份（标项6-3）"
            elif job is not None:
                p.facts["db_backup_job"] = f"{job.owner}/{job.name}"
        return plans

    def plan_node(self, h: Host, config: TransportConfig) -> HostPlan:
        raise NotImplementedError

    def apply(self, batch: list[Host], config: TransportConfig, plans: dict[str, HostPlan]) -> list[HostResult]:
        results = []
        for h in batch:
            refused = self.backup_first(h, config, plans[h.name])
            results.append(refused or self.apply_node(h, config, plans[h.name]))
            if h.name in self.took:
                results[-1].facts["db_backup"] = self.took[h.name]
            if not results[-1].ok:
                results += [HostResult(n.name, False, "同批次前一节点失败，未执行") for n in batch[len(results):]]
                break
        return results

    def backup_first(self, h: Host, config: TransportConfig, plan: HostPlan) -> HostResult | None:
        """Take the cluster's full database backup once, before its first node changes; a failure refuses the node."""
        from ..backup.ledger import LedgerError
        from ..backup.runner import run_one

        job = self.full_backup(h)
        if not plan.items or job is None or job.owner in self.backed_up:
            return None
        try:
            run = run_one(self.inv, job, config, self.reports, operator=self.operator or config.audit.operator)
        except LedgerError as exc:
            run = None
            error = str(exc)
        taken = {"job": f"{job.owner}/{job.name}", "run": run.id if run else "", "status": run.status if run else "failed",
                 "sha256": run.sha256 if run else "", "location": run.location if run else ""}
        if run is None or run.status != "verified":
            why = error if run is None else run.error
            return HostResult(h.name, False, f"变更前数据库备份 {taken['job']} 未通过校验，未做任何变更："
                              f"{one_line(why, 200)}", facts={"db_backup": taken})
        self.backed_up[job.owner] = self.took[h.name] = taken
        return None

    def apply_node(self, h: Host, config: TransportConfig, plan: HostPlan) -> HostResult:
        raise NotImplementedError

