"""`invoke backup`: the configurations of the selected devices into the store; status, history and restore."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from invoke import Collection, Exit, task

from ..errors import EXIT_FINDINGS, BadInput, one_line
from .common import SelectionTask, load, selection, selection_task, tool_failure, warn_problems

PATH_HELP = {"backups": "backups root: configs/ (the git store), vault/ (encrypted copies), quarantine/ "
                        "(default ./backups)", "reports": "reports directory (default ./reports)"}


def paths(backups="backups", reports="reports"):
    from ..backup.run import Paths

    return Paths(root=Path(backups), reports=Path(reports))


class Progress:
    """A progress bar on a terminal (rich), a line every few seconds in a log (cron)."""

    def __init__(self):
        self.tty = sys.stderr.isatty()
        self.bar = self.task = None
        self.last = 0.0

    def __call__(self, tally) -> None:
        c = tally.counts
        line = (f"配置备份 {tally.done}/{tally.total} 台  已采集 {c['collected']}  变更 {c['changed'] + c['added']}  "
                f"失败 {c['failed']}  隔离 {c['quarantined']}")
        if self.tty:
            if self.bar is None:
                from rich.console import Console
                from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

                self.bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                    TimeElapsedColumn(), console=Console(stderr=True), transient=True)
                self.bar.start()
                self.task = self.bar.add_task(line, total=tally.total)
            self.bar.update(self.task, completed=tally.done, description=line)
            if tally.done == tally.total:
                self.bar.stop()
            return
        t = time.monotonic()
        if tally.done == tally.total or t - self.last >= 5.0:
            self.last = t
            print(line, file=sys.stderr, flush=True)


@selection_task(name="run", default=True, help={
    **PATH_HELP, "kind": "all (default: configurations, then the database and files backups that are due), config, "
                         "db (RMAN, SQL Server), files, or jobs (db and files, not configurations)",
    "force": "db, files: run the selected hosts' database and files backups now, due or not",
    "workers": "devices collected at once (default 128, as inspect)",
    "host_timeout": "seconds allowed per device (default 120)",
    "max_drop": "quarantine a configuration, fail a files backup, this much smaller than the last good ones "
                "(default 0.5 = 50%)",
    "lab": "lab state directory (default .cityops/lab)", "operator": "who runs it (default $CITYOPS_INSPECTOR or "
    "the login name)"})
def run(c, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None, host=None, limit=None,
        kind="all", force=False, workers=128, host_timeout=120.0, max_drop=0.5, backups="backups", reports="reports",
        lab=None, operator="", inventory=None):
    """Back up the selected devices' configurations and their due database and files backups. Exit 0 all kept, 1
    quarantined or a database or files backup failed, 2 not collected, 3 tool failure."""
    if kind not in ("all", "config", "db", "files", "jobs"):
        raise BadInput(f"--kind '{one_line(kind, 20)}': all, config, db, files or jobs")
    if not 0 < float(max_drop) < 1:
        raise BadInput(f"--max-drop {max_drop}: a fraction between 0 and 1")
    inv = load(inventory)
    warn_problems(inv)
    sel = selection(inv, bureau=bureau, lot=lot, site=site, zone=zone, class_=class_, subsystem=subsystem,
                    host=host, limit=limit)
    code = 0
    if kind in ("all", "config"):
        code = config_backups(inv, sel, backups, reports, lab, workers, host_timeout, max_drop, operator)
    if kind != "config":
        code = max(code, job_backups(inv, sel.hosts, kind, reports, lab, operator, force, max_drop))
    if code:
        raise Exit(code=code)


def config_backups(inv, sel, backups, reports, lab, workers, host_timeout, max_drop, operator) -> int:
    """`invoke backup`'s configurations: collected, compared, committed; its exit status."""
    from ..backup.run import backup

    with tool_failure("backup"):
        out = backup(inv, sel.hosts, selection=sel.criteria or {"all": True}, paths=paths(backups, reports),
                     lab_dir=Path(lab) if lab else None, workers=int(workers), host_timeout=float(host_timeout),
                     max_drop=float(max_drop), operator=operator, progress=Progress())
    s = out.tally.counts
    for line in out.recovered:
        print(f"store recovered: {line}")
    print(f"backup {out.run_id}: {out.tally.total} devices — collected {s['collected']}, changed "
          f"{s['changed'] + s['added']} (new {s['added']}), unchanged {s['unchanged']}, failed {s['failed']}, "
          f"quarantined {s['quarantined']}, secret changed {s['secret_changed']}, not saved {s['unsaved']}, "
          f"removed {s['removed']}, "
          f"no reader yet {s['unsupported']} ({out.status})")
    print(f"commit: {out.commit or 'none (nothing changed)'}; records: {out.run_dir}/")
    if out.vault_problem:
        print(f"cityops: encrypted copies not kept: {out.vault_problem}", file=sys.stderr)
    return out.exit_status


