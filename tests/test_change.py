"""`invoke change` against the lab: a reviewed change file applied to network devices — Cisco IOS through napalm
(merge file over SCP, the device's own diff, commit, its rollback file), VRP8 through netmiko with `commit`, VRP5
line by line and rolled back by replaying the configuration read before it — checked first, backed up, rehearsed,
read back, inspected, recorded."""

from __future__ import annotations

import datetime as dt
import json
import shutil

import pytest

from cityops.backup.history import diff
from cityops.backup.run import Paths, backup
from cityops.change.flow import NetChangeRequest, run
from cityops.change.netconfig import commands, load_change, preview, replay
from cityops.configtext import parse
from cityops.drivers import cli_driver
from cityops.errors import BadInput
from cityops.inspect.session import transport_config
from cityops.lab.netdev.configstate import ConfigState
from cityops.timeutil import BEIJING
from cityops.transport.audit import AuditLog
from cityops.transport.registry import open_session

from .conftest import REPO, run_invoke

CHANGE = REPO / "changes" / "2026-12-ntp-second-server.yml"


def tonight() -> dt.datetime:
    """A moment of the coming night inside the test lot's window (daily 01:00-05:00)."""
    return (dt.datetime.now(BEIJING) + dt.timedelta(days=1)).replace(hour=2, minute=30, second=0, microsecond=0)


@pytest.fixture
def reports(reports_with_files_ledger):
    return reports_with_files_ledger


@pytest.fixture
def devices(lab):
    """The devices a test changes, put back as `lab.up` rendered them afterwards (configuration and flash)."""
    _inv, state = lab
    touched: list[str] = []
    yield touched
    for name in touched:
        ConfigState(state).clear(name)
        shutil.rmtree(state.path / "flash" / name, ignore_errors=True)


def request(lab, reports, hosts, change=CHANGE, **kw) -> NetChangeRequest:
    inv, state = lab
    return NetChangeRequest([inv.hosts[h] for h in hosts], kw.pop("reason", "第二台时钟源（测试）"), reports=reports,
                            lab_dir=state.path, operator="测试", at=tonight(), change=load_change(change),
                            backups=reports.parent / "backups", **kw)


def listing(lab, name: str, which: str = "running_config") -> str:
    """The device's configuration as cityops reads it (the driver's reader: noise dropped, secrets masked)."""
    inv, state = lab
    h = inv.hosts[name]
    session = open_session(h, transport_config(AuditLog(state.path / "test-audit"), state.path))
    try:
        getter = session.driver.for_host(which, h)
        return getter.read(session.run(getter.command).stdout).text
    finally:
        session.close()


def audit_lines(reports) -> list[dict]:
    return [json.loads(line) for path in sorted((reports / "audit").glob("*.jsonl"))
            for line in path.read_text().splitlines()]


# -- the change file and the lines, without the lab ------------------------------------------------------------

BAD_FILES = {
    "secret": ("config:\n  huawei_vrp: |\n    snmp-agent community read cipher Kmy0Secret99\n", "holds a secret"),
    "save": ("config:\n  huawei_vrp: |\n    ntp-service unicast-server 127.0.0.2\n    save\n", "is not configuration"),
    "reload": ("config:\n  cisco_ios: |\n    reload in 5\n", "is not configuration"),
    "platform": ("config:\n  cisco_asa: |\n    ntp server 127.0.0.2\n", "not a platform cityops changes"),
    "indented": ("config:\n  huawei_vrp: \"  shutdown\\n\"\n", "the first line is indented"),
    "tab": ("config:\n  huawei_vrp: \"interface G0/0/1\\n\\tshutdown\\n\"\n", "no tabs"),
    "key": ("config:\n  huawei_vrp: |\n    x\nrun_after: reboot\n", "unknown key"),
    "empty": ("config: {}\n", "config: a mapping"),
}


@pytest.mark.parametrize("case", sorted(BAD_FILES))
def test_a_bad_change_file_is_refused_in_one_line_naming_the_file_and_the_cause(tmp_path, case):
    body, cause = BAD_FILES[case]
    path = tmp_path / f"{case}.yml"
    path.write_text("title: 测试变更\n" + body, encoding="utf-8")
    with pytest.raises(BadInput) as exc:
        load_change(path)
    message = str(exc.value)
    assert message.startswith(str(path)) and cause in message and "\n" not in message, message
    assert "Kmy0Secret99" not in message


