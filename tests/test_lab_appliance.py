"""Web-managed appliances of the lab: security consoles, the gatekeeper, the backup appliance, over HTTPS."""

from __future__ import annotations

import datetime as dt
import socket

import pytest
import requests
import yaml

from cityops.lab import control
from cityops.lab.faults import FaultError
from cityops.timeutil import now

from .conftest import wait_for

IPS, GAP, BACKUP = "127.98.3.31", "127.98.3.32", "127.98.3.33"


class Console:
    """A logged-in session to one appliance's management API, verified by the lab CA."""

    def __init__(self, lab, address: str, credential: str, password: str | None = None):
        c = yaml.safe_load(lab[1].credentials_file.read_text())[credential]
        self.base, self.ca = f"https://{address}", str(lab[1].path / "ca.pem")
        r = requests.post(f"{self.base}/api/v1/login", json={"username": c["username"],
                                                             "password": password or c["password"]},
                          verify=self.ca, timeout=5)
        self.status = r.status_code
        self.token = r.json().get("token", "") if r.ok else ""

    def get(self, path: str) -> dict:
        r = requests.get(f"{self.base}{path}", headers={"X-Auth-Token": self.token}, verify=self.ca, timeout=5)
        r.raise_for_status()
        return r.json()


def age_days(iso: str) -> float:
    return (now() - dt.datetime.fromisoformat(iso)).total_seconds() / 86400


def test_security_console_login_health_and_signatures(lab, lab_fault):
    assert Console(lab, IPS, "gxj_security", password="wrong").status == 401
    ips = Console(lab, IPS, "gxj_security")
    assert ips.status == 200 and ips.token
    assert requests.get(f"{ips.base}/api/v1/system", verify=ips.ca, timeout=5).status_code == 401  # no token
    system = ips.get("/api/v1/system")
    assert system["hostname"] == "lab-ips" and system["model"] == "NIPS NX3"
    assert system["cpu_percent"] < 50 and {p["status"] for p in system["power_supplies"]} == {"normal"}
    libraries = ips.get("/api/v1/signatures")["libraries"]
    assert {x["name"] for x in libraries} == {"入侵防御特征库", "病毒特征库"}
    assert all(age_days(x["updated"]) < 2 for x in libraries)
    assert ips.get("/api/v1/alarms")["alarms"] == []

    lab_fault("lab-ips", "signature_outdated", days="40")
    lab_fault("lab-ips", "power_failed", psu="1")
    lab_fault("lab-ips", "disk_full", mount="/data", percent="98")
    assert all(39 < age_days(x["updated"]) < 41 for x in ips.get("/api/v1/signatures")["libraries"])
    system = ips.get("/api/v1/system")
    assert system["power_supplies"][0]["status"] == "fault"
    assert next(d for d in system["disks"] if d["name"] == "/data")["used_percent"] == 98
    assert [a["message"] for a in ips.get("/api/v1/alarms")["alarms"]] == ["电源模块1故障"]


def test_gatekeeper_reports_its_two_units(lab, lab_fault):
    gap = Console(lab, GAP, "gxj_security")
    units = gap.get("/api/v1/gap/units")
    assert [u["status"] for u in units["units"]] == ["normal", "normal"] and units["channel"]["status"] == "normal"
    assert gap.get("/api/v1/signatures")["libraries"][0]["name"] == "病毒特征库"
    lab_fault("lab-gap", "power_failed", psu="2")
    units = gap.get("/api/v1/gap/units")
    assert units["units"][1] == {"name": "外端机", "status": "fault"} and units["channel"]["status"] == "interrupted"


def test_backup_appliance_jobs_pools_and_disks(lab, lab_fault):
    bak = Console(lab, BACKUP, "gxj_storage")
    jobs = bak.get("/api/v1/backup/jobs")["jobs"]
    assert len(jobs) == 21 and {j["status"] for j in jobs} <= {"success", "running"}
    assert all(j["status"] == "success" for j in jobs[3:])  # only tonight's may still run
    assert all(age_days(j["end"]) >= 0 for j in jobs if j["end"])  # nothing ended in the future
    assert min(age_days(j["end"]) for j in jobs if j["end"]) < 1.1
    lab_fault("lab-backup", "backup_job_failed", job="2")
    jobs = bak.get("/api/v1/backup/jobs")["jobs"]
    assert [j["policy"] for j in jobs if j["status"] == "failed"] == ["SQLSERVER_业务库"]
    lab_fault("lab-backup", "backup_old", days="4")
    jobs = bak.get("/api/v1/backup/jobs")["jobs"]
    newest_ok = max(dt.datetime.fromisoformat(j["end"]) for j in jobs if j["status"] == "success")
    assert (now() - newest_ok).days >= 3
    lab_fault("lab-backup", "storage_pool_full", percent="96")
    lab_fault("lab-backup", "storage_disk_failed", disk="5")
    assert bak.get("/api/v1/storage/pools")["pools"][0]["used_percent"] == 96
    assert [d["slot"] for d in bak.get("/api/v1/storage/disks")["disks"] if d["status"] == "failed"] == [5]
    assert bak.get("/api/v1/system")["hostname"] == "lab-backup"


def test_appliance_connection_faults(lab, lab_fault):
    lab_fault("lab-ips", "garbage")
    with pytest.raises(requests.exceptions.JSONDecodeError):
        Console(lab, IPS, "gxj_security")
    control.set_fault(lab[1], lab[0], "lab-ips", "garbage", clear=True)
    lab_fault("lab-ips", "wrong_password")
    assert Console(lab, IPS, "gxj_security").status == 401
    control.set_fault(lab[1], lab[0], "lab-ips", "wrong_password", clear=True)

    def connect() -> str:
        try:
            socket.create_connection((IPS, 443), timeout=0.5).close()
            return "open"
        except ConnectionRefusedError:
            return "refused"
        except TimeoutError:
            return "timeout"

    lab_fault("lab-ips", "refused")
    assert wait_for(lambda: connect() == "refused")
    lab_fault("lab-ips", "unreachable")  # both active: refused wins, as on the netdev server
    control.set_fault(lab[1], lab[0], "lab-ips", "refused", clear=True)
    assert wait_for(lambda: connect() == "timeout", timeout=5)
    control.set_fault(lab[1], lab[0], "lab-ips", "unreachable", clear=True)
    assert wait_for(lambda: connect() == "open")
    assert Console(lab, IPS, "gxj_security").status == 200


def test_web_site_can_be_refused_too(lab, lab_fault):
    lab_fault("lab-web", "refused")
    assert wait_for(lambda: _refused("127.98.3.11"))
    control.set_fault(lab[1], lab[0], "lab-web", "refused", clear=True)
    assert wait_for(lambda: not _refused("127.98.3.11"))


def _refused(address: str) -> bool:
    try:
        socket.create_connection((address, 443), timeout=0.5).close()
        return False
    except ConnectionRefusedError:
        return True


def test_faults_only_where_the_device_shows_them(lab):
    inv, state = lab
    with pytest.raises(FaultError, match="does not apply to lab-ips"):
        control.set_fault(state, inv, "lab-ips", "backup_job_failed")  # only backup appliances run jobs
    with pytest.raises(FaultError, match="does not apply to lab-oceanstor"):
        control.set_fault(state, inv, "lab-oceanstor", "cert_expiring")  # managed over SSH, no certificate
