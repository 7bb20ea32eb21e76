"""Shared fixtures: the shipped estate, a small inventory to break, and ansible's own view."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cityops.inventory import load_inventory

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
MINI = REPO / "tests" / "fixtures" / "mini_inventory"


# The lab tests run in two labs at once, one per xdist worker (`--dist loadgroup`, whose default reordering hands
# the two largest groups — these — to the two workers first): each lab holds its own /16 and its servers' state,
# so a worker never starts a second lab of a block another worker serves. The modules that name 127.98 addresses
# themselves stay on the fixture inventory's own block, and so does test_inspect, whose IPv6 portal holds ::1 (the
# one IPv6 loopback: the second lab has no IPv6 site); the second lab serves the same inventory moved to 127.97.
SECOND_LAB = frozenset({"test_backup", "test_patch", "test_backup_rman", "test_change", "test_crash_safety",
                        "test_report", "test_backup_replay", "test_backup_files", "test_backup_sqlserver"})
LAB_BLOCKS = ("127.98", "127.97")


def pytest_generate_tests(metafunc):
    """Every test that uses the lab (itself or through a fixture) gets its module's lab block, as a session-scoped
    parameter: one lab per block per worker."""
    if "lab" in metafunc.fixturenames:
        block = LAB_BLOCKS[1] if metafunc.module.__name__.rsplit(".", 1)[-1] in SECOND_LAB else LAB_BLOCKS[0]
        metafunc.parametrize("lab", [block], indirect=True, scope="session", ids=[f"lab{block}"])


def pytest_itemcollected(item):
    """The tests of one lab block run in one xdist worker. (Marked as each test is collected: xdist names the
    groups in its own collection hook, before a conftest's runs.)"""
    callspec = getattr(item, "callspec", None)
    if callspec is not None and "lab" in callspec.params:
        item.add_marker(pytest.mark.xdist_group(f"lab{callspec.params['lab']}"))


def ansible_env(tmp: Path | None = None) -> dict:
    env = dict(os.environ)
    env["ANSIBLE_CONFIG"] = str(REPO / "ansible.cfg")
    env["PATH"] = f"{BIN}:{env.get('PATH', '')}"
    if tmp is not None:
        env["ANSIBLE_HOME"] = str(tmp / "ansible-home")
        env["ANSIBLE_LOCAL_TEMP"] = str(tmp / "ansible-tmp")
    return env


def unwrap(value):
    """ansible-inventory marks plugin-set values as {'__ansible_unsafe': v}; compare the values."""
    if isinstance(value, dict):
        if set(value) == {"__ansible_unsafe"}:
            return value["__ansible_unsafe"]
        return {k: unwrap(v) for k, v in value.items()}
    if isinstance(value, list):
        return [unwrap(v) for v in value]
    return value


def ansible_inventory_list(path: Path, tmp: Path | None = None) -> dict:
    out = subprocess.run([str(BIN / "ansible-inventory"), "-i", str(path), "--list"], cwd=REPO,
                         env=ansible_env(tmp), capture_output=True, text=True, check=True)
    return unwrap(json.loads(out.stdout))


def ansible_patterns(path: Path, patterns: list[str]) -> dict[str, list[str]]:
    """Hosts per pattern from ansible-core's own InventoryManager (what `ansible P --list-hosts` uses)."""
    code = (
        "import json, sys\n"
        "from ansible.parsing.dataloader import DataLoader\n"
        "from ansible.inventory.manager import InventoryManager\n"
        "inv = InventoryManager(loader=DataLoader(), sources=[sys.argv[1]])\n"
        "print(json.dumps({p: [h.name for h in inv.get_hosts(p)] for p in json.loads(sys.stdin.read())}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], input=json.dumps(patterns), cwd=REPO,
                         env=ansible_env(), capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


@pytest.fixture(scope="session")
def estate():
    return load_inventory(REPO / "inventory")


@pytest.fixture
def mini(tmp_path) -> Path:
    """A private, writable copy of the small test inventory."""
    dest = tmp_path / "inventory"
    shutil.copytree(MINI, dest)
    return dest


def run_invoke(*args: str, cwd: Path = REPO, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "invoke"), *args], cwd=cwd, capture_output=True, text=True,
                          env={**os.environ, **(env or {})})


LAB_INV = REPO / "tests" / "fixtures" / "lab_inventory"


def lab_inventory_on(block: str, tmp: Path) -> Path:
    """The fixture inventory, its addresses moved from 127.98/16 to `block`/16 (a copy under `tmp`)."""
    if block == LAB_BLOCKS[0]:
        return LAB_INV
    dest = tmp / "lab_inventory"
    shutil.copytree(LAB_INV, dest)
    for path in dest.iterdir():
        text = path.read_text(encoding="utf-8").replace(f"{LAB_BLOCKS[0]}.", f"{block}.")
        lines = [line for line in text.splitlines(keepends=True) if "ipv6_address:" not in line]  # ::1 is the first's
        path.write_text("".join(lines), encoding="utf-8")
    return dest


