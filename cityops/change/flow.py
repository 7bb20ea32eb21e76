"""The change flow `invoke patch` and `invoke change` share: checked, windowed, rehearsed, batched, recorded.

1. The route (route.py) names the targets it does not change — a host without a patch route it carries out, a
   device whose platform takes no configuration change — and the change is refused by name, never skipped.
2. The change window of each target's lot (windows.py); outside it the change is refused unless forced with a
   reason, which the record keeps.
3. An inspection of the targets first (the daily checks): a target already failing is refused — a change is
   not made on a host that is already broken — except on the checks the change itself puts right (an overdue
   signature library is what its update is for).
4. The plan: what each host would take (its pending packages; a device's configuration diff, after a backup).
   Check mode (the default) stops here and records the rehearsal; nothing on any host changes.
5. With apply: the targets are marked as under change, then taken in batches; after each batch its hosts are
   verified by the route and inspected again (the daily checks and the route's own). The first batch that
   fails is undone where the route can (a network change replays its backup) and inspected once more; the
   change stops there, and the hosts after it are left untouched and named.
6. The record (record.py) holds every step; the 变更方案 (plan_doc.py) is written before anything changes.
"""

from __future__ import annotations

import datetime as dt
import getpass
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from ..inspect.catalogue import load_catalogue
from ..inventory.model import Host, Inventory
from ..timeutil import now
from . import windows
from .plan_doc import write_plan
from .record import RESULTS, ChangeRecord, new_id
from .route import Route

if TYPE_CHECKING:
    from .netconfig import ChangeFile


@dataclass
class ChangeRequest:
    hosts: list[Host]
    reason: str
    apply: bool = False
    batch_size: int = 1
    force_window: str = ""  # the reason for changing outside the window
    operator: str = ""
    reports: Path = Path("reports")
    lab_dir: Path | None = None
    at: dt.datetime | None = None  # the moment the change window is judged at (now; a test names its moment)

    def route(self, inv: Inventory) -> Route:  # pragma: no cover - each request names its route
        raise NotImplementedError

    def record_fields(self) -> dict:
        """What this kind of change adds to its record."""
        return {}


@dataclass
class PatchRequest(ChangeRequest):
    security: bool = False
    reboot: bool = False
    boot_wait: float = 300.0

    def route(self, inv: Inventory) -> Route:
        from . import aix_route, esxi_route, mssql_route, rac_route, wsus_route, yum_route
        from .route import RouteByHost

        return RouteByHost({yum_route.ROUTE: yum_route.YumRoute(self.security, self.reboot, self.boot_wait),
                            aix_route.ROUTE: aix_route.AixRoute(self.reboot, self.boot_wait),
                            esxi_route.ROUTE: esxi_route.EsxiRoute(self.boot_wait),
                            rac_route.ROUTE: rac_route.RacRoute(inv, self.reports, self.operator),
                            mssql_route.ROUTE: mssql_route.MssqlRoute(inv, self.reports, self.operator),
                            wsus_route.ROUTE: wsus_route.WsusRoute(inv, self.boot_wait)},
                           "patch_route", "操作系统补丁更新" + ("（仅安全更新）" if self.security else ""))

    def record_fields(self) -> dict:
        return {"security_only": self.security, "reboot_allowed": self.reboot}


@dataclass
class NetChangeRequest(ChangeRequest):
    change: ChangeFile | None = None  # the reviewed change file, as load_change validated it
    backups: Path = Path("backups")  # the backup taken before the change goes to this store

    def route(self, inv: Inventory) -> Route:
        from .netconfig import NetConfigRoute

        return NetConfigRoute(inv, self.change, self.backups, self.reports, self.lab_dir)

    def record_fields(self) -> dict:
        return {"change_file": self.change.record()}


@dataclass
class SignatureRequest(ChangeRequest):
    def route(self, inv: Inventory) -> Route:
        from .signature_route import SignatureRoute

        return SignatureRoute()


@dataclass
class ChangeOutcome:
    change_id: str
    result: str  # rehearsed | completed | stopped | refused
    record: dict
    lines: list[str] = field(default_factory=list)  # what the command line prints (Chinese)


def _inspection(inv: Inventory, hosts: list[Host], req: ChangeRequest, change_id: str, extra: tuple[str, ...] = ()):
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