def test_every_reviewed_change_file_loads():
    """CI validates the change files a pull request adds, as it validates the inventory."""
    files = sorted((REPO / "changes").glob("*.yml"))
    assert files
    for path in files:
        change = load_change(path)
        assert change.title and change.config and len(change.sha256) == 64


def test_lines_are_typed_section_by_section_and_a_replay_undoes_a_change():
    vrp = cli_driver("huawei_vrp").change
    text = "interface GigabitEthernet0/0/3\n description to-cam\n shutdown\nntp-service unicast-server 127.0.0.2\nvlan 30"
    assert commands(text, vrp) == ["interface GigabitEthernet0/0/3", "description to-cam", "shutdown", "quit",
                                   "ntp-service unicast-server 127.0.0.2", "vlan 30", "quit"]
    ios = cli_driver("cisco_ios").change
    assert commands("interface Gi0/0/1\n no shutdown\nntp server 127.0.0.2", ios) == [
        "interface Gi0/0/1", "no shutdown", "exit", "ntp server 127.0.0.2"]
    before = parse("#\n sysname a\n#\ninterface G1\n description old\n port default vlan 10\n#\nreturn")
    after = parse("#\n sysname a\n#\ninterface G1\n description new\n port default vlan 10\n shutdown\n#\n"
                  "ntp-service unicast-server 127.0.0.2\nacl number 2000\n rule 5 permit\n#\nreturn")
    assert replay(before, after, vrp) == ["undo ntp-service unicast-server 127.0.0.2", "undo acl number 2000",
                                          "interface G1", "undo shutdown", "description old", "quit"]
    assert replay(before, before, vrp) == []
    assert preview("interface G1\n undo description\n shutdown\nntp-service x", before, vrp) == [
        "-[interface G1] description old", "+[interface G1] shutdown", "+ntp-service x"]


# -- against the lab ---------------------------------------------------------------------------------------------

def test_an_ios_change_through_napalm_is_rehearsed_then_applied_saved_and_in_the_next_backup(lab, reports, devices):
    inv, _state = lab
    devices.append("lab-ios-rt")
    before = listing(lab, "lab-ios-rt")
    rehearsed = run(inv, request(lab, reports, ["lab-ios-rt"]))
    assert rehearsed.result == "rehearsed", rehearsed.lines
    plan = rehearsed.record["plan"]["lab-ios-rt"]
    assert plan["method"] == "napalm ios" and plan["diff"] == ["+ntp server 127.0.0.2"], plan
    assert plan["backup_commit"] and rehearsed.record["change_file"]["sha256"]
    assert listing(lab, "lab-ios-rt") == before  # napalm's candidate discarded, `file prompt quiet` taken out

    applied = run(inv, request(lab, reports, ["lab-ios-rt"], apply=True))
    assert applied.result == "completed", applied.lines
    assert applied.record["batches"][0]["applied"][0]["changed"] == ["+ntp server 127.0.0.2"]
    running, startup = listing(lab, "lab-ios-rt"), listing(lab, "lab-ios-rt", "startup_config")
    for text in (running, startup):
        assert "ntp server 127.0.0.2" in text and "file prompt quiet" not in text
    sent = [a["command"] for a in audit_lines(reports) if a["host"] == "lab-ios-rt"]
    assert "copy bootflash:/merge_config.txt running-config" in sent  # napalm's merge, audited under the change
    assert "show archive config incremental-diffs bootflash:/merge_config.txt ignorecase" in sent
    paths = Paths(root=reports.parent / "backups", reports=reports)
    after = backup(inv, [inv.hosts["lab-ios-rt"]], selection={"test": True}, paths=paths, lab_dir=lab[1].path)
    assert after.tally.counts["changed"] == 2  # the running and the startup configuration: saved
    assert "+ntp server 127.0.0.2" in diff(inv.hosts["lab-ios-rt"], paths).splitlines()


