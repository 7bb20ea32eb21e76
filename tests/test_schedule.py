"""Unattended runs: the schedule derived from the inventory, written into a throwaway user's crontab and removed
byte for byte; every 上午/下午 slot of lot 15 gets a run on any runner clock; one firing against the lab — a lock
held makes a second firing skip or wait, a hung run is ended at its limit and recorded, missed slots are found;
a lot spanning zones is covered by the zone runs of one slot together."""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import secrets
import subprocess
import time
from pathlib import Path

import openpyxl
import pytest
import yaml
from croniter import croniter

from cityops.errors import BadInput
from cityops.hashchain import HashChain
from cityops.inspect import record
from cityops.inventory import load_inventory
from cityops.report import cadence
from cityops.report.runs import Period
from cityops.schedule import crontab
from cityops.schedule.plan import cron_of, entries, load_config
from cityops.timeutil import BEIJING

from .conftest import BIN, REPO, run_invoke

ESTATE = REPO / "inventory"


@pytest.fixture(scope="module")
def estate():
    return load_inventory(ESTATE)


def test_the_schedule_is_what_the_inventory_owes(estate):
    plan = {e.id: e for e in entries(estate, load_config(REPO / "schedule.yml"))}
    lot15 = {e.zone for e in plan.values() if e.cadence == "twice_daily" and "15" in e.lots}
    assert lot15 == {"zongzhi_video", "zongzhi", "zhengfa"}  # lot 15 spans three networks: one run each
    for zone in lot15:
        am, pm = plan[f"inspect-{zone}-twice_daily-am"], plan[f"inspect-{zone}-twice_daily-pm"]
        assert (am.cron, pm.cron) == ("0 9 * * *", "0 15 * * *")
        assert am.commands == [["inspect", "--zone", zone, "--lot", "15", "--cadence", "twice_daily"]]
    assert "5" in plan["inspect-gov_cloud-daily"].lots and "24" in plan["inspect-gov_cloud-daily"].lots
    assert plan["inspect-finance-weekly"].cron == "0 10 * * 1" and plan["inspect-finance-weekly"].lots == ["4"]
    assert plan["inspect-video-daily"].cron == "0 2 * * *"  # the reviewed override: cameras at night
    assert plan["backup-jobs-gov_cloud-0130"].cron == "30 1 * * *"  # the portal's program backup, at its own time
    assert plan["backup-jobs-gov_extranet-every4h"].commands == [["backup.run", "--zone", "gov_extranet",
                                                                  "--kind", "jobs"]]
    docs = plan["documents-monthly"]
    assert docs.zone == "" and ["report.ledger", "--lot", "15", "--period", "{previous_month}"] in docs.commands
    assert plan["documents-quarterly"].cron == "0 7 1 1,4,7,10 *"
    assert len(plan) == len(set(plan)), "entry ids are unique"


@pytest.mark.parametrize("text, cause", [
    ("inspect: {daily: {at: ['25:00'], limit_minutes: 5}}", "at '25:00': expected HH:MM"),
    ("inspect: {daily: {at: ['08:00'], limit_minutes: 0}}", "limit_minutes: expected minutes"),
    ("inspect: {daily: {at: ['08:00'], limit_minutes: 5, overlap: maybe}}", "overlap 'maybe': skip or wait"),
    ("inspect: {weekly: {at: ['1 08:00'], limit_minutes: 5}}", "a weekly time names a weekday, not a day"),
    ("overrides: [{entry: inspect-finance-weekly, disabled: ''}]", "disabled: say why"),
    ("overrides: [{entry: inspect-finance-weekly, when: '08:00'}]", "unknown field(s) when"),
])
def test_a_bad_schedule_file_is_named_with_its_place_and_cause(estate, tmp_path, text, cause):
    data = load_config(REPO / "schedule.yml")  # the file as shipped, one thing in it made wrong
    for key, value in yaml.safe_load(text).items():
        if key == "overrides":
            data[key] = data.get(key, []) + value
        else:
            data[key].update(value)
    path = tmp_path / "schedule.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    with pytest.raises(BadInput, match=re.escape(cause)) as caught:
        entries(estate, load_config(path), str(path))
    assert str(caught.value).startswith(str(path))