def job_backups(inv, hosts, kind, reports, lab, operator, force, max_drop) -> int:
    """`invoke backup`'s database (RMAN, SQL Server) and files backups: each due one run, verified and on the ledger;
    1 if any failed."""
    from ..backup.runner import KIND_CHOICE, run_jobs, selected_jobs

    kinds = KIND_CHOICE[kind]
    if not selected_jobs(inv, hosts, kinds):
        return 0
    with tool_failure("database and files backup"):
        out = run_jobs(inv, hosts, Path(reports), kinds=kinds, lab_dir=Path(lab) if lab else None, operator=operator,
                       force=bool(force), max_drop=float(max_drop), progress=print_files_run)
    for line in out.refused:
        print(f"cityops: {line}", file=sys.stderr)
    print(f"database and files backups: {len(out.ran)} run ({len(out.ran) - len(out.failed)} verified, "
          f"{len(out.failed)} failed), {len(out.not_due)} not due" +
          (f", {len(out.refused)} already running" if out.refused else "")
          + f"; ledger: {Path(reports) / 'backups' / 'ledger.jsonl'}")
    return EXIT_FINDINGS if out.failed else 0


def print_files_run(r) -> None:
    from ..backup.ledger import RUN_STATES

    if r.status == "verified":
        what = f"{r.files} " + {"rman": "个备份片", "sqlserver": "个备份集"}.get(r.kind, "个文件")
        print(f"{r.owner:<22} {r.job:<13} {pad(RUN_STATES[r.status], 8)} {what} {r.size} 字节 "
              f"sha256 {r.sha256[:16]}… → {r.location}" + (f"（{r.warnings[0]}）" if r.warnings else ""))
    else:
        print(f"{r.owner:<22} {r.job:<13} {pad(RUN_STATES[r.status], 8)} {r.error}")


@selection_task(help={**PATH_HELP, "all": "list every device, not only those needing attention"})
def status(c, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None, host=None, limit=None,
           backups="backups", reports="reports", all=False, inventory=None):
    """Last good backup of every selected device and its age; exit 1 if any is stale, failing or never taken."""
    from ..backup.history import STATE_NAMES
    from ..backup.history import status as device_status
    from ..backup.run import targets

    inv = load(inventory)
    sel = selection(inv, bureau=bureau, lot=lot, site=site, zone=zone, class_=class_, subsystem=subsystem,
                    host=host, limit=limit)
    rows = device_status(sel.hosts, paths(backups, reports))
    bad = [r for r in rows if r.bad]
    for r in rows if all else bad:
        age = f"{r.age_hours:.0f} h" if r.age_hours is not None else "-"
        print(f"{r.host:<28} {r.kind:<8} {STATE_NAMES[r.state]:<8} last good {r.last_good or '-':<26} age {age:<7}"
              f"{' cause ' + r.cause if r.cause and r.state != 'ok' else ''}")
    print(f"{len(rows)} configurations: {len(rows) - len(bad)} current, {len(bad)} need attention")
    _todo, unsupported = targets(sel.hosts)
    if unsupported:
        names = ", ".join(h.name for h in unsupported[:5]) + (", ..." if len(unsupported) > 5 else "")
        print(f"{len(unsupported)} devices have no configuration reader yet, so no backup at all: {names}")
    overdue = database_and_file_jobs(inv, {h.name for h in sel.hosts}, Path(reports), all)
    if bad or overdue:
        raise Exit(code=EXIT_FINDINGS)


