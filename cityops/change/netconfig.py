"""Network configuration changes (`invoke change FILE`): a reviewed change file, applied device by device.

The change file (changes/*.yml, reviewed in a pull request like any other change) names a title and, per
platform, the configuration lines as they are typed in configuration mode — indented lines belong to the
section opened above them (`interface GigabitEthernet0/0/1` then ` shutdown`). It may not carry a secret (the
redaction filter must find nothing to mask: secrets are never written to git), nor anything but configuration
(no save, commit, reload, delete, mode changes: the route does those itself).

Each platform's way is its driver's `change` (drivers/base.py ChangeMethod):
- napalm (Cisco IOS): `load_merge_candidate` sends the merge file over SCP, `compare_config` is the device's own
  diff, `commit_config` copies it into the running configuration (keeping napalm's rollback file first) and
  saves, `rollback` replaces the running configuration with that file;
- netmiko (Huawei VRP5, H3C Comware; VRP8 with `commit`): configuration mode, line by line, each answer read for
  the device's own error, then the platform's save; undone by replaying the configuration read before the
  change: what the change added taken out, what it removed or replaced put back, then saved.

Before the plan, the targets' configurations are backed up (the backup run, into the store and the vault): the
last good configuration is on file before anything is typed. After applying, the running configuration is
read back and every line of the change must be there (a negated one gone); the flow then inspects the batch,
and a failed batch is undone here. A database change (lot 6-3) is not a network change: it goes through its
own route with a database backup first.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from .. import drivers, platforms, safeyaml
from ..configtext import Entry, matching, parse
from ..drivers.base import ChangeMethod
from ..errors import BadInput, one_line
from ..inventory.model import Host, Inventory
from ..parsers import ParseError
from ..transport import redact
from ..transport.base import TransportConfig
from ..transport.errors import ConnectFailure
from .route import HostPlan, HostResult, Route

MAX_BYTES = 64 * 1024
MAX_LINES = 400
MAX_LINE = 300
# what a change file may not type: the route enters and leaves configuration mode, commits and saves itself, and
# a change file never reloads, erases or copies anything
NOT_CONFIGURATION = re.compile(
    r"^(?:undo |no )?(?:reboot|reload|reset|format|delete|erase|write|save|commit|quit|return|end|exit|"
    r"system-view|configure|copy|rollback|startup|tclsh|scp|file\s+prompt)\b", re.IGNORECASE)


@dataclass(frozen=True)
class ChangeFile:
    path: str
    sha256: str
    title: str
    description: str
    config: dict[str, str]  # platform -> the lines, sections by indentation

    def record(self) -> dict:
        return {"path": self.path, "sha256": self.sha256, "title": self.title, "description": self.description,
                "config": self.config}


def load_change(path: Path) -> ChangeFile:
    """A change file, validated; BadInput names the file, the place and the cause in one line."""
    text = safeyaml.read_text(path, MAX_BYTES)
    data = safeyaml.load_text(text, str(path), max_bytes=MAX_BYTES)
    if not isinstance(data, dict):
        raise BadInput(f"{path}: a change file is a mapping with title and config")
    unknown = sorted(set(map(str, data)) - {"title", "description", "config"})
    if unknown:
        raise BadInput(f"{path}: unknown key(s) {', '.join(unknown)} (title, description, config)")
    title = data.get("title")
    if not isinstance(title, str) or not title.strip() or len(title) > 120:
        raise BadInput(f"{path}: title: a line of at most 120 characters saying what the change does")
    description = data.get("description") or ""
    if not isinstance(description, str) or len(description) > 2000:
        raise BadInput(f"{path}: description: text of at most 2000 characters")
    config = data.get("config")
    if not isinstance(config, dict) or not config:
        raise BadInput(f"{path}: config: a mapping of platform to its configuration lines")
    out = {}
    for platform, lines in config.items():
        where = f"{path}: config.{one_line(platform, 40)}"
        driver = drivers.cli_driver(str(platform))
        if driver is None or driver.change is None:
            takes = ", ".join(sorted(p for p in platforms.PLATFORMS if (d := drivers.cli_driver(p)) and d.change))
            raise BadInput(f"{where}: not a platform cityops changes the configuration of ({takes})")
        if not isinstance(lines, str) or not lines.strip():
            raise BadInput(f"{where}: the configuration lines, as a block of text")
        out[str(platform)] = _checked_lines(lines, where)
    return ChangeFile(str(path), hashlib.sha256(text.encode()).hexdigest(), one_line(title, 120),
                      description.strip(), out)


def _checked_lines(text: str, where: str) -> str:
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n") if ln.strip()]
    if len(lines) > MAX_LINES:
        raise BadInput(f"{where}: {len(lines)} lines, more than the {MAX_LINES} one change may have")
    if lines[0][:1].isspace():
        raise BadInput(f"{where}:1: the first line is indented: a section's lines follow its opening line")
    for n, line in enumerate(lines, 1):
        if len(line) > MAX_LINE or "\t" in line or not line.isprintable():
            raise BadInput(f"{where}:{n}: a line of at most {MAX_LINE} printable characters, no tabs")
        if NOT_CONFIGURATION.match(line.strip()):
            raise BadInput(f"{where}:{n}: '{one_line(line.strip(), 60)}' is not configuration: the change route "
                           "enters, commits and saves itself")
        if redact.text(line) != line:
            raise BadInput(f"{where}:{n}: the line holds a secret; secrets never go into git — set it by hand "
                           "under its own change record")
    return "\n".join(lines)


def commands(text: str, method: ChangeMethod) -> list[str]:
    """The lines as typed: a section's lines after the line that opens it, then back up to the top level."""
    out, inside = [], False
    for raw in text.split("\n"):
        if raw[:1].isspace():
            out.append(raw.strip())
            continue
        if inside:
            out.append(method.up)
        out.append(raw.strip())
        inside = method.opens(raw.strip())
    if inside:
        out.append(method.up)
    return out


