"""`invoke inventory.*`: check, list, show, export, import and warranty reminders."""

from __future__ import annotations

import json
import sys
from pathlib import Path

from invoke import Collection, Exit, task

from .. import timeutil
from ..errors import EXIT_BAD_INPUT, BadInput, one_line
from ..files import write_atomic
from ..inventory.archive import export_csv, export_xlsx, plan_import, unique_path
from ..inventory.check import check_inventory
from ..inventory.render import lot_label, to_cell
from ..inventory.schema import without_secrets
from ..inventory.warranty import parse_window, warranty_due
from .common import load, selection, selection_task, warn_problems


def _console():
    from rich.console import Console

    # Piped output (cron, logs) gets full-width rows instead of rich's 80-column default.
    return Console(highlight=False, soft_wrap=False, width=None if sys.stdout.isatty() else 220)


@task(help={"inventory": "inventory directory (default: ./inventory)"})
def check(c, inventory=None):
    """Validate the whole inventory; one line per problem; exit 1 if there is any."""
    inv = load(inventory)
    problems = check_inventory(inv)
    for p in problems:
        print(p)
    yaml_hosts = sum(1 for h in inv.hosts.values() if h.origin == "yaml")
    csv_hosts = len(inv.hosts) - yaml_hosts
    summary = (f"{inv.root}: {len(inv.hosts)} hosts ({yaml_hosts} YAML, {csv_hosts} CSV), "
               f"{len(inv.groups)} groups, {len(problems)} problem(s)")
    if problems:
        raise Exit(summary, code=1)
    print(summary + " — OK")


@selection_task(help={"format": "table (default), names or json", "cadence": "only hosts with this cadence"})
def hosts(c, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None, host=None, limit=None,
          cadence=None, format="table", inventory=None):
    """List the hosts a selection picks (the same flags every task takes)."""
    inv = load(inventory)
    warn_problems(inv)
    sel = selection(inv, bureau=bureau, lot=lot, site=site, zone=zone, class_=class_, subsystem=subsystem,
                    host=host, limit=limit, cadence=cadence)
    if format == "names":
        print("\n".join(sel.names))
        return
    if format == "json":
        print(json.dumps({h.name: without_secrets(h.vars) for h in sel.hosts}, ensure_ascii=False, indent=1))
        return
    from rich.table import Table

    table = Table(title=f"{len(sel.hosts)} 台设备  {sel.describe()}", title_justify="left")
    for col in ("主机名", "设备名称", "委办局", "标项", "机房/站点", "类别", "管理地址"):
        table.add_column(col)
    for h in sel.hosts:
        table.add_row(h.name, str(h.get("display_name", "")), to_cell(inv, "bureau", h.get("bureau")),
                      to_cell(inv, "lots", h.get("lots")), to_cell(inv, "site", h.get("site")),
                      to_cell(inv, "device_class", h.get("device_class")), str(h.get("ansible_host", "")))
    _console().print(table)


@task(help={"name": "host name", "inventory": "inventory directory"})
def show(c, name, inventory=None):
    """Every variable of one host, with where it is defined."""
    inv = load(inventory)
    h = inv.hosts.get(name)
    if h is None:
        raise BadInput(f"unknown host '{one_line(name, 80)}'")
    print(f"# {h.name}  ({h.where}, groups: {', '.join(h.groups)})")
    shown = without_secrets(h.vars)  # a password typed into the inventory is refused by the check, never printed
    for key in sorted(shown):
        print(f"{key}: {json.dumps(shown[key], ensure_ascii=False)}")


@selection_task(help={"out": "output directory (default reports/archive)", "formats": "xlsx,csv (default both)"})
def export(c, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None, host=None, limit=None,
           out="reports/archive", formats="xlsx,csv", inventory=None):
    """Export the device archive (设备系统档案/一机一档) as XLSX (a sheet per bureau) and CSV."""
    inv = load(inventory)
    warn_problems(inv)
    sel = selection(inv, bureau=bureau, lot=lot, site=site, zone=zone, class_=class_, subsystem=subsystem,
                    host=host, limit=limit)
    stamp = timeutil.now().strftime("%Y%m%d-%H%M")
    written = []
    for fmt in [f.strip() for f in formats.split(",") if f.strip()]:
        if fmt not in ("xlsx", "csv"):
            raise BadInput(f"unknown format '{one_line(fmt, 40)}' (xlsx, csv)")
        data = export_xlsx(inv, sel.hosts) if fmt == "xlsx" else export_csv(inv, sel.hosts)
        path = unique_path(Path(out) / f"device-archive-{stamp}.{fmt}")
        write_atomic(path, data)
        written.append(path)
    print(f"exported {len(sel.hosts)} devices ({sel.describe()}):")
    for p in written:
        print(f"  {p}")