def database_and_file_jobs(inv, chosen: set[str], reports: Path, everything: bool) -> int:
    """backup.status's second part: the declared database and file backups of the selection; how many are overdue."""
    from ..backup.jobstatus import STATES, job_states
    from ..backup.schedule import jobs

    declared = [j for j in jobs(inv)[0] if chosen & set(j.hosts)]
    if not declared:
        return 0
    states, problems = job_states(declared, reports)
    for s in states:
        if everything or s.state != "ok":
            print(f"{s.job.owner:<22} {s.job.name:<13} {pad(STATES[s.state], 7)} {s.job.what}：{s.detail}")
    for line in problems:
        print(f"cityops: backup ledger: {line}", file=sys.stderr)
    count = {k: sum(s.state == k for s in states) for k in STATES}
    print(f"{len(states)} database and file backup jobs: {count['ok']} on time, {count['overdue']} overdue, "
          f"{count['unchecked']} not checked")
    return count["overdue"]


def pad(text: str, width: int) -> str:
    """`text` padded to `width` terminal columns (a Chinese character takes two), so columns line up."""
    from rich.cells import cell_len

    return text + " " * max(0, width - cell_len(text))


def one_host(inv, name: str):
    if name not in inv.hosts:
        raise BadInput(f"host '{one_line(name, 60)}' is not in the inventory")
    return inv.hosts[name]


@task(klass=SelectionTask, help={**PATH_HELP, "host": "the device",
                                "from_": "older version: date or ISO time (default: the one before)",
            "to": "newer version (default: the newest)", "kind": "running | startup", "inventory": "inventory dir"})
def diff(c, host, from_=None, to=None, kind="running", backups="backups", reports="reports", inventory=None):
    """What changed in a device's configuration (masked): by default its last change."""
    from ..backup.history import diff as store_diff

    inv = load(inventory)
    text = store_diff(one_host(inv, host), paths(backups, reports), from_, to, kind)
    print(text if text else f"{host}: no change between those versions", end="" if text else "\n")


@task(help={**PATH_HELP, "host": "the device", "at": "date or ISO time (default: the newest)",
            "kind": "running | startup", "inventory": "inventory dir"})
def show(c, host, at=None, kind="running", backups="backups", reports="reports", inventory=None):
    """A device's configuration (masked) as it was on a day."""
    from ..backup.history import show as store_show

    inv = load(inventory)
    head, text = store_show(one_host(inv, host), paths(backups, reports), at, kind)
    print(f"# {head}")
    print(text, end="")


@task(name="restore-file", help={**PATH_HELP, "host": "the device", "at": "date or ISO time (default: the newest)",
                                 "out": "file to write (default ~/cityops-restore/HOST-TIME.cfg); never inside "
                                        "the project or the store", "kind": "running | startup",
                                 "lab": "lab state directory (the lab's vault key)", "operator": "who asks",
                                 "inventory": "inventory dir"})
def restore_file(c, host, at=None, out=None, kind="running", backups="backups", reports="reports", lab=None,
                 operator="", inventory=None):
    """Decrypt a device's full configuration (with its secrets) into a 0600 file, for restoring the device."""
    from ..backup.history import restore_file as restore
    from ..inspect.session import transport_config
    from ..timeutil import now
    from ..transport.audit import AuditLog

    inv = load(inventory)
    p = paths(backups, reports)
    audit = AuditLog(p.reports / "audit", f"{now():%Y%m%dT%H%M%S}-restore", operator, "backup.restore")
    config = transport_config(audit, Path(lab) if lab else None)
    target = restore(one_host(inv, host), p, config.credentials, at, Path(out) if out else None, Path.cwd(),
                     audit, kind)
    print(f"{host}: full configuration written to {target} (mode 0600; contains secrets — delete it when done)")


@selection_task(help={"period": "the slots of this period (2026-12, 2026-Q4, 2026, 2026-12-05; default: this month)",
                      "reports": "reports directory, whose backup ledger holds the manual entries (default ./reports)"})