def test_beijing_times_move_to_the_runner_clock():
    assert cron_of("09:00", "x") == "0 9 * * *" and cron_of("sun 00:30", "x", "weekly") == "30 0 * * 0"
    assert cron_of("1 06:00", "x", "quarterly") == "0 6 1 1,4,7,10 *"
    assert crontab.local_cron("0 9 * * *", 0) == ("0 1 * * *", False)  # a UTC runner
    assert crontab.local_cron("30 0 * * 0", 0) == ("30 16 * * 6", False)  # Sunday 00:30 Beijing is Saturday UTC
    assert crontab.local_cron("0 6 1 * *", 0) == ("0 22 * * *", True)  # the 1st crosses midnight: fire checks
    assert crontab.local_cron("0 */4 * * *", 0) == ("0 0,4,8,12,16,20 * * *", False)
    assert crontab.local_cron("0 9 * * *", 8 * 60) == ("0 9 * * *", False)


def test_the_block_comes_out_as_it_went_in_whatever_was_around_it():
    """crontab(1) refuses a last line without a newline, but a file edited by hand may hold one: the block is
    joined after it with a newline of its own, which goes again on removal — unless a line was added below."""
    for previous in (b"MAILTO=x\n17 3 * * * /bin/true", b"17 3 * * * /bin/true\n", b""):
        block = crontab.block([], repo=REPO, reports=REPO / "reports", inventory=None, offset_minutes=0, stamp="t",
                              join=crontab.join_of(previous))
        joined = crontab.joined(previous, block)
        assert crontab.split(joined)[0] == previous and crontab.split(joined)[1] == block
        later = crontab.split(joined + b"5 4 * * * /usr/bin/logger later\n")[0]
        assert later == previous + (b"" if previous.endswith(b"\n") or not previous else b"\n") + \
            b"5 4 * * * /usr/bin/logger later\n"  # the user's line stays a line of its own
    with pytest.raises(BadInput, match="never ends"):
        crontab.split(b"# BEGIN cityops schedule [join=plain]\n1 2 * * * x\n")


# -- the crontab of a throwaway user --------------------------------------------------------------------------

