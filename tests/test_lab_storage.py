"""Storage arrays in the lab: OceanStor's CLI and a VNX management station, with disk and pool faults."""

from __future__ import annotations

import paramiko
import pytest
import yaml

from cityops.lab import control


@pytest.fixture(scope="module")
def arrays(lab):
    inv, state = lab
    c = yaml.safe_load(state.credentials_file.read_text())["gxj_storage"]
    clients = {}
    for name in ("lab-oceanstor", "lab-vnx"):
        cl = paramiko.SSHClient()
        cl.load_host_keys(str(state.known_hosts))
        cl.set_missing_host_key_policy(paramiko.RejectPolicy())
        cl.connect(inv.hosts[name].get("ansible_host"), username=c["username"], password=c["password"],
                   look_for_keys=False, allow_agent=False)
        clients[name] = cl
    yield clients
    for cl in clients.values():
        cl.close()


def run(cl, cmd: str) -> str:
    _i, out, _e = cl.exec_command(cmd)
    return out.read().decode()


@pytest.fixture
def storage_faults(lab):
    inv, state = lab
    yield lambda host, kind, **p: control.set_fault(state, inv, host, kind, **p)
    for host in ("lab-oceanstor", "lab-vnx"):
        control.set_fault(state, inv, host, "all", clear=True)


def test_healthy_arrays(arrays):
    system = run(arrays["lab-oceanstor"], "show system general")
    assert "Health Status         : Normal" in system and "System Name           : lab-oceanstor" in system
    assert "Fault" not in run(arrays["lab-oceanstor"], "show disk general")
    assert run(arrays["lab-vnx"], "naviseccli -h spa faults -list").strip() == "The array is operating normally."
    assert "Percent Full" in run(arrays["lab-vnx"], "naviseccli -h spa storagepool -list")


@pytest.mark.parametrize(("host", "kind", "params", "cmd", "mark"), [
    ("lab-oceanstor", "storage_disk_failed", {"disk": "5"}, "show disk general", "CTE0.5      Fault"),
    ("lab-oceanstor", "storage_pool_full", {"percent": "96"}, "show storage_pool general", "96%"),
    ("lab-oceanstor", "power_failed", {}, "show alarm", "Power module PSU B"),
    ("lab-vnx", "storage_disk_failed", {}, "naviseccli -h spa getdisk -state", "Faulted"),
    ("lab-vnx", "storage_pool_full", {}, "naviseccli -h spa storagepool -list", "Percent Full:  95.000"),
    ("lab-vnx", "alarm_active", {}, "naviseccli -h spa faults -list", "BBU of controller A"),
])
def test_storage_fault_appears_and_clears(lab, arrays, storage_faults, host, kind, params, cmd, mark):
    cl = arrays[host]
    assert mark not in run(cl, cmd)
    storage_faults(host, kind, **params)
    assert mark in run(cl, cmd)
    control.set_fault(lab[1], lab[0], host, kind, clear=True)
    assert mark not in run(cl, cmd)