def schedule(c, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None, host=None, limit=None,
             period=None, reports="reports", inventory=None):
    """The database and file backups the selected hosts declare: what, when, how many slots in the period, the
    next one. Exit 4 if a declaration is wrong (one line each)."""
    import datetime as dt

    from ..backup.ledger import last_done
    from ..backup.schedule import jobs
    from ..backup.workdays import uncovered_note
    from ..report.runs import parse_period
    from ..timeutil import BEIJING, now

    inv = load(inventory)
    sel = selection(inv, bureau=bureau, lot=lot, site=site, zone=zone, class_=class_, subsystem=subsystem,
                    host=host, limit=limit)
    chosen = {h.name for h in sel.hosts}
    declared, problems = jobs(inv)
    declared = [j for j in declared if chosen & set(j.hosts)]  # a cluster's job when any of its nodes is selected
    p = parse_period(period or f"{now():%Y-%m}")
    start = dt.datetime.combine(p.start, dt.time(), tzinfo=BEIJING)
    end = dt.datetime.combine(p.end, dt.time(), tzinfo=BEIJING)
    at = now()
    recorded, ledger_problems = last_done(Path(reports))
    for j in declared:
        slots = j.slots(start, end)
        nxt = j.next_due(at)
        target = f" → {j.target}" if j.target else ""
        state = ""
        if j.kind == "manual":  # entered by hand in the ledger: judged here, by its last entry
            entry = recorded.get((j.owner, j.name))
            late = j.overdue(entry.done_at if entry else None, at)
            state = (f"  最近记录 {entry.done_at:%Y-%m-%d %H:%M} {entry.operator}" if entry else "  从未记录") + (
                f"  逾期（应于 {late:%Y-%m-%d %H:%M} 完成）" if late else "")
        print(f"{j.owner:<22} {j.name:<13} {pad(j.title, 40)} {len(slots):>4} 次（{p.label}）  下次 "
              f"{nxt.strftime('%Y-%m-%d %H:%M') if nxt else '-'}  {j.what}{target}{state}")
    print(f"{len(declared)} backup job(s) on {len({h for j in declared for h in j.hosts})} host(s); "
          f"{sum(len(j.slots(start, end)) for j in declared)} slot(s) in {p.label}")
    note = uncovered_note(set(range(p.start.year, p.end.year + 1)) | {at.year})
    if note and any(j.every == "working_day" for j in declared):
        print(note)
    for line in ledger_problems:
        print(f"cityops: backup ledger: {line}", file=sys.stderr)
    for line in problems:
        print(f"cityops: inventory: {line}", file=sys.stderr)
    if problems:
        raise Exit(code=4)


@task(help={"host": "the host (or a node of the cluster) whose backup job it was", "job": "the job's name "
            "(backup.schedule lists them)", "time": "when it was done (2026-12-15T10:30, Beijing time)",
            "operator": "who did it", "note": "what was written where: disks, serials, where they are kept",
            "status": "done (default) or failed", "reports": "reports directory (default ./reports)",
            "inventory": "inventory directory (default ./inventory)"})
def record(c, host, job, time, operator, note, status="done", reports="reports", inventory=None):
    """Enter a backup no command can take (the yearly offline copies on disks) in the backup ledger, with who and
    when; exit 4 if the job is not a manual one or the entry is incomplete."""
    from ..backup.history import when
    from ..backup.ledger import record_manual
    from ..backup.schedule import jobs, owner_of

    inv = load(inventory)
    if host not in inv.hosts:
        raise BadInput(f"--host {one_line(host, 60)!r}: not a host of the inventory")
    owner = owner_of(inv.hosts[host])
    declared, _problems = jobs(inv)
    mine = [j for j in declared if j.owner == owner]
    chosen = next((j for j in mine if j.name == job), None)
    if chosen is None:
        raise BadInput(f"{host} declares no backup job {one_line(job, 40)!r} (it has: "
                       f"{', '.join(j.name for j in mine) or 'none'})")
    entry = record_manual(Path(reports), chosen, done_at=when(time, "time"), operator=operator, note=note,
                          status=status)
    print(f"backup ledger: {chosen.owner} {chosen.name} {entry['status']} at {entry['done_at']} by "
          f"{entry['operator']} (recorded {entry['recorded_at']}, OS user {entry['os_user']})")


@selection_task(help={"reports": "reports directory, whose backup ledger lists the archives (default ./reports)",
                      "lab": "lab state directory (default .cityops/lab)", "operator": "who runs it"})
def verify(c, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None, host=None, limit=None,
           reports="reports", lab=None, operator="", inventory=None):
    """Check again every database and files backup of the selection still kept: RMAN reads its pieces back, each
    backup server hashes its copies against the ledger; each result goes on the ledger. Exit 1 if any is damaged
    or missing, or could not be reached."""
    from ..backup.runner import selected_jobs, verify_job
    from ..inspect.session import transport_config
    from ..timeutil import now
    from ..transport.audit import AuditLog

    inv = load(inventory)
    sel = selection(inv, bureau=bureau, lot=lot, site=site, zone=zone, class_=class_, subsystem=subsystem,
                    host=host, limit=limit)
    audit = AuditLog(Path(reports) / "audit", f"{now():%Y%m%dT%H%M%S}-verify", operator, "backup.verify")
    config = transport_config(audit, Path(lab) if lab else None)
    counts = {True: 0, False: 0, None: 0}
    with tool_failure("backup.verify"):
        for job in selected_jobs(inv, sel.hosts):
            for _run, ok, detail in verify_job(inv, job, config, Path(reports)):
                counts[ok] += 1
                if ok is not True:
                    print(f"{job.owner:<22} {job.name:<13} {'已损坏' if ok is False else '未校验'}  {detail}")
    print(f"backups checked: {counts[True]} intact, {counts[False]} damaged or missing, "
          f"{counts[None]} not reached")
    if counts[False] or counts[None]:
        raise Exit(code=EXIT_FINDINGS)


