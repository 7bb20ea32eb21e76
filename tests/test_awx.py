"""AWX: the execution environment's build context (ansible-builder create; no container engine here to build it)
and cityops' job playbooks run under ansible-runner as a job template runs them — artifacts, job events, and
the cityops run records of the lab inspection they made."""

from __future__ import annotations

import json

from cityops.awx import jobs

from .conftest import REPO, run_invoke


def test_ansible_builder_creates_the_build_context(tmp_path):
    out = run_invoke("awx.context", "--out", str(tmp_path / "ctx"))
    assert out.returncode == 0, out.stderr
    recipe = next(p for p in (tmp_path / "ctx").iterdir() if p.name in ("Containerfile", "Dockerfile")).read_text()
    assert 'ARG PYCMD="/usr/bin/python3.11"' in recipe and "ansible-core>=2.19,<2.20" in recipe
    assert "pip install --no-cache-dir /opt/cityops-src" in recipe  # cityops' dependencies from its pyproject
    built = tmp_path / "ctx" / "_build"
    assert (built / "cityops-src" / "pyproject.toml").read_bytes() == (REPO / "pyproject.toml").read_bytes()
    assert (built / "cityops-src" / "cityops" / "cli" / "__init__.py").is_file()
    assert "ipmitool [platform:rpm]" in (built / "bindep.txt").read_text()


def test_the_inspect_job_runs_under_ansible_runner_and_leaves_artifacts_and_run_records(lab, tmp_path):
    pdd, reports = tmp_path / "pdd", tmp_path / "reports"
    playbook = jobs.prepare(pdd, "inspect", {"cityops_host": "lab-linux-app,lab-vrp-core", "cityops_cadence": "daily",
                                             "cityops_inventory": str(lab[0].root), "cityops_reports": str(reports),
                                             "cityops_lab": str(lab[1].path)})
    done = jobs.run(pdd, playbook, "job-1")
    artifacts = pdd / "artifacts" / "job-1"
    assert done.returncode == 0, done.stdout[-3000:]
    assert (artifacts / "status").read_text() == "successful" and (artifacts / "rc").read_text() == "0"
    events = jobs.events(pdd, "job-1")
    ran = [e for e in events if e["event"] == "runner_on_ok" and e["event_data"].get("task") == "Run invoke inspect"]
    assert ran and ran[0]["event_data"]["res"]["rc"] in (0, 1)
    assert events[-1]["event"] == "playbook_on_stats"
    (manifest,) = reports.glob("runs/*/manifest.json")
    data = json.loads(manifest.read_text())
    assert data["status"] == "complete" and data["hosts_inspected"] == 2
    assert data["inspector"].startswith("AWX ")  # who ran it: the job template, as the audit trail will say
    # a job whose selection is bad input fails the job, and AWX shows it failed
    bad = jobs.prepare(pdd, "inspect", {"cityops_host": "no-such-host", "cityops_inventory": str(lab[0].root),
                                        "cityops_reports": str(reports)})
    failed = jobs.run(pdd, bad, "job-2")
    assert failed.returncode != 0 and (pdd / "artifacts" / "job-2" / "status").read_text() == "failed"