@task(name="import", help={"file": "a bureau's XLSX or CSV (UTF-8 or GB18030)",
                            "apply": "write the changes into inventory/ (default: only show them)",
                            "prune": "with --apply, also delete devices the file no longer lists",
                            "inventory": "inventory directory"})
def import_(c, file, apply=False, prune=False, inventory=None):
    """Show what a bureau's archive would change (added, removed, changed fields); --apply writes it."""
    from ..inventory.edit import apply_import

    inv = load(inventory)
    path = Path(file)
    if not path.is_file():
        raise BadInput(f"{file} does not exist")
    plan = plan_import(inv, path)
    for problem in plan.problems:
        print(f"problem: {problem}", file=sys.stderr)
    if plan.ignored_headers:
        print(f"ignored columns (not inventory fields): {', '.join(plan.ignored_headers)}")
    print(f"{path}: {plan.rows} rows, scope {plan.scope or '-'}")
    print(f"  新增 added:   {len(plan.added)}")
    for row in plan.added:
        print(f"    + {row.name}  {row.values.get('display_name', '')}  ({row.where})")
    print(f"  删除 removed: {len(plan.removed)}" + ("" if prune else "  (kept unless --prune)"))
    for h in plan.removed:
        print(f"    - {h.name}  {h.get('display_name', '')}  ({h.where})")
    print(f"  变更 changed: {len(plan.changed)}")
    for h, _row, diffs in plan.changed:
        for key, (old, new) in diffs.items():
            print(f"    ~ {h.name}: {key}: {to_cell(inv, key, old)!s} -> {to_cell(inv, key, new)!s}")
    if plan.empty and not plan.problems:
        print("no change")
        return
    if plan.problems:
        if apply:
            raise BadInput(f"{path}: {len(plan.problems)} problem(s) in the file (listed above); nothing was written — "
                           "fix the file and import it again")
        print(f"{len(plan.problems)} problem(s): --apply will refuse this file until they are fixed", file=sys.stderr)
        return
    if not apply:
        print("nothing written (add --apply to write these changes into inventory/)")
        return
    written = apply_import(inv, plan, prune=prune)  # ImportRefused is bad input: exit 4, nothing written
    print("written:")
    for p in written:
        print(f"  {p}")


@selection_task(help={"within": "window: 90d, 12w, 6m, 1y (default 90d)",
                      "include_expired": "also list devices whose warranty has already ended"})
def warranty(c, within="90d", include_expired=False, bureau=None, lot=None, site=None, zone=None, class_=None,
             subsystem=None, host=None, limit=None, inventory=None):
    """维保到期提醒: devices whose warranty ends within the window, soonest first."""
    inv = load(inventory)
    warn_problems(inv)
    sel = selection(inv, bureau=bureau, lot=lot, site=site, zone=zone, class_=class_, subsystem=subsystem,
                    host=host, limit=limit)
    try:
        days = parse_window(within)
    except ValueError as exc:
        raise Exit(f"cityops: {exc}", code=EXIT_BAD_INPUT) from None
    today = timeutil.today()
    due = warranty_due(sel.hosts, days, today, include_expired=include_expired)
    from rich.table import Table

    table = Table(title=f"维保到期提醒 {today.isoformat()} 起 {days} 天内：{len(due)} 台  {sel.describe()}",
                  title_justify="left")
    for col in ("到期日期", "剩余天数", "状态", "主机名", "设备名称", "委办局", "标项", "厂商/型号"):
        table.add_column(col)
    for d in due:
        h = d.host
        table.add_row(d.end.isoformat(), str(d.days_left), d.status, h.name, str(h.get("display_name", "")),
                      to_cell(inv, "bureau", h.get("bureau")),
                      "、".join(lot_label(x) for x in h.lots), f"{h.get('vendor', '')} {h.get('model', '')}")
    _console().print(table)


inventory_ns = Collection("inventory", check, hosts, show, export, import_, warranty)
