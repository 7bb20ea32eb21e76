"""The `invoke` command line of cityops: one collection per concern."""

from __future__ import annotations

import sys
from pathlib import Path

from invoke import Collection, task

from ..errors import BadInput
from ..transport import redact
from .audit import audit_ns
from .awx import awx_ns
from .backup import backup_ns
from .change import change, patch, signatures
from .common import guard_collection
from .credentials import credentials_ns, hostkeys_ns
from .inspect import inspect_ns
from .inventory import check, export, inventory_ns
from .lab import lab_ns
from .report import evidence_ns, report_ns
from .runner import runner_ns
from .schedule import schedule_ns
from .zone import export as evidence_export
from .zone import import_ as evidence_import
from .zone import keygen as evidence_keygen

redact.install()  # every log record and an uncaught traceback leave the program redacted


@task
def demo(c):
    """The main job on this machine: validate the inventory, export the archive, run the lab, inspect it, break it."""
    from pathlib import Path

    from ..inspect.session import inspect
    from ..lab import control, supervisor
    from ..lab.statedir import LabDir
    from .common import load
    from .inspect import Progress

    check(c)
    export(c)
    inv = load(None)
    lab = LabDir()
    started = not supervisor.running(lab)
    if started:
        report = control.up(lab, list(inv.hosts.values()))
        print(f"lab up: {report.served} in {report.seconds:.1f} s; not served yet: {len(report.unserved)} hosts")
    try:
        every = list(inv.hosts.values())
        run = inspect(inv, every, cadence="daily", selection={"cadence": "daily"}, reports=Path("reports"),
                      progress=Progress())
        s = run.tally.by_status
        print(f"daily inspection of the estate: {run.results} results on {run.tally.hosts_total} hosts — 正常 {s['pass']} "
              f"告警 {s['warn']} 异常 {s['fail']} 无法巡检 {s['error']} → {run.run_dir}/")
        victim = "gxj-dzzw-core01"
        print(control.set_fault(lab, inv, victim, "fan_failed"))
        procs, hosts = control.status(lab)
        up = sum(1 for h in hosts if h.reachable)
        print(f"lab status: {control.summarize(procs)} running; {up}/{len(hosts)} hosts answer their protocol")
        again = inspect(inv, [inv.hosts[victim]], cadence="daily", selection={"host": victim}, reports=Path("reports"))
        from ..report.runs import load_run

        for r in load_run(run.run_dir.parent, again.run_id).all_results():  # read back through the verification
            if r["status"] == "fail":
                print(f"finding on {r['host']}: {r['check_id']} {r['message']} — 整改建议：{r['remedy']}")
        print(control.set_fault(lab, inv, victim, "", clear=True))
        backups(inv, every, victim)
        patch_rehearsal(inv, lab)
        change_rehearsal(inv)
        files_backups_and_drill(inv, lab)
        replayed_month(inv, lab, "24")
        from .backup import database_and_file_jobs  # where each declared database and file backup stands

        database_and_file_jobs(inv, set(inv.hosts), Path("reports"), everything=False)
        from ..report.build import make_report

        made = make_report(Path("reports"), inv, run_ids=[run.run_id, again.run_id])
        print(f"report ({made.data.results} results, {len(made.data.findings)} findings): {made.html}, "
              f"{made.xlsx.name}, {made.docx.name}")
        periodic(inv, "6_10")
        unattended(inv)
    finally:
        if started:
            print(f"lab down: stopped {control.summarize(control.down(lab))}")


def backups(inv, every: list, victim: str) -> None:
    """The day's configuration backup of the estate; then an engineer's change on one switch, and its diff."""
    from pathlib import Path

    from ..backup.history import diff
    from ..backup.run import Paths, backup
    from ..inspect.session import transport_config
    from ..transport.audit import AuditLog
    from ..transport.registry import open_session
    from .backup import Progress as BackupProgress

    def summary(out) -> str:
        c = out.tally.counts
        return (f"{out.tally.total} devices — collected {c['collected']}, changed {c['changed'] + c['added']}, "
                f"unchanged {c['unchanged']}, failed {c['failed']}, quarantined {c['quarantined']}, no reader yet "
                f"{c['unsupported']}; commit {(out.commit or 'none')[:12]}")

    from ..lab.netdev.configstate import ConfigState
    from ..lab.statedir import LabDir

    ConfigState(LabDir()).clear(victim)  # the change below is made afresh on every demo
    first = backup(inv, every, selection={"all": True}, progress=BackupProgress())
    print(f"configuration backup {first.run_id}: {summary(first)}")
    h = inv.hosts[victim]
    session = open_session(h, transport_config(AuditLog(Path("reports") / "audit", "demo-engineer", "", "demo")))
    try:
        for command in ("system-view", "snmp-agent sys-info location 电子政务机房-B2", "return"):
            session.run(command)
    finally:
        session.close()
    second = backup(inv, [h], selection={"host": victim})
    print(f"after a change on {victim}: {summary(second)}")
    print(diff(h, Paths(), None, None), end="")


