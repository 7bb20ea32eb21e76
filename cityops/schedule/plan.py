"""What the runner runs unattended, and when: derived from the inventory, timed by schedule.yml.

The inventory already says what is owed — each host's `cadences`, each backup job's `schedule` and `at`, the
network devices whose configurations are kept, the lots whose documents are due — so nothing is declared twice:

- an inspection per network zone and cadence, selecting the lots whose hosts in that zone declare the cadence
  (a lot spanning zones, like 15, is covered by its zones' runs of one slot together; the ledger merges them);
- a configuration backup per zone that has devices cityops backs up;
- the database and files backups of a zone at each distinct time its jobs declare (the runner runs those due);
- at the centre, each lot's documents for the period just ended (运维台账 monthly, 巡检分析报告 quarterly,
  年终总结 yearly).

schedule.yml gives only the times (Beijing), the time limit of each kind of run, what an overlapping run does
(`skip` or `wait`), and per-entry overrides. Each entry's time is a cron expression in Beijing time; the crontab
module translates it to the runner's own clock.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ..backup.schedule import WEEKDAYS
from ..errors import BadInput, one_line
from ..inventory.model import Inventory
from ..inventory.schema import split_list
from ..terms import CADENCES

CONFIG_FILE = Path("schedule.yml")
CRON_DOW = {d: (i + 1) % 7 for i, d in enumerate(WEEKDAYS)}  # cron: 0 = Sunday
AT_RE = re.compile(r"(?:(?:(?P<dow>mon|tue|wed|thu|fri|sat|sun)|(?P<dom>[1-9]|1\d|2[0-8]))\s+)?"
                   r"(?P<h>[01]?\d|2[0-3]):(?P<m>[0-5]\d)")
MONTHS = {"quarterly": "1,4,7,10", "half_yearly": "1,7", "yearly": "1"}
DOC_PERIODS = {"monthly": ("report.ledger", "{previous_month}", "运维台账"),
               "quarterly": ("report.analysis", "{previous_quarter}", "巡检分析报告"),
               "yearly": ("report.yearly", "{previous_year}", "年终总结")}
OVERLAP = ("skip", "wait")
MAX_LIMIT_MINUTES = 24 * 60


@dataclass
class Entry:
    id: str  # stable across installs: what `schedule.fire`, the ledger and overrides name
    kind: str  # inspect | config_backup | backup_jobs | documents
    cron: str  # five fields, Beijing time
    commands: list[list[str]]  # invoke argv (after `invoke`), run one after another
    title: str  # Chinese, for the reviewer and the ledger
    limit_minutes: float
    overlap: str  # skip | wait
    zone: str = ""  # the network zone whose runner runs it ("" = the centre)
    lots: list[str] = field(default_factory=list)
    cadence: str = ""
    disabled: str = ""  # why, when an override turns it off


@dataclass
class Timing:
    at: list[str]
    limit_minutes: float
    overlap: str


def cron_of(at: str, where: str, every: str = "daily") -> str:
    """A time of schedule.yml as a Beijing cron expression: '09:00' → '0 9 * * *'; 'mon 10:00' → '0 10 * * 1';
    '1 06:00' for a monthly entry → '0 6 1 * *', for a quarterly one → '0 6 1 1,4,7,10 *'. A weekly time without a
    weekday is Monday's; a monthly (quarterly …) one without a day is the first's."""
    m = AT_RE.fullmatch(str(at).strip())
    if not m:
        raise BadInput(f"{where}: at '{one_line(str(at), 30)}': expected HH:MM, '<mon..sun> HH:MM' or "
                       f"'<1..28> HH:MM' (Beijing time)")
    months = MONTHS.get(every, "*")
    periodic = every in ("monthly", *MONTHS)
    if (m["dow"] and periodic) or (m["dom"] and every == "weekly"):
        raise BadInput(f"{where}: at '{one_line(str(at), 30)}': a {every} time names "
                       f"{'a day of the month, not a weekday' if periodic else 'a weekday, not a day of the month'}")
    dom = m["dom"] or ("1" if periodic else "*")
    dow = str(CRON_DOW[m["dow"] or "mon"]) if m["dow"] or every == "weekly" else "*"
    return f"{int(m['m'])} {int(m['h'])} {dom} {months} {dow}"


def _timing(data: dict, key: str, where: str) -> Timing:
    raw = data.get(key)
    if not isinstance(raw, dict):
        raise BadInput(f"{where}: {key}: expected a mapping with at, limit_minutes, overlap")
    at = raw.get("at", [])
    at = [at] if isinstance(at, str) else at
    if not isinstance(at, list) or not all(isinstance(a, str) for a in at):
        raise BadInput(f"{where}: {key}.at: expected a list of times")
    limit = raw.get("limit_minutes")
    if not isinstance(limit, int | float) or isinstance(limit, bool) or not 0.05 <= limit <= MAX_LIMIT_MINUTES:
        raise BadInput(f"{where}: {key}.limit_minutes: expected minutes between 0.05 and {MAX_LIMIT_MINUTES}")
    overlap = raw.get("overlap", "skip")
    if overlap not in OVERLAP:
        raise BadInput(f"{where}: {key}.overlap '{one_line(str(overlap), 20)}': skip or wait")
    return Timing(list(at), limit, overlap)


def load_config(path: Path = CONFIG_FILE) -> dict:
    from .. import safeyaml

    if not Path(path).is_file():
        raise BadInput(f"{path}: the schedule's times are missing (schedule.yml at the repository root)")
    data = safeyaml.load_file(Path(path))
    if not isinstance(data, dict):
        raise BadInput(f"{path}: expected a mapping (inspect, config_backup, backup_jobs, documents, overrides)")
    return data


def _job_cron(job) -> str:
    """A backup job's own schedule as a Beijing cron expression (working days: every day, the runner decides)."""
    m, h, arg = job.at.minute, job.at.hour, job.arg
    return {"daily": f"{m} {h} * * *", "working_day": f"{m} {h} * * *",
            "weekly": f"{m} {h} * * {CRON_DOW.get(arg, '*')}",
            "monthly": f"{m} {h} {arg} * *",
            "hourly": f"0 */{arg} * * *" if arg else "0 * * * *",
            "half_yearly": f"{m} {h} {arg} 1,7 *",
            "yearly": (f"{m} {h} {int(arg.split('-')[1])} {int(arg.split('-')[0])} *" if "-" in arg
                       else f"{m} {h} 1 1 *")}[job.every]


