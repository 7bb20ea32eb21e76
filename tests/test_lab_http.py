"""The lab's web sites and Redfish BMCs, through requests and the DMTF redfish client, verified by the lab CA."""

from __future__ import annotations

import datetime as dt
import re
import socket
import ssl

import pytest
import redfish
import requests
import yaml
from cryptography import x509

from cityops.lab import control
from cityops.timeutil import today

from .conftest import wait_for


def get(lab, path="/", host="127.98.3.11", timeout=5.0) -> requests.Response:
    r = requests.get(f"https://{host}{path}", verify=str(lab[1].path / "ca.pem"), timeout=timeout)
    r.encoding = "utf-8"
    return r


def days_left(lab) -> int:
    ctx = ssl.create_default_context(cafile=str(lab[1].path / "ca.pem"))
    with socket.create_connection(("127.98.3.11", 443), timeout=5) as s, \
            ctx.wrap_socket(s, server_hostname="127.98.3.11") as t:
        cert = x509.load_der_x509_certificate(t.getpeercert(binary_form=True))
    return (cert.not_valid_after_utc - dt.datetime.now(dt.UTC)).days




def updated(text: str) -> dt.date:
    return dt.date.fromisoformat(re.search(r"更新日期：(\d{4}-\d{2}-\d{2})", text).group(1))


def test_site_serves_checklist_items_over_https_and_ipv6(lab):
    home = get(lab)
    assert home.status_code == 200 and "<title>测试政府网站</title>" in home.text
    assert updated(home.text) == today()
    assert "网站标识码：6502" in home.text
    links = re.findall(r'href="(/[^"]+)"', home.text)
    assert links and all(get(lab, link).status_code == 200 for link in links)
    assert "搜索结果" in get(lab, "/search?q=公告").text
    assert get(lab, host="[::1]").status_code == 200
    with pytest.raises(requests.exceptions.SSLError):  # a client without the lab CA must not trust it
        requests.get("https://127.98.3.11/", timeout=5)


def test_site_faults_stale_broken_links_cert_and_slow(lab, lab_fault):
    lab_fault("lab-web", "site_stale", days="21")
    assert (today() - updated(get(lab).text)).days == 21
    lab_fault("lab-web", "broken_links", count="2")
    links = re.findall(r'href="(/[^"]+)"', get(lab).text)
    assert sum(get(lab, link).status_code == 404 for link in links) == 2
    lab_fault("lab-web", "cert_expiring", days="7")
    assert wait_for(lambda: days_left(lab) <= 7)  # the server re-issues on its next look at faults.json
    lab_fault("lab-web", "site_slow", seconds="3")
    with pytest.raises(requests.exceptions.ReadTimeout):
        get(lab, timeout=1)
    control.set_fault(lab[1], lab[0], "lab-web", "all", clear=True)
    assert get(lab).status_code == 200 and updated(get(lab).text) == today()


@pytest.fixture
def bmc(lab):
    _inv, state = lab
    c = yaml.safe_load(state.credentials_file.read_text())["gxj_bmc"]
    client = redfish.redfish_client(base_url="https://127.98.200.12", username=c["username"], password=c["password"],
                                    cafile=str(state.path / "ca.pem"))
    client.login(auth="session")
    yield client
    client.logout()


def test_redfish_session_and_health(bmc):
    root = bmc.get("/redfish/v1").dict
    assert root["RedfishVersion"] == "1.6.0" and root["Vendor"] == "Huawei"
    system = bmc.get("/redfish/v1/Systems/1").dict
    assert system["HostName"] == "lab-linux-ora" and system["Status"]["Health"] == "OK"
    assert {p["Status"]["Health"] for p in bmc.get("/redfish/v1/Chassis/1/Power").dict["PowerSupplies"]} == {"OK"}


def test_redfish_rejects_bad_credentials(lab):
    bad = redfish.redfish_client(base_url="https://127.98.200.12", username="USERID", password="wrong",
                                 cafile=str(lab[1].path / "ca.pem"))
    with pytest.raises(redfish.rest.v1.InvalidCredentialsError):
        bad.login(auth="session")


@pytest.mark.parametrize(("kind", "path", "probe"), [
    ("power_failed", "/redfish/v1/Chassis/1/Power", lambda d: d["PowerSupplies"][1]["Status"]["Health"] == "Critical"),
    ("fan_failed", "/redfish/v1/Chassis/1/Thermal", lambda d: d["Fans"][0]["Reading"] == 0),
    ("temperature_high", "/redfish/v1/Chassis/1/Thermal",
     lambda d: d["Temperatures"][0]["ReadingCelsius"] > d["Temperatures"][0]["UpperThresholdCritical"]),
])
def test_hardware_faults_show_on_the_bmc(lab, bmc, lab_fault, kind, path, probe):
    assert not probe(bmc.get(path).dict)
    lab_fault("lab-linux-ora", kind)
    assert probe(bmc.get(path).dict)
    assert bmc.get("/redfish/v1/Systems/1").dict["Status"]["Health"] == "Critical"
    control.set_fault(lab[1], lab[0], "lab-linux-ora", kind, clear=True)
    assert not probe(bmc.get(path).dict)


def test_nvr_isapi_with_digest_auth(lab, lab_fault):
    from requests.auth import HTTPDigestAuth

    c = yaml.safe_load(lab[1].credentials_file.read_text())["gxj_camera"]
    auth = HTTPDigestAuth(c["username"], c["password"])
    ca = str(lab[1].path / "ca.pem")
    info = requests.get("https://127.98.3.21/ISAPI/System/deviceInfo", auth=auth, verify=ca, timeout=5)
    assert info.status_code == 200 and "<model>DS-9632N-I16</model>" in info.text
    assert requests.get("https://127.98.3.21/ISAPI/ContentMgmt/Storage", auth=HTTPDigestAuth("admin", "x"), verify=ca,
                        timeout=5).status_code == 401
    storage = "https://127.98.3.21/ISAPI/ContentMgmt/Storage"
    assert "<status>error</status>" not in requests.get(storage, auth=auth, verify=ca, timeout=5).text
    lab_fault("lab-nvr", "storage_disk_failed", disk="2")
    assert "<id>2</id><hddName>hdd2</hddName><status>error</status>" in requests.get(storage, auth=auth, verify=ca,
                                                                                      timeout=5).text


def test_vcenter_reports_its_esxi_hosts(lab, lab_fault):
    c = yaml.safe_load(lab[1].credentials_file.read_text())["gxj_vcenter"]
    ca = str(lab[1].path / "ca.pem")
    assert requests.post("https://127.98.3.22/rest/com/vmware/cis/session", auth=(c["username"], "x"), verify=ca,
                         timeout=5).status_code == 401
    token = requests.post("https://127.98.3.22/rest/com/vmware/cis/session", auth=(c["username"], c["password"]),
                          verify=ca, timeout=5).json()["value"]

    def hosts():
        r = requests.get("https://127.98.3.22/rest/vcenter/host", headers={"vmware-api-session-id": token},
                         verify=ca, timeout=5)
        return {h["name"]: h["connection_state"] for h in r.json()["value"]}

    assert hosts() == {"lab-esx": "CONNECTED"}
    lab_fault("lab-esx", "refused")
    assert hosts() == {"lab-esx": "NOT_RESPONDING"}
