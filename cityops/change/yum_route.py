"""The patch route of RHEL 6, CentOS/Oracle Linux 7 and Kylin V10 hosts: pyinfra over SSH, yum on the host.

pyinfra needs nothing on the target but a POSIX shell — these hosts carry Python 2.6, 2.7 or 3.7, on which
ansible-core 2.19's modules cannot run. The plan reads what the host's own repositories offer
(`yum check-update`, read by the parser tested on real captures); applying runs `yum -y update` (with
`--security` if asked) under sudo, then reboots the host when a newer kernel was installed and the caller allows
it, and reads the plan again: every package the plan named must be at its new version. Every command is written
to the audit log with its host, status and duration.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass, field

from ..drivers.linux import Linux
from ..inventory.model import Host
from ..parsers import ParseError
from ..parsers.yum import PendingUpdate, check_update
from ..transport.base import TransportConfig
from .pyinfra_hosts import each_host, run_command, wait_back
from .route import HostPlan, HostResult, PatchRoute

ROUTE = "pyinfra_yum"
PENDING = Linux.getters["pending_updates"]  # the inspection's own command: `yum check-update`, exit 100 a reading


@dataclass
class YumPlan:
    host: str
    updates: list[PendingUpdate] = field(default_factory=list)
    error: str = ""
    running_kernel: str = ""


@dataclass
class YumResult:
    host: str
    ok: bool
    detail: str
    updated: list[str] = field(default_factory=list)  # name.arch evr now installed
    rebooted: bool = False
    running_kernel: str = ""


class YumRoute(PatchRoute):
    """`invoke patch` on the hosts whose inventory route is pyinfra_yum."""

    items_word, items_unit = "待安装更新", "个"
    verify_checks = ("LNX-PATCH-002",)  # what the next inspection must see after a patch: nothing left pending
    fixes = ("LNX-PATCH-002",)
    rollback_note = ("未回退：yum 更新不自动回退，如需回退按变更记录中的软件包清单以 yum history undo 或从备份恢复；"
                     "已停止后续批次，失败主机按复核结果处置")

    def __init__(self, security: bool = False, reboot: bool = False, boot_wait: float = 300.0):
        self.security, self.reboot, self.boot_wait = security, reboot, boot_wait
        self.title = "操作系统补丁更新" + ("（仅安全更新）" if security else "")

    def plan(self, hosts: list[Host], config: TransportConfig) -> list[HostPlan]:
        return [HostPlan(p.host, [f"{u.name}.{u.arch} {u.evr} ({u.repo})" for u in p.updates], p.error,
                         {"running_kernel": p.running_kernel}, p) for p in plan(hosts, config, self.security)]

    def apply(self, batch: list[Host], config: TransportConfig, plans: dict[str, HostPlan]) -> list[HostResult]:
        done = apply(batch, config, {n: p.payload for n, p in plans.items()}, self.security, self.reboot,
                     self.boot_wait)
        return [HostResult(r.host, r.ok, r.detail, r.updated, {"rebooted": r.rebooted,
                                                              "running_kernel": r.running_kernel}) for r in done]

    def describe(self, p: HostPlan) -> str:
        return f"{p.host}: {len(p.items)} 个更新待安装" + (
            "：" + "，".join(f"{u.name} {u.evr}" for u in p.payload.updates[:8]) + (" …" if len(p.items) > 8 else "")
            if p.items else "")


def plan(hosts: list[Host], config: TransportConfig, security: bool = False) -> list[YumPlan]:
    """What each host would take from its repositories: nothing on the host changes."""
    return each_host(hosts, config, lambda state, host: _plan_one(state, host, config, security),
                     lambda name, why: YumPlan(name, error=why))


def _plan_one(state, host, config: TransportConfig, security: bool) -> YumPlan:
    ok, text, err = run_command(state, host, PENDING.command + (" --security" if security else ""), config,
                         ok_status=PENDING.ok_status)
    if not ok:
        return YumPlan(host.name, error=f"yum check-update failed: {(err or text).strip()[-300:] or 'no output'}")
    try:
        updates = check_update(text)
    except ParseError as exc:
        return YumPlan(host.name, error=str(exc))
    _ok, kernel, _err = run_command(state, host, "uname -r", config)
    return YumPlan(host.name, updates, running_kernel=kernel.strip())


def apply(hosts: list[Host], config: TransportConfig, plans: dict[str, YumPlan], security: bool = False,
          reboot: bool = False, boot_wait: float = 300.0) -> list[YumResult]:
    """Update each host of the batch as its plan says, reboot it into a new kernel if allowed, and verify."""
    return each_host(hosts, config,
                     lambda state, host: _apply_one(state, host, config, plans[host.name], security, reboot, boot_wait),
                     lambda name, why: YumResult(name, False, why))


def _apply_one(state, host, config: TransportConfig, want: YumPlan, security: bool, reboot: bool,
               boot_wait: float) -> YumResult:
    if not want.updates:
        return YumResult(host.name, True, "无待安装更新", running_kernel=want.running_kernel)
    names = " ".join(shlex.quote(f"{u.name}.{u.arch}") for u in want.updates)  # the parser admits RPM names only
    ok, text, err = run_command(state, host, f"yum -y update{' --security' if security else ''} {names}", config, sudo=True)
    if not ok or "Complete!" not in text:
        return YumResult(host.name, False, f"yum update 失败：{(err + text).strip()[-300:] or '无输出'}")
    rebooted = False
    new_kernel = next((u for u in want.updates if u.name == "kernel"), None)
    if new_kernel and reboot:
        run_command(state, host, "shutdown -r now", config, sudo=True)
        if not wait_back(state, host, boot_wait):
            return YumResult(host.name, False, f"重启后 {boot_wait:.0f} 秒内未恢复连接", rebooted=True)
        rebooted = True
    after = _plan_one(state, host, config, security)
    if after.error:
        return YumResult(host.name, False, f"更新后复核失败：{after.error}", rebooted=rebooted)
    still = {(u.name, u.arch) for u in after.updates} & {(u.name, u.arch) for u in want.updates}
    if still:
        return YumResult(host.name, False, f"更新后仍待安装：{', '.join(f'{n}.{a}' for n, a in sorted(still))}",
                          rebooted=rebooted, running_kernel=after.running_kernel)
    if new_kernel and rebooted and not after.running_kernel.startswith(new_kernel.version):
        return YumResult(host.name, False, f"重启后运行内核仍为 {after.running_kernel}，应为 {new_kernel.version}",
                          rebooted=True, running_kernel=after.running_kernel)
    return YumResult(host.name, True, f"已更新 {len(want.updates)} 个软件包" + ("，已重启" if rebooted else ""),
                      [f"{u.name}.{u.arch} {u.evr}" for u in want.updates], rebooted, after.running_kernel)