@pytest.fixture(scope="session")
def lab(request, tmp_path_factory):
    """A lab of tests/fixtures/lab_inventory on its own block (127.98/16, or the same estate on 127.97/16: the test
    module's, see pytest_generate_tests) and its own state dir. `lab[0].root` is the inventory it serves."""
    from cityops.lab import control, supervisor
    from cityops.lab.statedir import LabDir

    block = getattr(request, "param", LAB_BLOCKS[0])
    # A run killed before its teardown leaves its lab holding its block: stop those (by their lab.json), but
    # only when the test process that owned them is gone, never a lab another running session still uses.
    root = tmp_path_factory.getbasetemp()
    while root.parent != root and not root.name.startswith("pytest-of-"):
        root = root.parent  # under xdist the base is pytest-N/popen-gwK: look from pytest-of-<user>
    for stale in [*root.glob("*/lab*/owner.pid"), *root.glob("*/*/lab*/owner.pid")]:
        if not supervisor.alive(int(stale.read_text() or 0)):
            control.down(LabDir(stale.parent))
    inv = load_inventory(lab_inventory_on(block, tmp_path_factory.mktemp("inventory")))
    state = LabDir(tmp_path_factory.mktemp("lab"))
    state.ensure()
    (state.path / "owner.pid").write_text(str(os.getpid()))
    report = control.up(state, list(inv.hosts.values()))
    assert report.served == {"netdev": 13, "sshd": 10, "web": 7, "redfish": 1, "snmp": 3, "ipmi": 1}, report
    yield inv, state
    control.down(state)


def wait_for(fn, timeout=3.0):
    """Poll `fn` every 0.1 s until it returns something truthy (returned) or `timeout` passes (its last value)."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        result = fn()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.1)


def lab_ssh(lab, name: str, password: str | None = None):
    """A paramiko client to a lab host with its inventory credential, verifying the lab's known_hosts."""
    import paramiko
    import yaml

    inv, state = lab
    c = yaml.safe_load(state.credentials_file.read_text())[inv.hosts[name].get("credential")]
    client = paramiko.SSHClient()
    client.load_host_keys(str(state.known_hosts))
    client.set_missing_host_key_policy(paramiko.RejectPolicy())
    client.connect(inv.hosts[name].get("ansible_host"), username=c["username"], password=password or c["password"],
                   look_for_keys=False, allow_agent=False, timeout=5)
    return client


def ssh_run(client, cmd: str) -> tuple[int, str]:
    """Exit status and stdout of one command on an open client."""
    _stdin, out, _err = client.exec_command(cmd)
    text = out.read().decode()
    return out.channel.recv_exit_status(), text


@pytest.fixture
def lab_fault(lab):
    """Inject faults in the session lab; every host touched is cleared again after the test."""
    from cityops.lab import control

    inv, state = lab
    touched: set[str] = set()

    def inject(host: str, kind: str, **params) -> str:
        touched.add(host)
        return control.set_fault(state, inv, host, kind, **params)

    yield inject
    for host in touched:
        control.set_fault(state, inv, host, "all", clear=True)


@pytest.fixture
def backup_config(lab, tmp_path):
    """A transport configuration for database and files backups against the session lab, its audit log in the
    test's own reports directory."""
    from cityops.inspect.session import transport_config
    from cityops.transport.audit import AuditLog

    _inv, state = lab
    return transport_config(AuditLog(tmp_path / "reports" / "audit", "test", "测试"), state.path)


@pytest.fixture
def declared(lab):
    """A backup job the lab inventory declares, by owner (host or cluster_<name>) and name."""
    from cityops.backup.schedule import jobs

    inv, _state = lab
    return lambda owner, name: next(j for j in jobs(inv)[0] if (j.owner, j.name) == (owner, name))


@pytest.fixture
def lab_clock(lab, monkeypatch):
    """The lab's clock, which its database's workload and cityops both follow; real time again afterwards."""
    from cityops.lab import control

    _inv, state = lab
    monkeypatch.setenv("CITYOPS_CLOCK", str(control.clock_file(state)))
    yield lambda at: control.set_clock(state, at)
    control.set_clock(state, None)


def backups_under_clock(lab_clock, take, days: int, steps) -> list:
    """Backups taken at lab-clock times `days` ahead (hours after the first, job name each), each verified: a
    database whose rows change between them, as the lab's workload follows its clock. The lab's database is the
    session's: `days` must lie past any clock an earlier test moved it to (test_backup_replay's December 2026
    days), or its workload, already ahead, does not move."""
    import datetime as dt

    from cityops.timeutil import BEIJING

    start = dt.datetime.now(BEIJING).replace(microsecond=0) + dt.timedelta(days=days)
    runs = []
    for hours, name in steps:
        lab_clock(start + dt.timedelta(hours=hours))
        runs.append(take(name))
        assert runs[-1].status == "verified", runs[-1].error
    return runs


@pytest.fixture(scope="session")
def files_ledger(lab, tmp_path_factory):
    """A backup ledger holding one verified files backup of lab-linux-app, taken for real once: a healthy estate's
    files backups are on its ledger, which BAK-FILE-001 reads."""
    from cityops.backup.files import backup_files
    from cityops.backup.schedule import jobs
    from cityops.inspect.session import transport_config
    from cityops.transport.audit import AuditLog

    inv, state = lab
    reports = tmp_path_factory.mktemp("files-ledger")
    job = next(j for j in jobs(inv)[0] if (j.owner, j.name) == ("lab-linux-app", "app_files"))
    taken = backup_files(inv, job, transport_config(AuditLog(reports / "audit", "seed"), state.path), reports,
                         operator="测试")
    assert taken.status == "verified", taken.error
    return reports / "backups" / "ledger.jsonl"


@pytest.fixture
def reports_with_files_ledger(files_ledger, tmp_path):
    """A reports directory whose backup ledger holds the lab's files backup (BAK-FILE-001 is a daily check, so a
    change's inspection before it passes)."""
    target = tmp_path / "reports" / "backups" / "ledger.jsonl"
    target.parent.mkdir(parents=True)
    shutil.copyfile(files_ledger, target)
    return tmp_path / "reports"
