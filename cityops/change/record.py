"""Change records (变更记录): one directory per change, one chained register of every change's steps.

reports/changes/<change-id>/change.json holds the whole record — who, what, why, the plan, the targets, the
window, the inspections before and after each batch, what was applied, the result, what was left untouched —
rewritten aside-and-renamed at each step, so a change killed at any moment leaves its last whole state. Each
step is also a line of reports/changes/register.jsonl, chained by hash (hashchain.py): a record edited, removed
or inserted afterwards breaks the chain. While a change runs, reports/changes/active/<change-id>.json names its
hosts and its process; an inspection marks its findings on those hosts as found during that change. A marker
whose process is gone belongs to a change that died: it marks nothing, and its record says `running` — which a
reader takes as unfinished, never as done.
"""

from __future__ import annotations

import datetime as dt
import fcntl
import hashlib
import json
import os
import secrets
from pathlib import Path

from ..files import write_atomic
from ..hashchain import HashChain
from ..processes import alive
from ..timeutil import now
from ..transport import audit

RESULTS = {"rehearsed": "检查模式（未变更）", "completed": "已完成", "stopped": "已中止（批次复核未通过）",
           "refused": "已拒绝（未变更）", "running": "进行中或中断"}


def changes_dir(reports: Path) -> Path:
    return reports / "changes"


def new_id(kind: str) -> str:
    return f"CHG-{now():%Y%m%d-%H%M%S}-{kind}-{secrets.token_hex(2)}"


class ChangeRecord:
    def __init__(self, reports: Path, change_id: str, record: dict):
        self.reports = reports
        self.dir = changes_dir(reports) / change_id
        self.register = HashChain(changes_dir(reports) / "register.jsonl", "变更登记簿")
        self.active = changes_dir(reports) / "active" / f"{change_id}.json"
        self.id, self.data = change_id, {"change_id": change_id, **record}

    def save(self, step: str, **update) -> None:
        """The record as it now stands, in place; the step on the register."""
        self.data.update(update)
        self.dir.mkdir(parents=True, exist_ok=True)
        text = json.dumps(self.data, ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        write_atomic(self.dir / "change.json", text.encode(), 0o644)
        self.register.append({"change_id": self.id, "step": step, "time": now().isoformat(timespec="seconds"),
                              "result": self.data.get("result", ""), "record_sha256": _sha(text),
                              "audit_head": audit.head(self.reports / "audit")})

    def mark(self, hosts: list[str]) -> dict[str, str]:
        """Mark the hosts as under this change — unless another change still under way holds any of them: then
        nothing is marked and those hosts are returned with the change that holds them. The check and the mark
        are one step under a lock, so two changes started at once cannot both take a host."""
        self.active.parent.mkdir(parents=True, exist_ok=True)
        with open(self.active.parent / ".lock", "a") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            held = {h: c for h, c in active_changes(self.reports).items() if h in hosts}
            if not held:
                write_atomic(self.active, json.dumps({"change_id": self.id, "hosts": hosts, "pid": os.getpid(),
                                                      "started": now().isoformat(timespec="seconds")}).encode(), 0o644)
            return held

    def unmark(self) -> None:
        self.active.unlink(missing_ok=True)


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def active_changes(reports: Path) -> dict[str, str]:
    """host -> the change under way on it, from markers whose process still runs."""
    out = {}
    for path in sorted((changes_dir(reports) / "active").glob("*.json")):
        try:
            marker = json.loads(path.read_text())
            pid, hosts, change = int(marker["pid"]), list(marker["hosts"]), str(marker["change_id"])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # a torn or foreign file vouches for nothing
        if alive(pid):
            out.update({str(h): change for h in hosts})
    return out


def lot_changes(reports: Path, lot: str, start, end) -> tuple[dict[str, bytes], list[str]]:
    """The change records of a lot requested in [start, end), each as its change.json bytes, for an evidence pack;
    and the problems that forbid vouching for them: a broken register, a record edited since its last step, a
    change still running or dead mid-way."""
    chain = HashChain(changes_dir(reports) / "register.jsonl", "变更登记簿").read()
    problems = list(chain.problems)
    last: dict[str, dict] = {}
    for entry in chain.entries:
        last[str(entry.get("change_id", ""))] = entry
    out = {}
    for change_id, step in sorted(last.items()):
        path = changes_dir(reports) / change_id / "change.json"
        try:
            raw = path.read_bytes()
            record = json.loads(raw)
        except (OSError, ValueError):
            problems.append(f"变更记录 {change_id} 缺失或不可读")
            continue
        if lot not in record.get("lots", []):
            continue
        try:
            requested = dt.datetime.fromisoformat(str(record.get("requested")))
        except ValueError:
            problems.append(f"变更记录 {change_id} 的申请时间不可读")
            continue
        if not (start <= requested < end):
            continue
        if _sha(raw.decode("utf-8", "replace")) != step.get("record_sha256"):
            problems.append(f"变更记录 {change_id} 与登记簿最后一步不符（被改动）")
        elif record.get("result") == "running":
            problems.append(f"变更 {change_id} 尚未结束或中途中断")
        else:
            out[f"changes/{change_id}/change.json"] = raw
            doc = record.get("plan_document") or {}
            if doc.get("file"):  # the 变更方案, vouched for by the sha256 the record holds
                try:
                    data = (path.parent / doc["file"]).read_bytes()
                except OSError:
                    data = b""
                if hashlib.sha256(data).hexdigest() != doc.get("sha256"):
                    problems.append(f"变更 {change_id} 的变更方案缺失或被改动")
                else:
                    out[f"changes/{change_id}/{doc['file']}"] = data
    return out, problems


CHANGE_HEADERS = ["变更编号", "申请时间", "类型", "变更名称", "实施人", "变更原因", "变更对象", "方式", "结果", "回退情况",
                  "未触及", "变更方案"]
KINDS = {"patch": "补丁更新", "network": "网络配置变更", "signature": "特征库升级"}


def change_rows(reports: Path, lot: str, start, end) -> tuple[list[tuple], list[str]]:
    """The lot's change records of [start, end) as rows of the 运维台账's 变更记录 (verified by the register, as an
    evidence pack takes them), and the problems that forbid vouching for the others."""
    records, problems = lot_changes(reports, lot, start, end)
    rows = []
    for name, raw in sorted(records.items()):
        if not name.endswith("/change.json"):
            continue
        r = json.loads(raw)
        doc = (r.get("plan_document") or {}).get("file", "")
        rows.append((r.get("change_id", ""), str(r.get("requested", ""))[:16].replace("T", " "),
                     KINDS.get(r.get("kind", ""), r.get("kind", "")), r.get("title", ""), r.get("operator", ""),
                     r.get("reason", ""), "、".join(r.get("targets", [])),
                     "实施" if r.get("mode") == "apply" else "检查模式（未变更）",
                     RESULTS.get(r.get("result", ""), r.get("result", "")) + (
                         f"：{r['refused_because']}" if r.get("refused_because") else ""),
                     r.get("rollback", "") or "—", "、".join(r.get("untouched", [])) or "—",
                     f"changes/{r.get('change_id', '')}/{doc}" if doc else "—"))
    return rows, problems
