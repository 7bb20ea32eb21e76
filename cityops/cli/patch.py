"""`invoke patch`: operating-system patches through the change flow (cityops/patch/flow.py), check mode first."""

from __future__ import annotations

from pathlib import Path

from invoke import Exit

from ..errors import EXIT_FINDINGS, EXIT_REFUSED, BadInput, one_line
from .common import load, selection, selection_task, tool_failure, warn_problems


@selection_task(name="patch", help={
    "reason": "why (变更原因), recorded in the change record: required",
    "apply": "change the hosts (default: check mode, nothing changes)",
    "security": "security updates only (yum --security)",
    "reboot": "reboot a host into a newly installed kernel, then verify it runs",
    "batch_size": "hosts changed before each verification (default 1: one node at a time)",
    "force_window": "change outside the lots' change window, giving the reason (recorded)",
    "reports": "reports directory (default ./reports)", "lab": "lab state directory (default .cityops/lab)",
    "operator": "实施人 recorded in the change record (default $CITYOPS_INSPECTOR or the login name)"})
def patch(c, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None, host=None, limit=None,
          reason="", apply=False, security=False, reboot=False, batch_size=1, force_window="", reports="reports",
          lab=None, operator="", inventory=None):
    """Patch the selected servers by their route: pre-inspect, window, plan; with --apply, batch by batch, each
    verified and inspected. Exit 0 rehearsed or completed, 1 stopped at a failed batch, 5 refused."""
    from ..patch.flow import PatchRequest, run

    if not reason.strip():
        raise BadInput("--reason is required: the change record says why (变更原因)")
    if int(batch_size) < 1:
        raise BadInput(f"--batch-size {batch_size}: at least 1")
    inv = load(inventory)
    warn_problems(inv)
    sel = selection(inv, bureau=bureau, lot=lot, site=site, zone=zone, class_=class_, subsystem=subsystem,
                    host=host, limit=limit)
    req = PatchRequest(sel.hosts, one_line(reason, 300), apply=apply, security=security, reboot=reboot,
                       batch_size=int(batch_size), force_window=one_line(force_window, 300), operator=operator,
                       reports=Path(reports), lab_dir=Path(lab) if lab else None)
    with tool_failure("patch"):
        outcome = run(inv, req)
    for line in outcome.lines:
        print(line)
    print(f"record: {Path(reports) / 'changes' / outcome.change_id / 'change.json'}")
    if outcome.result == "stopped":
        raise Exit(code=EXIT_FINDINGS)
    if outcome.result == "refused":
        raise Exit(code=EXIT_REFUSED)
