"""`invoke backup` against the lab: the store, its completeness checks, secrets, the vault, and what survives a kill.

Every test has its own backups root and reports directory; configuration changes are made on the lab devices
the way an engineer makes them (configuration mode over SSH) and taken back out afterwards.
"""

from __future__ import annotations

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
from cityops.transport.audit import AuditLog
from cityops.transport.registry import open_session

from .conftest import BIN, LAB_INV, REPO, wait_for

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
        s = open_session(h, transport_config(AuditLog(state.path / "engineer-audit.jsonl"), state.path))
        try:
            for cmd in (enter, *lines, leave, *(("save",) if save and leave == "return" else
                                                ("write memory",) if save else ())):
                assert s.run(cmd).ok, cmd
        finally:
            s.close()

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
    assert c["collected"] == c["added"] == 17 and c["failed"] == c["quarantined"] == 0
    assert c["unsupported"] == 6  # FOS, storage, web appliances: listed, not silently left out
    store = ConfigStore(paths.store)
    assert len(store.log()) == 2  # the store's own first commit, and this run's
    assert "gxj/dzzw/lab-vrp-core.cfg" in store.files() and "gxj/dzzw/lab-ios-rt.startup.cfg" in store.files()
    second = run(lab, paths)
    assert second.commit is None and second.exit_status == 0
    assert second.tally.counts["unchanged"] == 17 and len(store.log()) == 2


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
    # saved: now the startup configuration changes too
    configured("lab-vrp-core", save=True)
    saved = run(lab, paths)
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
    cfg = transport_config(AuditLog(state.path / "engineer-audit.jsonl"), state.path)
    for name in ("lab-vrp-core", "lab-h3c-fl", "lab-ios-rt", "lab-mds", "lab-topsec"):
        h = inv.hosts[name]
        s = open_session(h, cfg)
        command = drivers.get(h.get("platform")).getter("running_config").command
        raw = s.run(command).stdout
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
    audit = AuditLog(tmp_path / "audit.jsonl", "restore-file", "tester")
    creds = transport_config(audit, state.path).credentials
    out = restore_file(host, paths, creds, None, tmp_path / "restore" / "core.cfg", REPO, audit)
    text = out.read_text()
    assert "radius-server shared-key cipher NewKey2026y" in text and "OldKey2025x" not in text
    assert out.stat().st_mode & 0o777 == 0o600
    assert json.loads((tmp_path / "audit.jsonl").read_text().splitlines()[-1])["command"].startswith("restore-file")
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
    cmd = [str(BIN / "invoke"), "backup", "--inventory", str(LAB_INV), "--lab", str(state.path), "--backups",
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
    assert after.status == "complete" and after.tally.counts["collected"] == 17
    ok, report = store.fsck()
    assert ok, report
    assert set(store.files()) == set(before) and not store.git("status", "--porcelain").strip()
    for rel, text in before.items():
        assert store.read(rel) == text  # nothing changed on the devices: every copy as it was
