"""`invoke inspect` against the test lab: healthy runs, every check's fault, connection failures, records, secrets."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import time
import xml.etree.ElementTree as ET

import pytest

from cityops.inspect import record
from cityops.inspect.catalogue import CHECKS_DIR, check, load_catalogue
from cityops.inspect.session import inspect

from .conftest import BIN, REPO

# Every check, the lab host and fault that must make it fail (kwargs are the fault's parameters).
FAULT_FOR = {
    "LNX-FS-001": ("lab-linux-app", "disk_full", {}),
    "LNX-FS-002": ("lab-linux-app", "inode_exhausted", {}),
    "LNX-MEM-001": ("lab-linux-app", "memory_high", {}),
    "LNX-CPU-001": ("lab-linux-app", "cpu_high", {}),
    "LNX-SVC-001": ("lab-linux-app", "service_down", {}),
    "LNX-NTP-001": ("lab-linux-app", "ntp_drift", {}),
    "LNX-LOG-001": ("lab-linux-app", "io_errors", {}),
    "LNX-PATCH-001": ("lab-linux-app", "patch_old", {}),
    "LNX-PATCH-002": ("lab-linux-app", "updates_pending", {}),
    "NET-CPU-001": ("lab-vrp-core", "cpu_high", {}),
    "NET-MEM-001": ("lab-h3c-fl", "memory_high", {}),
    "NET-FAN-001": ("lab-ios-rt", "fan_failed", {}),
    "NET-PWR-001": ("lab-vrp8-agg", "power_failed", {}),
    "NET-TEMP-001": ("lab-mds", "temperature_high", {}),
    "NET-ALM-001": ("lab-vrp-core", "alarm_active", {}),
    "NET-DEV-001": ("lab-vrp8-agg", "stack_member_offline", {"slot": "1"}),
    "NET-CRC-001": ("lab-ne80e", "crc_errors", {"per_minute": "12000"}),
    "NET-VER-001": ("lab-vrp-core", "device_swapped", {}),
    "ORA-CRS-001": ("lab-rac1", "rac_resource_offline", {}),
    "ORA-INST-001": ("lab-rac2", "rac_instance_down", {}),
    "ORA-LSNR-001": ("lab-linux-ora", "listener_down", {}),
    "ORA-SCAN-001": ("lab-rac1", "scan_offline", {}),
    "ORA-ASM-001": ("lab-rac1", "asm_full", {}),
    "ORA-TBS-001": ("lab-linux-ora", "tablespace_full", {}),
    "ORA-TEMP-001": ("lab-linux-ora", "temp_full", {}),
    "ORA-FRA-001": ("lab-linux-ora", "fra_full", {}),
    "ORA-RMAN-001": ("lab-linux-ora", "rman_old", {}),
    "ORA-BAK-002": ("lab-rac1", "rman_old", {"days": "2"}),  # the RAC's declared schedule, two days behind
    "BAK-FILE-001": ("lab-linux-app", "data_dir_moved", {}),  # a directory its files backup archives, gone
    "ORA-ARCH-001": ("lab-linux-ora", "archive_dest_error", {}),
    "ORA-ALERT-001": ("lab-rac1", "ora_errors", {}),
    "WIN-DISK-001": ("lab-sqla", "disk_full", {}),
    "WIN-SVC-001": ("lab-sqla", "service_down", {}),
    "WIN-PATCH-001": ("lab-sqla", "patch_old", {}),
    "MSSQL-NODE-001": ("lab-sqla", "sqlserver_node_down", {}),
    "MSSQL-DB-001": ("lab-sqla", "sql_db_suspect", {}),
    "MSSQL-JOB-001": ("lab-sqla", "sql_job_failed", {}),
    "MSSQL-BAK-001": ("lab-sqla", "sql_backup_old", {}),
    "MSSQL-BAK-002": ("lab-sqla", "sql_backup_old", {"days": "2"}),  # two days behind its daily differential
    "MSSQL-LOG-001": ("lab-sqla", "sql_errors", {}),
    "BMC-FAN-001": ("lab-linux-app", "fan_failed", {}),
    "BMC-PSU-001": ("lab-linux-ora", "power_failed", {}),
    "BMC-TEMP-001": ("lab-linux-app", "temperature_high", {"celsius": "45"}),
    "UPS-PWR-001": ("lab-ups", "ups_on_battery", {}),
    "UPS-BAT-001": ("lab-ups", "ups_battery_low", {}),
    "AC-TEMP-001": ("lab-ac", "temperature_high", {"celsius": "31"}),
    "AC-HUM-001": ("lab-ac", "humidity_high", {}),
    "AC-ALM-001": ("lab-ac", "ac_alarm", {}),
    "PRN-TONER-001": ("lab-printer", "toner_low", {}),
    "WEB-HTTP-001": ("lab-web", "refused", {}),
    "WEB-TIME-001": ("lab-web", "site_slow", {"seconds": "15.5"}),
    "WEB-UPD-001": ("lab-web", "site_stale", {}),
    "WEB-LINK-001": ("lab-web", "broken_links", {}),
    "WEB-CERT-001": ("lab-web", "cert_expiring", {}),
    "WEB-IPV6-001": ("lab-web", "refused", {}),
    "SEC-SIG-001": ("lab-topsec", "signature_outdated", {}),
    "SEC-CPU-001": ("lab-ips", "cpu_high", {}),
    "SEC-MEM-001": ("lab-topsec", "memory_high", {}),
    "SEC-DISK-001": ("lab-topsec", "disk_full", {}),
    "SEC-HW-001": ("lab-ips", "power_failed", {}),
    "SEC-ALM-001": ("lab-topsec", "alarm_active", {}),
    "GAP-UNIT-001": ("lab-gap", "power_failed", {}),
    "STO-DISK-001": ("lab-oceanstor", "storage_disk_failed", {}),
    "STO-POOL-001": ("lab-oceanstor", "storage_pool_full", {}),
    "STO-HEALTH-001": ("lab-oceanstor", "power_failed", {}),
    "FC-ERR-001": ("lab-fos", "fc_port_errors", {"per_minute": "12000"}),
    "FC-HW-001": ("lab-fos", "fan_failed", {}),
    "FC-TEMP-001": ("lab-fos", "temperature_high", {}),
    "AIX-FS-001": ("lab-aix", "disk_full", {}),
    "AIX-FS-002": ("lab-aix", "inode_exhausted", {}),
    "AIX-ERR-001": ("lab-aix", "io_errors", {}),
    "AIX-PV-001": ("lab-aix", "io_errors", {}),
    "AIX-SRC-001": ("lab-aix", "service_down", {"service": "xntpd"}),
    "ESX-DS-001": ("lab-esx", "disk_full", {}),
    "ESX-PATH-001": ("lab-esx", "io_errors", {}),
    "BAK-JOB-001": ("lab-backup", "backup_job_failed", {}),
}
GROWTH = ("NET-CRC-001", "FC-ERR-001")  # counters that must not rise: a baseline run comes first
# Further faults a check must catch besides its main one.
MORE_FAULTS = [("ORA-RMAN-001", "lab-rac2", "rman_failed", {}),
               ("NET-VER-001", "lab-mds", "device_swapped", {}),
               ("NET-FAN-001", "lab-ce", "fan_failed", {}),  # the CloudEngine's own environment tables
               ("NET-PWR-001", "lab-ce", "power_failed", {}),
               ("NET-TEMP-001", "lab-ce", "temperature_high", {}),  # each platform's version answer, swapped
               ("NET-VER-001", "lab-ios-rt", "device_swapped", {}),
               ("NET-VER-001", "lab-h3c-fl", "device_swapped", {}),
               ("MSSQL-NODE-001", "lab-sqlb", "sqlserver_node_down", {}),
               ("BMC-FAN-001", "lab-linux-ora", "fan_failed", {}),  # Redfish as well as IPMI
               ("BMC-PSU-001", "lab-linux-app", "power_failed", {}),
               ("BMC-TEMP-001", "lab-linux-ora", "temperature_high", {"celsius": "45"}),
               ("SEC-SIG-001", "lab-ips", "signature_outdated", {}),
               ("SEC-ALM-001", "lab-gap", "alarm_active", {}),
               ("SEC-DISK-001", "lab-ips", "disk_full", {}),
               ("STO-DISK-001", "lab-vnx", "storage_disk_failed", {}),
               ("STO-POOL-001", "lab-vnx", "storage_pool_full", {}),
               ("STO-HEALTH-001", "lab-vnx", "storage_disk_failed", {}),
               ("STO-DISK-001", "lab-backup", "storage_disk_failed", {}),
               ("STO-POOL-001", "lab-backup", "storage_pool_full", {}),
               ("STO-HEALTH-001", "lab-backup", "storage_disk_failed", {}),
               ("BAK-JOB-001", "lab-backup", "backup_old", {"days": "4"})]


@pytest.fixture(autouse=True)
def seeded_ledger(files_ledger, tmp_path):
    target = tmp_path / "reports" / "backups" / "ledger.jsonl"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(files_ledger, target)


def run(lab, tmp_path, hosts=None, only=None, cadence=None, **kw):
    inv, state = lab
    chosen = [inv.hosts[h] for h in hosts] if hosts else list(inv.hosts.values())
    outcome = inspect(inv, chosen, cadence=cadence, selection={"host": ",".join(hosts or [])},
                      reports=tmp_path / "reports", lab_dir=state.path, only=only, **kw)
    return outcome, record.read_results(outcome.run_dir / "results.jsonl")


LISTENER_FAULTS = ("refused", "unreachable", "cert_expiring")  # what a server changes on its next look (every 0.2 s)


def settle(lab, host: str, at_least: float = 0.0, kind: str | None = None) -> None:
    """Servers answer with the faults of the moment (one stat of faults.json per answer); what changes a listener
    (closed, a black hole, another certificate) waits for the server's next look at faults.json, every 0.2 s.
    `kind` names the fault set or cleared: only those wait; unnamed, any non-sshd server is given its look."""
    served = json.loads(lab[1].lab_file.read_text())["served"][host]["server"]
    listener = kind is None or kind in LISTENER_FAULTS
    time.sleep(max(at_least, 0.5 if served != "sshd" and listener else 0.0))


def by_key(rows):
    return {(r["host"], r["check_id"]): r for r in rows}


def test_healthy_lab_every_check_on_every_host_it_applies_to(lab, tmp_path):
    inv, _ = lab
    catalogue = load_catalogue()
    outcome, rows = run(lab, tmp_path)
    expected = {(h.name, c.id) for h in inv.hosts.values() for c in catalogue.values() if c.applies(h)}
    assert set(by_key(rows)) == expected and len(rows) == len(expected)  # checks × hosts = results, once each
    bad = [(r["host"], r["check_id"], r["status"], r["message"]) for r in rows if r["status"] not in ("pass", "skip")]
    assert bad == []
    skipped = {(r["host"], r["check_id"]) for r in rows if r["status"] == "skip"}
    assert skipped == {("lab-sqlb", c) for c in ("MSSQL-DB-001", "MSSQL-JOB-001", "MSSQL-BAK-001", "MSSQL-BAK-002",
                                                 "MSSQL-LOG-001")}
    assert outcome.exit_status == 0 and outcome.status == "complete"
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["results"] == manifest["expected_results"] == len(rows)
    assert manifest["period_slot"].endswith(("上午", "下午")) and manifest["started"].endswith("+08:00")
    assert manifest["lots"] == ["6_10"] and "6_10_network" in manifest["subsystems"]
    for name in ("results.jsonl", "junit.xml"):  # the manifest names every file by its sha256
        assert manifest["files"][name] == record.sha256_file(outcome.run_dir / name)
    suites = ET.parse(outcome.run_dir / "junit.xml").getroot()
    assert sum(int(s.get("tests")) for s in suites) == len(rows)
    one = rows[0]
    assert one["evidence"] and all(len(e["sha256"]) == 64 and e["collected"].endswith("+08:00") for e in one["evidence"])


@pytest.mark.parametrize(("check_id", "host", "kind", "params"),
                         [(c, *FAULT_FOR[c]) for c in sorted(FAULT_FOR)] + MORE_FAULTS)
def test_every_check_fails_on_its_fault_and_clears(lab, lab_fault, tmp_path, check_id, host, kind, params):
    from cityops.lab import control

    if check_id in GROWTH:
        _, rows = run(lab, tmp_path, [host], {check_id})
        assert rows[0]["status"] == "pass" and "基线" in rows[0]["message"]
    lab_fault(host, kind, **params)
    settle(lab, host, 1.0 if check_id in GROWTH else 0.0, kind)
    _, rows = run(lab, tmp_path, [host], {check_id})
    assert [(r["host"], r["check_id"], r["status"]) for r in rows] == [(host, check_id, "fail")], rows
    r = rows[0]
    assert r["remedy"] and r["message"].startswith(r["title"]) and r["evidence"][0]["command"]
    control.set_fault(lab[1], lab[0], host, "all", clear=True)
    settle(lab, host, kind=kind)
    _, rows = run(lab, tmp_path, [host], {check_id})
    assert rows[0]["status"] == "pass", rows[0]["message"]


def test_every_check_has_a_fault():
    assert set(load_catalogue()) == set(FAULT_FOR)


@pytest.mark.parametrize(("host", "kind", "cause"), [
    ("lab-linux-app", "unreachable", "timeout"),
    ("lab-linux-ora", "refused", "refused"),
    ("lab-rac1", "wrong_password", "auth"),
    ("lab-vrp-core", "unreachable", "timeout"),
    ("lab-mds", "refused", "refused"),
    ("lab-vrp8-agg", "wrong_password", "auth"),
    ("lab-h3c-fl", "garbage", "garbage"),
    ("lab-rac2", "garbage", "garbage"),
])
def test_connection_failures_are_errors_with_their_cause(lab, lab_fault, tmp_path, monkeypatch, host, kind, cause):
    from cityops.lab import control

    from .conftest import wait_for

    if kind == "garbage":  # garbage is known when the login's probe gets no sensible answer within the login time
        monkeypatch.setenv("CITYOPS_LOGIN_TIMEOUT", "6")
    lab_fault(host, kind)
    if kind in ("unreachable", "refused"):  # the device server swaps its listener on its next look (0.2 s)
        address = lab[0].hosts[host].get("ansible_host")
        assert wait_for(lambda: not control.probe(address, timeout=0.3)[0])
    other = "lab-linux-ora" if host != "lab-linux-ora" else "lab-linux-app"
    outcome, rows = run(lab, tmp_path, [host, other])
    mine = [r for r in rows if r["host"] == host and not r["check_id"].startswith("BMC-")]
    # the BMC is its own endpoint: it answers when the operating system does not
    assert {r["status"] for r in rows if r["host"] == host and r["check_id"].startswith("BMC-")} <= {"pass"}
    if host == "lab-rac2":  # the lab garbles the server's commands, not /proc files read with cat: those stay readable
        mine = [r for r in mine if r["status"] != "pass"]
        assert {"LNX-FS-001", "LNX-NTP-001"} <= {r["check_id"] for r in mine}
    assert mine and {r["status"] for r in mine} == {"error"} and {r["cause"] for r in mine} == {cause}
    assert all(r["value"] is None and r["message"] for r in mine)
    assert {r["status"] for r in rows if r["host"] == other} == {"pass"}  # the run went on for the others
    assert outcome.exit_status == 2
    if cause in ("timeout", "refused", "auth"):  # one attempt per host, not one per check
        audit = next((tmp_path / "reports" / "audit").glob("*.jsonl"))
        attempts = [e for e in map(json.loads, audit.read_text().splitlines()) if e["host"] == host]
        assert [(e["command"], e["status"]) for e in attempts if e["protocol"] in ("ssh", "ssh-cli")] == \
            [("<login>", cause)]


def test_slow_host_is_cut_at_its_time_limit(lab, lab_fault, tmp_path):
    lab_fault("lab-ios-rt", "slow", seconds="30")
    t0 = time.monotonic()
    _, rows = run(lab, tmp_path, ["lab-ios-rt", "lab-vrp-core"], host_timeout=4)
    assert time.monotonic() - t0 < 15
    assert {r["cause"] for r in rows if r["host"] == "lab-ios-rt"} == {"host_timeout"}
    assert {r["status"] for r in rows if r["host"] == "lab-vrp-core"} == {"pass"}


def test_changed_or_unknown_host_key_is_refused(lab, tmp_path, monkeypatch):
    inv, state = lab
    lines = state.known_hosts.read_text().splitlines()
    keys = {ln.split()[0]: ln.split(None, 1)[1] for ln in lines}
    srv, net = inv.hosts["lab-linux-app"].get("ansible_host"), inv.hosts["lab-vrp-core"].get("ansible_host")
    other_srv = inv.hosts["lab-linux-ora"].get("ansible_host")
    forged = [f"{srv} {keys[other_srv]}" if ln.startswith(srv + " ") else ln for ln in lines]  # a different key
    forged = [ln for ln in forged if not ln.startswith(net + " ")]  # and one host not registered at all
    path = tmp_path / "known_hosts"
    path.write_text("\n".join(forged) + "\n")
    monkeypatch.setenv("CITYOPS_KNOWN_HOSTS", str(path))
    _, rows = run(lab, tmp_path, ["lab-linux-app", "lab-vrp-core", "lab-rac1"])
    causes = {r["host"]: {x["cause"] for x in rows if x["host"] == r["host"] and not x["check_id"].startswith("BMC-")}
              for r in rows}
    assert causes == {"lab-linux-app": {"host_key_changed"}, "lab-vrp-core": {"host_key_unknown"}, "lab-rac1": {""}}


def test_hashed_known_hosts_verify_like_plain_ones(lab, tmp_path, monkeypatch):
    """OpenSSH's HashKnownHosts form (`ssh-keygen -H`) is read too: the hosts pass, a forged key still fails."""
    inv, state = lab
    path = tmp_path / "known_hosts"
    srv, other = inv.hosts["lab-linux-app"].get("ansible_host"), inv.hosts["lab-linux-ora"].get("ansible_host")
    lines = state.known_hosts.read_text().splitlines()
    keys = {ln.split()[0]: ln.split(None, 1)[1] for ln in lines}
    path.write_text("\n".join(f"{srv} {keys[other]}" if ln.startswith(srv + " ") else ln for ln in lines) + "\n")
    subprocess.run(["ssh-keygen", "-H", "-f", str(path)], check=True, capture_output=True)
    assert "|1|" in path.read_text() and srv not in path.read_text()
    monkeypatch.setenv("CITYOPS_KNOWN_HOSTS", str(path))
    _, rows = run(lab, tmp_path, ["lab-linux-app", "lab-vrp-core", "lab-rac1"])
    causes = {h: {x["cause"] for x in rows if x["host"] == h and not x["check_id"].startswith("BMC-")}
              for h in ("lab-linux-app", "lab-vrp-core", "lab-rac1")}
    assert causes == {"lab-linux-app": {"host_key_changed"}, "lab-vrp-core": {""}, "lab-rac1": {""}}


