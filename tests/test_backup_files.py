"""Files backups against the lab: run, verified, on the ledger; failures named; damage found; drills; kill -9.

The test lab's lab-linux-app (RHEL 6) declares `app_files` (/srv/app, /srv/attachments) to lab-linux-ora, whose
/srv/backup is a small disk of its own. Every test has its own reports directory (so its own ledger); the
archives of all tests share the backup server, so a test reads only the archives its own ledger names.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import tarfile
from pathlib import Path

import pytest

from cityops.backup import ledger
from cityops.backup.files import backup_files, drill_files, manifest_path, part_of, stored_path, verify_files
from cityops.backup.jobstatus import job_states
from cityops.backup.runner import due
from cityops.lab import control
from cityops.parsers.checksums import digests
from cityops.transport import audit as audit_trail

from .conftest import BIN, REPO, run_invoke, wait_for

SOURCE, TARGET = "lab-linux-app", "lab-linux-ora"


@pytest.fixture
def job(declared):
    return declared(SOURCE, "app_files")


def on_target(lab, run) -> Path:
    """Where the backup server keeps a run's archive, seen from this machine (its disk is in our mount table)."""
    _inv, state = lab
    return state.path / "servers" / TARGET / stored_path(run).lstrip("/")


def source_dir(lab) -> Path:
    _inv, state = lab
    return state.path / "servers" / SOURCE / "srv"


def test_a_files_backup_is_streamed_verified_and_on_the_ledger(lab, job, backup_config, tmp_path):
    inv, _state = lab
    reports = tmp_path / "reports"
    assert due(job, reports)  # never taken: its slot has passed without a backup
    run = backup_files(inv, job, backup_config, reports, operator="张工")
    assert run.status == "verified", run.error
    stored = on_target(lab, run)
    data = stored.read_bytes()
    assert hashlib.sha256(data).hexdigest() == run.sha256 and len(data) == run.size  # the bytes cityops hashed
    assert not list(stored.parent.glob(".*.part"))  # renamed into place, nothing half-written left
    with tarfile.open(stored) as archive:  # what the archive holds, read independently of cityops' reading
        members = {m.name: hashlib.sha256(archive.extractfile(m).read()).hexdigest()
                   for m in archive.getmembers() if m.isfile()}
    assert len(members) == run.files and any(n.startswith("srv/attachments/") for n in members)
    manifest = manifest_path(reports, run.id).read_text()
    assert digests(manifest) == members  # the manifest a drill checks against is the archive's own content
    assert (stored.parent / (stored.name + ".sha256")).read_text() == manifest  # beside it for a person at 3 a.m.
    assert [c["ok"] for c in run.checks] == [True, True, True]
    commands = [e["command"].split()[0] for e in run.evidence]
    assert commands == ["mkdir", "tar", "cat", "sha256sum", "cat", "mv", "mv"]
    assert not due(job, reports)
    states, problems = job_states([job], reports)
    assert problems == [] and states[0].state == "ok" and f"{run.files} 个文件" in states[0].detail
    audit = list(audit_trail.entries(reports / "audit"))
    streamed = [a for a in audit if a["command"].startswith("tar -C / -czf -")]
    assert streamed and streamed[0]["bytes_received"] == run.size and streamed[0]["status"] == 0


