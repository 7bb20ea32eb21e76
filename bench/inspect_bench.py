"""The daily inspection of the whole lab estate, by cityops and by ansible-core, in the same run.

Starts (or reuses) the whole-estate lab at a named device latency, then:
  1. `invoke inspect --cadence daily` over every host the catalogue covers: wall time, hosts per second,
     peak memory and CPU of the cityops process, and the lab's CPU over the same interval apart;
  2. ansible-core (ansible-playbook, forks 50, `raw` over paramiko with the lab's passwords) sending the same
     commands to the hosts both can reach over SSH (servers and network devices; ansible-core alone has no
     SNMP, Redfish or IPMI, and its network modules live in collections this project does not install);
  3. cityops again on exactly that SSH subset, so the ratio compares like with like.

Run:  .venv/bin/python bench/inspect_bench.py --latency 0.2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from cityops import platforms  # noqa: E402
from cityops.drivers import DRIVERS  # noqa: E402
from cityops.inspect.catalogue import applicable  # noqa: E402
from cityops.inventory import load_inventory  # noqa: E402
from cityops.lab import control, supervisor  # noqa: E402
from cityops.lab.statedir import LabDir  # noqa: E402

BIN = Path(sys.executable).parent
NETWORK_GETTERS = ("cpu", "memory", "fans", "power_supplies", "temperatures", "alarms", "boards", "interface_errors")
LINUX_COMMANDS = ["df -P -k", "df -P -i", "cat /proc/meminfo", "cat /proc/loadavg", "nproc",
                  "systemctl list-units --failed", "chronyc tracking", "tail -n 2000 /var/log/messages",
                  "rpm -qa --last | head -n 20"]


def lab_cpu(lab: LabDir) -> float:
    """CPU seconds of every lab process and its reaped children (sshd forks a child per connection)."""
    total = 0.0
    for info in supervisor.running(lab).values():
        try:
            with open(f"/proc/{info['pid']}/stat") as fh:
                f = fh.read().rsplit(")", 1)[1].split()
            total += sum(int(x) for x in f[11:15]) / os.sysconf("SC_CLK_TCK")
        except FileNotFoundError:
            continue
    return total


def timed(argv: list[str], env: dict | None = None) -> dict:
    """Wall time, CPU of the process tree, and the peak RSS of its largest process (GNU time's %M, per run)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    with tempfile.NamedTemporaryFile("r", suffix=".time") as peak:
        p = subprocess.run(["/usr/bin/time", "-o", peak.name, "-f", "%M", *argv], cwd=REPO, capture_output=True,
                           text=True, env={**os.environ, **(env or {})})
        peak_kib = int((peak.read().strip().splitlines() or ["0"])[-1])
    wall = time.monotonic() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"wall": wall, "cpu": (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime),
            "peak_mib": peak_kib / 1024, "rc": p.returncode, "stdout": p.stdout, "stderr": p.stderr}


def error_causes(run_dir: Path) -> str:
    """The commonest error messages of a run, so a slow or failing bench run says why."""
    causes = Counter(f"{r['host'].split('-')[0]}: {r['message'][:90]}"
                     for r in map(json.loads, (run_dir / "results.jsonl").open()) if r["status"] == "error")
    return "; ".join(f"{n}x {m}" for m, n in causes.most_common(5))


def ansible_files(tmp: Path, hosts, creds: dict) -> tuple[Path, Path]:
    groups: dict[str, dict] = {"linux": {}, "netdev": {}}
    for h in hosts:
        c = creds[h.get("credential")]
        entry = {"ansible_host": h.get("ansible_host"), "ansible_user": c["username"], "ansible_password": c["password"]}
        if h.get("platform") == "linux":
            groups["linux"][h.name] = entry
        else:
            getters = DRIVERS[h.get("platform")].getters
            groups["netdev"][h.name] = {**entry, "commands": sorted({g.command for name, g in getters.items()
                                                                     if name in NETWORK_GETTERS})}
    inv = tmp / "hosts.yml"
    inv.write_text(yaml.safe_dump({"all": {"children": {g: {"hosts": v} for g, v in groups.items()},
                                           "vars": {"ansible_connection": "paramiko"}}}))
    inv.chmod(0o600)
    play = tmp / "daily.yml"
    play.write_text(yaml.safe_dump([
        {"hosts": "linux", "gather_facts": False, "tasks": [
            {"name": "daily checks", "ansible.builtin.raw": "{{ item }}", "loop": LINUX_COMMANDS,
             "changed_when": False}]},
        {"hosts": "netdev", "gather_facts": False, "tasks": [
            {"name": "daily checks", "ansible.builtin.raw": "{{ item }}", "loop": "{{ commands }}",
             "changed_when": False}]},
    ]))
    return inv, play


