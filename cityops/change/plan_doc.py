"""The change's plan (变更方案) as an editable Word document, from templates/report/change_plan.yml.j2.

Lots 20 and 21 deduct a point for a change with large impact made without a written plan; cityops writes one
for every patch and configuration change, before anything changes, from what the change record already holds: why, which hosts by
which route, the window, the steps, the risk and the way back, how it is verified and the inspection before.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from ..inventory.model import Inventory
from ..report.render import wording
from ..report.summary import vocabulary
from ..report.word import Word


def routes_used(route, names: list[str]) -> list:
    """The routes of the targets (a patch's per-host routes), or the change's one route."""
    by_name = getattr(route, "routes", {})
    return [by_name[n] for n in names if n in by_name] or [route]


def write_plan(directory: Path, record: dict, inv: Inventory, route) -> dict:
    """变更方案.docx in the change's directory; returns its name and sha256 for the record."""
    names = vocabulary(inv)
    lots = record.get("lots", [])
    lot_names = "、".join(f"标项{x}（{names.get('lot', {}).get(x, x)}）" for x in lots) or "—"
    bureaus = sorted({str(inv.hosts[h].get("bureau")) for h in record["targets"] if h in inv.hosts})
    bureau_names = "、".join(str(names.get("bureau", {}).get(b, b)) for b in bureaus)
    rows = []
    for name in record["targets"]:
        h = inv.hosts.get(name)
        plan = record.get("plan", {}).get(name, {})
        items = plan.get("updates", plan.get("items", []))
        what = str(h.get("os") or h.get("model") or "") if h else ""
        how = (str(h.get("patch_route") or "") if route.kind == "patch" else
               "设备在线升级" if route.kind == "signature" else str(plan.get("method", "")))
        rows.append([name, str(h.get("display_name") or "") if h else "", what, how if h else "",
                     f"{len(items)} {route.items_unit}"])
    window = record.get("window", {})
    declared = sorted({w for ws in window.get("declared", {}).values() for w in ws})
    window_text = ("所属标项变更窗口：" + "；".join(declared) if declared else "所属标项未规定变更窗口") + (
        f"。窗口外实施理由：{window['forced_because']}" if window.get("forced_because") else "")
    routes = sorted({str(inv.hosts[h].get("patch_route") or "") for h in record["targets"] if h in inv.hosts})
    db_backups = sorted({str(p["db_backup_job"]) for p in record.get("plan", {}).values() if p.get("db_backup_job")})
    w = wording(None, {"r": record, "hosts": rows, "items_word": route.items_word, "lot_names": lot_names,
                       "routes": routes, "db_backups": db_backups, "rollback_note": "；".join(
                           dict.fromkeys(r.rollback_note.removeprefix("未回退：") for r in routes_used(route, routes))),
                       "bureau_names": bureau_names or "甲方",
                       "checks": record.get("before", {"run_id": "—", "counts": {}}), "window_text": window_text},
                "change_plan.yml.j2")
    doc = Word()
    doc.cover(f"{lot_names} {w['title']}", w["cover_subtitle"],
              [("变更编号", record["change_id"]), ("标项", lot_names), ("委办局", bureau_names or "—"),
               ("申请人", record.get("operator", "")), ("申请时间", record.get("requested", ""))])
    doc.heading(w["purpose_title"])
    doc.para(w["purpose_text"])
    doc.heading(w["scope_title"])
    doc.para(w["scope_text"])
    doc.table(w["scope_headers"], rows, [30, 45, 45, 30, 20])
    for key in ("window", "steps", "risk", "verify"):
        doc.heading(w[f"{key}_title"])
        if key == "steps":
            for i, step in enumerate(w["steps"], 1):
                doc.para(f"{i}. {step}")
        else:
            doc.para(w[f"{key}_text"])
    doc.para(w["record_note"])
    doc.signoff(w["signoff_title"], w["signoff_rows"])
    path = directory / "变更方案.docx"
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / ".变更方案.docx.tmp"
    doc.save(tmp)
    tmp.replace(path)
    return {"file": path.name, "sha256": hashlib.sha256(path.read_bytes()).hexdigest()}
