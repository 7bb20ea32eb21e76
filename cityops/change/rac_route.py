"""The rolling patch of an Oracle RAC (playbook_rac): playbooks/oracle_rac_rolling_patch.yml, run by ansible-core.

The RAC nodes carry Python 2.6 or 2.7, so the playbook's tasks are `raw` (a shell is all they need); ansible
reaches them with paramiko (a password needs no sshpass), the inventory's credential passed in a 0600 variables
file that is deleted afterwards, and the run's own HOME whose known_hosts is the pinned one — an unknown or
changed host key stops the node. The plan asks each node whether its home already has the cluster's `rac_patch`
(`opatch lspatches`, its `<id>;` line looked for on the node) and whether the patch is staged there. Applying runs
the playbook for one node at a time (`--limit`), without its own inspection (the flow inspects between batches):
stop the instance, `opatch apply -local`, start it, wait until every instance runs, check the patch is in the
home. A node that fails is reported with the task that failed and what it printed; the flow stops there and the
nodes after it are untouched. Every task the playbook ran on a node goes to the audit log under the change.
"""

from __future__ import annotations

import json
import os
import shlex
import shutil
import subprocess  # nosec B404  # ansible-playbook, run with a fixed argv
import sys
import tempfile
import time
from pathlib import Path

from ..errors import one_line
from ..inventory.model import Host, Inventory
from ..transport.base import TransportConfig
from ..transport.credentials import CredentialError
from ..transport.errors import ConnectFailure
from .route import HostPlan, HostResult, Route

ROUTE = "playbook_rac"
REPO = Path(__file__).resolve().parents[2]
PLAYBOOK = REPO / "playbooks" / "oracle_rac_rolling_patch.yml"
NEEDS = ("rac_patch", "rac_database", "rac_instance", "oracle_home")
RUN_LIMIT = 3600.0  # one node: stop, patch, start, wait for the cluster
LIMIT = 600


