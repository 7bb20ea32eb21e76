"""The audit trail: chained lines across monthly segments, and `audit.verify` naming what was edited, removed,
inserted or cut off — also when two processes append at once; `audit.show` filtering it; a real inspection run
against the lab recording its chain head."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
import sys
import time

import pytest

from cityops.timeutil import BEIJING, CLOCK_ENV, clock_text
from cityops.transport import audit as trail
from cityops.transport.audit import AuditLog

from .conftest import BIN, REPO, run_invoke


def at(monkeypatch, tmp_path, when: dt.datetime) -> None:
    clock = tmp_path / "clock.json"
    clock.write_text(clock_text(when))
    monkeypatch.setenv(CLOCK_ENV, str(clock))


def fill(directory, n: int, run_id: str = "r1", task: str = "inspect") -> AuditLog:
    log = AuditLog(directory, run_id, "值班员甲", task)
    for i in range(n):
        log.record(f"host{i % 3}", "127.0.0.1", "admin", "ssh", f"show version {i}", 0 if i % 4 else 1, 0.25)
    return log


def lines(path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines(keepends=True)


def test_an_entry_says_who_when_what_where_and_how_it_ended(tmp_path):
    fill(tmp_path / "audit", 2, "20261203T090000-daily-ab12")
    (entry, second) = list(trail.entries(tmp_path / "audit"))
    assert entry["run_id"] == "20261203T090000-daily-ab12" and entry["task"] == "inspect"
    assert entry["operator"] == "值班员甲" and entry["os_user"] and entry["host"] == "host0"
    assert entry["command"] == "show version 0" and entry["status"] == 1 and entry["seconds"] == 0.25
    assert dt.datetime.fromisoformat(entry["time"]).utcoffset() == dt.timedelta(hours=8)
    assert entry["previous_line_sha256"] == "" and second["previous_line_sha256"] != ""
    verdict = trail.verify(tmp_path / "audit")
    assert verdict.ok and verdict.entries == 2 and verdict.segments == 1


@pytest.mark.parametrize("damage, named", [
    ("edit", "第 6 行之前的记录被改动"), ("delete", "第 4 行之前的记录被改动"),
    ("insert", "第 5 行之前的记录被改动"), ("garble", "第 4 行不是有效记录"), ("torn", "第 10 行不完整")])
def test_verify_names_an_edited_removed_inserted_or_torn_line(tmp_path, damage, named):
    fill(tmp_path / "audit", 10)
    (segment,) = trail.segments(tmp_path / "audit")
    rows = lines(segment)
    if damage == "edit":  # line 5 now says the command succeeded; its successor's link no longer matches
        assert '"status": 1' in rows[4]
        rows[4] = rows[4].replace('"status": 1', '"status": 0')
    elif damage == "delete":
        del rows[3]
    elif damage == "insert":
        rows.insert(4, rows[2])
    elif damage == "garble":
        rows[3] = "not json\n"
    elif damage == "torn":
        rows[-1] = rows[-1][:40]
    segment.write_text("".join(rows), encoding="utf-8")
    verdict = trail.verify(tmp_path / "audit")
    assert not verdict.ok and any(named in p and segment.name in p for p in verdict.problems), verdict.problems


def test_a_truncated_tail_is_caught_by_the_head_a_run_recorded(tmp_path):
    log = fill(tmp_path / "audit", 6)
    head = log.head()
    assert head["segment"] == trail.segments(tmp_path / "audit")[0].name and head["bytes"] > 0
    fill(tmp_path / "audit", 2, "r2")
    assert trail.verify(tmp_path / "audit", [("运行 r1 的清单", head)]).ok  # later lines are fine
    (segment,) = trail.segments(tmp_path / "audit")
    segment.write_text("".join(lines(segment)[:4]), encoding="utf-8")  # cut back: the chain itself is still whole
    assert trail.verify(tmp_path / "audit").ok
    verdict = trail.verify(tmp_path / "audit", [("运行 r1 的清单", head)])
    assert verdict.problems and "运行 r1 的清单" in verdict.problems[0] and "尾部被截断" in verdict.problems[0]
    # cut back and written on: the head's byte offset exists but is no longer the line the run saw
    fill(tmp_path / "audit", 4, "r3")
    verdict = trail.verify(tmp_path / "audit", [("运行 r1 的清单", head)])
    assert verdict.problems and "不符" in verdict.problems[0]


def test_segments_roll_monthly_and_the_chain_crosses_them(tmp_path, monkeypatch):
    at(monkeypatch, tmp_path, dt.datetime(2026, 11, 30, 23, 59, 58, tzinfo=BEIJING))
    fill(tmp_path / "audit", 3)
    at(monkeypatch, tmp_path, dt.datetime(2026, 12, 1, 0, 0, 1, tzinfo=BEIJING))
    fill(tmp_path / "audit", 3)
    nov, dec = trail.segments(tmp_path / "audit")
    assert (nov.name, dec.name) == ("2026-11.jsonl", "2026-12.jsonl")
    first_of_december = json.loads(lines(dec)[0])
    assert first_of_december["previous_line_sha256"] == trail.sha256_text(lines(nov)[-1].rstrip("\n"))
    assert trail.verify(tmp_path / "audit").ok
    # a clock set back appends to the newest segment, never to an older one
    at(monkeypatch, tmp_path, dt.datetime(2026, 10, 15, 12, 0, tzinfo=BEIJING))
    fill(tmp_path / "audit", 1)
    assert [p.name for p in trail.segments(tmp_path / "audit")] == ["2026-11.jsonl", "2026-12.jsonl"]
    assert len(lines(dec)) == 4 and trail.verify(tmp_path / "audit").ok
    nov.unlink()  # a whole month removed: December's first line no longer links to anything there
    verdict = trail.verify(tmp_path / "audit")
    assert any("2026-12.jsonl" in p and "第 1 行" in p for p in verdict.problems), verdict.problems


WRITER = """
import sys, time
from pathlib import Path
from cityops.transport.audit import AuditLog
log = AuditLog(Path(sys.argv[1]), sys.argv[2], "并发", "inspect")
while not Path(sys.argv[1], "go").exists():  # both start writing at the same moment
    time.sleep(0.01)
