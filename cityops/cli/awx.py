"""`invoke awx.context` and `invoke awx.run`: the execution environment's build context, and a job run as AWX does."""

from __future__ import annotations

import subprocess  # nosec B404  # ansible-builder, fixed argv
import sys
from pathlib import Path

from invoke import Collection, Exit, task

from ..timeutil import now


@task(help={"out": "where the build context goes (default reports/awx/context)"})
def context(c, out="reports/awx/context"):
    """The execution environment's build context (ansible-builder create from execution-environment.yml): build the
    image from it where a container engine is."""
    from ..awx.jobs import REPO

    result = subprocess.run([str(Path(sys.executable).parent / "ansible-builder"), "create", "-f",  # nosec B603  # fixed argv
                             str(REPO / "execution-environment.yml"), "-c", str(Path(out).resolve())], cwd=REPO,
                            capture_output=True, text=True, check=False)
    if result.returncode:
        raise Exit(f"cityops: ansible-builder create failed: {result.stderr.strip() or result.stdout.strip()}", code=3)
    made = next((Path(out) / n for n in ("Containerfile", "Dockerfile") if (Path(out) / n).exists()), Path(out))
    print(f"execution environment build context: {made} and {Path(out) / '_build'}")


@task(help={"job": "inspect, backup or report", "zone": "network zone", "lot": "lot", "host": "hosts",
            "cadence": "inspect: daily, weekly, …", "kind": "backup: all, config, db, files, jobs",
            "document": "report: ledger, analysis, yearly", "period": "report: 2026-11, 2026-Q4, 2026",
            "inventory": "inventory directory", "reports": "reports directory", "lab": "lab state directory",
            "pdd": "the private data dir (default reports/awx/<ident>)"})
def run(c, job, zone="", lot="", host="", cadence="", kind="", document="", period="", inventory="", reports="",
        lab="", pdd=""):
    """Run one of cityops' AWX job playbooks under ansible-runner, as a job template would: its artifacts (status,
    stdout, job events) land in the private data dir, its run records in the reports directory."""
    from ..awx import jobs

    ident = f"{now():%Y%m%dT%H%M%S}-{job}"
    where = Path(pdd or Path(reports or "reports") / "awx" / ident).resolve()
    absolute = {k: str(Path(v).resolve()) if v else "" for k, v in (("inventory", inventory), ("reports", reports),
                                                                      ("lab", lab))}
    playbook = jobs.prepare(where, job, {"cityops_zone": zone, "cityops_lot": lot, "cityops_host": host,
                                         "cityops_cadence": cadence, "cityops_backup_kind": kind,
                                         "cityops_document": document, "cityops_period": period,
                                         "cityops_inventory": absolute["inventory"],
                                         "cityops_reports": absolute["reports"], "cityops_lab": absolute["lab"]})
    result = jobs.run(where, playbook, ident)
    status = (where / "artifacts" / ident / "status").read_text().strip() if (where / "artifacts" / ident /
                                                                               "status").exists() else "?"
    print(f"ansible-runner {job}: {status} (rc {result.returncode}); artifacts {where / 'artifacts' / ident}")
    if result.returncode:
        sys.stdout.write(result.stdout[-3000:])
        raise Exit(code=2)


awx_ns = Collection("awx", context, run)
