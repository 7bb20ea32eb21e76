"""The configuration backups a ledger covers: every backup run of a lot in a period, read and verified exactly as
inspection runs are (files against the manifest, the manifest against the run register, a dead run's lock), so a
backup record a bureau is shown cannot have been rewritten since it was sealed."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..backup.capture import CAUSES as CAPTURE_CAUSES
from ..transport.errors import CAUSES as CONNECT_CAUSES
from .runs import Period, Run, scan_runs

STATUS = {"ok": "已备份", "failed": "备份失败", "quarantined": "已隔离（输出不完整）", "skipped": "未采集",
          "unsupported": "暂不支持"}
KIND = {"running": "当前配置", "startup": "启动配置"}
RUN_HEADERS = ["备份编号", "开始时间", "操作人", "设备数", "已备份配置", "有变更", "失败", "已隔离", "状态"]
PROBLEM_HEADERS = ["时间", "设备", "配置", "结果", "原因"]


@dataclass
class BackupRecords:
    runs: list[Run] = field(default_factory=list)
    run_rows: list[tuple] = field(default_factory=list)
    problems: list[tuple] = field(default_factory=list)

    @property
    def devices(self) -> int:
        return max((r[3] for r in self.run_rows), default=0)


def cause_text(code: str, detail: str) -> str:
    name = CAPTURE_CAUSES.get(code) or CONNECT_CAUSES.get(code) or code
    return f"{name}（{detail}）" if detail and detail != name else name


def backup_records(reports: Path, lot: str, period: Period) -> BackupRecords:
    """The lot's backup runs in the period, oldest first, each summed over the lot's devices only."""
    out = BackupRecords()
    for run in scan_runs(reports / "backups", period.start, period.end):
        if lot not in run.manifest.get("lots", []):
            continue
        run.lot = lot
        hosts, counts = set(), dict.fromkeys(("ok", "changed", "failed", "quarantined"), 0)
        for r in run.stream():
            hosts.add(r.get("host"))
            status = r.get("status")
            if status in counts:
                counts[status] += 1
            counts["changed"] += bool(status == "ok" and (r.get("changed") or r.get("added")))
            if r.get("unsaved_lines"):
                out.problems.append((str(r.get("time", ""))[:16].replace("T", " "), r.get("host"), "当前配置",
                                     "配置未保存", f"当前配置与启动配置相差 {r['unsaved_lines']} 行，设备重启将丢失未保存的变更"))
            if status in ("failed", "quarantined"):
                out.problems.append((str(r.get("time", ""))[:16].replace("T", " "), r.get("host"),
                                     KIND.get(r.get("kind"), r.get("kind")), STATUS[status],
                                     cause_text(str(r.get("cause", "")), str(r.get("detail", "")))))
        m = run.manifest
        out.runs.append(run)
        out.run_rows.append((run.run_id, f"{run.started:%Y-%m-%d %H:%M}", m.get("operator", ""), len(hosts),
                             counts["ok"], counts["changed"], counts["failed"], counts["quarantined"], run.label))
    return out