@pytest.mark.parametrize(("host", "method"), [("lab-vrp8-agg", "netmiko commit"), ("lab-h3c-fl", "netmiko")])
def test_a_vrp8_change_is_committed_and_a_comware_one_typed_then_saved(lab, reports, devices, host, method):
    """VRP8 keeps the typed lines as a candidate until `commit`; Comware takes each line as typed. Both are saved
    (their own save dialogs, through netmiko), and the next backup's diff shows the line."""
    inv, _state = lab
    devices.append(host)
    out = run(inv, request(lab, reports, [host], apply=True))
    assert out.result == "completed", out.lines
    assert out.record["plan"][host]["method"] == method
    for which in ("running_config", "startup_config"):
        assert "ntp-service unicast-server 127.0.0.2" in listing(lab, host, which)
    sent = [a["command"] for a in audit_lines(reports) if a["host"] == host]
    at = sent.index("ntp-service unicast-server 127.0.0.2")
    assert sent[at - 1] == "system-view" and sent[at + 1:at + 3] == (
        ["commit", "return"] if method.endswith("commit") else ["return", "save force"])  # Comware: netmiko saves so
    paths = Paths(root=reports.parent / "backups", reports=reports)
    backup(inv, [inv.hosts[host]], selection={"test": True}, paths=paths, lab_dir=lab[1].path)
    assert "+ntp-service unicast-server 127.0.0.2" in diff(inv.hosts[host], paths).splitlines()


def test_a_vrp5_change_that_breaks_a_peer_is_rolled_back_by_replaying_the_backup(lab, lab_fault, reports, devices):
    """The post-check fails (a critical alarm once the line is in), the batch is undone line by line from the
    configuration read before the change, the device is inspected again, and the next device is never touched."""
    inv, _state = lab
    devices += ["lab-vrp-core", "lab-ne80e"]
    lab_fault("lab-vrp-core", "alarm_on_change", match="ntp-service unicast-server 127.0.0.2")
    before = {n: listing(lab, n) for n in devices}
    out = run(inv, request(lab, reports, ["lab-vrp-core", "lab-ne80e"], apply=True))
    assert out.result == "stopped", out.lines
    batch = out.record["batches"][0]
    assert batch["applied"][0]["ok"]  # it landed and read back; the inspection after is what failed
    assert any(check == "NET-ALM-001" for _h, check, _s, _m in batch["after"]["not_passing"])
    assert batch["rollback"][0]["ok"] and batch["rollback"][0]["changed"] == [
        "undo ntp-service unicast-server 127.0.0.2"], batch["rollback"]
    assert batch["after_rollback"]["not_passing"] == []
    assert out.record["untouched"] == ["lab-ne80e"] and "回退后复核通过" in out.record["rollback"]
    assert {n: listing(lab, n) for n in devices} == before
    assert "ntp-service unicast-server 127.0.0.2" not in listing(lab, "lab-vrp-core", "startup_config")
    paths = Paths(root=reports.parent / "backups", reports=reports)
    again = backup(inv, [inv.hosts["lab-vrp-core"]], selection={"test": True}, paths=paths, lab_dir=lab[1].path)
    assert again.tally.counts["unchanged"] == 2  # running and startup: as they were before the change
    from openpyxl import load_workbook

    from cityops.report.ledger import make_ledger
    from cityops.report.runs import parse_period

    made = make_ledger(reports, inv, "6_10", parse_period(f"{tonight():%Y-%m}"))  # the month's 运维台账
    rows = list(load_workbook(made.xlsx, read_only=True)["变更记录"].iter_rows(values_only=True))
    mine = next(r for r in rows if r[0] == out.change_id)
    assert mine[2] == "网络配置变更" and mine[7] == "实施" and mine[8].startswith("已中止")
    assert "回退后复核通过" in mine[9] and mine[10] == "lab-ne80e" and mine[11].endswith("变更方案.docx")


def test_invoke_change_refuses_a_bad_file_and_a_device_it_cannot_change(lab, reports, tmp_path):
    bad = tmp_path / "bad.yml"
    bad.write_text("title: x\nconfig:\n  huawei_vrp: |\n    save\n", encoding="utf-8")
    out = run_invoke("change", str(bad), "--host", "lab-vrp-core", "--reason", "测试")
    assert out.returncode == 4 and "is not configuration" in out.stderr and "Traceback" not in out.stderr
    inv, _state = lab
    refused = run(inv, request(lab, reports, ["lab-mds"]))
    assert refused.result == "refused" and "lab-mds（平台 cisco_nxos 不经本命令变更配置）" in refused.record["refused_because"]


