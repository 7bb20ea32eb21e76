"""`invoke audit.show` and `invoke audit.verify`: read and prove the trail of every command sent to a device."""

from __future__ import annotations

import collections
import datetime as dt
import fnmatch
import json
from pathlib import Path

from invoke import Collection, Exit, task

from ..errors import EXIT_FINDINGS, BadInput, one_line
from ..hashchain import HashChain
from ..timeutil import BEIJING
from ..transport import audit as trail
from .common import SelectionTask

SHOW_HELP = {
    "host": "host names or globs, comma-separated", "run": "a run or change id", "task_": "inspect, backup, patch, …",
    "operator": "the cityops operator or the OS user", "since": "YYYY-MM-DD or an ISO time (+08:00)",
    "until": "YYYY-MM-DD (that whole day) or an ISO time", "failed": "only commands that did not end with status 0",
    "grep": "text the command contains", "limit": "the newest N lines (default 200; 0 for all)",
    "json_": "one JSON object per line instead of the table", "reports": "reports directory (default ./reports)",
}


def _moment(text: str, what: str, end: bool = False) -> dt.datetime:
    try:
        if len(text) == 10:
            day = dt.date.fromisoformat(text) + dt.timedelta(days=1 if end else 0)
            return dt.datetime.combine(day, dt.time(), tzinfo=BEIJING)
        at = dt.datetime.fromisoformat(text)
    except ValueError:
        raise BadInput(f"--{what} '{one_line(text, 40)}': not a date (YYYY-MM-DD) or an ISO time") from None
    return at if at.tzinfo else at.replace(tzinfo=BEIJING)


def _when(entry: dict) -> dt.datetime | None:
    try:
        return dt.datetime.fromisoformat(str(entry.get("time", "")))
    except ValueError:
        return None


@task(help=SHOW_HELP, klass=SelectionTask, auto_shortflags=False)
def show(c, host="", run="", task_="", operator="", since="", until="", failed=False, grep="", limit=200,
         json_=False, reports="reports"):
    """审计日志: who sent what to which device, when, and how it ended — filtered, newest last."""
    directory = Path(reports) / "audit"
    hosts = [h for h in host.split(",") if h]
    start = _moment(since, "since") if since else None
    end = _moment(until, "until", end=True) if until else None
    kept: collections.deque = collections.deque(maxlen=limit if limit > 0 else None)
    for e in trail.entries(directory):
        if hosts and not any(fnmatch.fnmatchcase(str(e.get("host", "")), h) for h in hosts):
            continue
        if (run and e.get("run_id") != run) or (task_ and e.get("task") != task_) \
                or (operator and operator not in (e.get("operator"), e.get("os_user"))) \
                or (failed and e.get("status") == 0) or (grep and grep not in str(e.get("command", ""))):
            continue
        if start or end:
            at = _when(e)
            if at is None or (start and at < start) or (end and at >= end):
                continue
        kept.append(e)
    for e in kept:
        if json_:
            print(json.dumps({k: v for k, v in e.items() if not k.startswith("_")}, ensure_ascii=False))
        else:
            print(f"{str(e.get('time', ''))[:23]:23}  {e.get('task', '') or '-':13} {e.get('run_id', ''):32} "
                  f"{e.get('os_user', '')}/{e.get('operator', '')}  {e.get('host', '')}  "
                  f"状态 {e.get('status')}  {e.get('seconds', 0)}s  {one_line(str(e.get('command', '')), 160)}")
    verdict = trail.verify(directory)
    if not verdict.ok:
        print(f"注意：审计日志未通过校验（{verdict.problems[0]}…），以上内容不可作为证据；运行 invoke audit.verify")


def recorded_heads(reports: Path) -> dict[Path, list[tuple[str, dict]]]:
    """The chain heads a reports directory keeps, by the trail each belongs to — each sealed run's manifest, each
    backup's end in the ledger, each change step, and at the centre each imported zone bundle and the runs it
    brought (their heads are of their zone's trail, kept under zones/<zone>/audit) — as (who recorded it, head)."""
    from ..backup.ledger import LEDGER
    from ..zone.bundle import imports

    own = reports / "audit"
    out: dict[Path, list[tuple[str, dict]]] = {own: []}
    zone_of: dict[str, str] = {}
    for bundle in imports(reports).read().entries:
        trail_dir = reports / "zones" / str(bundle.get("zone")) / "audit"
        out.setdefault(trail_dir, []).append((f"区域 {bundle.get('zone')} 第 {bundle.get('sequence')} 批证据包",
                                              bundle.get("audit_head") or {}))
        zone_of.update({str(r): str(bundle.get("zone")) for r in bundle.get("runs") or []})
    for manifest in sorted((reports / "runs").glob("*/manifest.json")):
        try:
            data = json.loads(manifest.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # an unreadable manifest is the run register's finding, not the trail's
        if isinstance(data, dict) and isinstance(data.get("audit_head"), dict):
            zone = zone_of.get(manifest.parent.name)
            trail_dir = reports / "zones" / zone / "audit" if zone else own
            out.setdefault(trail_dir, []).append((f"运行 {manifest.parent.name} 的清单", data["audit_head"]))
    for path, who in ((reports / LEDGER, "备份记录 {id}"), (reports / "changes" / "register.jsonl",
                                                          "变更 {change_id}（{step}）")):
        for entry in HashChain(path).read().entries:
            if isinstance(entry.get("audit_head"), dict) and not entry.get("bundle"):
                out[own].append((who.format_map(collections.defaultdict(str, entry)), entry["audit_head"]))
    return out


@task(help={"reports": "reports directory (default ./reports)"})
def verify(c, reports="reports"):
    """校验审计日志: every line chained to the one before across the monthly segments, and every chain head that a
    run manifest, the backup ledger or the change register recorded still in the trail (exit 1 names what broke)."""
    reports = Path(reports)
    problems: list[str] = []
    for trail_dir, heads in recorded_heads(reports).items():
        verdict = trail.verify(trail_dir, heads)
        label = "审计日志" if trail_dir == reports / "audit" else f"区域 {trail_dir.parent.name} 的审计日志"
        print(f"{label}：{verdict.segments} 个月度分段，{verdict.entries} 条记录；核对已记录的链头 {verdict.heads} 个")
        problems += verdict.problems
    if not problems:
        print("校验通过：未发现改动、删除、插入或截断")
        return
    for p in problems:
        print(f"  {p}")
    raise Exit(f"cityops: 审计日志未通过校验（{len(problems)} 处问题）", code=EXIT_FINDINGS)


audit_ns = Collection("audit", show, verify)
