"""Storage arrays in the lab: OceanStor's CLI and a VNX management station, with disk and pool faults."""

from __future__ import annotations

import pytest

from cityops.lab import control

from .conftest import lab_ssh, ssh_run


@pytest.fixture(scope="module")
def arrays(lab):
    clients = {name: lab_ssh(lab, name) for name in ("lab-oceanstor", "lab-vnx")}
    yield clients
    for cl in clients.values():
        cl.close()


def run(cl, cmd: str) -> str:
    return ssh_run(cl, cmd)[1]


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
def test_storage_fault_appears_and_clears(lab, arrays, lab_fault, host, kind, params, cmd, mark):
    cl = arrays[host]
    assert mark not in run(cl, cmd)
    lab_fault(host, kind, **params)
    assert mark in run(cl, cmd)
    control.set_fault(lab[1], lab[0], host, kind, clear=True)
    assert mark not in run(cl, cmd)