def run(inv: Inventory, req: ChangeRequest) -> ChangeOutcome:
    at = req.at or now()
    route = req.route(inv)
    change_id = route.change_id = new_id(route.kind)
    record = ChangeRecord(req.reports, change_id, {
        "kind": route.kind, "title": route.title,
        "operator": req.operator or os.environ.get("CITYOPS_INSPECTOR", "") or getpass.getuser(),
        "os_user": getpass.getuser(), "reason": req.reason, "requested": at.isoformat(timespec="seconds"),
        "mode": "apply" if req.apply else "check", "targets": [h.name for h in req.hosts],
        "lots": sorted({lot for h in req.hosts for lot in h.lots}), **req.record_fields(),
        "batch_size": req.batch_size, "result": "running"})
    lines: list[str] = []

    def refuse(why: str, **details) -> ChangeOutcome:
        record.save("refused", result="refused", refused_because=why, ended=now().isoformat(timespec="seconds"),
                    **details)
        lines.append(f"变更 {change_id} 已拒绝：{why}")
        return ChangeOutcome(change_id, "refused", record.data, lines)

    if not req.hosts:
        return refuse("未选中任何主机")
    unsupported = route.unsupported(req.hosts)
    if unsupported:
        return refuse("以下主机的变更途径不由本命令执行：" + "；".join(
            f"{n}（{why}）" for n, why in sorted(unsupported.items())), unsupported=unsupported)
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
    blocking = [b for b in before["not_passing"] if b[1] not in route.fixes]  # what the change is for does not block
    if blocking:
        failing = sorted({b[0] for b in blocking})
        return refuse(f"变更前巡检未通过：{', '.join(failing)}（巡检 {before['run_id']}），先处理故障再变更")
    config = _config(req, change_id, route.kind)
    plans = route.plan(req.hosts, config)
    record.data["plan"] = {p.host: route.plan_record(p) for p in plans}
    broken = [p for p in plans if p.error]
    if broken:
        return refuse("无法形成变更计划：" + "；".join(f"{p.host} {p.error}" for p in broken))
    by_name = {p.host: p for p in plans}
    hosts = route.order(req.hosts, by_name)  # the order the batches take them in
    record.data["order"] = [h.name for h in hosts]
    record.data["plan_document"] = write_plan(record.dir, record.data, inv, route)  # 变更方案, before any change
    lines.append(f"变更方案：{record.dir / record.data['plan_document']['file']}")
    lines += [route.describe(p) for p in plans]
    if [h.name for h in hosts] != [h.name for h in req.hosts]:
        lines.append("实施顺序：" + " → ".join(h.name for h in hosts))
    if not req.apply:
        record.save("rehearsed", result="rehearsed", ended=now().isoformat(timespec="seconds"))
        lines.append(f"变更 {change_id}：检查模式，未改动任何主机（加 --apply 实施）")
        return ChangeOutcome(change_id, "rehearsed", record.data, lines)
    size = max(1, req.batch_size)
    batches = [hosts[i:i + size] for i in range(0, len(hosts), size)]
    held = record.mark([h.name for h in hosts])
    if held:
        return refuse("以下主机正在另一变更中：" + "；".join(f"{h}（{c}）" for h, c in sorted(held.items())))
    record.save("started", started=now().isoformat(timespec="seconds"), batches=[])
    result, done, rollback = "completed", 0, ""
    try:
        for n, batch in enumerate(batches, 1):
            applied = route.apply(batch, config, by_name)
            after = _inspection(inv, batch, req, change_id, route.verify_checks)
            ok = all(r.ok for r in applied) and not after["not_passing"]
            entry = {"batch": n, "hosts": [h.name for h in batch], "ok": ok, "after": after,
                     "applied": [route.result_record(r) for r in applied]}
            record.data["batches"].append(entry)
            done += len(batch)
            for r in applied:
                lines.append(f"第 {n} 批 {r.host}: {'成功' if r.ok else '失败'}，{r.detail}")
            for host, check, status, message in after["not_passing"]:
                lines.append(f"第 {n} 批复核 {host} {check} {status}: {message}")
            record.save(f"batch {n}")
            if ok:
                continue
            result = "stopped"
            undone = route.rollback(batch, config, by_name)
            if undone is not None:
                entry["rollback"] = [route.result_record(r) for r in undone]
                entry["after_rollback"] = _inspection(inv, batch, req, change_id, route.verify_checks)
                restored = all(r.ok for r in undone) and not entry["after_rollback"]["not_passing"]
                rollback = (f"第 {n} 批已回退" + ("，回退后复核通过" if restored else "，回退后复核仍未通过，需人工处置"))
                for r in undone:
                    lines.append(f"第 {n} 批回退 {r.host}: {'成功' if r.ok else '失败'}，{r.detail}")
                record.save(f"rollback {n}")
            break
    finally:
        record.unmark()
    untouched = [h.name for h in hosts[done:]]
    record.save(result, result=result, untouched=untouched, ended=now().isoformat(timespec="seconds"),
                rollback=rollback or (route.rollback_note if result == "stopped" else ""))
    lines.append(f"变更 {change_id}：{RESULTS[result]}" + (f"；{rollback}" if rollback else "")
                 + (f"；未触及：{', '.join(untouched)}" if untouched else ""))
    return ChangeOutcome(change_id, result, record.data, lines)


def _config(req: ChangeRequest, change_id: str, kind: str):
    """The transport configuration, its audit lines under the change's id and kind (patch, config …)."""
    from ..inspect.session import transport_config
    from ..transport.audit import AuditLog

    return transport_config(AuditLog(req.reports / "audit", change_id, req.operator, kind),
                            req.lab_dir)
