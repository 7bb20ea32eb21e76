"""The (host, check, status) table of the lab, healthy and under every fault kind, for comparing two revisions.

A change to how devices are read (a driver, a parser, a transport) must not move any verdict it did not mean to.
This starts the lab for one host of every (platform, role) pair of the estate, runs `invoke inspect` once
healthy and once per lab fault kind (the fault set on every selected host it applies to, then cleared), and
writes one TSV row per result: fault kind, host, check, status, cause. `--compare` turns two such files
into the table of differences.

Run:  .venv/bin/python bench/fault_matrix.py --out /tmp/after.tsv
      .venv/bin/python bench/fault_matrix.py --compare /tmp/before.tsv /tmp/after.tsv > bench/fault_matrix.md
An older revision is measured from a worktree with this file copied in (it uses only the lab's and the CLI's
long-standing interfaces).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

REPO = Path.cwd()
sys.path.insert(0, str(REPO))

from cityops import platforms  # noqa: E402
from cityops.inventory import load_inventory  # noqa: E402
from cityops.lab import control  # noqa: E402
from cityops.lab.faults import KINDS, FaultError, applies  # noqa: E402
from cityops.lab.statedir import LabDir  # noqa: E402

BIN = Path(sys.executable).parent


def pick_hosts(inv) -> list:
    """One host of every (platform, role) pair, by name order: every reader and every role's checks, once."""
    chosen: dict[tuple, object] = {}
    for name in sorted(inv.hosts):
        host = inv.hosts[name]
        key = (str(host.get("platform")), str(host.get("role")))
        if key[0] in ("manual", "gb28181_camera") or key in chosen:
            continue
        chosen[key] = host
    # a cluster node is inspected through its cluster: its peers come too (a lone SQL Server node reads garbage)
    clusters = {h.get("cluster") for h in chosen.values() if h.get("cluster")}
    peers = [inv.hosts[n] for n in sorted(inv.hosts) if inv.hosts[n].get("cluster") in clusters]
    return list({h.name: h for h in [*chosen.values(), *peers]}.values())


def fault_targets(kind: str, hosts: list) -> list[str]:
    out = []
    for host in hosts:
        p = platforms.get(str(host.get("platform")))
        if p is not None and applies(KINDS[kind], p.family, p.id, p.transport):
            out.append(host.name)
    return out


def inspect(hosts: list[str], lab: LabDir, reports: Path) -> list[dict]:
    subprocess.run([str(BIN / "invoke"), "inspect", "--host", ",".join(hosts), "--lab", str(lab.path),
                    "--reports", str(reports), "--host-timeout", "60"], cwd=REPO, capture_output=True, text=True,
                   check=False)
    rows = []
    for results in sorted(reports.glob("runs/*/results.jsonl")):
        for line in results.read_text(encoding="utf-8").splitlines():
            r = json.loads(line)
            rows.append({"host": r["host"], "check": r["check_id"], "status": r["status"], "cause": r.get("cause") or ""})
    return rows


def measure(out: Path, only: list[str] | None) -> None:
    inv = load_inventory(REPO / "inventory")
    hosts = pick_hosts(inv)
    names = [h.name for h in hosts]
    kinds = only or ["healthy", *sorted(KINDS)]
    with tempfile.TemporaryDirectory() as tmp:
        lab = LabDir(Path(tmp) / "lab")
        lab.ensure()
        report = control.up(lab, hosts, "0", universe=list(inv.hosts.values()))
        print(f"lab up: {len(names)} hosts, {report.served}", file=sys.stderr)
        try:
            with out.open("w", encoding="utf-8") as fh:
                fh.write("fault\thost\tcheck\tstatus\tcause\n")
                for kind in kinds:
                    t0 = time.monotonic()
                    targets = names if kind == "healthy" else fault_targets(kind, hosts)
                    if not targets:
                        continue
                    faulted = []
                    for name in [] if kind == "healthy" else targets:
                        try:
                            control.set_fault(lab, inv, name, kind)
                            faulted.append(name)
                        except FaultError:
                            continue
                    if kind != "healthy" and not faulted:
                        continue
                    rows = inspect(faulted or targets, lab, Path(tmp) / f"reports-{kind}")
                    for name in faulted:
                        control.set_fault(lab, inv, name, kind, clear=True)
                    for r in sorted(rows, key=lambda r: (r["host"], r["check"])):
                        fh.write(f"{kind}\t{r['host']}\t{r['check']}\t{r['status']}\t{r['cause']}\n")
                    fh.flush()
                    print(f"{kind}: {len(faulted or targets)} hosts, {len(rows)} results, "
                          f"{time.monotonic() - t0:.0f} s", file=sys.stderr)
        finally:
            control.down(lab)


def read(path: Path) -> dict[tuple[str, str, str], tuple[str, str]]:
    rows = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        kind, host, check, status, cause = [*line.split("\t"), ""][:5]
        rows[(kind, host, check)] = (status, cause)
    return rows


def compare(before: Path, after: Path) -> str:
    a, b = read(before), read(after)
    kinds = sorted({k for k, _h, _c in a} | {k for k, _h, _c in b}, key=lambda k: (k != "healthy", k))
    lines = [f"# Lab verdicts before and after: `{before.name}` → `{after.name}`", "",
             "| fault | results | same | changed | only before | only after |", "|---|---|---|---|---|---|"]
    detail = ["", "Every result whose status changed, then results present on one side only, by fault and check "
                  "(a new check or fault kind), with their statuses counted:", "",
              "| fault | host | check | before | after |", "|---|---|---|---|---|"]
    one_side = ["", "| fault | check | only before | only after |", "|---|---|---|---|"]
    for kind in kinds:
        keys_a = {key for key in a if key[0] == kind}
        keys_b = {key for key in b if key[0] == kind}
        both = keys_a & keys_b
        changed = sorted(key for key in both if a[key][0] != b[key][0])
        lines.append(f"| {kind} | {len(keys_b)} | {len(both) - len(changed)} | {len(changed)} | "
                     f"{len(keys_a - keys_b)} | {len(keys_b - keys_a)} |")
        for key in changed:
            detail.append(f"| {kind} | {key[1]} | {key[2]} | {'/'.join(filter(None, a[key]))} | "
                          f"{'/'.join(filter(None, b[key]))} |")
        for check in sorted({key[2] for key in (keys_a ^ keys_b)}):
            gone = Counter(a[key][0] for key in keys_a - keys_b if key[2] == check)
            new = Counter(b[key][0] for key in keys_b - keys_a if key[2] == check)
            one_side.append(f"| {kind} | {check} | {counted(gone)} | {counted(new)} |")
    errors = sum(1 for key, (status, _c) in b.items() if key[0] == "healthy" and status == "error")
    lines += ["", f"Healthy lab after: {errors} results in error."]
    return "\n".join(lines + detail + one_side) + "\n"


def counted(statuses: Counter) -> str:
    return ", ".join(f"{n} {status}" for status, n in sorted(statuses.items())) or "—"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, help="write the table of this checkout here (TSV)")
    ap.add_argument("--kind", action="append", help="only these fault kinds ('healthy' for none); repeatable")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.compare:
        sys.stdout.write(compare(*args.compare))
    elif args.out:
        measure(args.out, args.kind)
    else:
        ap.error("--out or --compare")


if __name__ == "__main__":
    main()
