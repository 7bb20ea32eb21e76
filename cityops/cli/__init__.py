"""The `invoke` command line of cityops: one collection per concern."""

from __future__ import annotations

import sys

from invoke import Collection, task

from .inventory import check, export, inventory_ns
from .lab import lab_ns


@task
def demo(c):
    """The main job on this machine: validate the inventory and export the device archive."""
    check(c)
    export(c)


@task
def lint(c):
    """ruff over the code."""
    c.run(f"{sys.executable} -m ruff check cityops tests plugins bench tasks.py")


@task(help={"args": "extra pytest arguments"})
def test(c, args=""):
    """Lint, then run the test suite (what CI runs)."""
    lint(c)
    c.run(f"{sys.executable} -m pytest {args}", pty=False)


ns = Collection(demo, test, lint)
ns.add_collection(inventory_ns)
ns.add_collection(lab_ns)