class RacRoute(Route):
    """`invoke patch` on the nodes whose inventory route is playbook_rac."""

    kind = "patch"
    items_word, items_unit = "待应用数据库补丁", "个"
    rollback_note = ("未回退：已打补丁的节点可在实例停止后以 opatch rollback -id <补丁号> -local 回退；已停止后续节点，"
                     "未触及的节点保持原补丁")

    def __init__(self, inv: Inventory, title: str = "Oracle RAC 数据库补丁（逐节点滚动）"):
        self.inv, self.title = inv, title

    # -- plan -------------------------------------------------------------------------
    def plan(self, hosts: list[Host], config: TransportConfig) -> list[HostPlan]:
        return [self._plan_one(h, config) for h in hosts]

    def _plan_one(self, h: Host, config: TransportConfig) -> HostPlan:
        from ..transport.registry import open_session

        missing = [n for n in NEEDS if not h.get(n)]
        patch = h.get("rac_patch") if isinstance(h.get("rac_patch"), dict) else {}
        if missing or not str(patch.get("id", "")).isdigit() or not patch.get("dir"):
            return HostPlan(h.name, error="清单未登记滚动补丁所需的 " + ", ".join(missing or ["rac_patch.id/dir"]))
        pid, where = str(patch["id"]), str(patch["dir"])
        prefix = str(h.get("oracle_shell_prefix") or "").strip()
        opatch = shlex.quote(f"{h.get('oracle_home')}/OPatch/opatch")
        try:
            session = open_session(h, config)
        except ConnectFailure as exc:
            return HostPlan(h.name, error=str(exc))
        try:
            staged = session.run(f"test -d {shlex.quote(where)}")
            has = session.run(f"{prefix} {opatch} lspatches | grep -q '^{pid};'".strip())
        except ConnectFailure as exc:
            return HostPlan(h.name, error=str(exc))
        finally:
            session.close()
        if has.exit_status not in (0, 1):
            return HostPlan(h.name, error=f"opatch lspatches 失败：{one_line(has.stderr or has.stdout, 200) or has.exit_status}")
        facts = {"patch": pid, "instance": str(h.get("rac_instance")), "database": str(h.get("rac_database"))}
        if has.exit_status == 0:
            return HostPlan(h.name, [], facts=facts)
        if staged.exit_status != 0:
            return HostPlan(h.name, error=f"补丁 {pid} 未暂存在节点的 {where}")
        return HostPlan(h.name, [f"{pid} {patch.get('description', '')}".strip()], facts=facts)

    def describe(self, p: HostPlan) -> str:
        return (f"{p.host}（实例 {p.facts.get('instance', '')}）: " +
                (f"待应用 {'，'.join(p.items)}（停实例、opatch apply -local、起实例、等全部实例恢复）" if p.items
                 else f"已含补丁 {p.facts.get('patch', '')}，无需变更"))

    def plan_record(self, p: HostPlan) -> dict:
        return {"updates": p.items, "error": p.error, **p.facts}

    @staticmethod
    def result_record(r: HostResult) -> dict:
        return {"host": r.host, "ok": r.ok, "detail": r.detail, "updated": r.changed, **r.facts}

    # -- apply ------------------------------------------------------------------------
    def apply(self, batch: list[Host], config: TransportConfig, plans: dict[str, HostPlan]) -> list[HostResult]:
        results = []
        for h in batch:  # one node after another; the first that fails stops the batch
            results.append(self._apply_one(h, config, plans[h.name]))
            if not results[-1].ok:
                results += [HostResult(n.name, False, "同批次前一节点失败，未执行") for n in batch[len(results):]]
                break
        return results

    def _apply_one(self, h: Host, config: TransportConfig, plan: HostPlan) -> HostResult:
        if not plan.items:
            return HostResult(h.name, True, "已含该补丁，未执行")
        try:
            cred = config.credentials.get(h.get("credential"))
        except CredentialError as exc:
            return HostResult(h.name, False, str(exc))
        home = Path(tempfile.mkdtemp(prefix="cityops-ansible-"))
        try:
            (home / ".ssh").mkdir(mode=0o700)
            shutil.copyfile(config.known_hosts, home / ".ssh" / "known_hosts")
            extra = home / "vars.json"
            fd = os.open(extra, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                json.dump({"rac_nodes": h.name, "cityops_inspect": False, "ansible_user": cred.username,
                           "ansible_password": cred.password, "rac_wait_delay": 2}, fh)
            argv = [str(Path(sys.executable).parent / "ansible-playbook"), "-i", str(self.inv.root), str(PLAYBOOK),
                    "--limit", h.name, "-c", "paramiko", "-e", f"@{extra}"]
            events = home / "events.jsonl"
            env = {**os.environ, "HOME": str(home), "ANSIBLE_CONFIG": str(REPO / "ansible.cfg"),
                   "ANSIBLE_HOST_KEY_CHECKING": "True", "ANSIBLE_CALLBACK_PLUGINS": str(REPO / "plugins" / "callback"),
                   "ANSIBLE_CALLBACKS_ENABLED": "cityops_events", "CITYOPS_ANSIBLE_EVENTS": str(events),
                   "ANSIBLE_NOCOLOR": "1", "ANSIBLE_LOCAL_TEMP": str(home / "tmp"), "ANSIBLE_HOME": str(home / "ansible"),
                   "ANSIBLE_RETRY_FILES_ENABLED": "False"}
            t0 = time.monotonic()
            try:
                run = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True, timeout=RUN_LIMIT)  # nosec B603  # fixed argv
            except subprocess.TimeoutExpired:
                return HostResult(h.name, False, f"ansible-playbook 超过 {RUN_LIMIT:.0f} 秒未结束，已中止")
            tasks = _tasks(events, h.name)
        finally:
            shutil.rmtree(home, ignore_errors=True)  # the credential's file with it
        for name, result in tasks:
            config.audit.record(h.name, h.address, cred.username, "ssh/ansible", f"{PLAYBOOK.name}: {name}",
                                result.get("rc") if result.get("rc") is not None else result.get("status"), 0.0)
        config.audit.record(h.name, h.address, cred.username, "ssh/ansible",
                            f"ansible-playbook {PLAYBOOK.name} --limit {h.name}", run.returncode, time.monotonic() - t0)
        failed = [(name, r) for name, r in tasks if r.get("status") in ("failed", "unreachable")]
        if run.returncode != 0 or failed:
            name, result = failed[0] if failed else ("ansible-playbook", {"msg": run.stderr[-LIMIT:]})
            said = " ".join(str(result.get(k) or "") for k in ("stdout", "stderr", "msg")).strip()
            return HostResult(h.name, False, f"任务“{name}”失败：{one_line(said, 300) or run.returncode}",
                              facts={"tasks": [n for n, _r in tasks]})
        return HostResult(h.name, True, f"已应用补丁 {plan.facts['patch']} 并确认全部实例运行",
                          [plan.facts["patch"]], {"tasks": [n for n, _r in tasks]})


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