def negated(line: str, method: ChangeMethod) -> str | None:
    return line[len(method.negate):].strip() if line.startswith(method.negate) else None


def missing(change: str, running: list[Entry], method: ChangeMethod) -> list[str]:
    """The change's lines the running configuration does not show as the change wants (empty: all landed)."""
    out = []
    for ctx, line in parse(change):
        target = negated(line, method)
        if (matching(running, ctx, target) if target is not None else (ctx, line) not in running):
            out.append(f"{ctx + ' / ' if ctx else ''}{line}")
    return out


def preview(change: str, running: list[Entry], method: ChangeMethod) -> list[str]:
    """What the change would do to this configuration, as diff lines: `+` added, `-` taken out."""
    out = []
    for ctx, line in parse(change):
        where = f"[{ctx}] " if ctx else ""
        target = negated(line, method)
        if target is not None:
            out += [f"-{where}{x}" for x in matching(running, ctx, target)]
        elif (ctx, line) not in running:
            out.append(f"+{where}{line}")
    return out


def replay(before: list[Entry], now_: list[Entry], method: ChangeMethod) -> list[str]:
    """The lines that turn the configuration `now_` back into `before`: what is there now and was not taken out
    (a whole section at once), what was there and is gone put back, each in its section."""
    was, have = set(before), set(now_)
    headers_before = {x for c, x in before if not c}
    by_section: dict[str, list[str]] = {}
    top: list[str] = []
    for ctx, line in now_:
        if (ctx, line) in was:
            continue
        if not ctx:
            if line not in headers_before:
                top.append(method.negate + line)
        elif ctx in headers_before:
            restored = any(c == ctx and x != line and _same_setting(x, line) for c, x in before)
            if not restored:
                by_section.setdefault(ctx, []).append(method.negate + line)
    for ctx, line in before:
        if (ctx, line) in have:
            continue
        if not ctx:
            top.append(line)
        else:
            by_section.setdefault(ctx, []).append(line)
    out = list(top)
    for ctx, lines in by_section.items():
        out += [ctx, *lines, method.up]
    return out


def _same_setting(a: str, b: str) -> bool:
    """Two values of one single-valued setting (a description, an address): the old one put back replaces the new."""
    keys = ("description ", "ip address ", "sysname ", "hostname ")
    return any(a.startswith(k) and b.startswith(k) for k in keys)


