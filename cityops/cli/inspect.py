"""`invoke inspect`: run the check catalogue over a selection of the estate and write the run's records."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from invoke import Collection, Exit, task

from ..errors import BadInput, one_line
from .common import load, selection, selection_task, tool_failure, warn_problems

CADENCE_HELP = "twice_daily | daily | weekly | monthly | quarterly (default: every check)"


class Progress:
    """One line on stderr: hosts done, findings and errors so far (rewritten in place on a terminal)."""

    def __init__(self):
        self.tty = sys.stderr.isatty()
        self.last = 0.0

    def __call__(self, tally) -> None:
        t = time.monotonic()
        done = tally.hosts_done == tally.hosts_total
        if not done and t - self.last < (0.2 if self.tty else 5.0):
            return
        self.last = t
        s = tally.by_status
        line = (f"巡检进度 {tally.hosts_done}/{tally.hosts_total} 台  告警 {s['warn']}  异常 {s['fail']}  "
                f"无法巡检 {s['error']}")
        print(("\r" + line) if self.tty else line, end="\n" if done or not self.tty else "", file=sys.stderr,
              flush=True)


@selection_task(name="run", default=True, help={
    "cadence": CADENCE_HELP, "check": "only these check ids, comma-separated (e.g. LNX-FS-001,NET-CPU-001)",
    "workers": "hosts inspected at once (default 128)", "host_timeout": "seconds allowed per host (default 120)",
    "reports": "reports directory (default ./reports)", "lab": "lab state directory (default .cityops/lab)",
    "inspector": "巡检人 recorded in the manifest (default $CITYOPS_INSPECTOR or the login name)",
    "waivers": "waivers file (default ./waivers.yml)"})
def run(c, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None, host=None, limit=None,
        cadence=None, check=None, workers=128, host_timeout=120.0, reports="reports", lab=None, inspector="",
        waivers="waivers.yml", inventory=None):
    """Inspect the selected hosts; write reports/runs/<run-id>/. Exit 0 clean, 1 findings, 2 errors, 3 tool failure."""
    from ..inspect.catalogue import CADENCES
    from ..inspect.session import inspect

    if cadence and cadence not in CADENCES:
        raise BadInput(f"unknown cadence '{one_line(cadence, 40)}'; one of {', '.join(CADENCES)}")
    inv = load(inventory)
    warn_problems(inv)
    sel = selection(inv, bureau=bureau, lot=lot, site=site, zone=zone, class_=class_, subsystem=subsystem,
                    host=host, limit=limit)
    only = {x.strip() for x in check.split(",")} if check else None
    with tool_failure("inspect"):
        outcome = inspect(inv, sel.hosts, cadence=cadence, selection=sel.criteria or {"all": True},
                          reports=Path(reports), lab_dir=Path(lab) if lab else None, workers=int(workers),
                          host_timeout=float(host_timeout), inspector=inspector, only=only, progress=Progress(),
                          waivers_file=Path(waivers))
    s = outcome.tally.by_status
    print(f"run {outcome.run_id}: {outcome.results} results on {outcome.tally.hosts_total} hosts — "
          f"正常 {s['pass']}  告警 {s['warn']}  异常 {s['fail']}  无法巡检 {s['error']}  已豁免 {s['waived']}  "
          f"({outcome.status})")
    print(f"records: {outcome.run_dir}/")
    if outcome.exit_status:
        raise Exit(code=outcome.exit_status)


@task(help={"run": "run id (a directory under reports/runs) to join the form to",
            "file": "the filled-in form (YAML)", "template": "print an empty form instead",
            "site": "site for --template (dzzw, szcs, ...)", "reports": "reports directory (default ./reports)",
            "inventory": "inventory directory (default ./inventory)"})
def manual(c, run=None, file=None, template=False, site=None, reports="reports", inventory=None):
    """人工巡检: print a form for a site (--template --site S), or join a filled form to a run (--run ID --file F)."""
    from ..inspect.manual import join
    from ..inspect.manual import template as make_template
    from ..inspect.record import run_dir

    inv = load(inventory)
    if template:
        if not site:
            raise BadInput("--template needs --site")
        print(make_template(inv, site), end="")
        return
    if not (run and file):
        raise BadInput("give --run RUN_ID --file FORM.yml (or --template --site S)")
    added = join(run_dir(Path(reports) / "runs", run), Path(file), inv)  # ManualError is bad input: exit 4
    print(f"run {run}: {added} manual result(s) joined from {file}")


inspect_ns = Collection("inspect", run, manual)
