"""The configuration backup of the whole lab estate, by cityops and by a plain nornir + netmiko loop, and the
store's history at a year of daily runs.

  1. `invoke backup` over every device cityops backs up (network devices, FC switches, firewalls), at a named
     device latency: wall time, devices per second, peak memory, the commands sent per device;
  2. nornir (threaded runner, 50 workers) with nornir_netmiko's `netmiko_send_command`, sending the same
     commands to the same devices and writing each answer to a file — what a team writes in an afternoon — and
     cityops on the same devices in the same process, in turns (`--rounds`, 3 by default): each round's wall
     time, CPU seconds of the tool and of the lab (both share this machine's cores), and the devices each lost;
  3. a store of the estate with 365 daily commits (a few devices changed each day): `backup.diff` and
     `backup.show --at` of one device, timed.
  4. RANCID (Debian's `rancid` package: `apt-get install rancid`; skipped with a note when absent) over the
     devices it has a type for (VRP, IOS, NX-OS; it has none for Comware, Topsec, Sangfor or web consoles), run
     as an unprivileged user (`nobody`) with its own BASEDIR, git as its RCS, at PAR_COUNT 5 and 50; and cityops
     on exactly those devices.

Run:  .venv/bin/python bench/backup_bench.py --latency 0.2
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from inspect_bench import estate_lab, lab_cpu, timed  # noqa: E402

from cityops import drivers  # noqa: E402
from cityops.backup.capture import KINDS  # noqa: E402
from cityops.backup.history import diff, show  # noqa: E402
from cityops.backup.run import Paths, backup, rel_path, targets  # noqa: E402
from cityops.backup.store import ConfigStore  # noqa: E402
from cityops.drivers import cli_driver  # noqa: E402

BIN = Path(sys.executable).parent


def commands(h) -> list[str]:
    d = drivers.get(str(h.get("platform")))
    return [d.getter(g).command for g in KINDS.values() if g in d.getters]


def cpu_seconds() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def measured(run, lab) -> dict:
    """Wall seconds, this process's CPU seconds and the lab's, of one run."""
    lab0, cpu0, t0 = lab_cpu(lab), cpu_seconds(), time.monotonic()
    out = run()
    return {"wall": time.monotonic() - t0, "cpu": cpu_seconds() - cpu0, "lab_cpu": lab_cpu(lab) - lab0, **out}


def in_process(inv, hosts, tmp: Path) -> dict:
    """cityops' backup of `hosts` in this process (no interpreter start, no inventory load): like nornir's loop."""
    out = backup(inv, hosts, selection={"bench": True}, paths=Paths(root=tmp / "b2", reports=tmp / "r2"),
                 lab_dir=REPO / ".cityops" / "lab")
    c = out.tally.counts
    return {"failed": c["failed"] + c["quarantined"]}


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

    result = nr.run(task=backup)
    return {"failed": len(result.failed_hosts), "lost": sorted(result.failed_hosts), "nr": nr}


def close_quietly(nr) -> None:
    """Drop the loop's sessions as cityops drops its own, without a timed graceful logout (netmiko's `quit`
    costs seconds per VRP device): outside the timing, so nornir is not charged for it."""
    for host in nr.inventory.hosts.values():
        conn = host.connections.pop("netmiko", None)
        if conn is not None:
            conn.connection.remote_conn.close()
            conn.connection.remote_conn_pre.close()


RANCID_TYPES = {"huawei_vrp": "vrp", "huawei_vrpv8": "vrp", "huawei_ce": "vrp", "cisco_ios": "cisco",
                "cisco_nxos": "cisco-nx"}
SSH_CONFIG = """Host *
  StrictHostKeyChecking no
  UserKnownHostsFile /dev/null
  LogLevel ERROR
  PubkeyAuthentication no
  PreferredAuthentications password,keyboard-interactive
  KexAlgorithms +diffie-hellman-group14-sha1,diffie-hellman-group1-sha1
  HostKeyAlgorithms +ssh-rsa
  Ciphers +aes128-cbc,aes256-cbc,3des-cbc