for i in range(int(sys.argv[3])):
    log.record("lab-rac1", "127.0.0.1", "oracle", "ssh", f"{sys.argv[2]} {i}", 0, 0.01)
"""


def test_two_processes_appending_at_once_keep_one_chain(tmp_path):
    (tmp_path / "audit").mkdir()
    procs = [subprocess.Popen([sys.executable, "-c", WRITER, str(tmp_path / "audit"), name, "1000"], cwd=REPO)
             for name in ("A", "B")]
    time.sleep(1)
    (tmp_path / "audit" / "go").touch()
    assert [p.wait(timeout=120) for p in procs] == [0, 0]
    verdict = trail.verify(tmp_path / "audit")
    assert verdict.ok and verdict.entries == 2000, verdict.problems
    commands = [e["command"] for e in trail.entries(tmp_path / "audit")]
    for name in ("A", "B"):  # each writer's lines in its own order, interleaved with the other's
        assert [c for c in commands if c.startswith(name)] == [f"{name} {i}" for i in range(1000)]
    assert commands != sorted(commands)  # they really did write at the same time
    (segment,) = trail.segments(tmp_path / "audit")
    rows = lines(segment)
    del rows[500]
    segment.write_text("".join(rows), encoding="utf-8")
    assert any("第 501 行" in p for p in trail.verify(tmp_path / "audit").problems)


def test_audit_show_filters_and_audit_verify_fails_naming_the_line(tmp_path):
    fill(tmp_path / "r" / "audit", 8, "run-a", "inspect")
    fill(tmp_path / "r" / "audit", 4, "run-b", "backup")
    shown = run_invoke("audit.show", "--reports", str(tmp_path / "r"), "--task", "backup", "--host", "host1")
    assert shown.returncode == 0, shown.stderr
    assert shown.stdout.count("run-b") == 1 and "run-a" not in shown.stdout and "show version 1" in shown.stdout
    failed = run_invoke("audit.show", "--reports", str(tmp_path / "r"), "--failed", "--json")
    rows = [json.loads(line) for line in failed.stdout.splitlines()]
    assert len(rows) == 3 and all(r["status"] != 0 for r in rows)  # commands 0 and 4 of run-a, 0 of run-b
    ok = run_invoke("audit.verify", "--reports", str(tmp_path / "r"))
    assert ok.returncode == 0 and "12 条记录" in ok.stdout and "校验通过" in ok.stdout
    (segment,) = trail.segments(tmp_path / "r" / "audit")
    segment.write_text(segment.read_text(encoding="utf-8").replace("show version 6", "show clock 6"), encoding="utf-8")
    bad = run_invoke("audit.verify", "--reports", str(tmp_path / "r"))
    assert bad.returncode == 1 and f"{segment.name} 第 8 行之前的记录被改动" in bad.stdout
    shown = run_invoke("audit.show", "--reports", str(tmp_path / "r"))
    assert "不可作为证据" in shown.stdout
    bad_date = run_invoke("audit.show", "--reports", str(tmp_path / "r"), "--since", "yesterday")
    assert bad_date.returncode == 4 and "--since 'yesterday'" in bad_date.stderr


def test_an_inspection_records_its_head_and_a_cut_trail_is_named_with_the_run(lab, tmp_path):
    reports = tmp_path / "r"
    run = subprocess.run([str(BIN / "invoke"), "inspect", "--inventory", str(lab[0].root), "--lab", str(lab[1].path),
                          "--reports", str(reports), "--host", "lab-rac1", "--cadence", "daily"],
                         cwd=REPO, capture_output=True, text=True)
    assert run.returncode in (0, 1), run.stderr
    (manifest,) = reports.glob("runs/*/manifest.json")
    data = json.loads(manifest.read_text())
    assert data["audit_head"]["segment"] == trail.segments(reports / "audit")[-1].name
    mine = [e for e in trail.entries(reports / "audit") if e["run_id"] == data["run_id"]]
    assert mine and all(e["task"] == "inspect" and e["host"] == "lab-rac1" for e in mine)
    ok = run_invoke("audit.verify", "--reports", str(reports))
    assert ok.returncode == 0 and "核对已记录的链头 1 个" in ok.stdout, ok.stdout
    segment = trail.segments(reports / "audit")[-1]
    segment.write_text("".join(lines(segment)[:-2]), encoding="utf-8")  # the run's last two commands erased
    cut = run_invoke("audit.verify", "--reports", str(reports))
    assert cut.returncode == 1 and f"运行 {data['run_id']} 的清单" in cut.stdout and "尾部被截断" in cut.stdout