class NetConfigRoute(Route):
    kind = "network"
    items_word, items_unit = "配置差异", "行"

    def __init__(self, inv: Inventory, change: ChangeFile, backups: Path, reports: Path, lab_dir: Path | None):
        self.inv, self.change, self.backups, self.reports, self.lab_dir = inv, change, backups, reports, lab_dir
        self.title = f"网络设备配置变更：{change.title}"

    def method(self, h: Host) -> ChangeMethod | None:
        driver = drivers.cli_driver(str(h.get("platform")))
        return driver.change if driver is not None else None

    def unsupported(self, hosts: list[Host]) -> dict[str, str]:
        out = {}
        for h in hosts:
            platform = str(h.get("platform"))
            if self.method(h) is None:
                out[h.name] = f"平台 {platform} 不经本命令变更配置"
            elif platform not in self.change.config:
                out[h.name] = f"变更文件未给出平台 {platform} 的配置"
        return out

    # -- plan ---------------------------------------------------------------------
    def plan(self, hosts: list[Host], config: TransportConfig) -> list[HostPlan]:
        from ..backup.run import Paths, backup

        taken = backup(self.inv, hosts, selection={"change": self.change_id}, lab_dir=self.lab_dir,
                       paths=Paths(root=self.backups, reports=self.reports), operator=config.audit.operator)
        rows = _backup_rows(taken.run_dir)
        out = []
        for h in hosts:
            row = rows.get(h.name, {})
            if row.get("status") != "ok":
                out.append(HostPlan(h.name, error=f"变更前配置备份失败（{taken.run_id}）："
                                    f"{one_line(row.get('detail') or row.get('cause') or '无结果', 200)}"))
                continue
            facts = {"method": self._method_name(h), "backup_run": taken.run_id, "backup_commit": taken.commit or "",
                     "backup_sha256": row.get("sha256", "")}
            out.append(self._plan_one(h, config, facts))
        return out

    def _method_name(self, h: Host) -> str:
        m = self.method(h)
        return f"napalm {m.napalm}" if m.napalm else "netmiko" + (" commit" if m.commit else "")

    def _plan_one(self, h: Host, config: TransportConfig, facts: dict) -> HostPlan:
        from ..transport.registry import open_session

        method, text = self.method(h), self.change.config[str(h.get("platform"))]
        try:
            session = open_session(h, config)
        except ConnectFailure as exc:
            return HostPlan(h.name, error=str(exc))
        try:
            before = _running(session)
            if method.napalm:
                items = _napalm(session, method, lambda d: _napalm_preview(d, text))
            else:
                items = preview(text, parse(before.full), method)
        except (ConnectFailure, ParseError, ChangeError) as exc:
            return HostPlan(h.name, error=one_line(str(exc), 300))
        finally:
            session.close()
        return HostPlan(h.name, items, facts=facts, payload={"before": before})

    def describe(self, p: HostPlan) -> str:
        if not p.items:
            return f"{p.host}: 配置已符合变更内容，无需下发"
        return f"{p.host}: {len(p.items)} 行配置差异：" + "；".join(p.items[:6]) + (" …" if len(p.items) > 6 else "")

    def plan_record(self, p: HostPlan) -> dict:
        return {"diff": p.items, "error": p.error, **p.facts}

    # -- apply ----------------------------------------------------------------------
    def apply(self, batch: list[Host], config: TransportConfig, plans: dict[str, HostPlan]) -> list[HostResult]:
        return [self._apply_one(h, config, plans[h.name]) for h in batch]

    def _apply_one(self, h: Host, config: TransportConfig, plan: HostPlan) -> HostResult:
        from ..transport.registry import open_session

        method, text = self.method(h), self.change.config[str(h.get("platform"))]
        if not plan.items:
            return HostResult(h.name, True, "配置已符合变更内容，未下发")
        try:
            session = open_session(h, config)
        except ConnectFailure as exc:
            return HostResult(h.name, False, str(exc))
        try:
            if method.napalm:
                diff = _napalm(session, method, lambda d: _napalm_commit(d, text), saves=True)
            else:
                _typed(session, method, commands(text, method))
                _save(session)
                diff = plan.items
            after = _running(session)
        except (ConnectFailure, ParseError, ChangeError) as exc:
            return HostResult(h.name, False, f"下发失败：{one_line(str(exc), 300)}")
        finally:
            session.close()
        left = missing(text, parse(after.full), method)
        if left:
            return HostResult(h.name, False, "读回运行配置，以下变更未生效：" + "；".join(left[:5]), diff)
        return HostResult(h.name, True, f"已下发并保存 {len(diff)} 行配置差异，读回核对一致", diff)

    # -- rollback -------------------------------------------------------------------
    def rollback(self, batch: list[Host], config: TransportConfig,
                 plans: dict[str, HostPlan]) -> list[HostResult] | None:
        return [self._rollback_one(h, config, plans[h.name]) for h in batch if plans[h.name].items]

    def _rollback_one(self, h: Host, config: TransportConfig, plan: HostPlan) -> HostResult:
        from ..transport.registry import open_session

        method, before = self.method(h), plan.payload["before"]
        try:
            session = open_session(h, config)
        except ConnectFailure as exc:
            return HostResult(h.name, False, f"回退无法连接：{exc}")
        try:
            if method.napalm:
                _napalm(session, method, lambda d: d.rollback(), saves=True)
                how = f"napalm rollback（configure replace {method.napalm} 回退文件）"
                sent: list[str] = []
            else:
                sent = replay(parse(before.full), parse(_running(session).full), method)
                _typed(session, method, sent)
                _save(session)
                how = f"按变更前配置回放 {len(sent)} 行并保存"
            after = _running(session)
        except (ConnectFailure, ParseError, ChangeError) as exc:
            return HostResult(h.name, False, f"回退失败：{one_line(str(exc), 300)}，请按备份 "
                                             f"{plan.facts.get('backup_commit', '')[:12]} 人工恢复")
        finally:
            session.close()
        left = replay(parse(before.full), parse(after.full), method)
        changed = [redact.text(x) for x in sent]
        if left:
            return HostResult(h.name, False, f"{how}后仍与变更前配置不同：" + "；".join(redact.text(x) for x in left[:5]),
                              changed)
        return HostResult(h.name, True, f"{how}，运行配置与变更前一致", changed)


