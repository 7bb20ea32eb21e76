"""The patch route of the AIX hosts (the Power minicomputers, AIX 7.1, no Python at all): pyinfra over SSH, emgr.

IBM ships AIX security fixes between service packs as interim fixes (`.epkg.Z`); the zone's mirror keeps those of
each level under `aix/<TL-SP>/ifix/` with a SHA256SUMS file. The plan reads the host's level (`oslevel -s`), the
fixes installed (`emgr -l`, read by the parser held to IBM's captures) and the mirror's list for that level: a fix
not installed is planned. Applying fetches each planned package here (from the mirror, its sha256 checked), puts
it on the host over SFTP (pyinfra: a shell and SFTP are all it needs on the target), previews it (`emgr -p -e`),
installs it under sudo (`emgr -X -e`), removes the staged file, and reads `emgr -l` again: every planned fix must
be listed, STABLE or, for a fix that changes the kernel, REBOOT REQUIRED: with --reboot the host is restarted
(`shutdown -Fr` under sudo) and must come back with those fixes STABLE; without it the record names them for the
window's reboot. Every command goes to the audit log.
"""

from __future__ import annotations

import hashlib
import io
import shlex
import urllib.request
from dataclasses import dataclass, field

from ..drivers.aix import Aix
from ..errors import one_line
from ..inventory.model import Host
from ..netguard import url_refusal
from ..parsers import ParseError
from ..transport.base import TransportConfig
from .pyinfra_hosts import each_host, run_command, wait_back
from .route import HostPlan, HostResult, PatchRoute

ROUTE = "pyinfra_aix"
LISTING = Aix.getters["interim_fixes"]  # the inspection's own `emgr -l` and its reader
STAGE = "/tmp/cityops-ifix"  # nosec B108  # the AIX host's own /tmp, where a fix package is staged for emgr
MAX_PACKAGE = 64 * 1024 * 1024


@dataclass
class Fix:
    label: str
    filename: str
    sha256: str


@dataclass
class AixPlan:
    level: str = ""
    url: str = ""
    installed: dict[str, str] = field(default_factory=dict)
    fixes: list[Fix] = field(default_factory=list)


