"""RMAN backups against the lab RAC: run by RMAN on a node, validated by RMAN, copied to the backup server
through cityops, on the ledger; a full disk, a lost archived log and a damaged piece each named.

The test lab's cluster_lab_rac declares level0, level1 and archivelog jobs to lab-linux-app. Every test has its
own ledger; the database and its control file are the lab's, shared by all tests (as a real one would be).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from cityops.backup import ledger
from cityops.backup.jobstatus import job_states
from cityops.backup.rman import backup_rman, verify_rman

from .conftest import backups_under_clock, run_invoke


@pytest.fixture
def job_of(declared):
    return lambda name: declared("cluster_lab_rac", name)


def stored(lab, piece: dict) -> Path:
    _inv, state = lab
    host, _, path = piece["stored"].partition(":")
    return state.path / "servers" / host / path.lstrip("/")


def catalogue(lab) -> dict:
    _inv, state = lab
    return json.loads((state.path / "servers" / "_shared" / "lab_rac" / "oradata" / "LABDB" / "control.json").read_text())


def test_level_0_then_level_1_are_taken_by_rman_validated_and_copied_with_cityops_own_hash(lab, job_of, backup_config,
                                                                                         tmp_path):
    inv, _state = lab
    reports = tmp_path / "reports"
    full = backup_rman(inv, job_of("level0"), backup_config, reports, operator="张工")
    incr = backup_rman(inv, job_of("level1"), backup_config, reports, operator="张工")
    for run in (full, incr):
        assert run.status == "verified", run.error
        assert [c["ok"] for c in run.checks] == [True, True, True, True]
        assert len(run.pieces) == 2  # the data files' set and, 11g's default, the control file's set
        for piece in run.pieces:
            assert piece["stored"].startswith("lab-linux-app:/srv/backup/cluster_lab_rac/")
            data = stored(lab, piece).read_bytes()
            assert hashlib.sha256(data).hexdigest() == piece["sha256"] and len(data) == piece["bytes"]
        assert sum(p["bytes"] for p in run.pieces) == run.size
    tags = {b["tag"]: b for b in catalogue(lab)["backups"] if b["type"] == "datafile"}  # RMAN's own record
    assert tags[full.tag]["level"] == 0 and tags[incr.tag]["level"] == 1
    assert incr.size < full.size  # a level 1 holds only the blocks changed since
    commands = [e["command"].split(" format ")[0] for e in full.evidence]
    assert commands[:2] == ["backup incremental level 0 database", f"restore database validate from tag '{full.tag}'; "
                            f"restore controlfile validate from tag '{full.tag}'"]
    states, _ = job_states([job_of("level0")], reports)
    assert states[0].state == "ok" and "2 个备份片" in states[0].detail


def test_a_damaged_piece_is_named_by_rman_on_the_node_and_by_its_hash_on_the_backup_server(lab, job_of, backup_config,
                                                                                          tmp_path, lab_fault):
    inv, state = lab
    from cityops.lab import control

    reports = tmp_path / "reports"
    run = backup_rman(inv, job_of("level0"), backup_config, reports, operator="张工")
    assert run.status == "verified", run.error
    lab_fault(run.node, "backup_corrupt")  # a byte flipped in the piece RMAN keeps on the node
    [(_r, ok, detail)] = verify_rman(inv, job_of("level0"), backup_config, reports)
    assert ok is False and "RMAN 校验失败" in detail and any(p["handle"] in detail for p in run.pieces)
    assert "块损坏" in detail
    control.set_fault(state, inv, run.node, "backup_corrupt", clear=True)
    lab_fault("lab-linux-app", "backup_corrupt")  # and one in the copy on the backup server
    [(_r, ok, detail)] = verify_rman(inv, job_of("level0"), backup_config, reports)
    assert ok is False and "已损坏：sha256" in detail and any(p["stored"] in detail for p in run.pieces)
    control.set_fault(state, inv, "lab-linux-app", "backup_corrupt", clear=True)
    [(_r, ok, _detail)] = verify_rman(inv, job_of("level0"), backup_config, reports)
    assert ok is True
    states, _ = job_states([job_of("level0")], reports)
    assert states[0].state == "ok"


def test_a_full_disk_and_a_lost_archived_log_fail_the_backup_in_rmans_words(lab, job_of, backup_config, tmp_path,
                                                                           lab_fault):
    inv, state = lab
    from cityops.lab import control

    reports = tmp_path / "reports"
    lab_fault("lab-rac1", "backup_disk_full")
    full = backup_rman(inv, job_of("level0"), backup_config, reports, operator="张工")
    control.set_fault(state, inv, "lab-rac1", "backup_disk_full", clear=True)
    assert full.status == "failed" and "ORA-19502: write error on file" in full.error and "ORA-27072" in full.error
    lab_fault("lab-rac2", "archive_log_gap")  # on the other node: the RAC's archived logs are shared
    gap = backup_rman(inv, job_of("archivelog"), backup_config, reports, operator="张工")
    assert gap.status == "failed" and "RMAN-06059: expected archived log not found" in gap.error
    assert ".arc" in gap.error  # ORA-19625 names the file
    control.set_fault(state, inv, "lab-rac2", "archive_log_gap", clear=True)
    again = backup_rman(inv, job_of("archivelog"), backup_config, reports, operator="张工")
    assert again.status == "verified", again.error
    rows, _ = ledger.ledger_rows(reports, {"cluster_lab_rac"}, full.started.replace(hour=0, minute=0),
                                 again.started.replace(hour=23, minute=59))
    assert [r[4] for r in rows] == ["失败", "失败", "已校验"]
    assert "RMAN-06059" in rows[1][6]


def test_a_node_that_does_not_answer_leaves_the_backup_to_the_other(lab, job_of, backup_config, tmp_path, lab_fault):
    inv, _state = lab
    lab_fault("lab-rac1", "unreachable")
    run = backup_rman(inv, job_of("level1"), backup_config, tmp_path / "reports", operator="张工")
    assert run.status == "verified", run.error
    assert run.node == "lab-rac2" and [e["host"] for e in run.evidence][:2] == ["lab-rac2", "lab-rac2"]


def test_copies_past_their_retention_are_pruned_from_the_backup_server_but_never_the_newest_three(lab, job_of, backup_config,
                                                                                               tmp_path):
    """Five runs forty days ago and one today, under the lab clock: the backup server keeps the newest three
    verified (two of forty days ago, today's); the three oldest are past retention, removed, and said so."""
    import datetime as dt
    import os

    from cityops.lab import control
    from cityops.timeutil import CLOCK_ENV, now

    inv, state = lab
    reports = tmp_path / "reports"
    job = job_of("level1")  # retention_days: 35
    then = now() - dt.timedelta(days=40)
    os.environ[CLOCK_ENV] = str(control.clock_file(state))
    try:
        old = []
        for hours in range(5):
            control.set_clock(state, then + dt.timedelta(hours=hours))
            old.append(backup_rman(inv, job, backup_config, reports, operator="张工"))
    finally:
        control.set_clock(state, None)
        os.environ.pop(CLOCK_ENV, None)
    assert all(r.status == "verified" for r in old) and all(stored(lab, r.pieces[0]).exists() for r in old)
    today = backup_rman(inv, job, backup_config, reports, operator="张工")
    assert today.status == "verified", today.error
    runs = {r.id: r for r in ledger.runs(reports)[0]}
    assert [runs[r.id].pruned for r in old] == [True, True, True, False, False]
    assert [stored(lab, r.pieces[0]).exists() for r in old] == [False, False, False, True, True]


def test_a_drill_restores_level_0_level_1_and_logs_into_a_scratch_instance_and_finds_every_row(
        lab, job_of, backup_config, tmp_path, lab_clock):
    """Rows change between the backups (the lab's workload under its clock); the drill recovers to the archive log
    run's SCN through a level 0, a level 1 and archived logs, and counts the same rows the database held then."""
    import datetime as dt

    from cityops.backup.dbdrill import drill_rman

    inv, state = lab
    reports = tmp_path / "reports"
    runs = backups_under_clock(lab_clock, lambda name: backup_rman(inv, job_of(name), backup_config, reports,
                                                                   operator="张工"),
                               30, ((0, "level0"), (2, "level1"), (5, "archivelog")))
    start = runs[0].started
    points = [r.point for r in runs]
    assert points[0]["scn"] < points[1]["scn"] < points[2]["scn"]
    assert points[0]["rows"] != points[2]["rows"]  # the workload changed rows between them
    assert [p.get("control") for p in runs[0].pieces] == [None, True]  # 11g: the control file in a set of its own
    lab_clock(start + dt.timedelta(hours=6))
    out = drill_rman(inv, job_of("level0"), backup_config, reports)
    assert out["ok"], out["detail"]
    assert out["backup"] == runs[2].id and out["chain"] == [r.id for r in runs]
    assert out["rows_restored"] == points[2]["rows"] and out["rows_lost"] == 0 and out["logs_applied"]
    assert "未丢失数据" in out["detail"] and "目标 12 小时内恢复" in out["detail"]
    node_dir = state.path / "servers" / runs[0].node
    assert not any(node_dir.rglob("db-*/control.json"))  # the scratch directory is gone
    [drill] = ledger.drills(reports)
    assert drill["ok"] and drill["id"] == runs[2].id and drill["rows_restored"] == points[2]["rows"]
    cli = run_invoke("backup.drill", "--host", runs[0].node, "--kind", "db", "--inventory", str(lab[0].root),
                     "--reports", str(reports), "--lab", str(state.path))
    assert cli.returncode == 0 and "恢复成功" in cli.stdout and "备份链 3 次备份" in cli.stdout, cli.stdout + cli.stderr


def test_a_drill_over_a_damaged_copy_fails_naming_the_piece(lab, job_of, backup_config, tmp_path, lab_fault):
    from cityops.backup.dbdrill import drill_rman

    inv, _state = lab
    reports = tmp_path / "reports"
    run = backup_rman(inv, job_of("level0"), backup_config, reports, operator="张工")
    assert run.status == "verified", run.error
    lab_fault("lab-linux-app", "backup_corrupt")  # a byte flipped in a copy on the backup server
    out = drill_rman(inv, job_of("level0"), backup_config, reports)
    assert not out["ok"] and "恢复失败" in out["detail"]
    assert "已损坏" in out["detail"] and any(p["stored"] in out["detail"] for p in run.pieces)
    assert ledger.drills(reports)[-1]["ok"] is False


def test_pieces_gone_from_the_node_by_retention_are_not_damage_while_the_server_copies_hold(lab, job_of, backup_config,
                                                                                          tmp_path):
    """RMAN's own pieces on the node go with its retention (delete obsolete); the copies on the backup server are the
    backup of record: verify passes on their hashes, and still names a damaged copy."""
    inv, state = lab
    reports = tmp_path / "reports"
    run = backup_rman(inv, job_of("level0"), backup_config, reports, operator="张工")
    assert run.status == "verified", run.error
    for piece in run.pieces:  # as `delete obsolete` would
        (state.path / "servers" / run.node / piece["handle"].lstrip("/")).unlink()
    [(_r, ok, detail)] = verify_rman(inv, job_of("level0"), backup_config, reports)
    assert ok is True, detail
    copy = stored(lab, run.pieces[0])
    data = bytearray(copy.read_bytes())
    data[len(data) // 2] ^= 0x5A
    copy.write_bytes(bytes(data))
    [(_r, ok, detail)] = verify_rman(inv, job_of("level0"), backup_config, reports)
    assert ok is False and run.pieces[0]["stored"] in detail
