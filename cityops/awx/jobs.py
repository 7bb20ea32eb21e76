"""cityops' jobs as AWX runs them: a private data dir for ansible-runner (project, inventory, extra vars), run.

AWX hands each job to ansible-runner as a private data dir: `project/` (the synced git project — this repository),
`inventory/`, `env/extravars` (the job template's and the launch's extra vars), and it reads back
`artifacts/<ident>/` (status, rc, stdout, one JSON file per job event). `prepare` lays out the same directory for
one of the job playbooks (`playbooks/awx_inspect.yml`, `awx_backup.yml`, `awx_report.yml`) so the jobs run here
exactly as a template would run them on an execution node, and the test suite runs them under ansible-runner.
"""

from __future__ import annotations

import json
import os
import subprocess  # nosec B404  # ansible-runner, fixed argv
import sys
from pathlib import Path

from ..errors import BadInput, one_line

REPO = Path(__file__).resolve().parents[2]
JOBS = {"inspect": "awx_inspect.yml", "backup": "awx_backup.yml", "report": "awx_report.yml"}
EXTRA_VARS = ("cityops_zone", "cityops_lot", "cityops_host", "cityops_cadence", "cityops_backup_kind",
              "cityops_document", "cityops_period", "cityops_inventory", "cityops_reports", "cityops_lab")


def prepare(pdd: Path, job: str, extravars: dict, project: Path = REPO) -> str:
    """Lay out a private data dir for one job; returns the playbook's name (relative to project/)."""
    if job not in JOBS:
        raise BadInput(f"job '{one_line(job, 20)}': one of {', '.join(JOBS)}")
    unknown = set(extravars) - set(EXTRA_VARS)
    if unknown:
        raise BadInput(f"extra vars {', '.join(sorted(unknown))}: not a cityops job's (known: {', '.join(EXTRA_VARS)})")
    pdd = Path(pdd)
    (pdd / "env").mkdir(parents=True, exist_ok=True)
    (pdd / "inventory").mkdir(exist_ok=True)
    link = pdd / "project"
    if link.is_symlink() or link.exists():
        link.unlink()
    link.symlink_to(project / "playbooks", target_is_directory=True)  # AWX syncs the project; here it is this checkout
    (pdd / "inventory" / "hosts").write_text(
        f"localhost ansible_connection=local ansible_python_interpreter={sys.executable}\n", encoding="utf-8")
    values = {k: str(v) for k, v in extravars.items() if v not in (None, "")}
    (pdd / "env" / "extravars").write_text(json.dumps({"cityops_project": str(project), **values},
                                                      ensure_ascii=False, indent=1), encoding="utf-8")
    return JOBS[job]


def run(pdd: Path, playbook: str, ident: str, timeout: float = 3600) -> subprocess.CompletedProcess:
    """`ansible-runner run <pdd> -p <playbook> --ident <ident>`, as AWX's receptor worker starts it."""
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ.get('PATH', '/usr/bin:/bin')}"}
    return subprocess.run([str(bin_dir / "ansible-runner"), "run", str(pdd), "-p", playbook, "--ident", ident],  # nosec B603  # fixed argv
                          env=env, capture_output=True, text=True, timeout=timeout, check=False)


def events(pdd: Path, ident: str) -> list[dict]:
    """The job's events, in order, as AWX stores them."""
    out = []
    for path in sorted((Path(pdd) / "artifacts" / ident / "job_events").glob("*.json"),
                       key=lambda p: int(p.name.split("-", 1)[0])):
        out.append(json.loads(path.read_text(encoding="utf-8")))
    return out
