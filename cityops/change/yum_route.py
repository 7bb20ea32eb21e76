"""The patch route of RHEL 6, CentOS/Oracle Linux 7 and Kylin V10 hosts: pyinfra over SSH, yum on the host.

pyinfra needs nothing on the target but a POSIX shell — these hosts carry Python 2.6, 2.7 or 3.7, on which
ansible-core 2.19's modules cannot run. The plan reads what the host's own repositories offer
(`yum check-update`, read by the parser tested on real captures); applying runs `yum -y update` (with
`--security` if asked) under sudo, then reboots the host when a newer kernel was installed and the caller allows
it, and reads the plan again: every package the plan named must be at its new version. Every command is written
to the audit log with its host, status and duration.
"""

from __future__ import annotations

import contextlib
import logging
import shlex
import socket
import time
from dataclasses import dataclass, field

from ..drivers.linux import Linux
from ..errors import one_line
from ..inventory.model import Host
from ..netguard import refusal
from ..parsers import ParseError
from ..parsers.yum import PendingUpdate, check_update
from ..transport.base import TransportConfig
from ..transport.credentials import CredentialError
from .route import HostPlan, HostResult, Route

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


class YumRoute(Route):
    """`invoke patch` on the hosts whose inventory route is pyinfra_yum."""

    kind = "patch"
    items_word, items_unit = "待安装更新", "个"
    verify_checks = ("LNX-PATCH-002",)  # what the next inspection must see after a patch: nothing left pending
    rollback_note = "未回退：yum 更新不自动回退；已停止后续批次，失败主机按复核结果处置"

    def __init__(self, security: bool = False, reboot: bool = False, boot_wait: float = 300.0):
        self.security, self.reboot, self.boot_wait = security, reboot, boot_wait
        self.title = "操作系统补丁更新" + ("（仅安全更新）" if security else "")

    def unsupported(self, hosts: list[Host]) -> dict[str, str]:
        routes = {h.name: str(h.get("patch_route") or "") for h in hosts}
        return {n: r or "未在清单中登记 patch_route" for n, r in routes.items() if r != ROUTE}

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

    def plan_record(self, p: HostPlan) -> dict:
        return {"updates": p.items, "running_kernel": p.facts.get("running_kernel", ""), "error": p.error}

    @staticmethod
    def result_record(r: HostResult) -> dict:
        return {"host": r.host, "ok": r.ok, "detail": r.detail, "updated": r.changed, **r.facts}


def _state(hosts: list[Host], config: TransportConfig):
    """A pyinfra State for the hosts, each with its inventory credential and the pinned known_hosts; a host that
    cannot be a target (address outside the allowed range, no credential) is returned with its reason instead."""
    from pyinfra.api import Config, Inventory, State

    names, refused = [], {}
    for h in hosts:
        why = refusal(h.address, config.networks)
        if why:
            refused[h.name] = why
            continue
        try:
            cred = config.credentials.get(h.get("credential"))
        except CredentialError as exc:
            refused[h.name] = str(exc)
            continue
        names.append((h.name, {"ssh_hostname": h.address, "ssh_user": cred.username, "ssh_password": cred.password,
                               "ssh_known_hosts_file": str(config.known_hosts),
                               "ssh_strict_host_key_checking": "yes", "ssh_connect_retries": 0,
                               "ssh_look_for_keys": False, "ssh_allow_agent": False}))
    state = State(Inventory((names, {})), Config(CONNECT_TIMEOUT=int(config.login_timeout), FAIL_PERCENT=100))
    return state, refused


def _run(state, host, command: str, config: TransportConfig, sudo: bool = False,
         ok_status: tuple[int, ...] = (0,)) -> tuple[bool, str, str]:
    """One command through pyinfra's connector, written to the audit log: (succeeded, stdout, stderr)."""
    from pyinfra.api import StringCommand

    t0 = time.monotonic()
    ok, output = host.run_shell_command(StringCommand(command), _sudo=sudo, _timeout=int(config.command_timeout * 20),
                                        _success_exit_codes=list(ok_status))
    config.audit.record(host.name, str(host.data.ssh_hostname), str(host.data.ssh_user), "ssh/pyinfra",
                        ("sudo " if sudo else "") + command, 0 if ok else "failed", time.monotonic() - t0)
    return ok, output.stdout, output.stderr


