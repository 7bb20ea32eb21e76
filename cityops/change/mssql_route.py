"""The rolling patch of a SQL Server failover cluster (playbook_mssql): playbooks/sqlserver_rolling_patch.yml.

The nodes run Windows Server 2012 R2 over Win32-OpenSSH, which the Windows collections no longer support, so the
playbook's tasks are `raw` command lines (PowerShell where it must); it runs through playbook_run (paramiko, the
credential in a 0600 file, the pinned known_hosts). The plan asks each node, over cityops' own session, for its
SQL Server patch level (the release's registry Setup key, PatchLevel), whether the cluster's `mssql_patch`
installer is staged there and which node runs the SQL Server role: that node goes last, so the instance moves
once, onto a patched node. Applying runs the playbook for one node at a time: drain, install, restart, wait until
the node is back in the cluster, resume and fail back, check its level and that the cluster is whole. A node that
does not come back, or fails a step, stops the change; the nodes after it are untouched.
"""

from __future__ import annotations

import re

from ..drivers.windows import CLUSTER, powershell
from ..errors import one_line
from ..inventory.model import Host
from ..transport.base import TransportConfig
from ..transport.errors import ConnectFailure
from .playbook_run import REPO, PlaybookRoute, run_playbook
from .route import HostPlan, HostResult, declared

ROUTE = "playbook_mssql"
PLAYBOOK = REPO / "playbooks" / "sqlserver_rolling_patch.yml"
VERSION = re.compile(r"^\d+\.\d+\.\d+\.\d+$")
INSTANCE_ID = re.compile(r"^MSSQL\d+(?:_\d+)?\.[A-Za-z0-9_$]+$")


def plan_problem(h: Host) -> str:
    """What the inventory lacks for this node's rolling patch, or ''."""
    patch, missing = declared(h, "mssql_patch", ("kb", "file", "version"))
    if missing or not h.get("mssql_instance_id"):
        return "清单未登记滚动补丁所需的 " + ", ".join(missing + ([] if h.get("mssql_instance_id") else ["mssql_instance_id"]))
    if not VERSION.match(str(patch["version"])):
        return f"mssql_patch.version 不是版本号：{str(patch['version'])[:40]!r}"
    if not INSTANCE_ID.match(str(h.get("mssql_instance_id"))):
        return f"mssql_instance_id 不是 SQL Server 实例标识（如 MSSQL11.MSSQLSERVER）：{str(h.get('mssql_instance_id'))[:40]!r}"
    if "'" in str(patch["file"]) or not re.match(r"^[A-Za-z]:\\", str(patch["file"])):
        return f"mssql_patch.file 须为节点上的绝对路径（不含单引号）：{str(patch['file'])[:80]!r}"
    return ""


class MssqlRoute(PlaybookRoute):
    """`invoke patch` on the nodes whose inventory route is playbook_mssql."""

    title = "SQL Server 群集更新（逐节点滚动）"
    items_word, items_unit = "待安装 SQL Server 更新", "个"
    rollback_note = ("未回退：已更新的节点可在维护窗口内经“程序和功能 - 查看已安装的更新”卸载该 SQL Server 更新；"
                     "已停止后续节点，未触及的节点保持原版本；未恢复的节点须到场处置后再继续")

    # -- plan -------------------------------------------------------------------------
    def plan_node(self, h: Host, config: TransportConfig) -> HostPlan:
        from ..transport.registry import open_session

        problem = plan_problem(h)
        if problem:
            return HostPlan(h.name, error=problem)
        patch = declared(h, "mssql_patch", ())[0]
        node = str(h.get("mssql_node_name") or h.name)
        key = f"HKLM:\\SOFTWARE\\Microsoft\\Microsoft SQL Server\\{h.get('mssql_instance_id')}\\Setup"
        try:
            session = open_session(h, config)
        except ConnectFailure as exc:
            return HostPlan(h.name, error=str(exc))
        try:
            level = session.run(powershell(f"(Get-ItemProperty '{key}').PatchLevel"))
            staged = session.run(powershell(f"Test-Path '{patch['file']}'"))
            groups = session.run(powershell(CLUSTER + "Get-ClusterGroup | ForEach-Object { $_.Name + '|' + "
                                            "$_.OwnerNode + '|' + $_.State }"))
        except ConnectFailure as exc:
            return HostPlan(h.name, error=str(exc))
        finally:
            session.close()
        now = level.stdout.strip()
        if level.exit_status != 0 or not VERSION.match(now):
            return HostPlan(h.name, error=f"读取 SQL Server 补丁级别失败：{one_line(level.stderr or level.stdout, 200)}")
        if groups.exit_status != 0:
            return HostPlan(h.name, error=f"读取群集角色失败：{one_line(groups.stderr or groups.stdout, 200)}")
        owns = any(line.split("|")[1].strip().lower() == node.lower() for line in groups.stdout.splitlines()
                   if line.count("|") == 2 and line.startswith("SQL Server"))
        facts = {"patch": str(patch["kb"]), "level": now, "target": str(patch["version"]), "runs_role": owns}
        if now == str(patch["version"]):
            return HostPlan(h.name, [], facts=facts)
        if staged.stdout.strip() != "True":
            return HostPlan(h.name, error=f"更新 {patch['kb']} 的安装程序未暂存在节点的 {patch['file']}")
        return HostPlan(h.name, [f"{patch['kb']} {patch.get('description', '')}（{now} → {patch['version']}）"
                                 .replace(" （", "（")], facts=facts)

    def order(self, hosts: list[Host], plans: dict[str, HostPlan]) -> list[Host]:
        """The nodes that do not run the SQL Server role first: the instance moves once, onto a patched node."""
        return sorted(hosts, key=lambda h: bool(plans[h.name].facts.get("runs_role")) if h.name in plans else False)

    def describe(self, p: HostPlan) -> str:
        role = "（承载 SQL Server 角色，最后更新）" if p.facts.get("runs_role") else ""
        return (f"{p.host}{role}: " +
                (f"待安装 {'，'.join(p.items)}（排空、安装、重启、恢复并回切角色）" if p.items
                 else f"已为 {p.facts.get('level', '')}，无需变更"))

    # -- apply ------------------------------------------------------------------------
    def apply_node(self, h: Host, config: TransportConfig, plan: HostPlan) -> HostResult:
        if not plan.items:
            return HostResult(h.name, True, "已为目标版本，未执行")
        run = run_playbook(self.inv, PLAYBOOK, h, config, {"mssql_nodes": h.name, "mssql_wait_delay": 2})
        if not run.ok:
            came_back = "Wait for this node to come back" not in run.detail
            return HostResult(h.name, False, run.detail if came_back else f"节点重启后未恢复连接：{run.detail}",
                              facts={"tasks": run.tasks})
        return HostResult(h.name, True, f"已安装 {plan.facts['patch']}，节点为 {plan.facts['target']} 并已恢复、回切角色",
                          [plan.facts["patch"]], {"tasks": run.tasks})
