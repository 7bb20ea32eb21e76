"""The database and file backups the tender requires, declared as data, and when each is due.

A host (or a cluster's group, for a backup the cluster takes once: RMAN on a RAC, a SQL Server failover
instance) declares its backups under `backup_jobs`, each one:

    - name: level1            # unique for the host or cluster
      kind: rman              # rman | sqlserver | files | manual (what no command can do: offline disks)
      level: "1"              # rman: 0, 1, archivelog; sqlserver: full, diff, log; files: full, incremental
      what: 数据库增量备份       # what it is, in the words of the ledger
      schedule: daily         # daily | working_day | weekly:<mon..sun> | monthly:<1..28> | hourly:<1..12>
                              # | half_yearly:<1..28> (that day of January and July) | yearly:<MM-DD>
      at: "01:00"             # Beijing time (hourly: from 00:00)
      retention_days: 35
      target: gxj-dzzw-dbbak01   # files and copies to a separate server: a host of the inventory
      paths: [/srv/portal]    # files: the directories archived (absolute; the archive keeps them relative to /)
      drill_dir: /data/drill  # files, rman: where a restore drill unpacks or builds its scratch database (default:
                              # cityops-drill in the login's home)
      tables: [APP.CASES]     # rman: OWNER.TABLE, sqlserver: db.schema.table — counted when each backup is taken
                              # and again in the scratch database a drill restores, so lost rows show
      restore_hours: 12       # the tender's recovery time target a drill is judged against (lot 19: 12 h)
      tender_ref: ...

"working_day" follows China's official calendar (workdays.py). The schedule says which slots were due in a
period and which one was due last, so a backup missing from its slot is an overdue finding (`overdue`).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from ..errors import one_line
from ..timeutil import BEIJING
from .workdays import is_working_day

KINDS = {"rman": ("0", "1", "archivelog"), "sqlserver": ("full", "diff", "log"), "files": ("full", "incremental"),
         "manual": ()}
KIND_NAMES = {"rman": "Oracle RMAN", "sqlserver": "SQL Server", "files": "文件", "manual": "人工"}
LEVEL_NAMES = {"0": "0 级（全量）", "1": "1 级（增量）", "archivelog": "归档日志", "full": "完全", "diff": "差异",
               "log": "日志", "incremental": "增量"}
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
WEEKDAY_NAMES = "一二三四五六日"
# the roles a database backup may be declared on: RMAN needs an Oracle instance, BACKUP DATABASE a SQL Server one
ENGINE_ROLES = {"rman": ("oracle_db", "oracle_rac_node", "core_db_host"), "sqlserver": ("sqlserver_db", "sqlserver_node")}
FIELDS = ("name", "kind", "level", "what", "schedule", "at", "retention_days", "target", "tender_ref", "window_hours",
          "paths", "drill_dir", "tables", "restore_hours")
TABLE_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_$#]{0,63}(\.[A-Za-z_][A-Za-z0-9_$#]{0,63}){1,2}")
MAX_TABLES = 20
MAX_PATHS = 20
# a directory a files backup may name: absolute, plain (no '..', no shell or glob characters), not the root itself
PATH_RE = re.compile(r"(/[A-Za-z0-9._@+\-\u4e00-\u9fff]+)+/?")
MAX_JOBS = 20  # per host: more is a mistake in the inventory, not a schedule
# how far back the slot due last can be, per schedule: a working day after the Spring Festival is 10 days away
LOOKBACK = {"hourly": dt.timedelta(days=1), "daily": dt.timedelta(days=2), "working_day": dt.timedelta(days=15),
            "weekly": dt.timedelta(days=8), "monthly": dt.timedelta(days=32), "half_yearly": dt.timedelta(days=190),
            "yearly": dt.timedelta(days=370)}


class ScheduleError(ValueError):
    """A backup declaration that cannot be used: one line naming the host, the job and the cause."""


@dataclass(frozen=True)
class Job:
    owner: str  # the host, or the cluster that takes the backup once for all its nodes
    hosts: tuple[str, ...]  # where it can run: the host, or the cluster's nodes
    name: str
    kind: str
    level: str
    what: str
    schedule: str
    at: dt.time
    retention_days: int
    target: str = ""
    tender_ref: str = ""
    window_hours: float = 4.0  # how long after its slot a backup may still be running before it is overdue
    paths: tuple[str, ...] = ()  # files: the directories archived
    drill_dir: str = ""  # files, rman: where a restore drill works ('' = cityops-drill in the login's home)
    tables: tuple[str, ...] = ()  # rman, sqlserver: the tables whose rows a drill compares with the backup's
    restore_hours: float = 0.0  # the recovery time target of the tender a drill is judged against (0: none set)

    @property
    def every(self) -> str:
        return self.schedule.split(":", 1)[0]

    @property
    def arg(self) -> str:
        return self.schedule.split(":", 1)[1] if ":" in self.schedule else ""

    @property
    def label(self) -> str:
        """The job as an inspection result names its item: what, and how often."""
        return f"{self.what}（{self.title}）"

    @property
    def title(self) -> str:
        """The job as the ledger names it: 'Oracle RMAN 1 级（增量） 每日 01:00'."""
        level = f" {LEVEL_NAMES.get(self.level, self.level)}" if self.level else ""
        return f"{KIND_NAMES[self.kind]}{level} {schedule_text(self)}"

    def slots(self, start: dt.datetime, end: dt.datetime) -> list[dt.datetime]:
        """Every time the job was or will be due in [start, end), Beijing time."""
        start, end = start.astimezone(BEIJING), end.astimezone(BEIJING)
        out = []
        day = start.date()
        while day <= end.date():
            for t in self._times_on(day):
                when = dt.datetime.combine(day, t, tzinfo=BEIJING)
                if start <= when < end:
                    out.append(when)
            day += dt.timedelta(days=1)
        return out

    def _times_on(self, day: dt.date) -> list[dt.time]:
        e, a = self.every, self.arg
        if e == "hourly":
            return [dt.time(h) for h in range(0, 24, int(a))]
        due = (e == "daily" or (e == "working_day" and is_working_day(day))
               or (e == "weekly" and day.weekday() == WEEKDAYS.index(a))
               or (e == "monthly" and day.day == int(a))
               or (e == "half_yearly" and day.month in (1, 7) and day.day == int(a))
               or (e == "yearly" and f"{day.month:02d}-{day.day:02d}" == a))
        return [self.at] if due else []

    def last_due(self, now: dt.datetime) -> dt.datetime | None:
        """The latest slot at or before `now`."""
        slots = self.slots(now - LOOKBACK[self.every], now + dt.timedelta(microseconds=1))
        return slots[-1] if slots else None

    def next_due(self, now: dt.datetime) -> dt.datetime | None:
        slots = self.slots(now + dt.timedelta(microseconds=1), now + LOOKBACK[self.every] + dt.timedelta(days=1))
        return slots[0] if slots else None

    def overdue(self, last_good: dt.datetime | None, now: dt.datetime) -> dt.datetime | None:
        """The slot a good backup is missing for, once its window has passed; None when the job is on time."""
        due = self.last_due(now - dt.timedelta(hours=self.window_hours))
        if due is None or (last_good is not None and last_good >= due):
            return None
        return due


def schedule_text(job: Job) -> str:
    e, a, at = job.every, job.arg, job.at.strftime("%H:%M")
    return {"daily": f"每日 {at}", "working_day": f"每个工作日 {at}", "hourly": f"每 {a} 小时",
            "weekly": f"每周{WEEKDAY_NAMES[WEEKDAYS.index(a)] if a in WEEKDAYS else a} {at}",
            "monthly": f"每月 {a} 日 {at}", "half_yearly": f"每年 1 月和 7 月 {a} 日 {at}",
            "yearly": f"每年 {a} {at}"}.get(e, job.schedule)


def _check_schedule(text: str) -> str:
    m = re.fullmatch(r"(daily|working_day)|weekly:(mon|tue|wed|thu|fri|sat|sun)|monthly:(\d{1,2})|hourly:(\d{1,2})"
                     r"|half_yearly:(\d{1,2})|yearly:(\d{2})-(\d{2})", text)
    if not m:
        raise ValueError(f"schedule {text!r}: one of daily, working_day, weekly:<mon..sun>, monthly:<1..28>, "
                         "hourly:<1..12>, half_yearly:<1..28>, yearly:<MM-DD>")
    day = m.group(3) or m.group(5)
    if day and not 1 <= int(day) <= 28:
        raise ValueError(f"schedule {text!r}: the day must be 1 to 28 (every month has it)")
    if m.group(4) and int(m.group(4)) not in (1, 2, 3, 4, 6, 8, 12):
        raise ValueError(f"schedule {text!r}: hourly:N with N dividing 24 (1, 2, 3, 4, 6, 8, 12)")
    if m.group(6):
        dt.date(2001, int(m.group(6)), int(m.group(7)))  # not a leap year: 02-29 would be due once in four years
    return text


def parse_job(owner: str, hosts: tuple[str, ...], item, role: str, known_hosts) -> Job:
    """One declared backup, checked: the one-line ScheduleError names what is wrong."""
    if not isinstance(item, dict):
        raise ScheduleError(f"{owner}: backup_jobs: an entry is {type(item).__name__}, not a mapping")
    name = str(item.get("name") or "")
    where = f"{owner}: backup job {name or '(no name)'}"
    unknown = sorted(set(item) - set(FIELDS))
    if unknown:
        raise ScheduleError(f"{where}: unknown field(s) {', '.join(map(str, unknown))}; known: {', '.join(FIELDS)}")
    if not re.fullmatch(r"[a-z0-9_]{1,40}", name):
        raise ScheduleError(f"{where}: name must be 1-40 of a-z, 0-9 and _")
    kind, level = str(item.get("kind") or ""), str(item.get("level") or "")
    if kind not in KINDS:
        raise ScheduleError(f"{where}: kind {kind!r}; one of {', '.join(KINDS)}")
    if KINDS[kind] and level not in KINDS[kind]:
        raise ScheduleError(f"{where}: level {level!r} for {kind}; one of {', '.join(KINDS[kind])}")
    if kind in ENGINE_ROLES and role not in ENGINE_ROLES[kind]:
        raise ScheduleError(f"{where}: a {kind} backup on a host whose role is {role!r} "
                            f"(expected {' or '.join(ENGINE_ROLES[kind])})")
    target = str(item.get("target") or "")
    if kind == "files" and not target:
        raise ScheduleError(f"{where}: a files backup needs its target, the separate server it is copied to")
    if target and known_hosts is not None and target not in known_hosts:
        raise ScheduleError(f"{where}: target {target!r} is not a host of the inventory")
    if target in hosts:
        raise ScheduleError(f"{where}: target {target!r} is the host itself; a copy must go to a separate server")
    try:
        schedule = _check_schedule(str(item.get("schedule") or ""))
        at = dt.time.fromisoformat(str(item.get("at") or "00:00"))
        retention = int(item.get("retention_days") or 0)
        window = float(item.get("window_hours") or 4.0)
    except ValueError as exc:
        raise ScheduleError(f"{where}: {exc}") from None
    if not 1 <= retention <= 3660:
        raise ScheduleError(f"{where}: retention_days must be 1 to 3660")
    if not 0.25 <= window <= 72:
        raise ScheduleError(f"{where}: window_hours must be 0.25 to 72")
    what = str(item.get("what") or "")
    if not what:
        raise ScheduleError(f"{where}: 'what' says in Chinese what is backed up (the ledger's words)")
    paths = _check_paths(where, kind, item.get("paths"))
    drill = str(item.get("drill_dir") or "")
    if drill and (kind not in ("files", "rman") or not PATH_RE.fullmatch(drill) or ".." in drill.split("/")):
        raise ScheduleError(f"{where}: drill_dir {one_line(drill, 60)!r}: an absolute, plain directory, for a files "
                            "or RMAN backup")
    if drill and any((drill.rstrip("/") + "/").startswith(p + "/") for p in paths):
        raise ScheduleError(f"{where}: drill_dir {drill} is inside the directories it backs up")
    tables = _check_tables(where, kind, item.get("tables"))
    try:
        hours = float(item.get("restore_hours") or 0)
    except (TypeError, ValueError):
        raise ScheduleError(f"{where}: restore_hours must be a number of hours") from None
    if hours and not 0.25 <= hours <= 168:
        raise ScheduleError(f"{where}: restore_hours must be 0.25 to 168")
    return Job(owner, hosts, name, kind, level, what[:80], schedule, at, retention, target,
               str(item.get("tender_ref") or "")[:200], window, paths, drill.rstrip("/"), tables, hours)


def _check_tables(where: str, kind: str, tables) -> tuple[str, ...]:
    """The tables a database drill counts: plain names (OWNER.TABLE for RMAN, db.schema.table for SQL Server)."""
    if tables in (None, [], ""):
        return ()
    if kind not in ("rman", "sqlserver"):
        raise ScheduleError(f"{where}: 'tables' is for a database backup only")
    if not isinstance(tables, list) or len(tables) > MAX_TABLES:
        raise ScheduleError(f"{where}: 'tables' is a list of at most {MAX_TABLES} table names")
    parts = 2 if kind == "rman" else 3
    for t in tables:
        text = str(t)
        if not TABLE_RE.fullmatch(text) or text.count(".") != parts - 1:
            raise ScheduleError(f"{where}: table {one_line(text, 60)!r} must be "
                                + ("OWNER.TABLE" if kind == "rman" else "database.schema.table")
                                + " in plain letters, digits and _ $ #")
    return tuple(str(t) for t in tables)


def _check_paths(where: str, kind: str, paths) -> tuple[str, ...]:
    """A files backup's directories: 1 to MAX_PATHS absolute, plain paths, none inside another; other kinds none."""
    if kind != "files":
        if paths not in (None, [], ""):
            raise ScheduleError(f"{where}: 'paths' is for a files backup only")
        return ()
    if not isinstance(paths, list) or not paths:
        raise ScheduleError(f"{where}: a files backup needs 'paths', the directories it archives")
    if len(paths) > MAX_PATHS:
        raise ScheduleError(f"{where}: {len(paths)} paths (at most {MAX_PATHS})")
    out = []
    for p in paths:
        text = str(p)
        if not PATH_RE.fullmatch(text) or any(part in (".", "..") for part in text.split("/")):
            raise ScheduleError(f"{where}: path {one_line(text, 60)!r} must be absolute and plain "
                                "(letters, digits, . _ @ + -; no '..', spaces or shell characters)")
        out.append(text.rstrip("/"))
    for a in out:
        for b in out:
            if a != b and (b + "/").startswith(a + "/"):
                raise ScheduleError(f"{where}: path {b} is inside {a}; name each directory once")
    if len(set(out)) != len(out):
        raise ScheduleError(f"{where}: a path is named twice")
    return tuple(out)


