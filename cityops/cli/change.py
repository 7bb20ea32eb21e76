"""`invoke patch`, `invoke change` and `invoke signatures`: the change flow (cityops/change/flow.py), check mode first.

Both take the shared selection flags, a required --reason, --apply, --batch-size and --force-window; both exit
0 when rehearsed or completed, 1 when stopped at a failed batch, 5 when refused, 4 for bad input."""

from __future__ import annotations

from pathlib import Path

from invoke import Exit

from ..errors import EXIT_FINDINGS, EXIT_REFUSED, BadInput, one_line
from .common import load, selection, selection_task, tool_failure, warn_problems

FLOW_HELP = {
    "reason": "why (变更原因), recorded in the change record: required",
    "apply": "change the targets (default: check mode, nothing changes)",
    "batch_size": "targets changed before each verification (default 1: one at a time)",
    "force_window": "change outside the lots' change window, giving the reason (recorded)",
    "reports": "reports directory (default ./reports)", "lab": "lab state directory (default .cityops/lab)",
    "operator": "实施人 recorded in the change record (default $CITYOPS_INSPECTOR or the login name)"}


def _carry_out(what: str, request_of, reason: str, batch_size, inventory, reports: str, **select) -> None:
    """Validate the shared flags, select, run the flow, print its lines and exit with its status."""
    from ..change.flow import run

    if not reason.strip():
        raise BadInput("--reason is required: the change record says why (变更原因)")
    if int(batch_size) < 1:
        raise BadInput(f"--batch-size {batch_size}: at least 1")
    inv = load(inventory)
    warn_problems(inv)
    sel = selection(inv, **select)
    req = request_of(sel.hosts, one_line(reason, 300))
    with tool_failure(what):
        outcome = run(inv, req)
    for line in outcome.lines:
        print(line)
    print(f"record: {Path(reports) / 'changes' / outcome.change_id / 'change.json'}")
    if outcome.result == "stopped":
        raise Exit(code=EXIT_FINDINGS)
    if outcome.result == "refused":
        raise Exit(code=EXIT_REFUSED)


@selection_task(name="patch", help={
    **FLOW_HELP, "security": "security updates only (yum --security)",
    "reboot": "reboot a host into a newly installed kernel, then verify it runs"})
def patch(c, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None, host=None, limit=None,
          reason="", apply=False, security=False, reboot=False, batch_size=1, force_window="", reports="reports",
          lab=None, operator="", inventory=None):
    """Patch the selected servers by their route: pre-inspect, window, plan; with --apply, batch by batch, each
    verified and inspected. Exit 0 rehearsed or completed, 1 stopped at a failed batch, 5 refused."""
    from ..change.flow import PatchRequest

    def request(hosts, why):
        return PatchRequest(hosts, why, apply=apply, security=security, reboot=reboot, batch_size=int(batch_size),
                            force_window=one_line(force_window, 300), operator=operator, reports=Path(reports),
                            lab_dir=Path(lab) if lab else None)

    _carry_out("patch", request, reason, batch_size, inventory, reports, bureau=bureau, lot=lot, site=site,
               zone=zone, class_=class_, subsystem=subsystem, host=host, limit=limit)


@selection_task(name="change", help={
    **FLOW_HELP, "file": "the reviewed change file (changes/*.yml): title and each platform's configuration lines",
    "backups": "backups root the backup taken first goes to (default ./backups)"})
def change(c, file, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None, host=None, limit=None,
           reason="", apply=False, batch_size=1, force_window="", reports="reports", backups="backups", lab=None,
           operator="", inventory=None):
    """Apply a reviewed configuration change to the selected network devices: pre-inspect, window, backup, the
    device's diff; with --apply, batch by batch: commit and save, read back, inspect, roll back a failed batch.
    Exit 0 rehearsed or completed, 1 stopped (rolled back), 5 refused."""
    from ..change.flow import NetChangeRequest
    from ..change.netconfig import load_change

    reviewed = load_change(Path(file))  # a bad file is refused before anything is selected or sent

    def request(hosts, why):
        return NetChangeRequest(hosts, why, apply=apply, batch_size=int(batch_size),
                                force_window=one_line(force_window, 300), operator=operator, reports=Path(reports),
                                lab_dir=Path(lab) if lab else None, change=reviewed, backups=Path(backups))

    _carry_out("change", request, reason, batch_size, inventory, reports, bureau=bureau, lot=lot, site=site,
               zone=zone, class_=class_, subsystem=subsystem, host=host, limit=limit)


@selection_task(name="signatures", help=FLOW_HELP)
def signatures(c, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None, host=None, limit=None,
               reason="", apply=False, batch_size=1, force_window="", reports="reports", lab=None, operator="",
               inventory=None):
    """Update the selected security appliances' overdue signature libraries (SEC-SIG-001's age, from its warning
    on) as a planned change: pre-inspect, window, the plan per library; with --apply, the appliance's own online
    update, read back. Exit 0 rehearsed or completed, 1 stopped, 5 refused."""
    from ..change.flow import SignatureRequest

    def request(hosts, why):
        return SignatureRequest(hosts, why, apply=apply, batch_size=int(batch_size),
                                force_window=one_line(force_window, 300), operator=operator, reports=Path(reports),
                                lab_dir=Path(lab) if lab else None)

    _carry_out("signatures", request, reason, batch_size, inventory, reports, bureau=bureau, lot=lot, site=site,
               zone=zone, class_=class_, subsystem=subsystem, host=host, limit=limit)