def patch_rehearsal(inv, lab) -> None:
    """Two servers of the 金保 zone left behind their mirror (a RHEL 6.9 with Python 2.6, a CentOS 7.6 with 2.7),
    then a SQL Server cluster, an ESXi host and a Windows server patched through WSUS: `invoke patch` in check
    mode — pre-inspection, plan (pyinfra, the cluster's own reading, the zone's WSUS), the record — and nothing
    changes."""
    from pathlib import Path

    from ..change.flow import PatchRequest, run
    from ..lab import control

    names = ("rsj-jb-ibm01", "rsj-jb-isc01")
    for name in names:
        control.set_fault(lab, inv, name, "updates_pending")
    try:
        out = run(inv, PatchRequest([inv.hosts[n] for n in names], "演示：月度补丁检查", reports=Path("reports"),
                                    force_window="演示在变更窗口（周六 22:00-06:00）外以检查模式运行，不改动主机"))
        for line in out.lines:
            print(f"patch (check mode): {line}")
    finally:
        for name in names:
            control.set_fault(lab, inv, name, "", clear=True)
    # the 电子政务 SQL Server cluster 1 (its rolling playbook: the node without the role first, a full database
    # backup before any node), an ESXi 6.5 host (its image profile from the bundle on its datastore) and the
    # domain controller (what the zone's WSUS says it still needs)
    names = ("gxj-dzzw-sql1a", "gxj-dzzw-sql1b", "gxj-dzzw-esx01", "gxj-dzzw-ad01")
    out = run(inv, PatchRequest([inv.hosts[n] for n in names], "演示：数据库群集与虚拟化主机补丁检查", reports=Path("reports"),
                                force_window="演示在变更窗口外以检查模式运行，不改动主机"))
    for line in out.lines:
        print(f"patch (check mode): {line}")


def change_rehearsal(inv) -> None:
    """A reviewed network change (changes/2026-12-ntp-second-server.yml) on the 电子政务 core switch (VRP) and its
    Cisco router (napalm): `invoke change` in check mode — pre-inspection, a backup first, each device's diff (the
    router's from the router itself) — and nothing changes."""
    from pathlib import Path

    from ..change.flow import NetChangeRequest, run
    from ..change.netconfig import load_change

    names = ("gxj-dzzw-core01", "gxj-dzzw-rt01")
    out = run(inv, NetChangeRequest([inv.hosts[n] for n in names], "演示：增加第二台 NTP 时钟源", reports=Path("reports"),
                                    change=load_change(Path("changes/2026-12-ntp-second-server.yml")),
                                    force_window="演示在变更窗口（周六 22:00-06:00）外以检查模式运行，不改动设备"))
    for line in out.lines:
        print(f"change (check mode): {line}")


def files_backups_and_drill(inv, lab) -> None:
    """The estate's RMAN and files backups (the RAC, the archive bureau's databases, the portal's program, the file
    server), each verified; a restore drill of the file server; then one flipped byte on its backup server, found
    by verify and by a drill."""
    from pathlib import Path

    from ..backup.files import drill_files
    from ..backup.runner import run_jobs, selected_jobs
    from ..inspect.session import transport_config
    from ..lab import control
    from ..transport.audit import AuditLog
    from .backup import print_files_run

    reports = Path("reports")
    out = run_jobs(inv, list(inv.hosts.values()), reports, force=True, progress=print_files_run)
    print(f"database (RMAN, SQL Server) and files backups: {len(out.ran)} run, {len(out.ran) - len(out.failed)} verified")
    job = next(j for j in selected_jobs(inv, list(inv.hosts.values()), ("files",)) if j.owner == "dag-zwy-app01")
    config = transport_config(AuditLog(reports / "audit", "demo-drill", "", "demo"))
    good = drill_files(inv, job, config, reports)
    print(f"restore drill {job.owner} {job.name}: {good['detail']}")
    print(control.set_fault(lab, inv, job.target, "backup_corrupt", match=".tar.gz"))
    try:
        from ..backup.files import verify_files

        for _run, ok, detail in verify_files(inv, job, config, reports):
            if ok is False:
                print(f"backup.verify: {detail}")
        print(f"restore drill of the damaged backup: {drill_files(inv, job, config, reports)['detail'][:160]}")
    finally:
        print(control.set_fault(lab, inv, job.target, "backup_corrupt", clear=True))
    intact = [ok for _run, ok, _detail in verify_files(inv, job, config, reports)]
    print(f"backup.verify after the byte is restored: {intact.count(True)} of {len(intact)} archives intact")
    database_drills(inv, config, reports)