def entries(inv: Inventory, config: dict, where: str = str(CONFIG_FILE), warnings: list[str] | None = None
            ) -> list[Entry]:
    """Every scheduled entry, in a stable order (zone, kind, time), overrides applied; an override naming an entry
    this inventory does not have (schedule.yml serves the estate and the lab alike) goes to `warnings`."""
    out: list[Entry] = []
    zone_names = {z: inv.vocabulary.name("zone", z) for z in {str(h.get("zone") or "") for h in inv.hosts.values()}}
    inspect_cfg = config.get("inspect") or {}
    # inspections: (zone, cadence) -> lots whose hosts there declare the cadence
    declared: dict[tuple[str, str], set[str]] = defaultdict(set)
    for h in inv.hosts.values():
        zone = str(h.get("zone") or "")
        for cadence in split_list(h.get("cadences")):
            if zone and cadence in CADENCES:
                declared[(zone, cadence)].update(h.lots)
    for (zone, cadence), lots in sorted(declared.items(), key=lambda kv: (kv[0][0], list(CADENCES).index(kv[0][1]))):
        t = _timing(inspect_cfg, cadence, f"{where}: inspect")
        slots = ["am", "pm"] if cadence == "twice_daily" and len(t.at) == 2 else [str(i + 1) for i in range(len(t.at))]
        for slot, at in zip(slots, t.at, strict=True):
            suffix = "" if len(t.at) == 1 else f"-{slot}"
            half = {"am": "（上午）", "pm": "（下午）"}.get(slot, "")
            out.append(Entry(
                f"inspect-{zone}-{cadence}{suffix}", "inspect",
                cron_of(at, f"{where}: inspect.{cadence}", cadence),
                [["inspect", "--zone", zone, "--lot", ",".join(sorted(lots, key=_lot_key)), "--cadence", cadence]],
                f"{zone_names.get(zone, zone)} {CADENCES[cadence]}巡检{half}：标项 {'、'.join(sorted(lots, key=_lot_key))}",
                t.limit_minutes, t.overlap, zone, sorted(lots), cadence))
    # configuration backups: zones with devices cityops backs up
    from ..backup.run import targets

    backed: dict[str, set[str]] = defaultdict(set)
    for h in targets(list(inv.hosts.values()))[0]:
        if h.get("zone"):
            backed[str(h.get("zone"))].update(h.lots)
    t = _timing(config, "config_backup", where)
    for zone in sorted(backed):
        for i, at in enumerate(t.at):
            out.append(Entry(f"config-backup-{zone}" + (f"-{i + 1}" if len(t.at) > 1 else ""), "config_backup",
                             cron_of(at, f"{where}: config_backup"), [["backup.run", "--zone", zone, "--kind", "config"]],
                             f"{zone_names.get(zone, zone)} 网络设备配置备份", t.limit_minutes, t.overlap, zone,
                             sorted(backed[zone])))
    # database and files backups: per zone, per distinct time their jobs declare
    from ..backup.schedule import jobs

    raw = config.get("backup_jobs") or {}
    t = _timing({"backup_jobs": {"at": [], **raw}} if isinstance(raw, dict) else {}, "backup_jobs", where)
    times: dict[tuple[str, str], list] = defaultdict(list)
    for job in jobs(inv)[0]:
        zones = {str(inv.hosts[h].get("zone") or "") for h in job.hosts if h in inv.hosts}
        if job.kind != "manual" and len(zones) == 1 and "" not in zones:
            times[(zones.pop(), _job_cron(job))].append(job)
    for (zone, cron), declared in sorted(times.items()):
        names = sorted(f"{j.owner}/{j.name}" for j in declared)
        lots = sorted({lot for j in declared for h in j.hosts if h in inv.hosts for lot in inv.hosts[h].lots})
        out.append(Entry(f"backup-jobs-{zone}-{_cron_label(cron)}", "backup_jobs", cron,
                         [["backup.run", "--zone", zone, "--kind", "jobs"]],
                         f"{zone_names.get(zone, zone)} 数据库与文件备份：{'、'.join(names)}",
                         t.limit_minutes, t.overlap, zone, lots))
    # the lots' documents, at the centre
    lots_with_hosts = sorted({lot for h in inv.hosts.values() for lot in h.lots}, key=_lot_key)
    docs = config.get("documents") or {}
    for period, (task, placeholder, name) in DOC_PERIODS.items():
        if period not in docs:
            continue
        t = _timing(docs, period, f"{where}: documents")
        for i, at in enumerate(t.at):
            out.append(Entry(f"documents-{period}" + (f"-{i + 1}" if len(t.at) > 1 else ""), "documents",
                             cron_of(at, f"{where}: documents.{period}", period),
                             [[task, "--lot", lot, "--period", placeholder] for lot in lots_with_hosts],
                             f"各标项{name}（上一{ {'monthly': '月', 'quarterly': '季度', 'yearly': '年'}[period]}）",
                             t.limit_minutes, t.overlap, "", lots_with_hosts))
    return _overridden(out, config.get("overrides") or [], where, warnings if warnings is not None else [])