def test_a_backup_that_cannot_be_taken_fails_naming_the_cause_and_leaves_the_last_good_one(lab, job, backup_config,
                                                                                          tmp_path, lab_fault):
    inv, _state = lab
    reports = tmp_path / "reports"
    good = backup_files(inv, job, backup_config, reports, operator="张工")
    kept = on_target(lab, good).read_bytes()
    lab_fault(SOURCE, "file_locked")
    locked = backup_files(inv, job, backup_config, reports, operator="张工")
    assert locked.status == "failed"
    assert locked.error.startswith(f"{SOURCE}: tar 失败（退出码 2）") and "Permission denied" in locked.error
    control.set_fault(lab[1], inv, SOURCE, "file_locked", clear=True)
    lab_fault(TARGET, "backup_disk_full")
    full = backup_files(inv, job, backup_config, reports, operator="张工")
    assert full.status == "failed" and full.error.startswith(f"{TARGET}: 写入备份文件失败")
    assert "No space left on device" in full.error
    directory = on_target(lab, good).parent
    assert not list(directory.glob(".*.part"))  # a failed run takes its half-written archive with it
    assert on_target(lab, good).read_bytes() == kept  # the last good backup untouched
    states, _ = job_states([job], reports)
    assert states[0].state == "ok" and "其后" in states[0].detail and "No space left" in states[0].detail
    rows, _ = ledger.ledger_rows(reports, {SOURCE}, good.started.replace(hour=0, minute=0, second=0),
                                 full.started.replace(hour=23, minute=59, second=59))
    assert [r[4] for r in rows] == ["已校验", "失败", "失败"]
    assert "Permission denied" in rows[1][6] and "No space left" in rows[2][6]


def test_damage_after_the_fact_is_found_by_verify_and_by_a_drill_which_passes_on_a_good_backup(lab, job, backup_config,
                                                                                              tmp_path, lab_fault):
    inv, _state = lab
    reports = tmp_path / "reports"
    run = backup_files(inv, job, backup_config, reports, operator="张工")
    new = source_dir(lab) / "attachments" / "新收文件 drill.txt"
    changed = next(p for p in sorted((source_dir(lab) / "app" / "conf").iterdir()))
    original = changed.read_bytes()
    try:
        new.write_text("备份之后才收到的文件\n")
        changed.write_bytes(original + b"# edited after the backup\n")
        drill = drill_files(inv, job, backup_config, reports)
        assert drill["ok"], drill["detail"]
        assert drill["files_restored"] == run.files and drill["restore_seconds"] >= 0
        assert (drill["changed_since"], drill["removed_since"], drill["new_since"]) == (1, 0, 1)
    finally:
        new.unlink(missing_ok=True)
        changed.write_bytes(original)
    lab_fault(TARGET, "backup_corrupt")  # one byte flipped in the newest archive on the backup server
    assert hashlib.sha256(on_target(lab, run).read_bytes()).hexdigest() != run.sha256  # the newest: this test's
    checked = [c for c in verify_files(inv, job, backup_config, reports) if c[0].id == run.id]
    assert checked[0][1] is False and "已损坏" in checked[0][2] and stored_path(run) in checked[0][2]
    failed = drill_files(inv, job, backup_config, reports)
    assert not failed["ok"] and f"备份文件 {run.location} 已损坏" in failed["detail"]
    states, _ = job_states([job], reports)
    assert "校验发现损坏" in states[0].detail
    lab_fault(TARGET, "backup_corrupt", clear=True)  # the byte flipped back
    again = [c for c in verify_files(inv, job, backup_config, reports) if c[0].id == run.id]
    assert again[0][1] is True
    drills = ledger.drills(reports)
    assert [d["ok"] for d in drills] == [True, False]
    rows = ledger.drill_rows(reports, {SOURCE}, run.started.replace(hour=0, minute=0), run.started.replace(
        hour=23, minute=59))
    assert [r[7] for r in rows] == ["成功", "失败"]


