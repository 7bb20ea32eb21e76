"""`invoke backup` against the lab: the store, its completeness checks, secrets, the vault, and what survives a kill.

Every test has its own backups root and reports directory; configuration changes are made on the lab devices
the way an engineer makes them (configuration mode over SSH) and taken back out afterwards.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest

from cityops import drivers
from cityops.backup.history import diff, restore_file, show, status
from cityops.backup.run import Paths, backup
from cityops.backup.store import ConfigStore
from cityops.errors import BadInput
from cityops.inspect.session import transport_config
from cityops.lab import control
from cityops.lab.netdev.configstate import ConfigState
from cityops.lab.netdev.planted import planted, type7
from cityops.transport import audit as audit_trail
from cityops.transport.audit import AuditLog
from cityops.transport.registry import open_session

from .conftest import BIN, REPO, wait_for

CONFIG_MODE = {"huawei_vrp": ("system-view", "return"), "huawei_vrpv8": ("system-view", "return"),
               "huawei_ce": ("system-view", "return"), "hp_comware": ("system-view", "return"),
               "cisco_ios": ("configure terminal", "end"), "cisco_nxos": ("configure terminal", "end")}


@pytest.fixture
def paths(tmp_path) -> Paths:
    return Paths(root=tmp_path / "backups", reports=tmp_path / "reports")


@pytest.fixture
def configured(lab):
    """Type configuration lines on a lab device; every device touched is put back afterwards."""
    inv, state = lab
    touched = set()

    def configure(host: str, *lines: str, save: bool = False) -> None:
        touched.add(host)
        h = inv.hosts[host]
        enter, leave = CONFIG_MODE[h.get("platform")]
        s = open_session(h, transport_config(AuditLog(state.path / "engineer-audit"), state.path))
        try:
            for cmd in (enter, *lines, leave):
                assert s.run(cmd).ok, cmd
        finally:
            s.close()
        if save:  # as an engineer's script saves: netmiko's save_config answers the device's questions
            import netmiko
            import yaml

            cred = yaml.safe_load(state.credentials_file.read_text())[h.get("credential")]
            conn = netmiko.ConnectHandler(device_type=drivers.get(h.get("platform")).netmiko,
                                          host=h.get("ansible_host"), username=cred["username"],
                                          password=cred["password"], use_keys=False, allow_agent=False,
                                          ssh_strict=False, system_host_keys=False)
            try:
                out = conn.save_config()
            finally:
                conn.disconnect()
            assert "success" in out.lower() or "[OK]" in out, out

    yield configure
    for host in touched:
        ConfigState(state).clear(host)


def run(lab, paths: Paths, hosts=None, **kw):
    inv, state = lab
    hosts = [inv.hosts[h] for h in hosts] if hosts else list(inv.hosts.values())
    return backup(inv, hosts, selection={"test": True}, paths=paths, lab_dir=state.path, **kw)


def rows(outcome) -> list[dict]:
    return [json.loads(line) for line in (outcome.run_dir / "results.jsonl").read_text().splitlines()]


def row(outcome, host: str, kind: str = "running") -> dict:
    return next(r for r in rows(outcome) if r["host"] == host and r["kind"] == kind)


def test_two_runs_in_a_row_the_second_commits_nothing(lab, paths):
    first = run(lab, paths)
    assert first.exit_status == 0 and first.commit, first.tally.counts
    c = first.tally.counts
    assert c["collected"] == c["added"] == 24 and c["failed"] == c["quarantined"] == 0
    assert c["unsupported"] == 0  # every device with a configuration has its reader, the storage arrays too
    assert c["unsaved"] == 0 and all(r.get("unsaved_lines") == 0 for r in rows(first)
                                     if r["kind"] == "running" and r["platform"].startswith(("cisco", "huawei_vrp")))
    store = ConfigStore(paths.store)
    assert len(store.log()) == 2  # the store's own first commit, and this run's
    assert "gxj/dzzw/lab-vrp-core.cfg" in store.files() and "gxj/dzzw/lab-ios-rt.startup.cfg" in store.files()
    second = run(lab, paths)
    assert second.commit is None and second.exit_status == 0
    assert second.tally.counts["unchanged"] == 24 and len(store.log()) == 2


def test_a_login_secret_a_device_echoes_in_its_configuration_never_reaches_the_backups(lab, paths, configured):
    """An engineer typed the device's own login password (and the BMC's) into a free-text line: the backup, its
    git history, its records and the audit log hold the mask, never the secret."""
    import yaml

    inv, state = lab
    creds = yaml.safe_load(state.credentials_file.read_text())
    mine = creds[inv.hosts["lab-vrp-core"].get("credential")]["password"]
    other = creds["gxj_bmc"]["password"]  # a credential this backup never uses
    configured("lab-vrp-core", f"snmp-agent sys-info location pw-{mine}-bmc-{other}")
    out = run(lab, paths, ["lab-vrp-core"])
    assert out.commit and out.tally.counts["collected"] >= 1
    store = ConfigStore(paths.store)
    history = store.git("log", "-p", "--all")
    assert "snmp-agent sys-info location pw-******-bmc-******" in history
    written = [p.read_bytes() for p in [*paths.root.rglob("*"), *paths.reports.rglob("*")] if p.is_file()]
    assert all(mine.encode() not in b and other.encode() not in b for b in written)
    assert mine not in history and other not in history


def test_one_change_on_one_device_is_one_commit_with_exactly_that_diff(lab, paths, configured):
    run(lab, paths)
    configured("lab-vrp-core", "snmp-agent sys-info location Karamay-B2-3F")
    out = run(lab, paths)
    assert out.commit and out.tally.counts["changed"] == 1, out.tally.counts
    store = ConfigStore(paths.store)
    assert store.log(limit=1)[0].subject.endswith("1 device(s) changed (lab-vrp-core)")
    changed = store.git("show", "--format=", "--name-only", out.commit).split()
    assert changed == ["gxj/dzzw/lab-vrp-core.cfg"]  # the startup config was not saved: it did not change
    patch = [ln for ln in store.git("show", "--format=", out.commit).splitlines()
             if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert patch == ["+snmp-agent sys-info location Karamay-B2-3F"]
    inv, _ = lab
    assert diff(inv.hosts["lab-vrp-core"], paths) .count("+snmp-agent sys-info location Karamay-B2-3F") == 1
    assert row(out, "lab-vrp-core")["unsaved_lines"] == 1 and out.tally.counts["unsaved"] == 1  # lost at a reload
    # saved: now the startup configuration changes too
    configured("lab-vrp-core", save=True)
    saved = run(lab, paths)
    assert row(saved, "lab-vrp-core")["unsaved_lines"] == 0
    assert store.git("show", "--format=", "--name-only", saved.commit).split() == ["gxj/dzzw/lab-vrp-core.startup.cfg"]


@pytest.mark.parametrize(("fault", "status", "cause"), [
    ("truncated_config", "quarantined", "incomplete"),
    ("empty_config", "quarantined", "empty"),
    ("desync_prompt", "quarantined", "incomplete"),
    ("unreachable", "failed", "timeout"),
    ("wrong_password", "failed", "auth"),
])
def test_a_bad_capture_leaves_the_last_good_copy(lab, paths, lab_fault, fault, status, cause):
    host = "lab-h3c-fl"
    address = lab[0].hosts[host].get("ansible_host")
    assert wait_for(lambda: control.probe(address, timeout=0.3)[0])  # back from an earlier test's fault
    run(lab, paths)
    store = ConfigStore(paths.store)
    good = store.read("gxj/dzzw/lab-h3c-fl.cfg")
    assert good and good.rstrip().endswith("return")
    lab_fault(host, fault)
    if fault == "unreachable":  # the device server swaps its listener on its next look (0.2 s)
        assert wait_for(lambda: not control.probe(address, timeout=0.3)[0])
    out = run(lab, paths, hosts=[host, "lab-ios-rt"], host_timeout=20.0)
    r = row(out, host)
    assert (r["status"], r["cause"]) == (status, cause), r
    assert out.commit is None and store.read("gxj/dzzw/lab-h3c-fl.cfg") == good
    assert row(out, "lab-ios-rt")["status"] == "ok"  # the others carry on
    assert out.exit_status == (1 if status == "quarantined" else 2)
    if status == "quarantined":
        kept = Path(r["quarantine_file"])
        assert kept.parent == paths.quarantine / host and json.loads(kept.with_suffix(".json").read_text())["cause"]
        assert row(out, host, "startup")["status"] == "skipped"  # the session may be out of step: not asked
    st = {s.kind: s for s in status_of(lab, paths, host)}
    assert st["running"].state in ("failing", "quarantined") and st["running"].last_good


def status_of(lab, paths, host):
    inv, _ = lab
    return status([inv.hosts[host]], paths)


def test_an_nxos_listing_cut_short_is_caught_by_its_size(lab, paths, lab_fault):
    """NX-OS prints no end marker: a listing cut by a desynchronised prompt is caught against the last good one."""
    run(lab, paths, hosts=["lab-mds"])
    lab_fault("lab-mds", "desync_prompt")
    out = run(lab, paths, hosts=["lab-mds"])
    assert (row(out, "lab-mds")["status"], row(out, "lab-mds")["cause"]) == ("quarantined", "size_drop")


def test_the_lab_plants_every_secret_it_lists(lab, paths):
    """The planted list is what the renderers really print (so the test below looks for the right strings)."""
    inv, state = lab
    cfg = transport_config(AuditLog(state.path / "engineer-audit"), state.path)
    for name in ("lab-vrp-core", "lab-h3c-fl", "lab-ios-rt", "lab-mds", "lab-topsec", "lab-ips", "lab-gap", "lab-fos"):
        h = inv.hosts[name]
        s = open_session(h, cfg)
        getter = drivers.get(h.get("platform")).getter("running_config")
        raw = s.api_get(getter.command)["config"] if getter.via == "api" else s.run(getter.command).stdout
        s.close()
        for _secret, printed in planted(h.get("platform"), name):
            assert printed in raw, (name, printed)
    assert type7("cisco") == "070C285F4D06"  # the textbook example


def test_no_planted_secret_reaches_the_store_its_history_logs_or_reports(lab, paths, configured, lab_fault, tmp_path):
    inv, _ = lab
    configured("lab-ios-rt", "snmp-server community Kmy0ExtraCommunity RO")
    run(lab, paths)
    lab_fault("lab-h3c-gbk", "truncated_config")  # the quarantine is written to as well
    run(lab, paths)
    secrets = ["Kmy0ExtraCommunity"] + [form for h in inv.hosts.values()
                                        for pair in planted(h.get("platform"), h.name) for form in pair]
    store = ConfigStore(paths.store)
    history = store.git("log", "-p", "--all")
    written = [p for p in (paths.store, paths.quarantine, paths.reports) for p in p.rglob("*")
               if p.is_file() and ".git" not in p.parts]
    assert any(p.parent.name == "lab-h3c-gbk" for p in written)
    texts = {str(p): p.read_text(errors="replace") for p in written}
    for secret in secrets:
        assert secret not in history, secret
        for path, text in texts.items():
            assert secret not in text, (secret, path)
    vault_bytes = b"".join(p.read_bytes() for p in paths.vault.rglob("*.enc"))
    assert b"Kmy0ExtraCommunity" not in vault_bytes and b"snmp-server" not in vault_bytes  # encrypted


def test_a_password_only_change_is_kept_encrypted_and_restores(lab, paths, configured, tmp_path):
    inv, state = lab
    host = inv.hosts["lab-vrp-core"]
    configured("lab-vrp-core", "radius-server shared-key cipher OldKey2025x")
    first = run(lab, paths, hosts=["lab-vrp-core"])
    assert first.tally.counts["added"] == 2
    configured("lab-vrp-core", "undo radius-server shared-key cipher OldKey2025x",
               "radius-server shared-key cipher NewKey2026y")
    second = run(lab, paths, hosts=["lab-vrp-core"])
    r = row(second, "lab-vrp-core")
    assert second.commit is None and r["secret_changed"] is True and second.tally.counts["secret_changed"] == 1
    assert r["encrypted_copy"] != row(first, "lab-vrp-core")["encrypted_copy"]
    audit = AuditLog(tmp_path / "audit", "restore-file", "tester")
    creds = transport_config(audit, state.path).credentials
    out = restore_file(host, paths, creds, None, tmp_path / "restore" / "core.cfg", REPO, audit)
    text = out.read_text()
    assert "radius-server shared-key cipher NewKey2026y" in text and "OldKey2025x" not in text
    assert out.stat().st_mode & 0o777 == 0o600
    assert list(audit_trail.entries(tmp_path / "audit"))[-1]["command"].startswith("restore-file")
    with pytest.raises(BadInput, match="may not be written inside"):
        restore_file(host, paths, creds, None, REPO / "restored.cfg", REPO, audit)
    with pytest.raises(BadInput, match="may not be written inside"):
        restore_file(host, paths, creds, None, paths.root / "x.cfg", REPO, audit)


def test_show_and_status(lab, paths, configured):
    inv, _ = lab
    h = inv.hosts["lab-ios-rt"]
    assert {s.state for s in status([h], paths)} == {"never"}
    run(lab, paths, hosts=["lab-ios-rt"])
    assert {s.state for s in status([h], paths)} == {"ok"}
    head, text = show(h, paths)
    assert text.rstrip().endswith("end") and "backup " in head
    with pytest.raises(BadInput, match="not a date"):
        show(h, paths, at="yesterday")
    with pytest.raises(BadInput, match="no running configuration on file at 2001-01-01"):
        show(h, paths, at="2001-01-01")


def test_kill_9_mid_run_leaves_the_store_whole(lab, paths, lab_fault):
    """A run killed while devices answer slowly; the next run recovers, commits, and git fsck is clean."""
    _inv, state = lab
    run(lab, paths)
    store = ConfigStore(paths.store)
    before = {f: store.read(f) for f in store.files()}
    for name in ("lab-vrp-core", "lab-ce", "lab-h3c-fl"):
        lab_fault(name, "slow", seconds=1.0)
    cmd = [str(BIN / "invoke"), "backup", "--inventory", str(lab[0].root), "--lab", str(state.path), "--backups",
           str(paths.root), "--reports", str(paths.reports)]
    proc = subprocess.Popen(cmd, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    time.sleep(2.5)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    killed = [json.loads(m.read_text()) for m in (paths.reports / "backups").glob("*/manifest.json")]
    assert [m["status"] for m in killed].count("running") == 1  # it was killed mid-run, and says so
    ok, report = store.fsck()
    assert ok, report
    after = run(lab, paths)
    assert after.status == "complete" and after.tally.counts["collected"] == 24
    ok, report = store.fsck()
    assert ok, report
    assert set(store.files()) == set(before) and not store.git("status", "--porcelain").strip()
    for rel, text in before.items():
        assert store.read(rel) == text  # nothing changed on the devices: every copy as it was


def test_the_command_line(lab, tmp_path, lab_fault):
    """As an engineer runs it: exit statuses, the summary line, status, diff and show; bad input in one line."""
    from .conftest import run_invoke

    _inv, state = lab
    common = ["--inventory", str(lab[0].root), "--backups", str(tmp_path / "b"), "--reports", str(tmp_path / "r")]
    never = run_invoke("backup.status", *common, "--host", "lab-ios-rt")
    assert never.returncode == 1 and "从未备份" in never.stdout
    ok = run_invoke("backup", *common, "--lab", str(state.path), "--host", "lab-ios-rt,lab-h3c-fl,lab-vnx")
    assert ok.returncode == 0, ok.stderr
    assert "collected 5, changed 5 (new 5)" in ok.stdout and "commit: " in ok.stdout
    current = run_invoke("backup.status", *common, "--host", "lab-ios-rt,lab-h3c-fl,lab-vnx", "--all")
    assert current.returncode == 0 and current.stdout.count("正常") == 5, current.stdout
    assert "no configuration reader" not in current.stdout
    lab_fault("lab-h3c-fl", "truncated_config")
    bad = run_invoke("backup", *common, "--lab", str(state.path), "--host", "lab-h3c-fl")
    assert bad.returncode == 1 and "quarantined 1" in bad.stdout
    failing = run_invoke("backup.status", *common, "--host", "lab-h3c-fl")
    assert failing.returncode == 1 and "最近一次被隔离" in failing.stdout and "incomplete" in failing.stdout
    shown = run_invoke("backup.show", *common, "--host", "lab-ios-rt")
    assert shown.returncode == 0 and shown.stdout.rstrip().endswith("end") and "secret 9 ******" in shown.stdout
    nodiff = run_invoke("backup.diff", *common, "--host", "lab-ios-rt")
    assert nodiff.returncode == 0 and "no change" in nodiff.stdout
    for args, message in ((["backup.diff", "--host", "../../etc/passwd"], "is not in the inventory"),
                          (["backup.show", "--host", "lab-ios-rt", "--at", "tomorrow"], "not a date"),
                          (["backup", "--kind", "tape"], "all, config, db, files or jobs"),
                          (["backup", "--max-drop", "2"], "a fraction between 0 and 1")):
        out = run_invoke(*args, *common)
        assert out.returncode == 4 and message in out.stderr and "Traceback" not in out.stderr, (args, out.stderr)


def test_the_monthly_ledger_carries_the_backups(lab, paths, lab_fault):
    """运维台账: every backup run of the lot and each failed or quarantined capture, verified like a run."""
    from docx import Document
    from openpyxl import load_workbook

    from cityops.inspect.session import inspect
    from cityops.report.ledger import make_ledger
    from cityops.report.runs import parse_period
    from cityops.timeutil import now

    inv, state = lab
    inspect(inv, [inv.hosts["lab-ios-rt"]], cadence="daily", selection={"host": "lab-ios-rt"},
            reports=paths.reports, lab_dir=state.path)
    good = run(lab, paths, hosts=["lab-ios-rt", "lab-h3c-fl"])
    lab_fault("lab-h3c-fl", "empty_config")
    bad = run(lab, paths, hosts=["lab-ios-rt", "lab-h3c-fl"])
    from cityops.backup.ledger import record_manual
    from cityops.backup.schedule import jobs_of

    offline = next(j for j in jobs_of(inv.hosts["lab-linux-app"]) if j.kind == "manual")  # no command can take it
    record_manual(paths.reports, offline, done_at=now().replace(second=0, microsecond=0) - dt.timedelta(minutes=5),
                  operator="张工", note="=HYPERLINK(\"x\") 两套硬盘 SN WD-1、WD-2")
    from cityops.backup.files import backup_files, drill_files

    files_job = next(j for j in jobs_of(inv.hosts["lab-linux-app"]) if j.kind == "files")
    config = transport_config(AuditLog(paths.reports / "audit", "t"), state.path)
    lab_fault("lab-linux-ora", "backup_disk_full")
    failed = backup_files(inv, files_job, config, paths.reports, operator="李工")
    control.set_fault(state, inv, "lab-linux-ora", "backup_disk_full", clear=True)
    verified = backup_files(inv, files_job, config, paths.reports, operator="李工")
    assert (failed.status, verified.status) == ("failed", "verified")
    assert drill_files(inv, files_job, config, paths.reports)["ok"]
    made = make_ledger(paths.reports, inv, "6_10", parse_period(f"{now():%Y-%m}"))
    wb = load_workbook(made.xlsx, read_only=True)
    entries = list(wb["数据库及文件备份记录"].iter_rows(values_only=True))[1:]
    assert [(r[1], r[2], r[4], r[5]) for r in entries] == [("lab-linux-app", "offline_copy", "已完成", "张工"),
                                                           ("lab-linux-app", "app_files", "失败", "李工"),
                                                           ("lab-linux-app", "app_files", "已校验", "李工")]
    assert entries[0][6].startswith("'=HYPERLINK")  # an engineer's note is text, never a formula
    assert "No space left on device" in entries[1][6] and verified.sha256[:16] in entries[2][6]
    drilled = list(wb["恢复演练记录"].iter_rows(values_only=True))[1:]
    assert [(r[1], r[2], r[7]) for r in drilled] == [("lab-linux-app", "app_files", "成功")]
    runs = {r[0]: r for r in list(wb["配置备份记录"].iter_rows(values_only=True))[1:]}
    assert set(runs) == {good.run_id, bad.run_id}
    assert runs[good.run_id][3:8] == (2, 4, 4, 0, 0) and runs[bad.run_id][3:8] == (2, 2, 0, 0, 1)
    assert runs[bad.run_id][8] == "完成"
    problems = list(wb["配置备份异常"].iter_rows(values_only=True))[1:]
    assert [(r[1], r[2], r[3]) for r in problems] == [("lab-h3c-fl", "当前配置", "已隔离（输出不完整）")]
    assert problems[0][4].startswith("配置输出为空")
    text = "\n".join(p.text for p in Document(made.docx).paragraphs)
    assert "配置备份记录" in text and "涉及设备 2 台" in text
    cells = "\n".join(c.text for t in Document(made.docx).tables for row in t.rows for c in row.cells)
    assert "数据库及文件备份记录" in text and "测试应用数据年度脱机备份" in cells
    assert "恢复演练记录" in text and "恢复成功" in cells
    # the month's evidence pack carries the backup runs' records, under its root hash, and verifies
    import zipfile

    from cityops.report import evidence

    sealed = evidence.pack(paths.reports, inv, "6_10", parse_period(f"{now():%Y-%m}"))
    names = zipfile.ZipFile(sealed.path).namelist()
    carried = [json.loads(line) for line in zipfile.ZipFile(sealed.path).read("backups/ledger-lot6_10.jsonl").splitlines()]
    assert [(e.get("type", e.get("kind")), e.get("status")) for e in carried] == [  # the ledger's own lines, in order
        ("manual", "done"), ("run_start", None), ("run_end", "failed"), ("run_start", None), ("run_end", "verified"),
        ("drill", None)]
    assert "backups/ledger-lot6_10.jsonl" in sealed.files  # under the root hash
    for run_id in (good.run_id, bad.run_id):
        assert f"backups/{run_id}/results.jsonl" in names and f"backups/{run_id}/manifest.json" in sealed.files
    assert evidence.verify(sealed.path, paths.reports).ok
    # a results file rewritten after the run was sealed: the ledger says so and uses none of its lines
    results = bad.run_dir / "results.jsonl"
    results.write_text(results.read_text().replace("quarantined", "ok"))
    again = make_ledger(paths.reports, inv, "6_10", parse_period(f"{now():%Y-%m}"))
    rows = {r[0]: r for r in list(load_workbook(again.xlsx, read_only=True)["配置备份记录"].iter_rows(values_only=True))[1:]}
    assert rows[bad.run_id][3] == 0 and rows[bad.run_id][8].startswith("校验失败")
    from cityops.report.runs import ReportError

    with pytest.raises(ReportError, match="cannot be sealed"):  # sealing is vouching: not for a rewritten record
        evidence.pack(paths.reports, inv, "6_10", parse_period(f"{now():%Y-%m}"))


def test_a_device_gone_from_the_inventory_is_removed_and_every_command_is_audited(lab, paths):
    run(lab, paths, hosts=["lab-ios-rt"])
    store = ConfigStore(paths.store)
    store.write("gxj/dzzw/lab-retired-sw.cfg", "sysname lab-retired-sw\nreturn\n")
    store.commit("an earlier run's device")
    out = run(lab, paths, hosts=["lab-ios-rt"])
    assert out.tally.counts["removed"] == 1 and "gxj/dzzw/lab-retired-sw.cfg" not in store.files()
    assert "lab-retired-sw.cfg: removed (no longer in the inventory)" in store.git("log", "-1", "--format=%B")
    audit = [json.loads(line) for p in (paths.reports / "audit").glob("*.jsonl") for line in p.read_text().splitlines()]
    mine = [a for a in audit if a["run_id"] == out.run_id]
    assert [a["command"] for a in mine] == ["show running-config", "show startup-config"]
    assert all(a["host"] == "lab-ios-rt" and a["status"] == 0 and a["operator"] for a in mine)


@pytest.mark.parametrize(("fault", "status", "cause"), [("truncated_config", "quarantined", "incomplete"),
                                                         ("wrong_password", "failed", "auth")])
def test_a_web_console_export_is_judged_like_a_listing(lab, paths, lab_fault, fault, status, cause):
    first = run(lab, paths, hosts=["lab-ips"])
    assert row(first, "lab-ips")["status"] == "ok" and "# end of configuration" in ConfigStore(paths.store).read(
        "gxj/dzzw/lab-ips.cfg")
    lab_fault("lab-ips", fault)
    out = run(lab, paths, hosts=["lab-ips"])
    assert (row(out, "lab-ips")["status"], row(out, "lab-ips")["cause"]) == (status, cause)
    assert out.commit is None


def test_unsaved_changes_on_ios_and_nxos_whose_startup_listings_are_headed_otherwise(lab, paths, configured):
    """IOS heads its startup listing 'Using N out of M bytes', NX-OS '!Command: show startup-config': only a real
    difference counts as unsaved."""
    first = run(lab, paths, hosts=["lab-ios-rt", "lab-mds"])
    assert {r["host"]: r.get("unsaved_lines") for r in rows(first) if r["kind"] == "running"} == {
        "lab-ios-rt": 0, "lab-mds": 0}
    configured("lab-ios-rt", "snmp-server location Karamay-B2-3F")
    configured("lab-mds", "snmp-server contact noc", "snmp-server location Karamay-B2-3F")
    out = run(lab, paths, hosts=["lab-ios-rt", "lab-mds"])
    assert {r["host"]: r.get("unsaved_lines") for r in rows(out) if r["kind"] == "running"} == {
        "lab-ios-rt": 1, "lab-mds": 2}


def test_a_run_killed_inside_git_commit_is_recovered(lab, paths):
    """What a kill -9 during `git commit` leaves (git's index.lock, a half-written tree) is put back to the last
    commit before the next run writes anything, and said so."""
    run(lab, paths, hosts=["lab-ios-rt"])
    store = ConfigStore(paths.store)
    good = store.read("gxj/dzzw/lab-ios-rt.cfg")
    (paths.store / ".git" / "index.lock").write_text("")
    (paths.store / "gxj/dzzw/lab-ios-rt.cfg").write_text("half a listing\n")
    (paths.store / "gxj/dzzw/stray.cfg").write_text("a file the dead run never committed\n")
    out = run(lab, paths, hosts=["lab-ios-rt"])
    assert any("index.lock" in r for r in out.recovered) and any("uncommitted" in r for r in out.recovered)
    assert out.commit is None and store.read("gxj/dzzw/lab-ios-rt.cfg") == good
    assert not (paths.store / "gxj/dzzw/stray.cfg").exists() and store.fsck()[0]
    assert json.loads((out.run_dir / "manifest.json").read_text())["recovered"] == out.recovered


ARRAYS = ("lab-oceanstor", "lab-vnx")


def test_a_storage_arrays_configuration_is_its_tables_without_what_moves_by_itself(lab, paths, lab_fault):
    """An array's configuration is its LUN, host and mapping tables (ISM CLI) or blocks (naviseccli), one file each;
    health, subscribed capacity and current owner are left out, so a failed disk or a trespassed LUN is not a
    change of configuration, and an emptied table is quarantined."""
    first = run(lab, paths, ARRAYS)
    assert first.exit_status == 0 and first.tally.counts["added"] == 2, first.tally.counts
    store = ConfigStore(paths.store)
    ocean = store.show("HEAD", "gxj/szcs/lab-oceanstor.cfg")
    assert [ln for ln in ocean.splitlines() if ln.startswith("#### ")] == [
        f"#### show {t} general" for t in ("lun", "lun_group", "host", "host_group", "mapping_view")]
    assert "DB_LUN01" in ocean and "MV_APP" in ocean
    assert "Health Status" not in ocean and "Subscribed Capacity" not in ocean and "Normal" not in ocean
    vnx = store.show("HEAD", "gxj/szcs/lab-vnx.cfg")
    assert "Storage Group Name:    SG_DB" in vnx and "HLU/ALU Pairs:" in vnx and "Default Owner:" in vnx
    assert "Current Owner" not in vnx and "Consumed Capacity" not in vnx
    assert row(first, "lab-vnx")["command"].startswith("naviseccli -h 127.")  # {target}: the array's own SP

    for name in ARRAYS:  # state, not configuration
        lab_fault(name, "storage_disk_failed")
        lab_fault(name, "power_failed")
    again = run(lab, paths, ARRAYS)
    assert again.commit is None and again.tally.counts["unchanged"] == 2, again.tally.counts

    lab_fault("lab-oceanstor", "empty_config")
    bad = run(lab, paths, ["lab-oceanstor"])
    r = row(bad, "lab-oceanstor")
    assert r["status"] == "quarantined" and "show lun general" in r["detail"], r
    assert store.show("HEAD", "gxj/szcs/lab-oceanstor.cfg") == ocean  # the last good copy stands


def test_a_lun_created_on_an_array_is_one_commit_with_that_lun(lab, paths):
    inv, state = lab
    run(lab, paths, ARRAYS)
    s = open_session(inv.hosts["lab-oceanstor"], transport_config(AuditLog(state.path / "engineer-audit"),
                                                                  state.path))
    try:
        a = s.run("create lun name=DB_LUN09 pool_id=0 capacity=200GB")
        assert a.ok and "successfully" in a.stdout, a.stdout
    finally:
        s.close()
    try:
        out = run(lab, paths, ARRAYS)
        assert out.tally.counts["changed"] == 1 and out.commit, out.tally.counts
        store = ConfigStore(paths.store)
        patch = [ln for ln in store.git("show", "--format=", out.commit).splitlines()
                 if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
        added = [ln for ln in patch if ln.startswith("+")]
        assert any("DB_LUN09" in ln and "200.000GB" in ln for ln in added), patch
        assert len(added) == 2  # the LUN's row, and its LUN group's count (3 -> 4)
    finally:
        ConfigState(state).clear("lab-oceanstor")


def test_the_vault_forgets_old_passwords_but_never_a_day_of_its_window(tmp_path):
    """Full copies older than the window go (they hold old passwords), except the newest few and the one in force
    when the window opened, so a restore for any day of the window still has its copy."""
    from datetime import timedelta

    from cityops.backup.vault import STAMP, Vault
    from cityops.timeutil import now

    vault = Vault(tmp_path / "vault", "k" * 32)
    (tmp_path / "vault" / "sw1").mkdir(parents=True)
    ages = (800, 700, 500, 420, 300, 10)
    for age in ages:
        full = f"sysname sw1\n local-user admin password irreversible-cipher old{age}\nreturn\n"
        name = f"{(now() - timedelta(days=age)).strftime(STAMP)}_{vault.digest(full)}.enc"
        (tmp_path / "vault" / "sw1" / name).write_bytes(vault._fernet.encrypt(full.encode()))
    gone = vault.prune("sw1", keep_days=400, keep_last=2)
    assert len(gone) == 3 and not any(c.path.exists() for c in gone)
    left = vault.copies("sw1")
    assert [round((now() - c.taken).days, -1) for c in left] == [420, 300, 10]
    opening = vault.at("sw1", now() - timedelta(days=399))
    assert "old420" in vault.open_copy(opening)  # the first day of the window restores what was in force then
    assert vault.prune("sw1", keep_days=400, keep_last=2) == []  # nothing more to forget
    assert len(vault.prune("sw1", keep_days=1, keep_last=1)) == 2  # a day's window: the copy in force when it
    assert [round((now() - c.taken).days, -1) for c in vault.copies("sw1")] == [10]  # opened is also the newest