def test_a_login_timer_firing_is_not_called_a_wrong_password():
    """paramiko's auth timer, wrapped by netmiko as 'Authentication to device failed', is a slow login."""
    import paramiko
    from netmiko.exceptions import NetmikoAuthenticationException

    from cityops.transport.base import classify_ssh

    def wrapped(inner):
        try:
            try:
                raise inner
            except paramiko.AuthenticationException as exc:
                raise NetmikoAuthenticationException("Authentication to device failed.") from exc
        except NetmikoAuthenticationException as outer:
            return outer

    assert classify_ssh("h", wrapped(paramiko.AuthenticationException("Authentication timeout."))).cause == "read_timeout"
    assert classify_ssh("h", wrapped(paramiko.AuthenticationException("Authentication failed."))).cause == "auth"


def test_no_secret_reaches_audit_results_or_messages(lab, tmp_path):
    import yaml

    _inv, state = lab
    password = yaml.safe_load(state.credentials_file.read_text())["gxj_linux"]["password"]

    @check("TEST-SECRET-001", "测试：口令不外泄", platforms=("linux",), remedy="无", severity="minor")
    def planted(host, ctx):  # a command that carries the login password, as a careless sqlplus user/pass would
        ctx.run(f"echo 'connect opsadmin/{password}'; echo 'snmp-agent community read cipher Xy9#secret'")
        raise ValueError(f"planted failure mentioning {password}")

    try:
        _, rows = run(lab, tmp_path, ["lab-linux-app"], {"TEST-SECRET-001"})
    finally:
        from cityops.inspect.catalogue import REGISTRY
        REGISTRY.pop("TEST-SECRET-001")
    assert rows[0]["status"] == "error" and "planted failure" in rows[0]["message"]
    written = [p.read_text() for p in (tmp_path / "reports").rglob("*") if p.is_file()]
    assert written and all(password not in text and "Xy9#secret" not in text for text in written)
    assert "connect opsadmin/******" in rows[0]["evidence"][0]["excerpt"]


