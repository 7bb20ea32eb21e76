"""Audit trail benchmark: what chaining every audited command costs on the hot path, from one process and from
several at once, and what verifying a month of it costs.

Run:  .venv/bin/python bench/audit_bench.py [--lines 20000] [--procs 4]
Prints microseconds per appended line (one process, then N processes on one trail), lines per second verified,
and the peak memory of a verification; figures go into closing notes, never into tests.
"""

from __future__ import annotations

import argparse
import multiprocessing
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cityops.transport import audit  # noqa: E402
from cityops.transport.audit import AuditLog  # noqa: E402

COMMAND = "display interface brief | include GigabitEthernet"  # a typical command line, as long as most


def append(directory: str, lines: int, name: str) -> None:
    log = AuditLog(Path(directory), f"bench-{name}", "bench", "inspect")
    for i in range(lines):
        log.record(f"host{i % 300}", "127.0.0.1", "opsadmin", "ssh", f"{COMMAND} {i}", 0, 0.012)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--procs", type=int, default=4)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        one = Path(tmp) / "one"
        t0 = time.perf_counter()
        append(str(one), args.lines, "one")
        single = (time.perf_counter() - t0) / args.lines * 1e6
        print(f"append, one process:     {single:7.1f} µs per line ({args.lines} lines)")
        many = Path(tmp) / "many"
        each = args.lines // args.procs
        procs = [multiprocessing.Process(target=append, args=(str(many), each, str(n))) for n in range(args.procs)]
        t0 = time.perf_counter()
        for p in procs:
            p.start()
        for p in procs:
            p.join()
        wall = time.perf_counter() - t0
        print(f"append, {args.procs} processes:     {wall / (each * args.procs) * 1e6:7.1f} µs per line of the trail "
              f"({each * args.procs} lines in {wall:.2f} s)")
        t0 = time.perf_counter()
        head = audit.head(many)
        print(f"head:                    {(time.perf_counter() - t0) * 1e3:7.2f} ms ({head['bytes']} bytes)")
        tracemalloc.start()
        t0 = time.perf_counter()
        verdict = audit.verify(many, [("bench", head)])
        seconds = time.perf_counter() - t0
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        assert verdict.ok, verdict.problems
        print(f"verify:                  {verdict.entries / seconds:9.0f} lines/s, peak {peak / 2**20:.1f} MiB "
              f"for {head['bytes'] / 2**20:.1f} MiB of trail")


if __name__ == "__main__":
    main()