def _connect(state) -> dict[str, str]:
    """Connect each host in turn; the ones that fail are named with pyinfra's reason (refused, timed out, a host
    key that is not the pinned one, a password refused)."""
    logging.getLogger("pyinfra").setLevel(logging.CRITICAL)
    failed = {}
    for host in state.inventory:
        try:
            host.connect(show_errors=False, raise_exceptions=True)
            state.activate_host(host)
        except Exception as exc:  # pyinfra's ConnectError and whatever paramiko raised under it
            failed[host.name] = f"连接失败：{one_line(str(exc), 200)}"
    return failed


def plan(hosts: list[Host], config: TransportConfig, security: bool = False) -> list[YumPlan]:
    """What each host would take from its repositories: nothing on the host changes."""
    state, refused = _state(hosts, config)
    out = [YumPlan(name, error=why) for name, why in refused.items()]
    failed = _connect(state) if state.inventory.hosts else {}
    for host in state.inventory:
        if host.name in failed:
            out.append(YumPlan(host.name, error=failed[host.name]))
            continue
        out.append(_plan_one(state, host, config, security))
    _disconnect(state)
    order = {h.name: i for i, h in enumerate(hosts)}
    return sorted(out, key=lambda p: order.get(p.host, 0))


def _plan_one(state, host, config: TransportConfig, security: bool) -> YumPlan:
    ok, text, err = _run(state, host, PENDING.command + (" --security" if security else ""), config,
                         ok_status=PENDING.ok_status)
    if not ok:
        return YumPlan(host.name, error=f"yum check-update failed: {(err or text).strip()[-300:] or 'no output'}")
    try:
        updates = check_update(text)
    except ParseError as exc:
        return YumPlan(host.name, error=str(exc))
    _ok, kernel, _err = _run(state, host, "uname -r", config)
    return YumPlan(host.name, updates, running_kernel=kernel.strip())


def _disconnect(state) -> None:
    from pyinfra.api.connect import disconnect_all

    with contextlib.suppress(Exception):  # a host already gone (rebooted, dropped) has nothing left to close
        disconnect_all(state)


def apply(hosts: list[Host], config: TransportConfig, plans: dict[str, YumPlan], security: bool = False,
          reboot: bool = False, boot_wait: float = 300.0) -> list[YumResult]:
    """Update each host of the batch as its plan says, reboot it into a new kernel if allowed, and verify."""
    state, refused = _state(hosts, config)
    results = [YumResult(name, False, why) for name, why in refused.items()]
    failed = _connect(state) if state.inventory.hosts else {}
    for host in state.inventory:
        if host.name in failed:
            results.append(YumResult(host.name, False, failed[host.name]))
            continue
        results.append(_apply_one(state, host, config, plans[host.name], security, reboot, boot_wait))
    _disconnect(state)
    return results


def _apply_one(state, host, config: TransportConfig, want: YumPlan, security: bool, reboot: bool,
               boot_wait: float) -> YumResult:
    if not want.updates:
        return YumResult(host.name, True, "无待安装更新", running_kernel=want.running_kernel)
    names = " ".join(shlex.quote(f"{u.name}.{u.arch}") for u in want.updates)  # the parser admits RPM names only
    ok, text, err = _run(state, host, f"yum -y update{' --security' if security else ''} {names}", config, sudo=True)
    if not ok or "Complete!" not in text:
        return YumResult(host.name, False, f"yum update 失败：{(err + text).strip()[-300:] or '无输出'}")
    rebooted = False
    new_kernel = next((u for u in want.updates if u.name == "kernel"), None)
    if new_kernel and reboot:
        _run(state, host, "shutdown -r now", config, sudo=True)
        if not _wait_back(state, host, boot_wait):
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


def _answers_ssh(address: str) -> bool:
    try:
        with socket.create_connection((address, 22), timeout=1.0) as sock:
            sock.settimeout(1.0)
            return sock.recv(8).startswith(b"SSH-")
    except OSError:
        return False


def _wait_back(state, host, seconds: float) -> bool:
    """After the reboot: wait until the host's SSH answers again, then reconnect pyinfra's session to it."""
    deadline = time.monotonic() + seconds
    time.sleep(0.5)  # the host has not yet gone: its sshd still answers for a moment after `shutdown -r`
    while time.monotonic() < deadline:
        if _answers_ssh(str(host.data.ssh_hostname)):
            with contextlib.suppress(Exception):  # the old session died with the reboot
                host.disconnect()
            host.connected = False
            try:
                host.connect(show_errors=False, raise_exceptions=True)
                return True
            except Exception:  # nosec B110  # sshd is up but not yet taking logins: try again
                pass
        time.sleep(0.5)
    return False
