"""Each lab server is the host the inventory describes, not this machine: its own Python (or none), its own
packages from its zone's mirror, its own process table, its own reboot. Patching or rebooting it touches
nothing of the controller's."""

from __future__ import annotations

import hashlib
import json
import os
import re
import subprocess
import time
from pathlib import Path

from cityops.lab import supervisor
from cityops.lab.servers.hosts import host_dir
from cityops.lab.servers.packages import Pkg, evr_cmp, vercmp
from cityops.parsers.yum import check_update

from .conftest import BIN, LAB_INV, REPO, ansible_env, lab_ssh, ssh_run


def sh(lab, name: str, cmd: str) -> tuple[int, str]:
    """Exit status and stdout+stderr of one command on a lab host."""
    client = lab_ssh(lab, name)
    try:
        return ssh_run(client, f"{{ {cmd} ; }} 2>&1")
    finally:
        client.close()


def test_each_host_has_the_python_its_os_carries(lab):
    """RHEL 6 has 2.6, Oracle Linux 7 2.7, Kylin V10 3.7, AIX none; this machine's Python 3.11 is nowhere."""
    code, out = sh(lab, "lab-linux-app", "python -V; python2.6 -c 'import sys; print(sys.version_info[:2])'")
    assert code == 0 and out.splitlines() == ["Python 2.6.6", "(2, 6)"]
    assert sh(lab, "lab-linux-ora", "python -V")[1].strip() == "Python 2.7.5"
    assert sh(lab, "lab-kylin", "python3 -V")[1].strip() == "Python 3.7.9"
    for name in ("lab-linux-app", "lab-linux-ora", "lab-kylin", "lab-aix"):
        code, out = sh(lab, name, "command -v python3.11 python3.12 pip3 apt-get dpkg; ls /usr/bin | grep -c '^python3.11'")
        assert out.strip().splitlines() == ["0"], (name, out)
    assert sh(lab, "lab-aix", "command -v python python2 python3 || echo none")[1].strip() == "none"
    # what the release cannot parse it refuses, as that release does
    code, out = sh(lab, "lab-kylin", "python3 -c 'if (n := 1): print(n)'")
    assert code == 1 and "SyntaxError" in out
    code, out = sh(lab, "lab-linux-ora", "echo 'from __future__ import annotations' | python -")
    assert code == 1 and "future feature annotations is not defined" in out
    code, out = sh(lab, "lab-kylin", "python3 -c 'import importlib.metadata'")
    assert code == 1 and "No module named 'importlib.metadata'" in out


def test_ansible_modules_meet_each_hosts_real_python(lab, tmp_path):
    """ansible-core 2.19 runs modules on Python 3.8 or later only: on these hosts a module fails as it does in
    the estate (no interpreter found, a SyntaxError on 2.x, ansible-core's own minimum on 3.7), and `raw`,
    which needs only a shell, runs everywhere."""
    _inv, state = lab
    env = ansible_env(tmp_path)
    env["ANSIBLE_SSH_ARGS"] = f"-o UserKnownHostsFile={state.known_hosts} -o StrictHostKeyChecking=yes"
    env.update(ANSIBLE_LOAD_CALLBACK_PLUGINS="1", ANSIBLE_STDOUT_CALLBACK="minimal")
    user = ["-u", "opsadmin", "--private-key", str(state.path / "id_ed25519")]

    def adhoc(pattern: str, *args: str) -> dict:
        """Each host's result: the JSON after 'host | FAILED! =>', or {'stdout': …} of 'host | CHANGED | rc=0 >>'."""
        text = subprocess.run([str(BIN / "ansible"), "-i", str(LAB_INV), pattern, *args, *user], cwd=REPO, env=env,
                              capture_output=True, text=True, timeout=120).stdout
        results, decoder = {}, json.JSONDecoder()
        for m in re.finditer(r"^(\S+) \| (FAILED!|SUCCESS) => ", text, re.M):
            results[m.group(1)] = decoder.raw_decode(text, m.end())[0]
        for m in re.finditer(r"^(\S+) \| CHANGED \| rc=0 >>\n(.*)$", text, re.M):
            results[m.group(1)] = {"stdout": m.group(2)}
        assert results, text
        return results

    hosts = "lab-linux-app:lab-linux-ora:lab-kylin"
    ping = adhoc(hosts, "-m", "ping")
    assert set(ping) == set(hosts.split(":")) and all("msg" in r and "ping" not in r for r in ping.values()), ping
    assert "module interpreter '/usr/bin/python3' was not found" in ping["lab-linux-app"]["msg"]
    assert "ansible-core requires a minimum of Python version 3.8. Current version: 3.7.9" in ping["lab-kylin"]["msg"]
    legacy = adhoc("lab-linux-app", "-m", "ping", "-e", "ansible_python_interpreter=/usr/bin/python")
    assert "SyntaxError" in legacy["lab-linux-app"]["module_stdout"]
    raw = adhoc(hosts, "-m", "raw", "-a", "hostname")
    assert {name: r["stdout"].strip() for name, r in raw.items()} == {n: n for n in hosts.split(":")}