class ChangeError(Exception):
    """The device refused or garbled a step of the change; the message names the step and the device's answer."""


def _backup_rows(run_dir: Path) -> dict[str, dict]:
    """The backup run's running-configuration rows by host, read back through the run's verification."""
    from ..report.runs import load_run

    return {str(r.get("host")): r for r in load_run(run_dir.parent, run_dir.name).all_results()
            if r.get("kind") == "running"}


def _running(session):
    """The running configuration read through the driver (complete, or ParseError): its text masked, its full
    form (secrets kept, memory only) what the change is compared with."""
    getter = session.driver.for_host("running_config", session.host)
    answer = session.run(getter.command, timeout=120)
    if not answer.ok:
        raise ChangeError(f"'{getter.command}' failed: {one_line(answer.stdout, 200)}")
    return getter.read(answer.stdout)


def _typed(session, method: ChangeMethod, lines: list[str]) -> None:
    """Configuration mode, the lines one by one (each answer read for the device's own error), the commit where
    the platform keeps a candidate, and out again."""
    steps = [method.enter, *lines, *([method.commit] if method.commit else []), method.leave]
    for step in steps:
        answer = session.run(step, timeout=60)
        if not answer.ok or "Failed to generate committed config" in answer.stdout:
            session.run(method.discard or method.leave, timeout=30)
            raise ChangeError(f"'{redact.text(step)}' refused: {one_line(answer.stdout, 200)}")


def _save(session) -> None:
    out = session.driven().save_config()
    if not re.search(r"(?i)success|\[OK\]|Copy complete", out or ""):
        raise ChangeError(f"save not confirmed: {one_line(out or 'no answer', 200)}")


def _napalm(session, method: ChangeMethod, work, saves: bool = False):
    """napalm's driver on the session's own netmiko connection (guarded, host keys pinned, every command
    audited). `file prompt quiet`, which napalm sets for its file operations, is taken back out — and, after a
    step that saved (commit, rollback), saved again, so the startup configuration holds the change and nothing
    of napalm's own."""
    from napalm import get_network_driver
    from napalm.base.exceptions import NapalmException

    cred = session.credential
    device = get_network_driver(method.napalm)(session.address, cred.username, cred.password,
                                               timeout=int(session.config.command_timeout))
    device.device = session.driven()
    try:
        return work(device)
    except (NapalmException, OSError, ValueError) as exc:
        raise ChangeError(f"napalm {method.napalm}: {type(exc).__name__}: {exc}") from None
    finally:
        if device.prompt_quiet_changed:
            device.device.send_config_set(["no file prompt quiet"])
            if saves:
                device.device.save_config()


def _napalm_preview(device, text: str) -> list[str]:
    device.load_merge_candidate(config=text + "\nend\n")
    try:
        return [ln for ln in device.compare_config().splitlines() if ln.strip()]
    finally:
        device.discard_config()


def _napalm_commit(device, text: str) -> list[str]:
    device.load_merge_candidate(config=text + "\nend\n")
    diff = [ln for ln in device.compare_config().splitlines() if ln.strip()]
    device.commit_config()
    return diff