@task(help={"host": "the host (or a node of the database) whose backup is restored",
            "kind": "files | db (default: the host's only kind of backup)",
            "job": "a files job by name when the host has several",
            "at": "restore the newest backup taken at or before this time (default: the newest)",
            "keep": "leave the scratch directory (files, RMAN) or database (SQL Server) in place to look at",
            "reports": "reports directory (default ./reports)", "lab": "lab state directory",
            "operator": "who runs it", "inventory": "inventory directory (default ./inventory)"})
def drill(c, host, kind=None, job=None, at=None, keep=False, reports="reports", lab=None, operator="",
          inventory=None):
    """A restore drill (恢复演练): a files backup restored into a scratch directory on its host and every file
    checked against the backup's manifest; a database's backup chain restored into a scratch instance (RMAN) or
    under a scratch name (SQL Server), recovered to the backup's point and its rows counted against the backup's.
    Restore time and lost rows are judged against the job's restore_hours; recorded on the ledger. Exit 1 if it
    failed."""
    from ..backup.dbdrill import drill_rman, drill_sqlserver
    from ..backup.files import drill_files
    from ..backup.history import when
    from ..backup.jobrun import JobFailed
    from ..backup.runner import selected_jobs
    from ..inspect.session import transport_config
    from ..timeutil import now
    from ..transport.audit import AuditLog

    if kind not in (None, "files", "db"):
        raise BadInput(f"--kind {one_line(str(kind), 20)!r}: files or db")
    inv = load(inventory)
    h = one_host(inv, host)
    kinds = {"files": ("files",), "db": ("rman", "sqlserver"), None: ("files", "rman", "sqlserver")}[kind]
    mine = [j for j in selected_jobs(inv, [h], kinds) if job in (None, j.name)]
    targets = {(j.owner, j.kind) for j in mine}
    if len(targets) != 1 or (mine and mine[0].kind == "files" and len(mine) != 1):
        have = ", ".join(f"{j.name} ({j.kind})" for j in selected_jobs(inv, [h], kinds)) or "none"
        raise BadInput(f"{host}: " + ("no such backup job" if not mine else
                                      "more than one backup to drill; name one with --kind or --job")
                       + f" (it has: {have})")
    chosen = mine[0]
    audit = AuditLog(Path(reports) / "audit", f"{now():%Y%m%dT%H%M%S}-drill", operator, "backup.drill")
    config = transport_config(audit, Path(lab) if lab else None)
    run = {"files": drill_files, "rman": drill_rman, "sqlserver": drill_sqlserver}[chosen.kind]
    with tool_failure("backup.drill"):
        try:
            out = run(inv, chosen, config, Path(reports), at=when(at, "at") if at else None, keep=bool(keep))
        except JobFailed as exc:
            raise BadInput(str(exc)) from None
    print(f"{chosen.owner} {chosen.name if chosen.kind == 'files' else chosen.kind}: {out['detail']}")
    if chosen.kind == "files":
        print(f"  备份 {out['backup']}（{out['backup_time']}）→ {out.get('restored_to')}；备份后至今：修改 "
              f"{out.get('changed_since', '-')} 个、删除 {out.get('removed_since', '-')} 个、新增 "
              f"{out.get('new_since', '-')} 个文件（距备份 {out['backup_age_hours']} 小时）")
    else:
        print(f"  恢复至备份 {out['backup']}（{out['backup_time']}），备份链 {len(out['chain'])} 次备份 → "
              f"{out.get('restored_to', '-')}；表行数 {out.get('rows_restored') or '-'}")
    if not out["ok"]:
        raise Exit(code=EXIT_FINDINGS)


backup_ns = Collection("backup", run, status, diff, show, restore_file, schedule, record, verify, drill)