def test_yum_reads_the_zone_mirror_and_patches_only_its_host(lab, lab_fault):
    """A host behind its mirror (the fault puts it back to its GA packages): check-update lists the mirror's
    updates (exit 100) and changes nothing; an update needs root; under sudo it downloads, verifies and installs
    into that host's database only. This machine's dpkg database is untouched, and so is the other host's."""
    assert sh(lab, "lab-linux-app", "yum check-update")[0] == 0  # patched up to its mirror
    lab_fault("lab-linux-app", "updates_pending")
    dpkg = hashlib.sha256(Path("/var/lib/dpkg/status").read_bytes()).hexdigest()
    other = sh(lab, "lab-linux-ora", "rpm -qa | sort")[1]
    code, out = sh(lab, "lab-linux-app", "yum check-update")
    assert code == 100, out
    assert re.search(r"^openssl\.x86_64\s+1\.0\.1e-58\.el6_10\s+updates$", out, re.M)
    assert "Loaded plugins: fastestmirror, security" in out  # RHEL 6's yum 3.2.29
    pending = {u.name: u.evr for u in check_update(out)}  # the parser tested on real captures reads the lab's too
    assert pending["kernel"] == "2.6.32-754.35.1.el6" and len(pending) == 12
    assert sh(lab, "lab-linux-app", "rpm -q openssl")[1].strip() == "openssl-1.0.1e-57.el6.x86_64"
    code, out = sh(lab, "lab-linux-app", "yum -y update openssl")
    assert code == 1 and "You need to be root to perform this command." in out
    code, out = sh(lab, "lab-linux-app", "sudo yum -y update openssl")
    assert code == 0 and "Complete!" in out, out
    assert sh(lab, "lab-linux-app", "rpm -q openssl")[1].strip() == "openssl-1.0.1e-58.el6_10.x86_64"
    code, out = sh(lab, "lab-linux-app", "yum --security check-update")
    assert "openssl" not in out and "sudo.x86_64" in out and "tzdata" not in out  # tzdata's is no security fix
    newest = sh(lab, "lab-linux-app", "rpm -qa --last | head -n 1")[1]
    assert newest.startswith("openssl-1.0.1e-58.el6_10.x86_64")
    assert "Updated: 1.0.1e-58.el6_10" in sh(lab, "lab-linux-app", "cat /var/log/yum.log")[1]
    assert sh(lab, "lab-linux-ora", "rpm -qa | sort")[1] == other
    assert hashlib.sha256(Path("/var/lib/dpkg/status").read_bytes()).hexdigest() == dpkg


def test_kylin_answers_with_dnf(lab, lab_fault):
    lab_fault("lab-kylin", "updates_pending")
    code, out = sh(lab, "lab-kylin", "dnf check-update")
    assert code == 100 and out.startswith("Last metadata expiration check:"), out
    assert re.search(r"^openssl\.x86_64\s+1:1\.1\.1f-15\.ky10\s+updates$", out, re.M)
    code, out = sh(lab, "lab-kylin", "dnf upgrade -y")
    assert code == 1 and "superuser privileges" in out


