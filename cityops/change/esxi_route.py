"""The patch route of the ESXi hosts (ESXi 6.0, 6.5, 6.7; no Python cityops may use): pyinfra over SSH, esxcli.

ESXi patches are cumulative image profiles in an offline bundle; the host's `esxi_patch` names the bundle staged
on its datastore (`bundle`, a /vmfs/volumes path), the profile to take from it (`profile`) and the build it brings
(`build`). The plan reads the running build (`vmware -v`) and image profile (`esxcli software profile get`) and,
when the build is not the target, asks the host whether the staged bundle holds that profile (`esxcli software
sources profile list -d`). Applying follows VMware's procedure for a host: maintenance mode on (esxcli fails while
VMs still run on it: vCenter's DRS moves them first), `esxcli software profile update -d … -p …` (its answer read
for success), `esxcli system shutdown reboot -r <change>`, wait until the host has restarted (its uptime began
again), check it runs the target build, maintenance mode off. A host that does not come back stops the change
and stays in maintenance mode, named in the record; every command goes to the audit log.
"""

from __future__ import annotations

import re
import shlex
import time

from ..errors import one_line
from ..inventory.model import Host
from ..transport.base import TransportConfig
from .pyinfra_hosts import each_host, run_command, wait_back
from .route import HostPlan, HostResult, PatchRoute, declared

ROUTE = "pyinfra_esxi"
BUILD = re.compile(r"^VMware ESXi \S+ build-(\d+)\s*$")
BUNDLE = re.compile(r"^/vmfs/volumes/[^/\s'\"]+/[^\s'\"]+\.zip$")
PROFILE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,80}$")


def inventory_problem(h: Host) -> str:
    """What the inventory lacks for this host's update, or ''."""
    patch, missing = declared(h, "esxi_patch", ("bundle", "profile", "build"))
    if missing:
        return "清单未登记 ESXi 补丁所需的 " + ", ".join(missing)
    if not BUNDLE.match(str(patch["bundle"])):
        return f"esxi_patch.bundle 须为数据存储上的 .zip 离线包路径：{str(patch['bundle'])[:80]!r}"
    if not PROFILE.match(str(patch["profile"])) or not str(patch["build"]).isdigit():
        return "esxi_patch.profile 或 build 格式不符"
    return ""


