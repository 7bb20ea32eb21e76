"""The patch route of the Windows servers outside the clusters (wsus): WSUS approval, then the install triggered
and verified over the host's own remote shell.

Windows Server 2008 R2 and 2012 R2 are reached over Win32-OpenSSH (the Windows collections no longer support them).
The plan asks the zone's WSUS server (`wsus_server`, a host of the inventory) what each client still needs
(UpdateServices: `GetComputerTargetByName(<client>).GetUpdateInstallationInfoPerUpdate()`, a row per update: KB,
title, installation state, approval). Applying approves those updates for the client's computer group
(`wsus_group`, default All Computers) on the server, then on each client: writes the install script
(wu_install.ps1, sent as base64 through Set-Content), creates and runs a scheduled task as SYSTEM (the Windows
Update Agent's COM API refuses a remote shell's network logon), waits for it, reads its result (a ResultCode per
KB, RebootRequired: every planned KB must be 2 or 3), restarts the host when the agent asks for it (`shutdown /r
/t 5`, waiting for it to go and to come back) and checks every planned rollup and security update is listed by
Get-HotFix (the removal tool and the like are not QFEs: their ResultCode is the proof). Every command goes to the
audit log.
"""

from __future__ import annotations

import base64
import contextlib
import re
import time
from pathlib import Path

from ..drivers.windows import powershell
from ..errors import one_line
from ..inventory.model import Host, Inventory
from ..transport.base import TransportConfig
from ..transport.errors import ConnectFailure
from .pyinfra_hosts import answers_ssh, wait_gone
from .route import HostPlan, HostResult, PatchRoute

ROUTE = "wsus"
SCRIPT = Path(__file__).with_name("wu_install.ps1")
REMOTE_DIR = "C:\\ProgramData\\cityops"
TASK = "cityops-wu"
ROW = re.compile(r"^(\d{5,8})\|(.+)\|(Installed|NotInstalled|Downloaded|Failed|InstalledPendingReboot|NotApplicable|"
                 r"Unknown)\|(Install|NotApproved|Uninstall|Block)\s*$")
GROUP = re.compile(r"^[^'\"|;&<>]{1,80}$")
# what Get-HotFix (Win32_QuickFixEngineering) lists: security updates and rollups; the removal tool, definition
# updates and the like are told by the agent's ResultCode alone
HOTFIX = re.compile(r"Rollup|Security Update|Cumulative Update|Servicing Stack", re.I)


def client_updates(text: str) -> list[tuple[str, str, str, str]]:
    """The server's rows for a client (KB|title|state|approval); a row of another form is an error, not skipped."""
    rows = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        m = ROW.match(line.strip())
        if m is None:
            raise ValueError(f"WSUS 返回第 {n} 行无法识别：{one_line(line, 80)!r}")
        rows.append(m.groups())
    return rows


