"""The lab's Linux servers: real sshd per host, seen through paramiko, testinfra and ansible."""

from __future__ import annotations

import subprocess

import paramiko
import pytest
import testinfra
import yaml

from cityops.lab import control, supervisor
from cityops.lab.faults import FaultStore

from .conftest import LAB_INV, lab_ssh, ssh_run


def creds(state):
    return yaml.safe_load(state.credentials_file.read_text())["gxj_linux"]


ssh = lab_ssh
run = ssh_run


@pytest.fixture
def host(lab):
    """A testinfra host (ssh backend: OpenSSH verifies the key against the lab known_hosts)."""
    inv, state = lab
    cfg = state.path / "ssh_config"
    cfg.write_text(f"Host *\n  User {creds(state)['username']}\n  IdentityFile {state.path / 'id_ed25519'}\n"
                   f"  UserKnownHostsFile {state.known_hosts}\n  StrictHostKeyChecking yes\n")
    return testinfra.get_host(f"ssh://{inv.hosts['lab-linux-app'].get('ansible_host')}", ssh_config=str(cfg))


def test_each_server_is_its_own_host(lab):
    a, b = ssh(lab, "lab-linux-app"), ssh(lab, "lab-linux-ora")
    try:
        assert run(a, "hostname")[1].strip() == "lab-linux-app"
        assert run(b, "hostname")[1].strip() == "lab-linux-ora"
        assert "release 6.9" in run(a, "cat /etc/redhat-release")[1]
        assert "Oracle Linux Server release 7.9" in run(b, "cat /etc/redhat-release")[1]
        assert run(a, "grep MemTotal /proc/meminfo")[1] != run(b, "grep MemTotal /proc/meminfo")[1]
        assert "/u01" in run(b, "df -P")[1] and "/u01" not in run(a, "df -P")[1]
    finally:
        a.close()
        b.close()


def test_testinfra_reads_the_hosts_state(host, lab_fault):
    """lab-linux-app runs RHEL 6.9: SysV init scripts and ntpd, no systemd and no chrony, as the estate's 29 EL6
    servers (a lab that answered systemctl there would hide what cityops meets on them)."""
    assert host.check_output("hostname") == "lab-linux-app"
    assert "release 6.9" in host.file("/etc/redhat-release").content_string
    assert host.file("/proc/meminfo").contains("MemTotal")
    assert "tomcat (pid" in host.check_output("service tomcat status")
    for absent in ("systemctl list-units --failed", "chronyc tracking"):
        assert host.run(absent).rc == 127, absent
    assert host.run("ntpq -pn").stdout.splitlines()[2].startswith("*127.0.0.1")
    df = host.check_output("df -P /data")
    assert "/data" in df
    lab_fault("lab-linux-app", "disk_full", mount="/data", percent="98")
    assert " 98% /data" in host.check_output("df -P")
    lab_fault("lab-linux-app", "service_down", service="tomcat")
    status = host.run("service tomcat status")
    assert status.rc == 1 and "dead but pid file exists" in status.stdout
    assert "tomcat dead but pid file exists" in host.check_output("service --status-all")


@pytest.mark.parametrize(("kind", "params", "cmd", "expect"), [
    ("inode_exhausted", {}, "df -i", "100% /var"),
    ("ntp_drift", {"seconds": "7.5"}, "chronyc tracking", "Last offset     : +7.500000000 seconds"),
    ("memory_high", {"percent": "95"}, "free -m", None),
    ("cpu_high", {"percent": "99"}, "cat /proc/loadavg", "15.84"),
    ("io_errors", {}, "cat /var/log/messages", "I/O error, dev sdb"),
    ("patch_old", {"days": "400"}, "rpm -qa --last", None),
])
def test_server_fault_appears_and_clears(lab, lab_fault, kind, params, cmd, expect):
    inv, state = lab
    cl = ssh(lab, "lab-linux-ora")
    try:
        before = run(cl, cmd)[1]
        lab_fault("lab-linux-ora", kind, **params)
        after = run(cl, cmd)[1]
        assert after != before
        if expect:
            assert expect in after
        control.set_fault(state, inv, "lab-linux-ora", kind, clear=True)
        cleared = run(cl, cmd)[1]
        if expect:
            assert expect not in cleared
        else:  # no timestamps in these outputs: back to exactly the healthy answer
            assert cleared == before
    finally:
        cl.close()