class EsxiRoute(PatchRoute):
    """`invoke patch` on the hosts whose inventory route is pyinfra_esxi."""

    items_word, items_unit = "待更新映像配置文件", "个"
    rollback_note = ("未回退：ESXi 可在启动时按 Shift+R 回到上一映像（保留一份 altbootbank）；已停止后续批次，"
                     "未恢复的主机仍在维护模式，须到场处置")

    def __init__(self, boot_wait: float = 900.0, title: str = "ESXi 映像配置文件更新"):
        self.boot_wait, self.title = boot_wait, title

    def plan(self, hosts: list[Host], config: TransportConfig) -> list[HostPlan]:
        by_name = {h.name: h for h in hosts}
        return each_host(hosts, config, lambda state, host: self._plan_one(state, host, by_name[host.name], config),
                         lambda name, why: HostPlan(name, error=why))

    def _plan_one(self, state, host, h: Host, config: TransportConfig) -> HostPlan:
        problem = inventory_problem(h)
        if problem:
            return HostPlan(host.name, error=problem)
        patch = declared(h, "esxi_patch", ())[0]
        build, err = _build(state, host, config)
        if build is None:
            return HostPlan(host.name, error=err)
        ok, profile_text, err = run_command(state, host, "esxcli software profile get", config)
        current = profile_text.strip().splitlines()[0].strip() if ok and profile_text.strip() else ""
        if not current:
            return HostPlan(host.name, error=f"esxcli software profile get: {one_line(err or profile_text, 200)}")
        facts = {"build": build, "profile": current, "target_build": str(patch["build"])}
        if build == str(patch["build"]):
            return HostPlan(host.name, [], facts=facts)
        ok, listed, err = run_command(state, host, f"esxcli software sources profile list -d "
                                      f"{shlex.quote(str(patch['bundle']))}", config)
        if not ok or not any(line.split()[:1] == [str(patch["profile"])] for line in listed.splitlines()):
            return HostPlan(host.name, error=f"离线包 {patch['bundle']} 未暂存或不含映像 {patch['profile']}："
                            f"{one_line(err or listed, 200)}")
        return HostPlan(host.name, [f"{patch['profile']}（build {build} → {patch['build']}）"], facts=facts,
                        payload=patch)

    def apply(self, batch: list[Host], config: TransportConfig, plans: dict[str, HostPlan]) -> list[HostResult]:
        return each_host(batch, config, lambda state, host: self._apply_one(state, host, config, plans[host.name]),
                         lambda name, why: HostResult(name, False, why))

    def _apply_one(self, state, host, config: TransportConfig, plan: HostPlan) -> HostResult:
        patch = plan.payload
        if not plan.items or not patch:
            return HostResult(host.name, True, "已为目标版本，未执行")
        steps = [("进入维护模式", "esxcli system maintenanceMode set --enable true"),
                 ("更新映像", f"esxcli software profile update -d {shlex.quote(str(patch['bundle']))} "
                             f"-p {shlex.quote(str(patch['profile']))}")]
        for what, command in steps:
            ok, out, err = run_command(state, host, command, config)
            if not ok or (command.startswith("esxcli software") and "completed successfully" not in out):
                return HostResult(host.name, False, f"{what}失败：{one_line((err + ' ' + out).strip(), 300)}",
                                  facts={"maintenance": what != "进入维护模式"})
        uptime = _uptime(state, host, config)
        t0 = time.monotonic()
        run_command(state, host, f"esxcli system shutdown reboot -r {shlex.quote('cityops ' + self.change_id)}",
                    config)
        if not _restarted(state, host, config, uptime, t0, self.boot_wait):
            return HostResult(host.name, False, f"重启后 {self.boot_wait:.0f} 秒内未恢复连接，主机仍在维护模式",
                              facts={"maintenance": True})
        build, err = _build(state, host, config)
        if build != str(patch["build"]):
            return HostResult(host.name, False, f"重启后仍为 build {build or err}（目标 {patch['build']}），主机仍在维护模式",
                              facts={"maintenance": True})
        ok, out, err = run_command(state, host, "esxcli system maintenanceMode set --enable false", config)
        if not ok:
            return HostResult(host.name, False, f"已更新为 build {build}，退出维护模式失败：{one_line(err or out, 200)}",
                              [str(patch["profile"])], {"maintenance": True})
        return HostResult(host.name, True, f"已更新为 {patch['profile']}（build {build}），已重启并退出维护模式",
                          [str(patch["profile"])], {"build": build})

    def describe(self, p: HostPlan) -> str:
        return (f"{p.host}（build {p.facts.get('build', '')}）: " +
                (f"待更新 {'，'.join(p.items)}（维护模式、更新映像、重启、复核版本）" if p.items else "已为目标版本，无需变更"))


def _build(state, host, config: TransportConfig) -> tuple[str | None, str]:
    ok, text, err = run_command(state, host, "vmware -v", config)
    m = BUILD.match(text.strip()) if ok else None
    return (m.group(1), "") if m else (None, f"vmware -v: {one_line(err or text, 200) or '无输出'}")


def _uptime(state, host, config: TransportConfig) -> int | None:
    """`esxcli system stats uptime get`: microseconds since the host booted."""
    ok, text, _err = run_command(state, host, "esxcli system stats uptime get", config)
    return int(text.strip()) if ok and text.strip().isdigit() else None


def _restarted(state, host, config: TransportConfig, before: int | None, t0: float, seconds: float) -> bool:
    """Wait until the host answers again with an uptime that began after the reboot was asked for (its sshd may
    still answer for a moment after the command, as the old system goes down)."""
    deadline = t0 + seconds
    while time.monotonic() < deadline:
        if not wait_back(state, host, max(1.0, deadline - time.monotonic())):
            return False
        now = _uptime(state, host, config)
        if now is not None and (before is None or now < before + (time.monotonic() - t0) * 1_000_000 - 500_000):
            return True
        time.sleep(0.5)
    return False