def test_a_mirror_out_of_reach_fails_as_yum_does(lab):
    _inv, state = lab
    repo = host_dir(state, "lab-linux-app") / "etc/yum.repos.d/cityops-lab.repo"
    saved = repo.read_text()
    try:
        repo.write_text(saved.replace("127.98.254.1", "127.98.254.9"))  # a mirror address nothing answers on
        code, out = sh(lab, "lab-linux-app", "yum check-update")
        assert code == 1 and "Cannot retrieve repository metadata (repomd.xml) for repository: base" in out
    finally:
        repo.write_text(saved)


def cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:  # a session that ended meanwhile
        return b""


def test_reboot_restarts_that_host_alone(lab, lab_fault):
    """A patched kernel runs after the host's own reboot; the host was away, came back with a new boot id and
    a fresh uptime; the other hosts and every process of this machine outside the lab kept running."""
    inv, state = lab
    lab_fault("lab-linux-app", "updates_pending")
    procs = supervisor.running(state)
    other_init = [p for p in supervisor.descendants(int(procs["sshd:lab-linux-ora"]["pid"]))  # its init and sshd
                  if any(w in cmdline(p) for w in (b"start.sh", b"sshd_config"))]
    before = sh(lab, "lab-linux-app", "cat /proc/sys/kernel/random/boot_id; uname -r")[1].split()
    other_boot = sh(lab, "lab-linux-ora", "cat /proc/sys/kernel/random/boot_id")[1]
    assert before[1] == "2.6.32-696.el6.x86_64"
    assert sh(lab, "lab-linux-app", "sudo yum -y update kernel")[0] == 0
    assert sh(lab, "lab-linux-app", "uname -r")[1].strip() == before[1]  # installed, not running until a reboot
    assert sh(lab, "lab-linux-app", "reboot")[1].strip() == "reboot: Need to be root"
    sh(lab, "lab-linux-app", "sudo reboot")
    address = inv.hosts["lab-linux-app"].get("ansible_host")
    from cityops.lab.control import probe

    deadline = time.monotonic() + 5
    while probe(address, timeout=0.3)[0] and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not probe(address, timeout=0.3)[0], "the host never went down"
    deadline = time.monotonic() + 15
    while not probe(address, timeout=0.3)[0] and time.monotonic() < deadline:
        time.sleep(0.2)
    after = sh(lab, "lab-linux-app", "cat /proc/sys/kernel/random/boot_id; uname -r; uptime")[1].split("\n")
    assert after[0] != before[0]
    assert after[1] == "2.6.32-754.35.1.el6.x86_64"
    assert re.search(r" up \d+ min,", after[2]), after[2]
    assert sh(lab, "lab-linux-ora", "cat /proc/sys/kernel/random/boot_id")[1] == other_boot
    assert len(other_init) == 2 and all(supervisor.alive(p) for p in other_init)
    assert supervisor.alive(1) and supervisor.alive(os.getpid()) and supervisor.alive(os.getppid())


def test_each_host_sees_only_its_own_processes(lab):
    """`ps` on a lab host lists that host's init, sshd and the session, never this machine's processes."""
    code, out = sh(lab, "lab-linux-ora", "ps -eo pid,comm")
    assert code == 0
    commands = {line.split(None, 1)[1] for line in out.splitlines()[1:]}
    assert commands <= {"sh", "sshd", "bash", "ps"}, commands
    assert sh(lab, "lab-linux-ora", f"kill -0 {os.getpid()} 2>&1 || echo gone")[1].strip().endswith("gone")


def test_rpm_versions_compare_as_rpm_does():
    """rpmvercmp on the catalogue's own shapes: numeric runs, el6_10 after el6, epochs first."""
    assert vercmp("1160.119.1.el7", "1160.el7") > 0
    assert vercmp("58.el6_10", "57.el6") > 0
    assert vercmp("1.0.1e", "1.0.1f") < 0
    assert vercmp("2020a", "2017b") > 0
    assert evr_cmp(Pkg("openssl", "x86_64", "1", "1.0.2k", "19.el7"), Pkg("openssl", "x86_64", "0", "9.9", "1")) > 0