class AixRoute(PatchRoute):
    """`invoke patch` on the hosts whose inventory route is pyinfra_aix."""

    items_word, items_unit = "待安装临时补丁（ifix）", "个"
    rollback_note = "未回退：emgr 临时补丁可按标签以 emgr -r -L 卸载；已停止后续批次，失败主机按复核结果处置"

    def __init__(self, reboot: bool = False, boot_wait: float = 900.0, title: str = "AIX 临时补丁（ifix）安装"):
        self.reboot, self.boot_wait, self.title = reboot, boot_wait, title

    def plan(self, hosts: list[Host], config: TransportConfig) -> list[HostPlan]:
        by_name = {h.name: h for h in hosts}
        return each_host(hosts, config, lambda state, host: self._plan_one(state, host, by_name[host.name], config),
                         lambda name, why: HostPlan(name, error=why))

    def _plan_one(self, state, host, h: Host, config: TransportConfig) -> HostPlan:
        ok, level_text, err = run_command(state, host, "oslevel -s", config)
        level = "-".join(level_text.strip().split("-")[:3])
        if not ok or len(level.split("-")) != 3:
            return HostPlan(host.name, error=f"oslevel -s: {one_line(err or level_text, 200) or 'no answer'}")
        try:
            installed = _installed(state, host, config)
        except ParseError as exc:
            return HostPlan(host.name, error=str(exc))
        mirror = str(h.get("package_mirror") or "")
        url = f"{mirror.rstrip('/')}/aix/{level}/ifix/"
        why = url_refusal(url) if mirror else "no package_mirror for the host's zone in the inventory"
        if why:
            return HostPlan(host.name, error=f"{url or 'package_mirror'}: {why}")
        try:
            offered = _sums(_fetch(url + "SHA256SUMS", 1024 * 1024).decode("utf-8", "replace"), url)
        except (OSError, ValueError) as exc:
            return HostPlan(host.name, error=f"{url}SHA256SUMS: {one_line(str(exc), 200)}")
        fixes = [f for f in offered if f.label not in installed]
        payload = AixPlan(level, url, installed, fixes)
        return HostPlan(host.name, [f"{f.label} ({f.filename})" for f in fixes], facts={"level": level}, payload=payload)

    def apply(self, batch: list[Host], config: TransportConfig, plans: dict[str, HostPlan]) -> list[HostResult]:
        return each_host(batch, config, lambda state, host: self._apply_one(state, host, config, plans[host.name].payload),
                         lambda name, why: HostResult(name, False, why))

    def _apply_one(self, state, host, config: TransportConfig, want: AixPlan) -> HostResult:
        if not want.fixes:
            return HostResult(host.name, True, "无待安装临时补丁")
        ok, _out, err = run_command(state, host, f"mkdir -p {STAGE}", config)
        if not ok:
            return HostResult(host.name, False, f"无法建立暂存目录 {STAGE}：{one_line(err, 200)}")
        done: list[str] = []
        for fix in want.fixes:
            try:
                data = _fetch(want.url + fix.filename, MAX_PACKAGE)
            except OSError as exc:
                return HostResult(host.name, False, f"{fix.filename} 下载失败：{one_line(str(exc), 200)}", done)
            if hashlib.sha256(data).hexdigest() != fix.sha256:
                return HostResult(host.name, False, f"{fix.filename} 与软件源 SHA256SUMS 不符，未安装", done)
            staged = f"{STAGE}/{fix.filename}"
            if not host.put_file(io.BytesIO(data), staged):
                return HostResult(host.name, False, f"{fix.filename} 上传失败", done)
            config.audit.record(host.name, str(host.data.ssh_hostname), str(host.data.ssh_user), "sftp/pyinfra",
                                f"put {staged} sha256={fix.sha256}", 0, 0.0)
            for step in (f"emgr -p -e {shlex.quote(staged)}", f"emgr -X -e {shlex.quote(staged)}"):
                ok, out, err = run_command(state, host, step, config, sudo=True)
                if not ok or "Return Status = SUCCESS" not in out:
                    run_command(state, host, f"rm -f {shlex.quote(staged)}", config)
                    return HostResult(host.name, False, f"{step.split()[1]} {fix.label} 失败："
                                      f"{one_line((err + ' ' + out).strip()[-300:], 300) or '无输出'}", done)
            run_command(state, host, f"rm -f {shlex.quote(staged)}", config)
            done.append(fix.label)
        try:
            after = _installed(state, host, config)
        except ParseError as exc:
            return HostResult(host.name, False, f"安装后复核失败：{exc}", done)
        missing = [f.label for f in want.fixes if f.label not in after]
        if missing:
            return HostResult(host.name, False, f"安装后 emgr -l 未列出：{', '.join(missing)}", done)
        pending_boot = sorted(label for label in done if after.get(label) == "Q")
        if not pending_boot or not self.reboot:
            return HostResult(host.name, True, f"已安装 {len(done)} 个临时补丁" + (
                f"；{', '.join(pending_boot)} 需重启生效（状态 *Q*），请在变更窗口内安排重启（或以 --reboot 实施）"
                if pending_boot else ""), done, {"reboot_required": pending_boot})
        run_command(state, host, "shutdown -Fr", config, sudo=True)  # a kernel fix is in place after the boot
        if not wait_back(state, host, self.boot_wait):
            return HostResult(host.name, False, f"重启后 {self.boot_wait:.0f} 秒内未恢复连接", done,
                              {"reboot_required": pending_boot, "rebooted": True})
        try:
            booted = _installed(state, host, config)
        except ParseError as exc:
            return HostResult(host.name, False, f"重启后复核失败：{exc}", done, {"rebooted": True})
        still = [label for label in pending_boot if booted.get(label) != "S"]
        if still:
            return HostResult(host.name, False, f"重启后仍未稳定（非 S 状态）：{', '.join(still)}", done,
                              {"reboot_required": still, "rebooted": True})
        return HostResult(host.name, True, f"已安装 {len(done)} 个临时补丁，已重启，{', '.join(pending_boot)} 已生效",
                          done, {"reboot_required": [], "rebooted": True})

    def describe(self, p: HostPlan) -> str:
        return f"{p.host}（{p.facts.get('level', '')}）: {len(p.items)} 个临时补丁待安装" + (
            "：" + "，".join(p.items) if p.items else "")


def _installed(state, host, config: TransportConfig) -> dict[str, str]:
    ok, text, err = run_command(state, host, LISTING.command, config)
    if not ok:
        raise ParseError(f"emgr -l failed: {one_line(err or text, 200) or 'no output'}")
    return LISTING.read(text)


def _fetch(url: str, limit: int) -> bytes:
    """One file from the zone's mirror (a loopback address the target guard allows), at most `limit` bytes."""
    why = url_refusal(url)
    if why:
        raise OSError(f"{url}: {why}")
    with urllib.request.urlopen(url, timeout=30) as response:  # nosec B310  # http:// on an allowed address only
        data = response.read(limit + 1)
    if len(data) > limit:
        raise OSError(f"{url}: larger than {limit} bytes")
    return data


def _sums(text: str, url: str) -> list[Fix]:
    """SHA256SUMS (`<sha256>  <file>` per line) as fixes; a line of another form is an error, not skipped."""
    out = []
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        parts = line.split()
        if (len(parts) != 2 or len(parts[0]) != 64 or any(c not in "0123456789abcdef" for c in parts[0])
                or not parts[1].endswith(".epkg.Z") or "/" in parts[1] or not parts[1][:1].isalnum()):
            raise ValueError(f"{url}SHA256SUMS:{n}: not '<sha256>  <file>.epkg.Z': {one_line(line, 80)!r}")
        out.append(Fix(parts[1].split(".", 1)[0], parts[1], parts[0]))
    return out
