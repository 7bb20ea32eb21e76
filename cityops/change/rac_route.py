"""The rolling patch of an Oracle RAC (playbook_rac): playbooks/oracle_rac_rolling_patch.yml, run by ansible-core.

The RAC nodes carry Python 2.6 or 2.7, so the playbook's tasks are `raw` (a shell is all they need); it runs
through playbook_run (paramiko, the credential in a 0600 file, the pinned known_hosts). The plan asks each node
whether its home already has the cluster's `rac_patch` (`opatch lspatches`, its `<id>;` line looked for on the
node) and whether the patch is staged there. Applying runs
the playbook for one node at a time (`--limit`), without its own inspection (the flow inspects between batches):
stop the instance, `opatch apply -local`, start it, wait until every instance runs, check the patch is in the
home. A node that fails is reported with the task that failed and what it printed; the flow stops there and the
nodes after it are untouched.
"""

from __future__ import annotations

import shlex

from ..errors import one_line
from ..inventory.model import Host
from ..transport.base import TransportConfig
from ..transport.errors import ConnectFailure
from .playbook_run import REPO, PlaybookRoute, run_playbook
from .route import HostPlan, HostResult

ROUTE = "playbook_rac"
PLAYBOOK = REPO / "playbooks" / "oracle_rac_rolling_patch.yml"
NEEDS = ("rac_patch", "rac_database", "rac_instance", "oracle_home")


class RacRoute(PlaybookRoute):
    """`invoke patch` on the nodes whose inventory route is playbook_rac."""

    title = "Oracle RAC 数据库补丁（逐节点滚动）"
    items_word, items_unit = "待应用数据库补丁", "个"
    rollback_note = ("未回退：已打补丁的节点可在实例停止后以 opatch rollback -id <补丁号> -local 回退；已停止后续节点，"
                     "未触及的节点保持原补丁")

    # -- plan -------------------------------------------------------------------------
    def plan_node(self, h: Host, config: TransportConfig) -> HostPlan:
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

    # -- apply ------------------------------------------------------------------------
    def apply_node(self, h: Host, config: TransportConfig, plan: HostPlan) -> HostResult:
        if not plan.items:
            return HostResult(h.name, True, "已含该补丁，未执行")
        run = run_playbook(self.inv, PLAYBOOK, h, config, {"rac_nodes": h.name, "rac_wait_delay": 2})
        if not run.ok:
            return HostResult(h.name, False, run.detail, facts={"tasks": run.tasks})
        return HostResult(h.name, True, f"已应用补丁 {plan.facts['patch']} 并确认全部实例运行",
                          [plan.facts["patch"]], {"tasks": run.tasks})