def database_drills(inv, config, reports) -> None:
    """Restore drills of the RAC (a scratch instance from the backup server's copies, recovered to the backup's
    SCN) and of SQL Server cluster 1 (each database under a scratch name): rows counted against the backup's."""
    from ..backup.dbdrill import drill_rman, drill_sqlserver
    from ..backup.jobrun import JobFailed
    from ..backup.runner import selected_jobs

    jobs = selected_jobs(inv, list(inv.hosts.values()), ("rman", "sqlserver"))
    for owner, run in (("cluster_szcs_rac", drill_rman), ("cluster_dzzw_sql1", drill_sqlserver)):
        job = next((j for j in jobs if j.owner == owner), None)
        if job is None:
            continue
        try:
            out = run(inv, job, config, reports)
        except JobFailed as exc:
            print(f"restore drill {owner}: {exc}")
            continue
        print(f"restore drill {owner} ({len(out['chain'])} backups → {out.get('restored_to', '-')}): "
              f"{out['detail'][:200]}")


def replayed_month(inv, lab, lot: str) -> None:
    """Last month of the lot's database and files backups replayed under the lab clock (RMAN and tar for real at
    each slot's time), and that month's 运维台账 made from what it left."""
    import datetime as dt
    from pathlib import Path

    from ..lab.replay import replay
    from ..report.ledger import make_ledger
    from ..report.runs import parse_period
    from ..timeutil import now

    first = now().date().replace(day=1)
    start = (first - dt.timedelta(days=1)).replace(day=1)
    for line in replay(inv, lab, Path("reports"), lot, start, first):
        print(f"replay {line}")
    made = make_ledger(Path("reports"), inv, lot, parse_period(f"{start:%Y-%m}"))
    print(f"标项{lot} 运维台账 {made.data.period_label}（回放）: {made.docx}, {made.xlsx.name}")


def unattended(inv) -> None:
    """Unattended operation: the schedule the inventory owes, one slot fired on a zone's runner, the audit trail
    proven, the zone's signed bundle imported at a centre, and the same inspection as an AWX job under
    ansible-runner."""
    import shutil

    from ..awx import jobs
    from ..schedule.fire import STATUS_NAMES, fire
    from ..schedule.plan import entries, load_config
    from ..transport import audit as trail
    from ..zone import bundle, keys
    from .audit import recorded_heads

    plan = entries(inv, load_config())
    lot15 = [e for e in plan if e.cadence == "twice_daily" and "15" in e.lots]
    print(f"schedule: {len(plan)} entries from the inventory and schedule.yml; lot 15's 上午/下午 by zone: "
          + "; ".join(f"{e.id} at {e.cron}" for e in lot15))
    demo = Path("reports") / "demo-zone"
    shutil.rmtree(demo, ignore_errors=True)
    runner, centre = (demo / "runner").resolve(), (demo / "centre").resolve()
    entry = next(e for e in plan if e.id == "inspect-gov_extranet-twice_daily-am")
    fired = fire(entry, runner, repo=jobs.REPO, force=True)
    print(f"schedule.fire {entry.id} ({entry.title}): {STATUS_NAMES.get(fired.status, fired.status)} — "
          f"{fired.detail}; runs {', '.join(fired.run_ids)}")
    verdict = trail.verify(runner / "audit", recorded_heads(runner)[runner / "audit"])
    print(f"audit.verify on the runner: {verdict.entries} lines in {verdict.segments} segment(s), {verdict.heads} "
          f"recorded head(s) — {'verified' if verdict.ok else verdict.problems[0]}")
    keys.generate("gov_extranet", demo / "keys" / "secrets", demo / "keys" / "public")
    made = bundle.export(runner, inv, "gov_extranet", demo / "keys" / "secrets")
    got = bundle.import_bundle(centre, made.path, inv, demo / "keys" / "public")
    print(f"zone gov_extranet bundle {made.sequence} ({len(made.runs)} run, signed ed25519) imported at the centre: "
          f"{len(got.runs)} run; importing it again: ", end="")
    try:
        bundle.import_bundle(centre, made.path, inv, demo / "keys" / "public")
    except BadInput as exc:
        print(str(exc).split(": ", 1)[1])
    pdd = demo / "awx"
    playbook = jobs.prepare(pdd.resolve(), "inspect", {"cityops_host": "gxj-dzzw-core01", "cityops_cadence": "daily",
                                                       "cityops_reports": str(centre)})
    ran = jobs.run(pdd.resolve(), playbook, "demo")
    status = (pdd / "artifacts" / "demo" / "status").read_text().strip()
    print(f"AWX job playbook awx_inspect.yml under ansible-runner: {status} (rc {ran.returncode}), "
          f"{len(jobs.events(pdd, 'demo'))} job events in {pdd / 'artifacts' / 'demo'}")


