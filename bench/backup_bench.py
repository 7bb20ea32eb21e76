"""The configuration backup of the whole lab estate, by cityops and by a plain nornir + netmiko loop, and the
store's history at a year of daily runs.

  1. `invoke backup` over every device cityops backs up (network devices, FC switches, firewalls), at a named
     device latency: wall time, devices per second, peak memory, the commands sent per device;
  2. nornir (threaded runner, 50 workers) with nornir_netmiko's `netmiko_send_command`, sending the same
     commands to the same devices and writing each answer to a file — what a team writes in an afternoon;
  3. a store of the estate with 365 daily commits (a few devices changed each day): `backup.diff` and
     `backup.show --at` of one device, timed.
RANCID is not run yet (its IOS/VRP command sets are not all answered by the lab): see the issue's closing note.

Run:  .venv/bin/python bench/backup_bench.py --latency 0.2
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from inspect_bench import timed  # noqa: E402

from cityops import drivers  # noqa: E402
from cityops.backup.capture import KINDS  # noqa: E402
from cityops.backup.history import diff, show  # noqa: E402
from cityops.backup.run import Paths, backup, rel_path, targets  # noqa: E402
from cityops.backup.store import ConfigStore  # noqa: E402
from cityops.drivers import cli_driver  # noqa: E402
from cityops.inventory import load_inventory  # noqa: E402
from cityops.lab import control, supervisor  # noqa: E402
from cityops.lab.statedir import LabDir  # noqa: E402

BIN = Path(sys.executable).parent


def commands(h) -> list[str]:
    d = drivers.get(str(h.get("platform")))
    return [d.getter(g).command for g in KINDS.values() if g in d.getters]


def in_process(inv, hosts, tmp: Path) -> float:
    """cityops' backup of `hosts` in this process (no interpreter start, no inventory load): like nornir's loop."""
    t0 = time.monotonic()
    backup(inv, hosts, selection={"bench": True}, paths=Paths(root=tmp / "b2", reports=tmp / "r2"),
           lab_dir=REPO / ".cityops" / "lab")
    return time.monotonic() - t0


def nornir_loop(hosts, creds: dict, out: Path) -> dict:
    """50 threads of nornir, netmiko per device, the same commands; every answer written to a file."""
    from nornir import InitNornir
    from nornir.core.task import Result, Task
    from nornir_netmiko.tasks import netmiko_send_command

    inv = {h.name: {"hostname": h.get("ansible_host"), "username": creds[h.get("credential")]["username"],
                    "password": creds[h.get("credential")]["password"],
                    "platform": cli_driver(str(h.get("platform"))).netmiko,
                    "data": {"commands": commands(h)},
                    "connection_options": {"netmiko": {"extras": {"fast_cli": True, "use_keys": False,
                                                                  "allow_agent": False}}}} for h in hosts}
    (out / "hosts.yaml").write_text(yaml.safe_dump(inv))
    (out / "hosts.yaml").chmod(0o600)
    nr = InitNornir(runner={"plugin": "threaded", "options": {"num_workers": 50}},
                    inventory={"plugin": "SimpleInventory", "options": {"host_file": str(out / "hosts.yaml")}},
                    logging={"enabled": False})

    def backup(task: Task) -> Result:
        for i, cmd in enumerate(task.host["commands"]):
            r = task.run(task=netmiko_send_command, command_string=cmd, read_timeout=60)
            (out / f"{task.host.name}.{i}.cfg").write_text(r.result)
        return Result(host=task.host)

    t0 = time.monotonic()
    result = nr.run(task=backup)
    wall = time.monotonic() - t0
    return {"wall": wall, "failed": sorted(result.failed_hosts)}


def year_of_history(inv, hosts, root: Path, days: int = 365) -> tuple[ConfigStore, str]:
    """A store of the estate with `days` daily commits, a few devices changing each day (git fast-import)."""
    store = ConfigStore(root)
    store.init()
    rng = random.Random(7)  # nosec B311  # bench data
    files = {rel_path(h, k): "\n".join(f"line {i} of {h.name} {k}" for i in range(400)) + "\nreturn\n"
             for h in hosts for k in ("running", "startup")}
    stream = []
    t = int(time.time()) - days * 86400
    names = sorted(files)
    for day in range(days):
        changed = names if day == 0 else rng.sample(names, 6)
        for rel in changed:
            if day:
                files[rel] = files[rel].replace("\nreturn\n", f"\nchange on day {day}\nreturn\n")
        stamp = t + day * 86400
        msg = f"backup day {day}".encode()
        stream.append(f"commit refs/heads/main\ncommitter cityops <cityops@localhost> {stamp} +0800\n"
                      f"data {len(msg)}\n{msg.decode()}\n" + ("from refs/heads/main^0\n" if day == 0 else ""))
        for rel in changed:
            data = files[rel].encode()
            stream.append(f"M 100644 inline {rel}\ndata {len(data)}\n{files[rel]}\n")
    subprocess.run(["git", "-C", str(root), "fast-import", "--quiet"], input="".join(stream).encode(), check=True)  # nosec B603 B607
    subprocess.run(["git", "-C", str(root), "reset", "-q", "--hard", "main"], check=True)  # nosec B603 B607
    return store, names[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--latency", default="0.2", help="device latency: seconds, or per class (lab.up --latency)")
    ap.add_argument("--workers", default=50, type=int, help="cityops' devices at once (nornir keeps 50)")
    args = ap.parse_args()
    lab = LabDir(REPO / ".cityops" / "lab")
    inv = load_inventory(REPO / "inventory")
    started = not supervisor.running(lab)
    if started:
        report = control.up(lab, list(inv.hosts.values()), args.latency, universe=list(inv.hosts.values()))
        print(f"lab up at latency {args.latency}: {report.served} in {report.seconds:.1f} s")
    else:
        print("reusing the running lab (its latency is whatever it was started with)")
    try:
        todo, unsupported = targets(list(inv.hosts.values()))
        sent = sum(len(commands(h)) for h in todo)
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            run = timed([str(BIN / "invoke"), "backup", "--backups", str(tmp / "backups"), "--reports",
                         str(tmp / "reports"), "--workers", str(args.workers)])
            manifest = json.loads(sorted((tmp / "reports" / "backups").glob("*/manifest.json"))[-1].read_text())
            print(f"cityops: {len(todo)} devices ({len(unsupported)} without a reader yet), {sent} configurations "
                  f"({sent / len(todo):.2f} commands per device after login) in {run['wall']:.1f} s = "
                  f"{len(todo) / run['wall']:.1f} devices/s (the run itself {manifest['seconds']:.1f} s, the rest is "
                  f"starting Python and reading the inventory); {manifest['counts']}; peak {run['peak_mib']:.0f} MiB, "
                  f"CPU {run['cpu']:.1f} s")
            creds = yaml.safe_load(lab.credentials_file.read_text())
            cli = [h for h in todo if cli_driver(str(h.get("platform"))) is not None]  # netmiko reaches these only
            (tmp / "nornir").mkdir()
            loop = nornir_loop(cli, creds, tmp / "nornir")
            mine = in_process(inv, cli, tmp)
            print(f"the {len(cli)} CLI devices, in process: nornir + netmiko (50 workers) {loop['wall']:.1f} s = "
                  f"{len(cli) / loop['wall']:.1f} devices/s (failed {len(loop['failed'])}); cityops {mine:.1f} s = "
                  f"{len(cli) / mine:.1f} devices/s: {loop['wall'] / mine:.2f}x nornir's speed")
            paths = Paths(root=tmp / "year", reports=tmp / "reports")
            store, sample = year_of_history(inv, todo, paths.store)
            host = next(h for h in todo if sample in (rel_path(h, "running"), rel_path(h, "startup")))
            t0 = time.monotonic()
            text = diff(host, paths)
            t_diff = time.monotonic() - t0
            t0 = time.monotonic()
            show(host, paths, at=time.strftime("%Y-%m-%d", time.localtime(time.time() - 180 * 86400)))
            t_show = time.monotonic() - t0
            commits = len(store.log())
            print(f"a year of history: {commits} commits of {len(todo) * 2} files; backup.diff {t_diff:.3f} s "
                  f"({len(text.splitlines())} lines), backup.show --at (180 days ago) {t_show:.3f} s")
    finally:
        if started:
            control.down(lab)


if __name__ == "__main__":
    main()
