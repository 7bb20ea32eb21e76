"""`invoke lab.*`: bring the simulated estate up, look at it, break it, take it down."""

from __future__ import annotations

import sys
from pathlib import Path

from invoke import Collection, Exit, task

from ..lab import control
from ..lab.faults import KINDS, FaultError, FaultStore
from ..lab.statedir import LabDir
from ..lab.supervisor import LabError
from .common import load, selection, selection_task, warn_problems


def _lab(state):
    return LabDir(state) if state else LabDir()


@selection_task(help={"state": "lab state directory (default .cityops/lab or CITYOPS_LAB_DIR)",
                      "latency": "device latency in seconds: 0.3, or per class: core_switch=0.3,default=0.1"})
def up(c, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None, host=None, limit=None,
       state=None, latency=None, inventory=None):
    """Start the lab for the whole estate or a selection, on the inventory's own addresses."""
    inv = load(inventory)
    warn_problems(inv)
    sel = selection(inv, bureau=bureau, lot=lot, site=site, zone=zone, class_=class_, subsystem=subsystem,
                    host=host, limit=limit)
    lab = _lab(state)
    try:
        report = control.up(lab, sel.hosts, latency, universe=list(inv.hosts.values()))
    except LabError as exc:
        raise Exit(f"cityops: {exc}", code=2) from None
    for server, count in report.served.items():
        print(f"lab {server}: {count} devices up")
    print(f"not served yet: {len(report.unserved)} hosts (lab.status --unserved lists them)")
    print(f"lab state: {lab.path}  ({report.seconds:.1f} s)")


@task(help={"state": "lab state directory", "unserved": "also list hosts the lab does not serve yet"})
def status(c, state=None, unserved=False):
    """What runs, which hosts answer their protocol, which faults are active."""
    lab = _lab(state)
    procs, hosts = control.status(lab)
    if not procs:
        print(f"no lab running from {lab.path}")
    kinds: dict[str, list[str]] = {}
    for name, entry in procs.items():
        kinds.setdefault(name.split(":")[0], []).append(str(entry["pid"]))
    for kind, pids in kinds.items():
        shown = ", ".join(pids[:3]) + (f" … ({len(pids)} processes)" if len(pids) > 3 else "")
        print(f"server {kind}: pid {shown}")
    ok = sum(1 for h in hosts if h.reachable)
    print(f"hosts: {ok}/{len(hosts)} reachable")
    for h in hosts:
        if not h.reachable or h.faults:
            faults = ", ".join(h.faults) or "-"
            print(f"  {h.name:<22} {h.address:<16} {'up' if h.reachable else 'DOWN':<5} {h.detail:<24} faults: {faults}")
    if unserved:
        for name, why in lab.read_json(lab.lab_file, {}).get("unserved", []):
            print(f"  unserved {name}: {why}")


@task(help={"name": "inventory host, or all with --clear (every host)",
            "kind": f"fault kind ({', '.join(KINDS)}), or all with --clear",
            "clear": "remove the fault",
            "param": "fault parameter as key=value (repeatable), e.g. percent=97", "state": "lab state directory"},
      iterable=["param"], positional=["name", "kind"])
def fault(c, name, kind=None, clear=False, param=None, state=None, inventory=None):
    """Inject a fault into a lab host (or --clear it); servers pick it up on the next command.

    `lab.fault HOST KIND --clear` clears one, `lab.fault HOST all --clear` a host's, `lab.fault all all --clear` every one.
    """
    inv = load(inventory)
    if clear and name == "all":
        for host in sorted(FaultStore(_lab(state)).all()):
            print(control.set_fault(_lab(state), inv, host, kind or "all", clear=True))
        return
    params = dict(p.split("=", 1) for p in (param or []))
    if not clear and not kind:
        raise Exit(f"cityops: name a fault kind: {', '.join(KINDS)}", code=2)
    try:
        print(control.set_fault(_lab(state), inv, name, kind, clear=clear, **params))
    except (FaultError, LabError, ValueError) as exc:
        raise Exit(f"cityops: {exc}", code=2) from None


@task(help={"set": "the time the lab servers' tools (RMAN) take it to be: 2026-12-01T01:00 (Beijing time)",
            "clear": "back to real time", "state": "lab state directory"})
def clock(c, set=None, clear=False, state=None):
    """The lab's clock, for replaying a month: RMAN and the lab database on every lab server follow it, and
    cityops does when $CITYOPS_CLOCK names the file this prints."""
    from ..backup.history import when

    if bool(set) == bool(clear):
        raise Exit("cityops: lab.clock: --set TIME or --clear", code=2)
    print(control.set_clock(_lab(state), None if clear else when(set, "set")))


@task(help={"lot": "the lot whose hosts' backups are replayed (24)", "period": "a month (2026-12) or day",
            "reports": "reports directory (default ./reports)", "state": "lab state directory"})
def replay(c, lot, period, reports="reports", state=None, inventory=None):
    """Replay a period of a lot's database and files backups under the lab clock, for real against the running lab
    (a full disk on the first RMAN night, next-morning checks, a drill, the engineer's manual entries); then
    `invoke report.ledger` for the month shows it."""
    from ..lab.replay import replay as run_replay
    from ..report.runs import parse_period

    p = parse_period(period)
    for line in run_replay(load(inventory), _lab(state), Path(reports), lot, p.start, p.end):
        print(line)


@task(help={"state": "lab state directory"})
def down(c, state=None):
    """Stop every lab process by its PID and remove the lab's run-time files."""
    stopped = control.down(_lab(state))
    print(f"stopped: {control.summarize(stopped) or 'nothing was running'}", file=sys.stdout)


lab_ns = Collection("lab", up, status, fault, clock, replay, down)