def test_wrong_password_refused_unreachable_and_recovery(lab, lab_fault):
    inv, state = lab
    addr = inv.hosts["lab-linux-app"].get("ansible_host")
    lab_fault("lab-linux-app", "wrong_password")
    with pytest.raises(paramiko.AuthenticationException):
        ssh(lab, "lab-linux-app")
    control.set_fault(state, inv, "lab-linux-app", "wrong_password", clear=True)
    ssh(lab, "lab-linux-app").close()
    lab_fault("lab-linux-app", "refused")
    assert control.probe(addr)[1] == "connection refused"
    control.set_fault(state, inv, "lab-linux-app", "refused", clear=True)
    lab_fault("lab-linux-app", "unreachable")
    assert control.probe(addr, timeout=0.5)[1] == "connect timed out"
    assert "blackhole:lab-linux-app" in supervisor.running(state)
    control.set_fault(state, inv, "lab-linux-app", "all", clear=True)
    assert control.probe(addr)[0]
    assert "blackhole:lab-linux-app" not in supervisor.running(state)
    assert run(ssh(lab, "lab-linux-app"), "hostname")[1].strip() == "lab-linux-app"


def test_garbage_and_slow_shims(lab, lab_fault):
    cl = ssh(lab, "lab-linux-app")
    try:
        lab_fault("lab-linux-app", "garbage")
        assert "Filesystem" not in run(cl, "df -P")[1]
        control.set_fault(lab[0] and lab[1], lab[0], "lab-linux-app", "garbage", clear=True)
        lab_fault("lab-linux-app", "slow", seconds="3")
        chan = cl.get_transport().open_session(timeout=5)
        chan.settimeout(1.0)
        chan.exec_command("free -m")
        with pytest.raises(TimeoutError):
            chan.recv(100)
        chan.close()
    finally:
        cl.close()


def test_stopping_leaves_no_process_or_mount(lab, tmp_path):
    """A second lab on other addresses comes up and goes away without a trace."""
    from cityops.inventory import load_inventory
    from cityops.lab.statedir import LabDir

    inv = load_inventory(LAB_INV)
    other = LabDir(tmp_path / "lab2")
    host = inv.hosts["lab-linux-app"]
    host.vars["ansible_host"] = "127.98.9.9"  # its own address, and its own zone mirror
    host.vars["package_mirror"] = "http://127.98.9.10/"
    for key in ("bmc_address", "bmc_protocol", "bmc_credential"):  # the main lab holds its BMC address
        host.vars.pop(key, None)
    try:
        control.up(other, [host])
        pids = [int(p["pid"]) for p in supervisor.running(other).values()]
        cl = paramiko.SSHClient()
        cl.set_missing_host_key_policy(paramiko.AutoAddPolicy())
        c = creds(other)
        cl.connect("127.98.9.9", username=c["username"], password=c["password"], look_for_keys=False, allow_agent=False)
        session_pids = supervisor.descendants(pids[0])
        assert session_pids  # sshd's per-connection children
    finally:
        control.down(other)
    assert not any(supervisor.alive(p) for p in pids + session_pids)
    listening = subprocess.run(["ss", "-ltn"], capture_output=True, text=True).stdout
    assert "127.98.9.9" not in listening and "127.98.9.10" not in listening
    with open("/proc/self/mountinfo") as fh:
        assert str(tmp_path) not in fh.read()
    FaultStore(other).all()


def test_aix_host_answers_in_aix_formats(lab, lab_fault):
    inv, state = lab
    cl = lab_ssh(lab, "lab-aix")
    try:
        assert run(cl, "oslevel -s")[1] == "7100-05-06-2016\n"
        assert "System Model: IBM,8205-E6C" in run(cl, "prtconf")[1]
        assert run(cl, "df -k")[1].startswith("Filesystem    1024-blocks      Free %Used    Iused %Iused Mounted on")
        assert run(cl, "errpt")[1] == ""
        lab_fault("lab-aix", "io_errors")
        assert "DISK OPERATION ERROR" in run(cl, "errpt")[1] and "missing" in run(cl, "lspv")[1]
        lab_fault("lab-aix", "service_down", service="xntpd")
        assert " xntpd " in run(cl, "lssrc -a")[1] and "inoperative" in run(cl, "lssrc -a")[1]
        control.set_fault(state, inv, "lab-aix", "all", clear=True)
        assert run(cl, "errpt")[1] == "" and "inoperative" not in run(cl, "lssrc -a")[1]
    finally:
        cl.close()


def test_esxi_host_answers_esxcli(lab, lab_fault):
    cl = lab_ssh(lab, "lab-esx")
    try:
        assert run(cl, "vmware -v")[1] == "VMware ESXi 6.5.0 build-13932383\n"
        assert "Version: 6.5.0" in run(cl, "esxcli system version get")[1]
        before = run(cl, "esxcli storage filesystem list")[1]
        assert "dead" not in run(cl, "esxcli storage core path list")[1]
        lab_fault("lab-esx", "io_errors")
        assert "State: dead" in run(cl, "esxcli storage core path list")[1]
        assert "Failed: H:0x1" in run(cl, "cat /var/log/vmkernel.log")[1]
        lab_fault("lab-esx", "disk_full", percent="99")
        free = int(run(cl, "esxcli storage filesystem list")[1].split()[-1])
        assert free < int(before.split()[-1]) and round(free * 100 / (4 * 1024**4)) == 1
    finally:
        cl.close()