@pytest.fixture
def cron_user():
    if os.geteuid() != 0:
        pytest.skip("another user's crontab needs root (CI and scripts/setup.sh run as root)")
    name = f"cityops-t{secrets.token_hex(3)}"
    subprocess.run(["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        yield name
    finally:
        subprocess.run(["crontab", "-u", name, "-r"], capture_output=True)
        subprocess.run(["userdel", name], capture_output=True)


def crontab_of(user: str) -> bytes | None:
    out = subprocess.run(["crontab", "-u", user, "-l"], capture_output=True)
    return out.stdout if out.returncode == 0 else None


def set_crontab(user: str, data: bytes) -> None:
    subprocess.run(["crontab", "-u", user, "-"], input=data, check=True)


def installed_lines(text: str) -> dict[str, list[str]]:
    """entry id -> its local cron expressions, read back from the crontab's own lines."""
    out: dict[str, list[str]] = {}
    for line in text.splitlines():
        if line.startswith("#") or "schedule.fire" not in line:
            continue
        entry = re.search(r"--entry (\S+)", line)[1]
        out.setdefault(entry, []).append(" ".join(line.split()[:5]))
    return out


@pytest.mark.parametrize("tz, offset", [("UTC0", 0), ("XST-8", 8 * 60), ("YST+5", -5 * 60)])
def test_install_gives_every_slot_of_lot_15_a_run_on_any_runner_clock(estate, cron_user, tmp_path, tz, offset):
    out = run_invoke("schedule.install", "--user", cron_user, "--reports", str(tmp_path / "r"), env={"TZ": tz})
    assert out.returncode == 0, out.stderr
    text = crontab_of(cron_user).decode()
    assert text.startswith(crontab.BEGIN) and text.rstrip().endswith(crontab.END)
    assert "# inspect-zongzhi-twice_daily-am: 综治专网 每日两次巡检（上午）：标项 15 — 北京时间 0 9 * * *" in text
    lines = installed_lines(text)
    runner = dt.timezone(dt.timedelta(minutes=offset))
    start = dt.datetime(2026, 12, 1, tzinfo=BEIJING)
    days = [start + dt.timedelta(days=d) for d in range(14)]

    def firings(entry_id: str) -> list[dt.datetime]:
        out = []
        for expr in lines[entry_id]:
            it = croniter(expr, (start - dt.timedelta(days=1)).astimezone(runner))
            while (t := it.get_next(dt.datetime)) < start + dt.timedelta(days=15):
                out.append(t.astimezone(BEIJING))
        return out

    plan = {e.id: e for e in entries(estate, load_config(REPO / "schedule.yml"))}
    for zone in ("zongzhi_video", "zongzhi", "zhengfa"):
        fired = [t for e in (f"inspect-{zone}-twice_daily-am", f"inspect-{zone}-twice_daily-pm") for t in firings(e)]
        for day in days:
            for label, lo, hi in (("上午", 0, 12), ("下午", 12, 24)):
                assert any(day + dt.timedelta(hours=lo) <= t < day + dt.timedelta(hours=hi) for t in fired), \
                    f"{zone} {day:%m-%d} {label}: no run"
    for entry_id, e in plan.items():  # every Beijing slot of every entry is a firing of its crontab line
        due = set(cadence_slots(e.cron, start))
        assert due <= set(firings(entry_id)), entry_id
    assert "documents-monthly" in lines  # a runner without --zone is the centre too


def cadence_slots(expr: str, start: dt.datetime) -> list[dt.datetime]:
    it, out = croniter(expr, start - dt.timedelta(seconds=1)), []
    while (t := it.get_next(dt.datetime)) < start + dt.timedelta(days=14):
        out.append(t)
    return out


@pytest.mark.parametrize("before", [None, "MAILTO=ops@example.invalid\n# mine\n17 3 * * * /bin/true  # 备份日志\n".encode()])
def test_remove_restores_the_previous_crontab_byte_for_byte(cron_user, tmp_path, before):
    if before is not None:
        set_crontab(cron_user, before)
    for _ in range(2):  # installing again replaces cityops' block, never adds a second one
        out = run_invoke("schedule.install", "--user", cron_user, "--zone", "finance", "--reports",
                         str(tmp_path / "r"))
        assert out.returncode == 0, out.stderr
    text = crontab_of(cron_user)
    assert text.count(crontab.BEGIN.encode()) == 1 and text.startswith(before or b"")
    assert b"--entry inspect-finance-weekly" in text and b"documents-monthly" not in text  # a zone runner
    gone = run_invoke("schedule.remove", "--user", cron_user, "--reports", str(tmp_path / "r"))
    assert gone.returncode == 0, gone.stderr
    assert crontab_of(cron_user) == before
    # a line the user added below the block while it was installed stays where it was
    run_invoke("schedule.install", "--user", cron_user, "--zone", "finance", "--reports", str(tmp_path / "r"))
    set_crontab(cron_user, crontab_of(cron_user) + b"5 4 * * * /usr/bin/logger later\n")
    run_invoke("schedule.remove", "--user", cron_user, "--reports", str(tmp_path / "r"))
    assert crontab_of(cron_user) == (before or b"") + b"5 4 * * * /usr/bin/logger later\n"
    again = run_invoke("schedule.remove", "--user", cron_user, "--reports", str(tmp_path / "r"))
    assert again.returncode == 0 and "nothing changed" in again.stdout


# -- firing against the lab ------------------------------------------------------------------------------------

ENTRY = "inspect-gov_extranet-daily"


def lab_schedule(tmp_path: Path, limit: float, overlap: str) -> Path:
    path = tmp_path / f"schedule-{overlap}-{limit}.yml"
    path.write_text((REPO / "schedule.yml").read_text(encoding="utf-8") + f"""
  - entry: {ENTRY}
    limit_minutes: {limit}
    overlap: {overlap}
""", encoding="utf-8")
    return path


def fire(lab, reports: Path, schedule: Path, *extra: str, wait: bool = True):
    argv = [str(BIN / "invoke"), "schedule.fire", "--entry", ENTRY, "--now", "--inventory", str(lab[0].root),
            "--lab", str(lab[1].path), "--reports", str(reports), "--schedule", str(schedule), *extra]
    proc = subprocess.Popen(argv, cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    if not wait:
        return proc
    out, err = proc.communicate(timeout=300)
    return subprocess.CompletedProcess(argv, proc.returncode, out, err)


def ledger_lines(reports: Path) -> list[dict]:
    chain = HashChain(reports / "schedule" / "ledger.jsonl").read()
    assert not chain.problems
    return chain.entries


def wait_for_start(reports: Path, n: int = 1) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if (reports / "schedule" / "ledger.jsonl").exists() and \
                sum(e["type"] == "start" for e in ledger_lines(reports)) >= n:
            return
        time.sleep(0.2)
    raise AssertionError("the first firing never started")


def test_a_running_inspection_makes_the_next_skip_or_wait_and_a_hung_one_is_ended(lab, lab_fault, tmp_path):
    reports = tmp_path / "r"
    lab_fault("lab-ios-rt", "slow", seconds="40")  # one device that answers too slowly: the run hangs on it
    first = fire(lab, reports, lab_schedule(tmp_path, 0.15, "skip"), wait=False)  # 9 s before it is ended
    wait_for_start(reports)
    skipped = fire(lab, reports, lab_schedule(tmp_path, 0.15, "skip"))
    assert skipped.returncode == 0 and "跳过（上次未结束）" in skipped.stdout, skipped.stdout + skipped.stderr
    waited = fire(lab, reports, lab_schedule(tmp_path, 0.5, "wait"), wait=False)  # waits for the first to end
    out, err = first.communicate(timeout=120)
    assert first.returncode == 2 and "超时已终止" in out, out + err
    out, err = waited.communicate(timeout=120)
    assert "跳过" not in out, out + err  # it waited for the first to end, then ran (within its own limit)
    lines = ledger_lines(reports)
    assert [(e["type"], e["status"]) for e in lines][:4] == [
        ("start", "running"), ("skipped", "skipped"), ("end", "timeout"), ("start", "running")]
    assert lines[4]["type"] == "end" and lines[4]["status"] in ("timeout", "ok", "findings")
    assert f"进程 {lines[0]['pid']}" in lines[1]["detail"]
    assert lines[2]["detail"] == "超过限时 0.15 分钟，已终止" and 8 < lines[2]["seconds"] < 60
    assert lines[2]["run_ids"], "the ended run is named"
    manifest = json.loads((reports / "runs" / lines[2]["run_ids"][0] / "manifest.json").read_text())
    assert manifest["status"] == "incomplete" and "SIGTERM" in manifest["reason"]  # the run says it was cut
    assert manifest["inspector"] == f"计划任务 {ENTRY}" and manifest["selection"]["zone"] == "gov_extranet"


def test_missed_slots_are_found_by_show_and_recorded_by_the_next_firing(lab, tmp_path):
    reports = tmp_path / "r"
    (reports / "schedule").mkdir(parents=True)
    two_days_ago = dt.datetime.now(BEIJING) - dt.timedelta(days=2, minutes=1)
    (reports / "schedule" / "installed.json").write_text(json.dumps({"installed_at": two_days_ago.isoformat()}))
    schedule = REPO / "schedule.yml"
    shown = run_invoke("schedule.show", "--inventory", str(lab[0].root), "--reports", str(reports), "--json")
    assert shown.returncode == 1
    row = next(json.loads(line) for line in shown.stdout.splitlines() if json.loads(line)["entry"] == ENTRY)
    assert len(row["missed"]) == 2
    fired = fire(lab, reports, schedule)
    assert fired.returncode in (0, 1), fired.stdout + fired.stderr
    assert "2 missed slot(s) recorded" in fired.stdout
    lines = ledger_lines(reports)
    assert [e["slot"] for e in lines if e["type"] == "missed"] == row["missed"]
    assert lines[-1]["type"] == "end" and lines[-1]["status"] in ("ok", "findings") and lines[-1]["run_ids"]
    text = run_invoke("schedule.show", "--inventory", str(lab[0].root), "--reports", str(reports)).stdout
    assert "未执行 2 次" in text and ("上次 完成" in text)
    # the lot's 运维台账 lists them too: the runner's account of its slots, beside the cadence's own
    month = f"{dt.datetime.now(BEIJING):%Y-%m}"
    made = run_invoke("report.ledger", "--lot", "6_10", "--period", month, "--inventory", str(lab[0].root),
                      "--reports", str(reports))
    assert made.returncode == 0, made.stderr
    book = openpyxl.load_workbook(next(reports.glob("out/*/ledger.xlsx")), read_only=True)
    rows = list(book["计划任务执行情况"].iter_rows(values_only=True))
    this_month = [m for m in row["missed"] if m.startswith(month)]
    assert sum(r[3] == "未执行" for r in rows[1:]) == len(this_month)
    assert any(r[3] in ("完成", "完成（有发现）") and r[5] == lines[-1]["run_ids"][0] for r in rows[1:])


# -- a lot spanning zones: its zone runs of one slot together -------------------------------------------------

def sealed_run(reports: Path, when: dt.datetime, hosts: list[str], zone: str) -> str:
    run_id = f"{when:%Y%m%dT%H%M%S}-twice_daily-{zone[:4]}"
    run_dir = reports / "runs" / run_id
    run_dir.mkdir(parents=True)
    with (run_dir / "results.jsonl").open("w", encoding="utf-8") as f:
        for h in hosts:
            f.write(json.dumps({"run_id": run_id, "host": h, "check_id": "NET-CPU-001", "status": "pass",
                                "lots": ["15"], "zone": zone}, ensure_ascii=False) + "\n")
    record.seal(run_dir, {"run_id": run_id, "started": when.isoformat(), "ended": when.isoformat(),
                          "status": "complete", "cadence": "twice_daily", "lots": ["15"], "checks": ["NET-CPU-001"],
                          "selection": {"zone": zone, "lot": "15"}, "results": len(hosts)})
    return run_id


def test_the_zone_runs_of_one_slot_together_cover_a_lot_spanning_zones(estate, tmp_path):
    reports = tmp_path / "r"
    lot = [h for h in estate.hosts.values() if "15" in h.lots and "twice_daily" in (h.get("cadences") or [])]
    by_zone: dict[str, list[str]] = {}
    for h in lot:
        by_zone.setdefault(str(h.get("zone")), []).append(h.name)
    morning = dt.datetime(2026, 11, 10, 9, 0, 5, tzinfo=BEIJING)
    ids = [sealed_run(reports, morning + dt.timedelta(minutes=i), names, zone)
           for i, (zone, names) in enumerate(sorted(by_zone.items()))]
    period = Period("2026-11-10", dt.date(2026, 11, 10), dt.date(2026, 11, 11), "day")
    (twice,) = [c for c in cadence.compliance(reports / "runs", estate, "15", period, {},
                                              until=dt.datetime(2026, 11, 11, tzinfo=BEIJING))
                if c.cadence == "twice_daily"]
    am, pm = twice.slots
    assert sorted(am.runs) == sorted(ids) and am.hosts == twice.required_hosts == len(lot)
    assert am not in twice.partial and not pm.done