"""


def rancid_commands(rancid_type: str) -> list[str]:
    """The commands RANCID sends a device of this type (its rancid.types.base), after login."""
    out = []
    for line in Path("/etc/rancid/rancid.types.base").read_text().splitlines():
        f = line.split(";")
        if len(f) >= 4 and f[0] == rancid_type and f[1] == "command":
            out.append(f[3])
    return out


def rancid_run(hosts, creds: dict, root: Path, par_count: int) -> float:
    """rancid-run over `hosts` in a BASEDIR of its own, as `nobody` when this runs as root; wall seconds."""
    import pwd
    import shutil

    shutil.rmtree(root, ignore_errors=True)
    (root / "tmp").mkdir(parents=True)
    (root / "logs").mkdir()
    conf = Path("/etc/rancid/rancid.conf").read_text().replace("RCSSYS=cvs;", "RCSSYS=git;")
    conf += (f'\nBASEDIR={root}; export BASEDIR\nCVSROOT={root}/CVS; export CVSROOT\nLOGDIR={root}/logs; '
             f'export LOGDIR\nTMPDIR={root}/tmp; export TMPDIR\nLIST_OF_GROUPS="lab"; export LIST_OF_GROUPS\n'
             f'PAR_COUNT={par_count}; export PAR_COUNT\nSENDMAIL=/bin/true\n')  # RANCID mails its diffs: not here
    (root / "rancid.conf").write_text(conf)
    (root / "ssh_config").write_text(SSH_CONFIG)
    (root / "labssh").write_text(f'#!/bin/sh\nexec ssh -F {root}/ssh_config "$@"\n')
    (root / "labssh").chmod(0o755)
    (root / ".gitconfig").write_text("[user]\n  name = rancid\n  email = rancid@localhost\n"
                                     "[init]\n  defaultBranch = master\n")
    lines = [f"add sshcmd * {{{root}/labssh}}", "add method * ssh"]
    for h in hosts:
        c, a = creds[h.get("credential")], h.get("ansible_host")
        lines += [f"add user {a} {{{c['username']}}}", f"add password {a} {{{c['password']}}} {{{c['password']}}}"]
    (root / ".cloginrc").write_text("\n".join(lines) + "\n")
    (root / ".cloginrc").chmod(0o600)
    prefix, env = [], {"HOME": str(root), "PATH": "/usr/lib/rancid/bin:/usr/bin:/bin", "LANG": "C"}
    if os.geteuid() == 0:
        nobody = pwd.getpwnam("nobody")
        subprocess.run(["chown", "-R", f"{nobody.pw_uid}:{nobody.pw_gid}", str(root)], check=True)  # nosec B603 B607
        prefix = ["setpriv", f"--reuid={nobody.pw_uid}", f"--regid={nobody.pw_gid}", "--clear-groups"]
    conf_path = str(root / "rancid.conf")
    subprocess.run([*prefix, "/usr/lib/rancid/bin/rancid-cvs", "-f", conf_path], env=env, cwd=root,  # nosec B603
                   capture_output=True, check=False)
    routers = "".join(f"{h.get('ansible_host')};{RANCID_TYPES[h.get('platform')]};up\n" for h in hosts)
    (root / "lab" / "router.db").write_text(routers)
    if prefix:
        subprocess.run(["chown", f"{nobody.pw_uid}:{nobody.pw_gid}", str(root / "lab" / "router.db")],  # nosec B603 B607
                       check=True)
    t0 = time.monotonic()
    subprocess.run([*prefix, "/usr/lib/rancid/bin/rancid-run", "-f", conf_path], env=env, cwd=root,  # nosec B603
                   capture_output=True, check=False)
    wall = time.monotonic() - t0
    got = len([p for p in (root / "lab" / "configs").iterdir()
               if p.is_file() and p.stat().st_size > 0 and not p.name.startswith(".")])
    problems = sum(log.read_text(errors="replace").count("End of run not found") for log in (root / "logs").iterdir())
    print(f"  RANCID PAR_COUNT {par_count}: {len(hosts)} devices in {wall:.1f} s = {len(hosts) / wall:.1f} devices/s; "
          f"{got} configurations on file; {problems} incomplete runs logged")
    return wall


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
    ap.add_argument("--workers", default=128, type=int, help="cityops' devices at once (its default; nornir: 50)")
    ap.add_argument("--rounds", default=3, type=int, help="turns of nornir and cityops on the CLI devices")
    args = ap.parse_args()
    with estate_lab(args.latency) as (lab, inv):
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
            print(f"the {len(cli)} CLI devices, in process, in turns (wall s / tool CPU s / lab CPU s / devices lost):")
            walls = {"nornir": [], "cityops": []}
            for i in range(args.rounds):
                (tmp / f"nornir{i}").mkdir()
                loop = measured(lambda i=i: nornir_loop(cli, creds, tmp / f"nornir{i}"), lab)
                close_quietly(loop.pop("nr"))
                mine = measured(lambda i=i: in_process(inv, cli, tmp / f"round{i}"), lab)
                for who, m in (("nornir", loop), ("cityops", mine)):
                    walls[who].append(m["wall"])
                print(f"  round {i + 1}: nornir + netmiko (50 workers) {loop['wall']:.1f} / {loop['cpu']:.1f} / "
                      f"{loop['lab_cpu']:.1f} / {loop['failed']} {loop['lost']}; cityops {mine['wall']:.1f} / "
                      f"{mine['cpu']:.1f} / {mine['lab_cpu']:.1f} / {mine['failed']}")
            med = {k: statistics.median(v) for k, v in walls.items()}
            print(f"  median: nornir {med['nornir']:.1f} s, cityops {med['cityops']:.1f} s = "
                  f"{med['nornir'] / med['cityops']:.2f}x nornir's speed; best rounds: nornir {min(walls['nornir']):.1f} "
                  f"s, cityops {min(walls['cityops']):.1f} s = {min(walls['nornir']) / min(walls['cityops']):.2f}x")
            rancid_hosts = [h for h in todo if h.get("platform") in RANCID_TYPES]
            if Path("/usr/lib/rancid/bin/rancid-run").exists():
                tmp.chmod(0o711)  # `nobody` must pass through to its BASEDIR
                per = {t: len(rancid_commands(t)) for t in set(RANCID_TYPES.values())}
                print(f"RANCID vs cityops on the {len(rancid_hosts)} devices RANCID has a type for; commands per "
                      f"device after login: RANCID {per}, cityops 2 (running and startup configuration)")
                walls = {n: rancid_run(rancid_hosts, creds, tmp / f"rancid{n}", n) for n in (5, 50)}
                ours = measured(lambda: in_process(inv, rancid_hosts, tmp / "same"), lab)["wall"]
                print(f"  cityops: {len(rancid_hosts)} devices in {ours:.1f} s = {len(rancid_hosts) / ours:.1f} "
                      f"devices/s: {walls[50] / ours:.1f}x RANCID at PAR_COUNT 50, {walls[5] / ours:.1f}x at 5")
            else:
                print("RANCID not installed (apt-get install rancid): its comparison is skipped")
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


if __name__ == "__main__":
    main()