class WsusRoute(PatchRoute):
    """`invoke patch` on the hosts whose inventory route is wsus."""

    items_word, items_unit = "待安装 Windows 更新", "个"
    rollback_note = ("未回退：Windows 更新可在维护窗口内以 wusa /uninstall /kb:<编号> 卸载；已停止后续批次，"
                     "失败主机按复核结果处置")

    def __init__(self, inv: Inventory, boot_wait: float = 1800.0, task_wait: float = 3600.0,
                 title: str = "Windows 更新（WSUS 审批、远程安装）"):
        self.inv, self.boot_wait, self.task_wait, self.title = inv, boot_wait, task_wait, title

    def _server(self, h: Host) -> Host | str:
        name = str(h.get("wsus_server") or "")
        if not name:
            return f"{h.get('zone')} 区域未登记 WSUS 服务器（wsus_server）"
        server = self.inv.hosts.get(name)
        return server if server is not None else f"wsus_server {name} 不在清单中"

    # -- plan -------------------------------------------------------------------------
    def plan(self, hosts: list[Host], config: TransportConfig) -> list[HostPlan]:
        return [self._plan_one(h, config) for h in hosts]

    def _plan_one(self, h: Host, config: TransportConfig) -> HostPlan:
        server = self._server(h)
        if isinstance(server, str):
            return HostPlan(h.name, error=server)
        group = str(h.get("wsus_group") or "All Computers")
        if not GROUP.match(group):
            return HostPlan(h.name, error=f"wsus_group 含不允许的字符：{group[:40]!r}")
        script = ("$s = Get-WsusServer; $c = $s.GetComputerTargetByName('" + h.name + "'); "
                  "$c.GetUpdateInstallationInfoPerUpdate() | ForEach-Object { $u = $s.GetUpdate($_.UpdateId); "
                  "$u.KnowledgebaseArticles[0] + '|' + $u.Title + '|' + $_.UpdateInstallationState + '|' + "
                  "$_.UpdateApprovalAction }")
        try:
            with _session(server, config) as session:
                answer = session.run(powershell(script))
        except ConnectFailure as exc:
            return HostPlan(h.name, error=f"WSUS 服务器 {server.name}：{exc}")
        if answer.exit_status != 0:
            return HostPlan(h.name, error=f"WSUS 服务器 {server.name}：{one_line(answer.stderr or answer.stdout, 200)}")
        try:
            rows = client_updates(answer.stdout)
        except ValueError as exc:
            return HostPlan(h.name, error=f"WSUS 服务器 {server.name}：{exc}")
        needed = [(kb, title) for kb, title, state, _a in rows if state in ("NotInstalled", "Downloaded", "Failed")]
        return HostPlan(h.name, [f"KB{kb} {title}" for kb, title in needed],
                        facts={"wsus_server": server.name, "wsus_group": group}, payload=[kb for kb, _t in needed])

    def describe(self, p: HostPlan) -> str:
        return (f"{p.host}（WSUS {p.facts.get('wsus_server', '')}）: " +
                (f"{len(p.items)} 个更新待审批安装：{'，'.join(p.items)}" if p.items else "无待安装更新"))

    # -- apply ------------------------------------------------------------------------
    def apply(self, batch: list[Host], config: TransportConfig, plans: dict[str, HostPlan]) -> list[HostResult]:
        """Approve the batch's updates once per WSUS server and computer group, then install host by host."""
        todo = [h for h in batch if plans[h.name].payload]
        refused = self._approve([plans[h.name] for h in todo], config)
        results = []
        for h in batch:
            plan = plans[h.name]
            if not plan.payload:
                results.append(HostResult(h.name, True, "无待安装更新"))
            elif (plan.facts["wsus_server"], plan.facts["wsus_group"]) in refused:
                results.append(HostResult(h.name, False, refused[(plan.facts["wsus_server"], plan.facts["wsus_group"])]))
            else:
                try:
                    results.append(self._install(h, config, plan))
                except ConnectFailure as exc:
                    results.append(HostResult(h.name, False, str(exc)))
        return results

    def _approve(self, plans: list[HostPlan], config: TransportConfig) -> dict[tuple[str, str], str]:
        """Approve on each server the KBs its hosts of a group need; the (server, group) pairs it refused, and why."""
        wanted: dict[tuple[str, str], list[str]] = {}
        for plan in plans:
            kbs = wanted.setdefault((plan.facts["wsus_server"], plan.facts["wsus_group"]), [])
            kbs += [kb for kb in plan.payload if kb not in kbs]
        refused = {}
        for (name, group), kbs in wanted.items():
            match = " -or ".join(f"$_.Update.KnowledgebaseArticles -contains '{kb}'" for kb in kbs)
            script = (f"Get-WsusUpdate -Approval AnyExceptDeclined -Status FailedOrNeeded | Where-Object {{ {match} }} | "
                      f"Approve-WsusUpdate -Action Install -TargetGroupName '{group}'")
            try:
                with _session(self.inv.hosts[name], config) as server:
                    answer = server.run(powershell(script))
            except ConnectFailure as exc:
                refused[(name, group)] = f"WSUS 审批失败（{name}）：{exc}"
                continue
            if answer.exit_status != 0:
                refused[(name, group)] = f"WSUS 审批失败（{name}）：{one_line(answer.stderr or answer.stdout, 200)}"
        return refused

    def _install(self, h: Host, config: TransportConfig, plan: HostPlan) -> HostResult:
        result = f"{REMOTE_DIR}\\wu-result.txt"
        encoded = base64.b64encode(SCRIPT.read_bytes()).decode()
        run = (f"powershell -NoProfile -ExecutionPolicy Bypass -File {REMOTE_DIR}\\wu_install.ps1 "
               f"-KB {','.join(plan.payload)} -Result {result}")
        steps = [powershell(f"New-Item -ItemType Directory -Force -Path '{REMOTE_DIR}' | Out-Null; Set-Content -Path "
                            f"'{REMOTE_DIR}\\wu_install.ps1' -Value ([Text.Encoding]::UTF8.GetString("
                            f"[Convert]::FromBase64String('{encoded}')))"),
                 f'schtasks /Create /TN {TASK} /TR "{run}" /SC ONCE /ST 00:00 /RU SYSTEM /RL HIGHEST /F',
                 f"schtasks /Run /TN {TASK}"]
        with _session(h, config) as session:  # one session for the install; the restart ends it
            for command in steps:
                answer = session.run(command)
                if answer.exit_status != 0:
                    return HostResult(h.name, False, f"{command.split()[0]} 失败："
                                      f"{one_line(answer.stderr or answer.stdout, 200)}")
            deadline = time.monotonic() + self.task_wait
            while True:
                state = session.run(f"schtasks /Query /TN {TASK} /FO LIST /V").stdout
                if re.search(r"^Status:\s+Ready", state, re.M) and not re.search(r"^Last Result:\s+26701[01]",
                                                                              state, re.M):
                    break  # 267009: still running; 267011: not yet started
                if time.monotonic() > deadline:
                    return HostResult(h.name, False, f"安装任务 {self.task_wait:.0f} 秒内未结束")
                time.sleep(5)
            last = re.search(r"^Last Result:\s+(\S+)", state, re.M)
            if last is None or last.group(1) != "0":
                return HostResult(h.name, False, f"安装任务结果 {last.group(1) if last else '未知'}（计划任务未能运行脚本）")
            text = session.run(powershell(f"Get-Content '{result}'")).stdout
            codes = dict(line.strip().split("|", 1) for line in text.splitlines() if line.count("|") == 1)
            if "Error" in codes:
                return HostResult(h.name, False, f"Windows Update 代理：{one_line(codes['Error'], 200)}")
            failed = [kb for kb in plan.payload if codes.get(f"KB{kb}") not in ("2", "3")]
            if failed:
                return HostResult(h.name, False, "未安装成功：" + "，".join(
                    f"KB{kb}（{codes.get(f'KB{kb}', '未执行')}）" for kb in failed))
            rebooted = codes.get("RebootRequired", "").lower() == "true"
            if rebooted:
                session.run('shutdown /r /t 5 /c "cityops change"')
        if rebooted:
            wait_gone(h.address, min(120.0, self.boot_wait / 2))
            if not _answers_within(h.address, self.boot_wait):
                return HostResult(h.name, False, f"重启后 {self.boot_wait:.0f} 秒内未恢复连接",
                                  [f"KB{kb}" for kb in plan.payload], {"rebooted": True})
        with _session(h, config) as session:
            listed = session.run(powershell("Get-HotFix | ForEach-Object { $_.HotFixID }")).stdout
        quick_fixes = [kb for kb, title in zip(plan.payload, plan.items, strict=True) if HOTFIX.search(title)]
        missing = [kb for kb in quick_fixes if f"KB{kb}" not in listed]
        if missing:
            return HostResult(h.name, False, "Get-HotFix 未列出：" + "，".join(f"KB{kb}" for kb in missing),
                              facts={"rebooted": rebooted})
        return HostResult(h.name, True, f"已安装 {len(plan.payload)} 个更新" + ("，已重启" if rebooted else ""),
                          [f"KB{kb}" for kb in plan.payload], {"rebooted": rebooted})


@contextlib.contextmanager
def _session(h: Host, config: TransportConfig):
    """cityops' own session to a Windows host (target guard, pinned key, every command audited)."""
    from ..transport.registry import open_session

    session = open_session(h, config)
    try:
        yield session
    finally:
        session.close()


def _answers_within(address: str, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if answers_ssh(address):
            return True
        time.sleep(0.5)
    return False
