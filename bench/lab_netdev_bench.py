"""Capacity of the lab's network side: configuration pulls per second at a given concurrency.

Starts (or reuses) a lab of every network device of the estate, then runs N
concurrent asyncssh clients, each pulling `display current-configuration` /
`show running-config` over a fresh SSH connection, spread across devices with at
most 5 sessions per VRP device. Lab CPU (the server process) is reported apart
from the client's own CPU, so the figure says whether the lab is the bottleneck.

Run:  .venv/bin/python bench/lab_netdev_bench.py --concurrency 50 500 --seconds 20
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import os
import resource
import sys
import tempfile
import time
import warnings
from pathlib import Path

import asyncssh
import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cityops.inventory import load_inventory  # noqa: E402
from cityops.lab import control, supervisor  # noqa: E402
from cityops.lab.statedir import LabDir  # noqa: E402

CONFIG_CMD = {"cisco_ios": "show running-config", "cisco_nxos": "show running-config"}


def cpu_seconds(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as fh:
        fields = fh.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def pull(dev: dict, known_hosts: str) -> int:
    async with asyncssh.connect(dev["address"], username=dev["username"], password=dev["password"],
                                known_hosts=known_hosts, kex_algs=dev["kex"]) as conn:
        result = await conn.run(CONFIG_CMD.get(dev["platform"], "display current-configuration"), check=False)
        return len(result.stdout or "")


async def run(devices: list[dict], known_hosts: str, concurrency: int, seconds: float) -> dict:
    per_device = collections.Counter()
    limits = {d["name"]: 5 if d["platform"].startswith("huawei") else 8 for d in devices}
    done = errors = 0
    nbytes = 0
    deadline = time.monotonic() + seconds
    cursor = 0
    lock = asyncio.Lock()

    async def next_device():
        nonlocal cursor
        async with lock:
            for _ in range(len(devices)):
                d = devices[cursor % len(devices)]
                cursor += 1
                if per_device[d["name"]] < limits[d["name"]]:
                    per_device[d["name"]] += 1
                    return d
        return None

    async def worker():
        nonlocal done, errors, nbytes
        while time.monotonic() < deadline:
            d = await next_device()
            if d is None:
                await asyncio.sleep(0.01)
                continue
            try:
                size = await pull(d, known_hosts)  # not `nbytes += await ...`: that loses updates across awaits
                nbytes += size
                done += 1
            except (OSError, asyncssh.Error) as exc:
                errors += 1
                if errors <= 3:
                    print(f"  error on {d['name']}: {exc}", file=sys.stderr)
            finally:
                per_device[d["name"]] -= 1

    t0 = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return {"pulls": done, "errors": errors, "bytes": nbytes, "seconds": time.monotonic() - t0}


def main() -> None:
    warnings.filterwarnings("ignore", message="Diffie-Hellman over finite fields")  # old devices' group14-sha1
    parser = argparse.ArgumentParser()
    parser.add_argument("--concurrency", type=int, nargs="+", default=[50, 500])
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--state", default=None, help="lab state dir (default: a temporary one)")
    args = parser.parse_args()
    resource.setrlimit(resource.RLIMIT_NOFILE, (20000, 20000))
    inv = load_inventory(REPO / "inventory")
    tmp = None if args.state else tempfile.TemporaryDirectory(prefix="cityops-bench-lab-")
    lab = LabDir(args.state or tmp.name)
    started_here = not supervisor.running(lab)
    if started_here:
        t0 = time.monotonic()
        report = control.up(lab, list(inv.hosts.values()))
        print(f"lab up: {report.served} in {time.monotonic() - t0:.1f} s (keys generated on first run)")
    try:
        pid = int(supervisor.running(lab)["netdev"]["pid"])
        creds = yaml.safe_load(lab.credentials_file.read_text())
        plan = lab.read_json(lab.plan_file("netdev"), {})["devices"]
        devices = [{"name": e["name"], "address": e["device"]["address"], "platform": e["device"]["platform"],
                    "username": e["device"]["username"], "password": e["device"]["password"],
                    "kex": ("diffie-hellman-group14-sha1",) if e["device"]["era"] == "old" else ()}
                   for e in plan]
        assert creds  # the plan carries the same credentials the clients would resolve by name
        with open(f"/proc/{pid}/status") as fh:
            rss = next(line for line in fh if line.startswith("VmRSS")).split()[1]
        print(f"devices: {len(devices)}   lab server RSS: {int(rss) / 1024:.0f} MiB")
        for n in args.concurrency:
            lab_cpu0, me0 = cpu_seconds(pid), time.process_time()
            r = asyncio.run(run(devices, str(lab.known_hosts), n, args.seconds))
            lab_cpu, me = cpu_seconds(pid) - lab_cpu0, time.process_time() - me0
            rate = r["pulls"] / r["seconds"]
            print(f"concurrency {n:>4}: {r['pulls']:>6} pulls in {r['seconds']:.1f} s = {rate:7.1f} pulls/s, "
                  f"errors {r['errors']}, {r['bytes'] / max(1, r['pulls']) / 1024:.1f} KiB/pull, "
                  f"lab CPU {lab_cpu:.1f} s ({lab_cpu / r['seconds'] * 100:.0f}% of a core), client CPU {me:.1f} s")
    finally:
        if started_here:
            control.down(lab)
            if tmp:
                tmp.cleanup()


if __name__ == "__main__":
    main()