def test_kill_9_during_a_backup_leaves_an_incomplete_entry_and_never_a_verified_one(lab, job, tmp_path):
    _inv, state = lab
    reports = tmp_path / "reports"
    big = source_dir(lab) / "attachments" / "大文件.bin"
    big.write_bytes(os.urandom(48 * 1024 * 1024))  # random bytes: gzip cannot make it quick
    try:
        cmd = [str(BIN / "invoke"), "backup", "--kind", "files", "--force", "--inventory", str(lab[0].root),
               "--lab", str(state.path), "--reports", str(reports), "--host", SOURCE]
        proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                start_new_session=True)
        target_dir = state.path / "servers" / TARGET / "srv" / "backup" / SOURCE / job.name

        def writing() -> bool:
            return any(p.stat().st_size > 1024 * 1024 for p in target_dir.glob(".*.part"))

        assert wait_for(writing, timeout=60), "the archive never started to arrive"
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        runs, problems = ledger.runs(reports)
        assert problems == [] and [r.status for r in runs] == ["incomplete"]
        assert not [r for r in runs if r.good]
        finals = {p.name for p in target_dir.glob("*.tar.gz")}
        assert runs[0].location.rsplit("/", 1)[1] not in finals  # never renamed into place
        rows, _ = ledger.ledger_rows(reports, {SOURCE}, runs[0].started.replace(hour=0, minute=0),
                                     runs[0].started.replace(hour=23, minute=59))
        assert rows[0][4] == "未完成（进程中断）"
    finally:
        big.unlink()
    done = run_invoke("backup", "--kind", "files", "--inventory", str(lab[0].root), "--lab", str(state.path),
                      "--reports", str(reports), "--host", SOURCE)
    assert done.returncode == 0, done.stdout + done.stderr
    runs, _ = ledger.runs(reports)
    assert [r.status for r in runs] == ["incomplete", "verified"]
    assert not (state.path / "servers" / TARGET / part_of(stored_path(runs[0])).lstrip("/")).exists()


def test_the_command_line(lab, tmp_path, lab_fault):
    _inv, state = lab
    common = ["--inventory", str(lab[0].root), "--reports", str(tmp_path / "r"), "--lab", str(state.path)]
    first = run_invoke("backup", "--kind", "files", *common, "--host", SOURCE)
    assert first.returncode == 0, first.stderr
    assert "已校验" in first.stdout and "database and files backups: 1 run (1 verified, 0 failed), 0 not due" in first.stdout
    again = run_invoke("backup", "--kind", "files", *common, "--host", SOURCE)
    assert again.returncode == 0 and "0 run (0 verified, 0 failed), 1 not due" in again.stdout  # already taken
    status = run_invoke("backup.status", *common[:4], "--host", SOURCE, "--all")
    assert "app_files" in status.stdout and "最近有效备份" in status.stdout
    verified = run_invoke("backup.verify", *common, "--host", SOURCE)
    assert verified.returncode == 0 and "backups checked: 1 intact, 0 damaged" in verified.stdout
    drill = run_invoke("backup.drill", *common, "--host", SOURCE)
    assert drill.returncode == 0 and "恢复成功" in drill.stdout, drill.stdout + drill.stderr
    lab_fault(SOURCE, "file_locked")
    failed = run_invoke("backup", "--kind", "files", "--force", *common, "--host", SOURCE)
    assert failed.returncode == 1 and "Permission denied" in failed.stdout
    for args, message in ((["backup", "--kind", "tape"], "all, config, db, files or jobs"),
                          (["backup.drill", "--host", SOURCE, "--job", "nope"], "no such backup job"),
                          (["backup.drill", "--host", "lab-vrp-core"], "(it has: none)")):
        out = run_invoke(*args, *common)
        assert out.returncode == 4 and message in out.stderr and "Traceback" not in out.stderr, (args, out.stderr)


def test_a_files_backup_missing_from_its_slot_is_a_finding_of_the_next_inspection(lab, job, backup_config, tmp_path):
    """BAK-FILE-001 reads the backup ledger of the run's reports: none taken is overdue (a fail naming the job);
    once a verified backup is on the ledger the same check passes."""
    from cityops.inspect import record
    from cityops.inspect.session import inspect

    inv, state = lab
    reports = tmp_path / "reports"

    def bak_file_001():
        out = inspect(inv, [inv.hosts[SOURCE]], cadence=None, selection={"host": SOURCE}, reports=reports,
                      lab_dir=state.path, only={"BAK-FILE-001"})
        [row] = record.read_results(out.run_dir / "results.jsonl")
        return row

    before = bak_file_001()
    assert before["status"] == "fail" and job.label in before["message"] and "没有有效备份" in before["message"]
    assert "invoke backup --kind files" in before["remedy"]
    run = backup_files(inv, job, backup_config, reports, operator="张工")
    assert run.status == "verified", run.error
    after = bak_file_001()
    assert after["status"] == "pass", after["message"]