def _overridden(out: list[Entry], overrides, where: str, warnings: list[str]) -> list[Entry]:
    if not isinstance(overrides, list):
        raise BadInput(f"{where}: overrides: expected a list")
    by_id = {e.id: e for e in out}
    for n, o in enumerate(overrides, 1):
        here = f"{where}: overrides entry {n}"
        if not isinstance(o, dict) or not isinstance(o.get("entry"), str):
            raise BadInput(f"{here}: expected a mapping naming its `entry`")
        unknown = set(o) - {"entry", "at", "limit_minutes", "overlap", "disabled"}
        if unknown:
            raise BadInput(f"{here}: unknown field(s) {', '.join(sorted(map(str, unknown)))}")
        e = by_id.get(o["entry"])
        if e is None:
            warnings.append(f"{here}: no scheduled entry '{one_line(o['entry'], 60)}' in this inventory (see "
                            f"invoke schedule.show); ignored")
            continue
        if "at" in o:
            if not isinstance(o["at"], list) or len(o["at"]) != 1:
                raise BadInput(f"{here}: at: one time for one entry (an entry is one time; list [\"HH:MM\"])")
            e.cron = cron_of(o["at"][0], here, e.cadence or _every(e))
        if "limit_minutes" in o or "overlap" in o:
            t = _timing({"x": {"at": [], "limit_minutes": o.get("limit_minutes", e.limit_minutes),
                               "overlap": o.get("overlap", e.overlap)}}, "x", here)
            e.limit_minutes, e.overlap = t.limit_minutes, t.overlap
        if "disabled" in o:
            if not str(o["disabled"] or "").strip():
                raise BadInput(f"{here}: disabled: say why (it is read in review)")
            e.disabled = one_line(str(o["disabled"]), 200)
    return out


def _cron_label(cron: str) -> str:
    """A short stable name for a cron time: '30 1 * * *' → 0130; '0 */4 * * *' → every4h; '0 1 * * 0' → 0100-sun;
    '0 1 15 1,7 *' → 0100-d15-m1_7."""
    minute, hour, dom, months, dow = cron.split()
    when = f"every{hour[2:]}h" if hour.startswith("*/") else "hourly" if hour == "*" else f"{int(hour):02d}{int(minute):02d}"
    days = [WEEKDAYS[(int(dow) - 1) % 7]] if dow != "*" else []
    days += [f"d{dom}"] if dom != "*" else []
    days += [f"m{months.replace(',', '_')}"] if months != "*" else []
    return "-".join([when, *days])


def _every(e: Entry) -> str:
    """The period an entry without a cadence repeats on, from its cron expression (for an override's time)."""
    _m, _h, dom, months, dow = e.cron.split()
    if dow != "*":
        return "weekly"
    return {"1,4,7,10": "quarterly", "1,7": "half_yearly", "1": "yearly"}.get(months, "monthly" if dom != "*" else
                                                                           "daily")


def _lot_key(lot: str) -> tuple:
    return tuple(int(p) if p.isdigit() else 0 for p in lot.split("_"))


def select(all_entries: list[Entry], zones: list[str] | None, centre: bool) -> list[Entry]:
    """The entries one runner installs: its zones' (all with none named) and, at the centre, the documents."""
    return [e for e in all_entries if (e.zone and (not zones or e.zone in zones)) or (not e.zone and centre)]