def test_an_ios_change_that_fails_its_post_check_is_undone_by_napalms_rollback(lab, lab_fault, reports, devices):
    """napalm keeps the running configuration as its rollback file before the commit; the rollback replaces the
    running configuration with it (`configure replace … force`) and saves."""
    inv, _state = lab
    devices.append("lab-ios-rt")
    lab_fault("lab-ios-rt", "alarm_on_change", match="ntp server 127.0.0.2")
    before = listing(lab, "lab-ios-rt")
    out = run(inv, request(lab, reports, ["lab-ios-rt"], apply=True))
    assert out.result == "stopped", out.lines
    undone = out.record["batches"][0]["rollback"][0]
    assert undone["ok"] and "napalm rollback" in undone["detail"], undone
    assert out.record["batches"][0]["after_rollback"]["not_passing"] == []
    assert listing(lab, "lab-ios-rt") == before
    assert "ntp server 127.0.0.2" not in listing(lab, "lab-ios-rt", "startup_config")
    sent = [a["command"] for a in audit_lines(reports) if a["host"] == "lab-ios-rt"]
    assert "configure replace bootflash:/rollback_config.txt force" in sent


def test_the_labs_configuration_mode_keeps_sections_and_vrp8s_candidate(lab, devices):
    """What the change route relies on, as the devices behave: a line typed in an interface's view belongs to that
    interface (its `shutdown` takes the port down), VRP8 shows nothing typed until `commit` (`[*name]` meanwhile)."""
    inv, state = lab
    devices += ["lab-vrp-core", "lab-vrp8-agg"]
    config = transport_config(AuditLog(state.path / "test-audit"), state.path)
    s = open_session(inv.hosts["lab-vrp-core"], config)
    try:
        for line in ("system-view", "interface GigabitEthernet0/0/3", "description 测试端口", "shutdown", "quit",
                     "return"):
            assert s.run(line).ok, line
        brief = s.run("display interface brief").stdout
    finally:
        s.close()
    assert any(ln.startswith("GigabitEthernet0/0/3") and "*down" in ln for ln in brief.splitlines()), brief
    entries = parse(listing(lab, "lab-vrp-core"))
    assert ("interface GigabitEthernet0/0/3", "shutdown") in entries
    assert ("interface GigabitEthernet0/0/3", "description 测试端口") in entries
    assert ("", "shutdown") not in entries
    s = open_session(inv.hosts["lab-vrp8-agg"], config)
    try:
        conn = s.driven()
        assert s.run("system-view").ok and s.run("ntp-service unicast-server 127.0.0.9").ok
        assert conn.find_prompt() == "[*lab-vrp8-agg]"
        assert "127.0.0.9" not in listing(lab, "lab-vrp8-agg")  # a candidate, not yet the running configuration
        assert s.run("commit").ok and conn.find_prompt() == "[~lab-vrp8-agg]"
        assert "ntp-service unicast-server 127.0.0.9" in listing(lab, "lab-vrp8-agg")
        assert s.run("return").ok
    finally:
        s.close()


def test_an_overdue_signature_library_becomes_a_planned_change_and_is_updated(lab, lab_fault, reports, devices):
    """SEC-SIG-001 stays the source of truth: its failing finding does not refuse the change that puts it right; the
    plan names each overdue library, the appliance's own online update applies it, and the libraries read back new."""
    from cityops.change.flow import SignatureRequest

    inv, state = lab
    devices.append("lab-topsec")
    lab_fault("lab-topsec", "signature_outdated", days="45")

    def request_signatures(**kw):
        return SignatureRequest([inv.hosts["lab-topsec"]], "特征库超期（测试）", reports=reports, lab_dir=state.path,
                                operator="测试", at=tonight(), **kw)

    rehearsed = run(inv, request_signatures())
    assert rehearsed.result == "rehearsed", rehearsed.lines
    assert [b[1] for b in rehearsed.record["before"]["not_passing"]] == ["SEC-SIG-001"]  # what the change is for
    planned = rehearsed.record["plan"]["lab-topsec"]["updates"]
    assert len(planned) == 2 and all("45 天未更新" in p for p in planned), planned
    out = run(inv, request_signatures(apply=True))
    assert out.result == "completed", out.lines
    assert out.record["batches"][0]["after"]["not_passing"] == []  # SEC-SIG-001 passes after the update
    sent = [a["command"] for a in audit_lines(reports) if a["host"] == "lab-topsec"]
    assert "ips signature update online" in sent and "av signature update online" in sent
    again = run(inv, request_signatures())
    assert again.record["plan"]["lab-topsec"]["updates"] == []