def periodic(inv, lot: str) -> None:
    """The lot's paperwork so far: this month's 运维台账, this quarter's analysis, this year's summary."""
    from pathlib import Path

    from ..report.analysis import make_analysis
    from ..report.ledger import make_ledger
    from ..report.runs import parse_period
    from ..report.yearly import make_yearly
    from ..timeutil import now

    t = now()
    for label, make, period in (("运维台账", make_ledger, f"{t:%Y-%m}"),
                                ("巡检分析报告", make_analysis, f"{t.year}-Q{(t.month - 1) // 3 + 1}"),
                                ("年终总结", make_yearly, f"{t.year}")):
        made = make(Path("reports"), inv, lot, parse_period(period))
        print(f"标项{lot} {label} {made.data.period_label}: {made.docx}, {made.xlsx.name}")


@task
def lint(c):
    """ruff over the code, bandit (security) over what ships — each remaining bandit finding is justified in
    place with `# nosec <id>  # why` — and ansible-lint's production profile over every playbook."""
    from invoke import Exit

    c.run(f"{sys.executable} -m ruff check cityops checks tests plugins bench tasks.py")
    result = c.run(f"{sys.executable} -m bandit -q -c pyproject.toml -r cityops plugins tasks.py", warn=True,
                   hide="stderr")
    chatter = ("nosec encountered", "Test in comment")  # bandit's notes on the justified lines themselves
    print("".join(line for line in result.stderr.splitlines(True) if not any(x in line for x in chatter)), end="",
          file=sys.stderr)
    if result.exited:
        raise Exit("bandit: findings above (justify each in place with `# nosec <id>  # why`, or fix it)", code=1)
    print("bandit: no unjustified finding")
    lint_bin = Path(sys.executable).parent / "ansible-lint"
    c.run(f"{lint_bin} --profile production --offline --nocolor playbooks/", env={"ANSIBLE_CONFIG": "ansible.cfg"})


@task(help={"args": "extra pytest arguments", "workers": "pytest-xdist workers (default 2; 0 runs in this process)"})
def test(c, args="", workers=2):
    """Lint, then run the test suite (what CI runs): the lab's tests in one worker, the others beside them."""
    lint(c)
    spread = f"-n {int(workers)} --dist loadgroup " if int(workers) > 0 else ""
    c.run(f"{sys.executable} -m pytest {spread}{args}", pty=False)


ns = Collection(demo, test, lint, patch, change, signatures)
ns.add_collection(inventory_ns)
ns.add_collection(lab_ns)
ns.add_collection(inspect_ns)
ns.add_collection(report_ns)
for _t in (evidence_keygen, evidence_export, evidence_import):
    evidence_ns.add_task(_t)
ns.add_collection(evidence_ns)
ns.add_collection(backup_ns)
ns.add_collection(audit_ns)
ns.add_collection(schedule_ns)
ns.add_collection(credentials_ns)
ns.add_collection(hostkeys_ns)
ns.add_collection(awx_ns)
ns.add_collection(runner_ns)
guard_collection(ns)
