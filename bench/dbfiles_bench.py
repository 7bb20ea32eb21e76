"""Database and files backups through cityops: how fast the bytes pass, what it costs, how much memory it holds.

A lab of lot 24's hosts (the archive bureau: its file server dag-zwy-app01, its Oracle 10g dag-zwy-app02, its SQL
Server dag-zwy-app03, their backup server dag-zwy-bak01). The file server is given `--mib` of documents (half
incompressible scans, half text), then, each timed as `invoke backup` runs it (`timed`: wall, CPU of the process
tree, peak RSS):

  1. the files backup (tar on the host → cityops: sha256 and every member read → cat on the backup server,
     sha256sum there): MiB/s of archive and of source data;
  2. its restore drill (archive streamed back into tar -x on the host, sha256sum -c of every file);
  3. backup.verify of it;
  4. the RMAN level 0 and the SQL Server full (the lab databases are small: these time the round trips —
     RMAN, validate, copy — not the throughput).

Peak memory must not grow with the archive: the archive is never held whole (a run at twice the size shows it).

Run:  .venv/bin/python bench/dbfiles_bench.py --mib 48
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from inspect_bench import timed  # noqa: E402

from cityops.inventory.model import load_inventory  # noqa: E402
from cityops.lab import control, supervisor  # noqa: E402
from cityops.lab.statedir import LabDir  # noqa: E402

HOSTS = ("dag-zwy-app01", "dag-zwy-app02", "dag-zwy-app03", "dag-zwy-bak01")
INVOKE = str(REPO / ".venv" / "bin" / "invoke")


def fill(directory: Path, mib: int) -> int:
    """`mib` MiB of documents: half random (scans do not compress), half repetitive text; returns bytes."""
    rng = random.Random(24)  # nosec B311  # bench data
    directory.mkdir(parents=True, exist_ok=True)
    total, i = 0, 0
    while total < mib * 1024 * 1024:
        size = rng.randint(200_000, 2_000_000)
        text = f"数字档案 第{i:05d} 份 会议纪要\n".encode() * (size // 40)
        data = text if i % 2 else rng.randbytes(size)
        (directory / f"bench_{i:05d}{'.txt' if i % 2 else '.pdf'}").write_bytes(data)
        total += len(data)
        i += 1
    return total


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--mib", type=int, default=48, help="documents added to the file server (the backup disk is "
                    "256 MiB: keep the archive under it)")
    args = ap.parse_args()
    lab = LabDir(Path(tempfile.mkdtemp(prefix="cityops-bench-lab-")))
    if supervisor.running(LabDir(REPO / ".cityops" / "lab")):
        print("a lab is running from .cityops/lab: stop it first (invoke lab.down); the bench brings its own")
        return 2
    inv = load_inventory(REPO / "inventory")
    reports = Path(tempfile.mkdtemp(prefix="cityops-bench-reports-"))
    up = control.up(lab, [inv.hosts[h] for h in HOSTS])
    print(f"lab up: {up.served} in {up.seconds:.1f} s")
    try:
        data = fill(lab.path / "servers" / "dag-zwy-app01" / "srv" / "dag" / "files" / "bench", args.mib)
        common = ["--inventory", str(REPO / "inventory"), "--lab", str(lab.path), "--reports", str(reports)]
        rows = []

        def step(name: str, argv: list[str], volume: int = 0) -> None:
            r = timed([INVOKE, *argv, *common])
            rate = f"{volume / r['wall'] / 1048576:7.1f} MiB/s" if volume else " " * 13
            rows.append(f"{name:<34} {r['wall']:7.2f} s  CPU {r['cpu']:6.2f} s  peak {r['peak_mib']:6.1f} MiB  "
                        f"{rate}  rc {r['rc']}")
            if r["rc"]:
                print(r["stdout"][-600:], r["stderr"][-600:])

        step(f"files backup ({data / 1048576:.0f} MiB of data)",
             ["backup", "--kind", "files", "--force", "--host", "dag-zwy-app01"], data)
        step("restore drill", ["backup.drill", "--host", "dag-zwy-app01"], data)
        step("backup.verify (files)", ["backup.verify", "--host", "dag-zwy-app01"])
        step("RMAN level 0 (lab database)", ["backup", "--kind", "db", "--force", "--host", "dag-zwy-app02"])
        step("SQL Server full (3 databases)", ["backup", "--kind", "db", "--force", "--host", "dag-zwy-app03"])
        print(f"\n{'step':<34} {'wall':>9}  {'CPU':>10}  {'peak RSS':>15}  {'throughput':>13}")
        for row in rows:
            print(row)
    finally:
        control.down(lab)
        shutil.rmtree(lab.path, ignore_errors=True)
        shutil.rmtree(reports, ignore_errors=True)
    return 0


if __name__ == "__main__":
    os.umask(0o022)
    sys.exit(main())