def test_pytest_mode_gives_the_same_results_as_the_runner(lab, tmp_path):
    _inv, state = lab
    hosts = ["lab-linux-app", "lab-rac1", "lab-vrp-core", "lab-h3c-gbk", "lab-ios-rt", "lab-mds"]
    _, mine = run(lab, tmp_path, hosts)
    out = tmp_path / "pytest.jsonl"
    (tmp_path / "pytest-reports" / "backups").mkdir(parents=True)  # the same backup ledger (BAK-FILE-001)
    shutil.copyfile(tmp_path / "reports" / "backups" / "ledger.jsonl",
                    tmp_path / "pytest-reports" / "backups" / "ledger.jsonl")
    proc = subprocess.run(
        [str(BIN / "pytest"), str(CHECKS_DIR), "-q", "-p", "no:cacheprovider", "-o", "addopts=",
         f"--rootdir={CHECKS_DIR}", "--cityops-inventory", str(lab[0].root), "--cityops-lab", str(state.path),
         "--cityops-reports", str(tmp_path / "pytest-reports"), "--cityops-results", str(out),
         "--hosts=" + ",".join(f"cityops://{h}" for h in hosts)], cwd=REPO, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout[-2000:]
    theirs = record.read_results(out)
    assert {k: (r["status"], r["value"]) for k, r in by_key(theirs).items()} == \
        {k: (r["status"], r["value"]) for k, r in by_key(mine).items()}
    assert f"{len(mine)} passed" in proc.stdout


def test_invoke_inspect_exit_status_and_interruption(lab, lab_fault, tmp_path):
    _inv, state = lab
    base = [str(BIN / "invoke"), "inspect", "--inventory", str(lab[0].root), "--lab", str(state.path),
            "--reports", str(tmp_path / "r")]
    ok = subprocess.run([*base, "--host", "lab-rac1", "--cadence", "daily"], cwd=REPO, capture_output=True, text=True)
    assert ok.returncode == 0, ok.stderr
    assert "巡检进度 1/1 台" in ok.stderr
    lab_fault("lab-rac1", "disk_full")
    found = subprocess.run([*base, "--host", "lab-rac1", "--cadence", "daily"], cwd=REPO, capture_output=True, text=True)
    assert found.returncode == 1 and "异常 1" in found.stdout
    bad = subprocess.run([*base, "--cadence", "hourly"], cwd=REPO, capture_output=True, text=True)
    assert bad.returncode == 4 and "unknown cadence" in bad.stderr
    # a run killed half way: the manifest says incomplete, every written line is whole
    lab_fault("lab-ios-rt", "slow", seconds="30")
    proc = subprocess.Popen([*base, "--host", "lab-ios-rt,lab-vrp-core,lab-h3c-fl"], cwd=REPO,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    time.sleep(3)
    os.killpg(proc.pid, signal.SIGTERM)
    _out, _err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    run_dir = sorted((tmp_path / "r" / "runs").iterdir())[-1]
    manifest = json.loads((run_dir / "manifest.json").read_text())
    assert manifest["status"] == "incomplete" and "SIGTERM" in manifest["reason"]
    lines = (run_dir / "results.jsonl").read_text().splitlines()
    assert all(json.loads(line)["host"] for line in lines) and len(lines) < manifest["expected_results"]


def test_waivers_turn_known_findings_into_waived_until_they_expire(lab, lab_fault, tmp_path):
    import datetime as dt

    from cityops.inspect.waivers import WaiverError
    from cityops.timeutil import today

    lab_fault("lab-linux-app", "disk_full")
    lab_fault("lab-rac1", "disk_full")
    waivers = tmp_path / "waivers.yml"
    tomorrow, yesterday = today() + dt.timedelta(days=1), today() - dt.timedelta(days=1)
    waivers.write_text(
        f"- {{check: 'LNX-FS-*', hosts: lab-linux-app, reason: 数据盘扩容已立项, approver: 信息中心 王某, "
        f"expires: '{tomorrow}'}}\n"
        f"- {{check: LNX-FS-001, hosts: 'lab-rac*', reason: 过期的豁免, approver: 王某, expires: '{yesterday}'}}\n")
    outcome, rows = run(lab, tmp_path, ["lab-linux-app", "lab-rac1"], {"LNX-FS-001"}, waivers_file=waivers)
    got = by_key(rows)
    waived = got[("lab-linux-app", "LNX-FS-001")]
    assert waived["status"] == "waived" and waived["waived_from"] == "fail" and waived["value"] == 97
    assert waived["waiver"]["approver"] == "信息中心 王某" and "扩容" in waived["waiver"]["reason"]
    assert got[("lab-rac1", "LNX-FS-001")]["status"] == "fail"  # expired: no longer applies
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert manifest["counts"]["waived"] == 1 and manifest["waivers_expired"][0]["reason"] == "过期的豁免"
    assert outcome.tally.by_status["waived"] == 1 and outcome.exit_status == 1  # rac1 still fails
    waivers.write_text("- {check: LNX-FS-001, hosts: lab-linux-app, reason: x}\n")
    with pytest.raises(WaiverError, match="entry 1: missing approver, expires"):
        run(lab, tmp_path, ["lab-linux-app"], {"LNX-FS-001"}, waivers_file=waivers)


def test_manual_items_join_a_run_with_who_and_when(lab, tmp_path):
    form = tmp_path / "form.yml"
    tpl = subprocess.run([str(BIN / "invoke"), "inspect.manual", "--template", "--site", "dzzw", "--inventory",
                          str(lab[0].root)], cwd=REPO, capture_output=True, text=True)
    assert tpl.returncode == 0 and "MAN-LED-001" in tpl.stdout and "lab-vrp-core" in tpl.stdout
    outcome, rows = run(lab, tmp_path, ["lab-rac1"], {"LNX-FS-001"})
    form.write_text("inspector: 张工\ntime: '2026-11-24T09:30:00+08:00'\nsite: dzzw\nitems:\n"
                    "  - {check: MAN-LED-001, host: lab-vrp-core, status: fail, note: 电源2指示灯红色}\n"
                    "  - {check: MAN-ENV-001, status: pass, value: 23.5, note: 温度 23.5℃ 湿度 45%}\n")
    base = [str(BIN / "invoke"), "inspect.manual", "--run", outcome.run_id, "--file", str(form), "--inventory",
            str(lab[0].root), "--reports", str(tmp_path / "reports")]
    joined = subprocess.run(base, cwd=REPO, capture_output=True, text=True)
    assert joined.returncode == 0, joined.stderr
    rows = record.read_results(outcome.run_dir / "results.jsonl")
    led = by_key(rows)[("lab-vrp-core", "MAN-LED-001")]
    assert led["status"] == "fail" and led["manual"]["inspector"] == "张工" and "电源2" in led["message"]
    assert by_key(rows)[("site:dzzw", "MAN-ENV-001")]["value"] == 23.5
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert manifest["results"] == len(rows) == 3 and manifest["manual_forms"][0]["inspector"] == "张工"
    kept = manifest["manual_forms"][0]["file"]
    assert manifest["files"][kept] == record.sha256_file(outcome.run_dir / kept)
    again = subprocess.run(base, cwd=REPO, capture_output=True, text=True)
    assert again.returncode == 4 and "already joined" in again.stderr
    form.write_text("inspector: 张工\ntime: '2026-11-24T09:30:00+08:00'\nitems:\n  - {check: MAN-LED-001, status: ok}\n")
    bad = subprocess.run(base, cwd=REPO, capture_output=True, text=True)
    assert bad.returncode == 4 and "status must be pass, warn or fail, not 'ok'" in bad.stderr


def test_thresholds_are_overridden_per_host_from_the_inventory(lab, tmp_path):
    import dataclasses

    inv, state = lab
    host = inv.hosts["lab-linux-app"]
    strict = dataclasses.replace(host, vars={**host.vars, "check_thresholds": {"LNX-FS-001": {"warn": 1, "crit": 99}}})
    inv2 = dataclasses.replace(inv, hosts={**inv.hosts, "lab-linux-app": strict})
    outcome = inspect(inv2, [strict], cadence=None, selection={}, reports=tmp_path / "r", lab_dir=state.path,
                      only={"LNX-FS-001"})
    row = record.read_results(outcome.run_dir / "results.jsonl")[0]
    assert row["status"] == "warn" and row["threshold"] == "告警 ≥1%，严重 ≥99%"
    _, rows = run(lab, tmp_path, ["lab-linux-app"], {"LNX-FS-001"})  # the inventory as shipped: defaults
    assert rows[0]["status"] == "pass" and rows[0]["threshold"] == "告警 ≥80%，严重 ≥90%"


def test_a_down_instance_still_has_its_alert_log_read(lab, lab_fault, tmp_path):
    """When the instance is down the database cannot say where its alert log is, and that is when the log matters
    most (why did it stop?): ORA-ALERT-001 then reads the logs in the usual trees, and finds the ORA-00600."""
    from cityops.lab import control

    lab_fault("lab-rac2", "rac_instance_down")
    lab_fault("lab-rac2", "ora_errors")
    settle(lab, "lab-rac2")
    _, rows = run(lab, tmp_path, ["lab-rac2"], {"ORA-ALERT-001"})
    assert [(r["check_id"], r["status"]) for r in rows] == [("ORA-ALERT-001", "fail")], rows
    assert "ORA-00600" in rows[0]["message"]
    control.set_fault(lab[1], lab[0], "lab-rac2", "all", clear=True)
    settle(lab, "lab-rac2")
