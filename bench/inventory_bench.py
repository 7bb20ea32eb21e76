"""Inventory benchmark: load, check, select, export and import of the whole estate, and ansible's view.

Run:  .venv/bin/python bench/inventory_bench.py [--repeat 3]
Prints wall time (best of N) and peak memory per step; figures go into closing notes, never into tests.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cityops.inventory import load_inventory  # noqa: E402
from cityops.inventory.archive import export_csv, export_xlsx, plan_import  # noqa: E402
from cityops.inventory.check import check_inventory  # noqa: E402
from cityops.inventory.selection import select  # noqa: E402


def measure(label: str, fn, repeat: int):
    """Best wall time of `repeat` plain runs, then one more run under tracemalloc for peak memory."""
    best = float("inf")
    result = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    print(f"{label:<44} {best * 1000:9.0f} ms   peak {peak / 2**20:7.1f} MiB")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    root = REPO / "inventory"
    inv = measure("load_inventory (YAML + CSV + groups)", lambda: load_inventory(root), args.repeat)
    print(f"  {len(inv.hosts)} hosts, {len(inv.groups)} groups")
    problems = measure("check_inventory", lambda: check_inventory(inv), args.repeat)
    print(f"  {len(problems)} problems")
    measure("select --bureau gxj --class floor_switch", lambda: select(inv, bureau="gxj", device_class="floor_switch"),
            args.repeat)
    measure("select --limit 'lot_6:&servers:!cluster_*'", lambda: select(inv, limit="lot_6:&servers:!cluster_*"),
            args.repeat)
    hosts = list(inv.hosts.values())
    data = measure("export_xlsx (all hosts)", lambda: export_xlsx(inv, hosts), args.repeat)
    measure("export_csv (all hosts)", lambda: export_csv(inv, hosts), args.repeat)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "estate.xlsx"
        path.write_bytes(data)
        plan = measure("plan_import (the exported XLSX)", lambda: plan_import(inv, path), args.repeat)
        print(f"  rows {plan.rows}, changes {len(plan.changed)}")
    t0 = time.perf_counter()
    out = subprocess.run([str(Path(sys.executable).parent / "ansible-inventory"), "--list"], cwd=REPO,
                         capture_output=True, text=True, check=True)
    hosts_seen = len(json.loads(out.stdout)["_meta"]["hostvars"])
    print(f"{'ansible-inventory --list (subprocess)':<44} {(time.perf_counter() - t0) * 1000:9.0f} ms   "
          f"({hosts_seen} hosts)")
    print(f"process max RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MiB")


if __name__ == "__main__":
    main()