def owner_of(host) -> str:
    """Who a host's backups belong to: its cluster (which takes them once, on any node), or the host itself."""
    cluster = host.get("cluster")
    return f"cluster_{cluster}" if cluster else str(host.get("name") or getattr(host, "name", ""))


def jobs(inv, hosts=None) -> tuple[list[Job], list[str]]:
    """Every declared backup of the hosts (all by default), a cluster's once; and the problems, one line each."""
    chosen = list(inv.hosts.values()) if hosts is None else list(hosts)
    out: dict[tuple[str, str], Job] = {}
    problems: list[str] = []
    for h in chosen:
        declared = h.get("backup_jobs")
        if declared in (None, "", []):
            continue
        cluster = h.get("cluster")
        owner = owner_of(h)
        nodes = tuple(sorted(n for n in inv.hosts if inv.hosts[n].get("cluster") == cluster)) if cluster else (h.name,)
        if not isinstance(declared, list):
            problems.append(f"{h.name}: backup_jobs must be a list of jobs")
            continue
        if len(declared) > MAX_JOBS:
            problems.append(f"{h.name}: {len(declared)} backup jobs (at most {MAX_JOBS})")
            continue
        seen = set()
        for item in declared:
            try:
                job = parse_job(owner, nodes, item, str(h.get("role") or ""), inv.hosts)
            except ScheduleError as exc:
                if str(exc) not in problems:
                    problems.append(str(exc))
                continue
            if job.name in seen:
                problems.append(f"{owner}: backup job {job.name} is declared twice")
                continue
            seen.add(job.name)
            out.setdefault((owner, job.name), job)
    return sorted(out.values(), key=lambda j: (j.owner, j.at, j.name)), problems


def jobs_of(host) -> list[Job]:
    """The backups one host (or its cluster) declares, as an inspection of that host reads them; a declaration it
    cannot read is left to `inventory.check`, which names it."""
    declared = host.get("backup_jobs")
    if not isinstance(declared, list):
        return []
    owner = owner_of(host)
    here = () if host.get("cluster") else (str(host.get("name") or getattr(host, "name", "")),)
    out = []
    for item in declared[:MAX_JOBS]:
        try:
            out.append(parse_job(owner, here, item, str(host.get("role") or ""), None))
        except ScheduleError:
            continue
    return out
