"""Manual items (人工巡检项): what no command can see, recorded by the engineer and joined to a run.

`invoke inspect.manual --template --site dzzw > form.yml` writes a form with the
standard items (indicator lights, machine-room walk, temperature and humidity on
the wall, cabling, fire and access control) for the site's devices; the engineer
fills in status (pass / warn / fail), the reading where there is one, a note, and
signs it with name and time. `invoke inspect.manual --run RUN_ID --file form.yml`
validates the form, appends one result per item to the run (check ids MAN-*),
and rewrites the run's JUnit and manifest with the form's sha256 as evidence.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

import yaml

from .. import safeyaml
from ..errors import BadInput
from ..inventory.model import Inventory
from ..timeutil import BEIJING
from . import record
from .runner import host_facets

ITEMS = {
    "MAN-LED-001": ("设备指示灯", "设备面板电源、风扇、硬盘、告警指示灯是否正常"),
    "MAN-ROOM-001": ("机房巡视", "机房卫生、漏水、异响异味、门窗与照明"),
    "MAN-ENV-001": ("机房温湿度（墙面温湿度计）", "读数：温度 ℃ / 湿度 %"),
    "MAN-CABLE-001": ("线缆与标签", "线缆整齐、标签清晰、无松动与挤压"),
    "MAN-FIRE-001": ("消防与门禁", "灭火器/气体灭火在有效期、门禁与监控正常"),
}
STATUSES = ("pass", "warn", "fail")


class ManualError(BadInput):
    pass


def template(inv: Inventory, site: str) -> str:
    hosts = [h for h in inv.hosts.values() if h.get("site") == site and h.origin == "yaml"]  # not the cameras
    if not hosts:
        raise ManualError(f"no inventory host at site '{site}'")
    form = {"inspector": "", "time": "", "site": site, "items": []}
    for cid, (_title, hint) in ITEMS.items():
        if cid == "MAN-LED-001":
            form["items"] += [{"check": cid, "host": h.name, "status": "", "note": ""} for h in hosts[:200]]
        else:
            form["items"].append({"check": cid, "host": "", "status": "", "value": "", "note": hint})
    head = (f"# 人工巡检记录表 — 站点 {site}（{len(hosts)} 台设备）\n"
            "# 每项填写 status: pass（正常）/ warn（告警）/ fail（异常）；inspector 与 time（如 2026-11-24T09:30+08:00）必填。\n")
    return head + yaml.safe_dump(form, allow_unicode=True, sort_keys=False)


def parse_form(path: Path, inv: Inventory) -> tuple[dict, list[dict]]:
    try:
        form = safeyaml.load_file(path, max_bytes=4 * 1024 * 1024)
    except BadInput as exc:
        raise ManualError(str(exc)) from None
    if not isinstance(form, dict):
        raise ManualError(f"{path}: not a manual inspection form")
    who, when = str(form.get("inspector") or "").strip(), str(form.get("time") or "").strip()
    if not who or not when:
        raise ManualError(f"{path}: inspector and time are required (who walked the room, and when)")
    try:
        at = dt.datetime.fromisoformat(when)
    except ValueError:
        raise ManualError(f"{path}: time '{when}' is not an ISO time such as 2026-11-24T09:30+08:00") from None
    at = at if at.tzinfo else at.replace(tzinfo=BEIJING)
    items = []
    for i, it in enumerate(form.get("items") or [], 1):
        where = f"{path} item {i}"
        if not isinstance(it, dict) or it.get("check") not in ITEMS:
            raise ManualError(f"{where}: check must be one of {', '.join(ITEMS)}")
        if str(it.get("status") or "") not in STATUSES:
            raise ManualError(f"{where} ({it.get('check')}): status must be pass, warn or fail, not '{it.get('status')}'")
        if it.get("host") and it["host"] not in inv.hosts:
            raise ManualError(f"{where}: unknown host '{it['host']}'")
        items.append(it)
    if not items:
        raise ManualError(f"{path}: no items filled in")
    return {"inspector": who, "time": at.isoformat(timespec="seconds"), "site": form.get("site")}, items


def join(run_dir: Path, form_path: Path, inv: Inventory) -> int:
    """Append the form's items to a finished, verified run and seal it again; returns how many results were added."""
    from ..report.runs import ReportError, load_run

    try:
        run = load_run(run_dir.parent, run_dir.name)
    except ReportError as exc:
        raise ManualError(str(exc)) from None
    state = run.verify()
    if state == "running":
        raise ManualError(f"{run_dir}: the run is still running")
    if state == "incomplete":
        raise ManualError(f"{run_dir}: the run did not finish ({run.manifest.get('reason', '')}); join the form to a "
                          "complete run")
    if state in ("tampered", "unverified"):
        raise ManualError(f"{run_dir}: the run's records do not verify ({'；'.join(run.notes)}); nothing was written")
    manifest = run.manifest
    head, items = parse_form(form_path, inv)
    data = form_path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    kept = run_dir / f"manual-{digest[:12]}.yml"
    if kept.exists():
        raise ManualError(f"{form_path}: this form is already joined to the run ({kept.name})")
    with record.RunLock(run_dir):
        _append(run_dir, kept, data, digest, head, items, manifest, inv)
    return len(items)


def _append(run_dir: Path, kept: Path, data: bytes, digest: str, head: dict, items: list[dict], manifest: dict,
            inv: Inventory) -> None:
    kept.write_bytes(data)
    results = record.ResultsFile(run_dir / "results.jsonl")
    for it in items:
        title, _hint = ITEMS[it["check"]]
        host = inv.hosts.get(it.get("host") or "")
        shown = f"{it.get('value')} " if it.get("value") not in (None, "") else ""
        results.write({
            "run_id": manifest["run_id"], "host": host.name if host else f"site:{head['site']}",
            "check_id": it["check"], "title": title, "severity": "minor", "status": it["status"], "cause": "",
            "value": it.get("value"), "unit": "", "threshold": "", "items": [],
            "message": f"{title}{'正常' if it['status'] == 'pass' else '：' + (shown + str(it.get('note') or '')).strip()}",
            "evidence": [{"command": f"人工巡检（{head['inspector']}）", "exit_status": None,
                          "excerpt": str(it.get("note") or ""), "sha256": digest, "collected": head["time"],
                          "seconds": 0}],
            "remedy": "" if it["status"] == "pass" else "按人工巡检记录处理并在台账登记。", "standard": "",
            "seconds": 0, "manual": {"inspector": head["inspector"], "time": head["time"], "form": kept.name},
            **(host_facets(host) if host else {"site": head["site"]})})
    results.close()
    rows = record.read_results(run_dir / "results.jsonl")
    record.junit(rows, manifest["run_id"], run_dir / "junit.xml")
    manifest["counts"] = {s: sum(r["status"] == s for r in rows) for s in ("pass", "warn", "fail", "error", "skip",
                                                                            "waived")}
    manifest["results"] = len(rows)
    manifest.setdefault("manual_forms", []).append({"file": kept.name, "sha256": digest, **head, "items": len(items)})
    record.seal(run_dir, manifest)
