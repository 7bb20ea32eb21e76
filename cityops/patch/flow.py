"""The change flow `invoke patch` follows (and `invoke change` will): checked, windowed, rehearsed, batched, recorded.

1. Each target's route comes from the inventory (`patch_route`); a host whose route this flow does not carry
   out is refused by name, never skipped in silence.
2. The change window of each target's lot (windows.py); outside it the change is refused unless forced with a
   reason, which the record keeps.
3. An inspection of the targets first (the daily checks): a target already failing is refused — a change is
   not made on a host that is already broken.
4. The plan: what each host would take from its own repositories. Check mode (the default) stops here and
   records the rehearsal; nothing on any host changes.
5. With apply: the targets are marked as under change, then taken in batches; after each batch its hosts are
   verified by the route and inspected again (the daily checks and LNX-PATCH-002). The first batch that fails
   stops the change; the hosts after it are left untouched and named.
6. The record (record.py) holds every step.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..inspect.catalogue import load_catalogue
from ..inventory.model import Host, Inventory
from ..timeutil import now
from . import windows, yum_route
from .plan_doc import write_plan
from .record import RESULTS, ChangeRecord, new_id

ROUTES = {yum_route.ROUTE: yum_route}
VERIFY_CHECKS = ("LNX-PATCH-002",)  # what the next inspection must see after a patch: nothing left pending


@dataclass
class PatchRequest:
    hosts: list[Host]
    reason: str
    apply: bool = False
    security: bool = False
    reboot: bool = False
    batch_size: int = 1
    force_window: str = ""  # the reason for changing outside the window
    operator: str = ""
    reports: Path = Path("reports")
    lab_dir: Path | None = None
    boot_wait: float = 300.0
    at: dt.datetime | None = None  # the moment the change window is judged at (now; a test names its moment)


@dataclass
class PatchOutcome:
    change_id: str
    result: str  # rehearsed | completed | stopped | refused
    record: dict
    lines: list[str] = field(default_factory=list)  # what the command line prints (Chinese)


def _inspection(inv: Inventory, hosts: list[Host], req: PatchRequest, change_id: str, extra: tuple[str, ...] = ()):
    """The daily checks (and `extra`) on the hosts; (run id, counts, [(host, check, status, message)] not passing)."""
    from ..inspect.session import inspect
    from ..report.runs import load_run

    daily = {c.id for c in load_catalogue().values() if "daily" in c.cadences}
    outcome = inspect(inv, hosts, cadence=None, selection={"change": change_id}, reports=req.reports,
                      lab_dir=req.lab_dir, inspector=req.operator, only=daily | set(extra), workers=16)
    rows = list(load_run(outcome.run_dir.parent, outcome.run_id).all_results())  # read back through the verification
    counts = {s: sum(r["status"] == s for r in rows) for s in ("pass", "warn", "fail", "error", "waived")}
    bad = [(r["host"], r["check_id"], r["status"], r["message"]) for r in rows if r["status"] in ("fail", "error")]
    return {"run_id": outcome.run_id, "counts": counts, "not_passing": [list(b) for b in bad]}


def run(inv: Inventory, req: PatchRequest) -> PatchOutcome:
    at = req.at or now()
    change_id = new_id("patch")
    record = ChangeRecord(req.reports, change_id, {
        "kind": "patch", "title": "操作系统补丁更新" + ("（仅安全更新）" if req.security else ""),
        "operator": req.operator or os.environ.get("CITYOPS_INSPECTOR", "") or getpass.getuser(),
        "os_user": getpass.getuser(), "reason": req.reason, "requested": at.isoformat(timespec="seconds"),
        "mode": "apply" if req.apply else "check", "targets": [h.name for h in req.hosts],
        "lots": sorted({lot for h in req.hosts for lot in h.lots}), "security_only": req.security,
        "reboot_allowed": req.reboot, "batch_size": req.batch_size, "result": "running"})
    lines: list[str] = []

    def refuse(why: str, **details) -> PatchOutcome:
        record.save("refused", result="refused", refused_because=why, ended=now().isoformat(timespec="seconds"),
                    **details)
        lines.append(f"变更 {change_id} 已拒绝：{why}")
        return PatchOutcome(change_id, "refused", record.data, lines)

    if not req.hosts:
        return refuse("未选中任何主机")
    routes = {h.name: str(h.get("patch_route") or "") for h in req.hosts}
    unrouted = {n: r for n, r in routes.items() if r not in ROUTES}
    if unrouted:
        return refuse("以下主机的补丁途径不由本命令执行：" + "；".join(
            f"{n}（{r or '未在清单中登记 patch_route'}）" for n, r in sorted(unrouted.items())), routes=routes)
    closed = windows.closed(req.hosts, at)
    window = {"checked_at": at.isoformat(timespec="seconds"),
              "declared": {h.name: [w.text for w in windows.windows_of(h)] for h in req.hosts},
              "outside": closed, "forced_because": req.force_window if closed else ""}
    record.data["window"] = window
    if closed and not req.force_window:
        return refuse("不在变更窗口内：" + "；".join(f"{n} {why}" for n, why in sorted(closed.items()))
                      + "（确需变更请以 --force-window 说明理由）")
    before = _inspection(inv, req.hosts, req, change_id)
    record.data["before"] = before
    if before["not_passing"]:
        failing = sorted({b[0] for b in before["not_passing"]})
        return refuse(f"变更前巡检未通过：{', '.join(failing)}（巡检 {before['run_id']}），先处理故障再变更")
    config = _config(req, change_id)
    plans = yum_route.plan(req.hosts, config, req.security)
    record.data["plan"] = {p.host: {"updates": [f"{u.name}.{u.arch} {u.evr} ({u.repo})" for u in p.updates],
                                    "running_kernel": p.running_kernel, "error": p.error} for p in plans}
    broken = [p for p in plans if p.error]
    if broken:
        return refuse("无法读取更新计划：" + "；".join(f"{p.host} {p.error}" for p in broken))
    record.data["plan_document"] = write_plan(record.dir, record.data, inv)  # 变更方案, before anything changes
    lines.append(f"变更方案：{record.dir / record.data['plan_document']['file']}")
    for p in plans:
        lines.append(f"{p.host}: {len(p.updates)} 个更新待安装" + (
            "：" + "，".join(f"{u.name} {u.evr}" for u in p.updates[:8]) + (" …" if len(p.updates) > 8 else "")
            if p.updates else ""))
    if not req.apply:
        record.save("rehearsed", result="rehearsed", ended=now().isoformat(timespec="seconds"))
        lines.append(f"变更 {change_id}：检查模式，未改动任何主机（加 --apply 实施）")
        return PatchOutcome(change_id, "rehearsed", record.data, lines)
    by_name = {p.host: p for p in plans}
    size = max(1, req.batch_size)
    batches = [req.hosts[i:i + size] for i in range(0, len(req.hosts), size)]
    held = record.mark([h.name for h in req.hosts])
    if held:
        return refuse("以下主机正在另一变更中：" + "；".join(f"{h}（{c}）" for h, c in sorted(held.items())))
    record.save("started", started=now().isoformat(timespec="seconds"), batches=[])
    result, done = "completed", 0
    try:
        for n, batch in enumerate(batches, 1):
            applied = yum_route.apply(batch, config, by_name, req.security, req.reboot, req.boot_wait)
            after = _inspection(inv, batch, req, change_id, VERIFY_CHECKS)
            ok = all(r.ok for r in applied) and not after["not_passing"]
            record.data["batches"].append({
                "batch": n, "hosts": [h.name for h in batch], "ok": ok, "after": after,
                "applied": [asdict(r) for r in applied]})
            done += len(batch)
            for r in applied:
                lines.append(f"第 {n} 批 {r.host}: {'成功' if r.ok else '失败'}，{r.detail}")
            for host, check, status, message in after["not_passing"]:
                lines.append(f"第 {n} 批复核 {host} {check} {status}: {message}")
            record.save(f"batch {n}")
            if not ok:
                result = "stopped"
                break
    finally:
        record.unmark()
    untouched = [h.name for h in req.hosts[done:]]
    record.save(result, result=result, untouched=untouched, ended=now().isoformat(timespec="seconds"),
                rollback="未回退：yum 更新不自动回退；已停止后续批次，失败主机按复核结果处置")
    lines.append(f"变更 {change_id}：{RESULTS[result]}" + (f"；未触及：{', '.join(untouched)}" if untouched else ""))
    return PatchOutcome(change_id, result, record.data, lines)


def _config(req: PatchRequest, change_id: str):
    """The transport configuration, its audit lines under the change's id."""
    from ..inspect.session import transport_config
    from ..transport.audit import AuditLog

    return transport_config(AuditLog(req.reports / "audit" / f"{now():%Y-%m}.jsonl", change_id, req.operator),
                            req.lab_dir)
