"""The `invoke` command line of cityops: one collection per concern."""

from __future__ import annotations

import sys

from invoke import Collection, task

from .inspect import inspect_ns
from .inventory import check, export, inventory_ns
from .lab import lab_ns


@task
def demo(c):
    """The main job on this machine: validate the inventory, export the archive, run the lab and break it."""
    from ..lab import control, supervisor
    from ..lab.statedir import LabDir
    from .common import load

    check(c)
    export(c)
    inv = load(None)
    lab = LabDir()
    started = not supervisor.running(lab)
    if started:
        report = control.up(lab, list(inv.hosts.values()))
        print(f"lab up: {report.served} in {report.seconds:.1f} s; not served yet: {len(report.unserved)} hosts")
    try:
        victim = "gxj-dzzw-core01"
        print(control.set_fault(lab, inv, victim, "fan_failed"))
        procs, hosts = control.status(lab)
        up = sum(1 for h in hosts if h.reachable)
        print(f"lab status: {control.summarize(procs)} running; {up}/{len(hosts)} hosts answer their protocol")
        print(control.set_fault(lab, inv, victim, "", clear=True))
    finally:
        if started:
            print(f"lab down: stopped {control.summarize(control.down(lab))}")


@task
def lint(c):
    """ruff over the code."""
    c.run(f"{sys.executable} -m ruff check cityops checks tests plugins bench tasks.py")


@task(help={"args": "extra pytest arguments"})
def test(c, args=""):
    """Lint, then run the test suite (what CI runs)."""
    lint(c)
    c.run(f"{sys.executable} -m pytest {args}", pty=False)


ns = Collection(demo, test, lint)
ns.add_collection(inventory_ns)
ns.add_collection(lab_ns)
ns.add_collection(inspect_ns)