@contextlib.contextmanager
def estate_lab(latency: str):
    """(lab, inventory) of the whole estate at a device latency: started here and stopped after, or the running
    lab reused as it is."""
    lab = LabDir(REPO / ".cityops" / "lab")
    inv = load_inventory(REPO / "inventory")
    started = not supervisor.running(lab)
    if started:
        report = control.up(lab, list(inv.hosts.values()), latency, universe=list(inv.hosts.values()))
        print(f"lab up at latency {latency}: {report.served} in {report.seconds:.1f} s")
    else:
        print("reusing the running lab (its latency is whatever it was started with)")
    try:
        yield lab, inv
    finally:
        if started:
            control.down(lab)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--latency", default="0.2", help="device latency: seconds, or per class (lab.up --latency)")
    args = ap.parse_args()
    with estate_lab(args.latency) as (lab, inv):
        plan = applicable(list(inv.hosts.values()), "daily")
        covered = [h for h in inv.hosts.values() if plan[h.name]]
        with tempfile.TemporaryDirectory() as tmpdir:
            tmp = Path(tmpdir)
            base = [str(BIN / "invoke"), "inspect", "--cadence", "daily", "--reports", str(tmp / "reports")]
            cpu0 = lab_cpu(lab)
            whole = timed(base)
            whole_lab = lab_cpu(lab) - cpu0
            runs = sorted((tmp / "reports" / "runs").iterdir())
            manifest = json.loads((runs[-1] / "manifest.json").read_text())
            print(f"cityops, whole estate, daily: {len(covered)} hosts, {manifest['results']} results "
                  f"{manifest['counts']} in {whole['wall']:.1f} s = {len(covered) / whole['wall']:.0f} hosts/s; "
                  f"peak {whole['peak_mib']:.0f} MiB; cityops CPU {whole['cpu']:.1f} s, lab CPU {whole_lab:.1f} s")
            if manifest["counts"].get("error"):
                print("  errors:", error_causes(runs[-1]))

            ssh = [h for h in covered if h.get("platform") == "linux" or
                   (DRIVERS.get(getattr(platforms.get(str(h.get("platform"))), "id", ""), None) is not None
                   and DRIVERS[str(h.get("platform"))].kind == "network")]
            creds = yaml.safe_load(lab.credentials_file.read_text())
            hosts_yml, play = ansible_files(tmp, ssh, creds)
            env = {"ANSIBLE_HOST_KEY_CHECKING": "False", "ANSIBLE_FORKS": "50", "ANSIBLE_HOME": str(tmp / "ah"),
                   "ANSIBLE_LOCAL_TEMP": str(tmp / "at"), "ANSIBLE_CONFIG": str(tmp / "none.cfg"),
                   "ANSIBLE_PYTHON_INTERPRETER": "auto_silent", "ANSIBLE_DEPRECATION_WARNINGS": "False"}
            cpu0 = lab_cpu(lab)
            ans = timed([str(BIN / "ansible-playbook"), "-i", str(hosts_yml), str(play)], env)
            ans_lab = lab_cpu(lab) - cpu0
            ok = ans["stdout"].count("ok=")
            print(f"ansible-core, {len(ssh)} SSH hosts (forks 50, raw over paramiko): rc {ans['rc']}, "
                  f"{ok} host recaps in {ans['wall']:.1f} s = {len(ssh) / ans['wall']:.1f} hosts/s; "
                  f"peak {ans['peak_mib']:.0f} MiB (largest fork); ansible CPU {ans['cpu']:.1f} s, lab CPU {ans_lab:.1f} s")
            if ans["rc"]:
                print(ans["stdout"][-1500:], ans["stderr"][-1500:])
            names = ",".join(h.name for h in ssh)
            cpu0 = lab_cpu(lab)
            same = timed([*base, "--host", names])
            same_lab = lab_cpu(lab) - cpu0
            print(f"cityops, the same {len(ssh)} SSH hosts: {same['wall']:.1f} s = {len(ssh) / same['wall']:.1f} "
                  f"hosts/s; peak {same['peak_mib']:.0f} MiB; cityops CPU {same['cpu']:.1f} s, lab CPU {same_lab:.1f} s")
            print(f"ratio on the SSH hosts: cityops is {ans['wall'] / same['wall']:.1f}x ansible-core's throughput")
            cores = os.cpu_count() or 1
            floor = (same["cpu"] + same_lab) / cores
            per = 1000 / len(ssh)
            print(f"CPU per host: cityops {per * same['cpu']:.0f} ms, ansible-core {per * ans['cpu']:.0f} ms"
                  f" (lab {per * same_lab:.0f} vs {per * ans_lab:.0f} ms); on {cores} cores shared "
                  f"with the lab, that cityops run cannot end before {floor:.1f} s, so the most this machine can show "
                  f"is {ans['wall'] / floor:.1f}x")


if __name__ == "__main__":
    main()
