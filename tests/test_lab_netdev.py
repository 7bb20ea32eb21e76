"""The lab's network devices, seen through real clients: netmiko, paramiko, plain sockets.

A module-scoped lab serves tests/fixtures/lab_inventory on its own address block
(127.98.0.0/16) and its own state directory, so it never meets a running lab.
"""

from __future__ import annotations

import socket
import time

import paramiko
import pytest
import yaml
from netmiko import ConnectHandler
from netmiko.exceptions import NetmikoAuthenticationException, ReadTimeout

from cityops.lab import control, supervisor
from cityops.lab.faults import FaultStore
from cityops.lab.statedir import LabDir

from .conftest import LAB_INV, wait_for  # noqa: F401 - LAB_INV: the lab fixture serves it

NETMIKO_TYPE = {"huawei_vrp": "huawei", "huawei_vrpv8": "huawei_vrpv8", "hp_comware": "hp_comware",
                "cisco_ios": "cisco_ios", "cisco_nxos": "cisco_nxos", "brocade_fos": "brocade_fos",
                "topsec_tos": "generic"}


@pytest.fixture(scope="module")
def conns(lab):
    """One netmiko session per device for the module (netmiko's Huawei logout alone costs 2 s)."""
    opened: dict = {}

    def get(name):
        if name not in opened:
            opened[name] = connect(lab, name)
        return opened[name]

    yield get
    for conn in opened.values():
        conn.disconnect()


@pytest.fixture
def faults(lab):
    inv, state = lab
    store = FaultStore(state)
    yield lambda host, kind, **params: control.set_fault(state, inv, host, kind, **params)
    store.clear_all()
    time.sleep(0.3)  # servers re-read faults every 0.2 s


def creds(state: LabDir, name: str = "gxj_network") -> dict:
    return yaml.safe_load(state.credentials_file.read_text())[name]


def connect(lab, name, **kw):
    inv, state = lab
    h = inv.hosts[name]
    c = creds(state, h.get("credential"))
    if h.get("platform") == "topsec_tos":
        kw.setdefault("encoding", "gbk")  # Topsec answers in GBK
    return ConnectHandler(device_type=NETMIKO_TYPE[h.get("platform")], host=h.get("ansible_host"),
                          username=c["username"], password=c["password"], **kw)




@pytest.mark.parametrize(("name", "cmd", "expect"), [
    ("lab-vrp-core", "display version", "VRP (R) software, Version 5.170 (S7706 V200R011C10SPC600)"),
    ("lab-vrp8-agg", "display version", "Version 8.180 (S6730-H24X6C V200R019C10SPC500)"),
    ("lab-h3c-fl", "display version", "H3C Comware Software, Version 7.1.070"),
    ("lab-ios-rt", "show version", "Cisco IOS XE Software, Version 16.09.05"),
    ("lab-mds", "show version", "cisco MDS 9148 FC"),
    ("lab-topsec", "system version show", "TopsecOS version: 3.3.010.095.1"),
    ("lab-fos", "version", "Fabric OS:  v7.4.2c"),
])
def test_netmiko_speaks_each_platform(lab, conns, name, cmd, expect):
    conn = conns(name)
    assert name in conn.find_prompt()
    assert expect in conn.send_command(cmd)
    platform = lab[0].hosts[name].get("platform")
    config_cmd = {"topsec_tos": "show-running", "brocade_fos": "configshow"}.get(
        platform, "show running-config" if "cisco" in platform else "display current-configuration")
    config = conn.send_command(config_cmd, read_timeout=20)
    assert name in config and len(config.splitlines()) > (10 if platform in ("topsec_tos", "brocade_fos") else 40)


def test_vrp_abbreviations_errors_and_views(conns):
    conn = conns("lab-vrp-core")
    assert "CPU Usage Stat. Cycle: 60 (Second)" in conn.send_command("dis cpu")
    assert conn.send_command("dis ver").splitlines()[1] == conn.send_command("display version").splitlines()[1]
    assert "Error: Unrecognized command found at '^' position." in conn.send_command("display nonsense")
    conn.config_mode()
    assert conn.find_prompt() == "[lab-vrp-core]"
    conn.exit_config_mode()
    assert conn.find_prompt() == "<lab-vrp-core>"


@pytest.mark.parametrize(("name", "kind", "params", "cmd", "healthy", "faulty"), [
    ("lab-vrp-core", "cpu_high", {}, "display cpu-usage", None, "CPU Usage            : 96%"),
    ("lab-vrp-core", "memory_high", {"percent": "91"}, "display memory-usage", None, "Memory Using Percentage Is: 91%"),
    ("lab-vrp-core", "fan_failed", {"fan": "2"}, "display fan", "Abnormal", "Abnormal"),
    ("lab-vrp-core", "power_failed", {}, "display power", "NotSupply", "NotSupply"),
    ("lab-vrp-core", "temperature_high", {}, "display temperature all", "Abnormal", " 79 "),
    ("lab-vrp-core", "alarm_active", {}, "display alarm active", "Critical", "Critical"),
    ("lab-h3c-fl", "fan_failed", {}, "display fan", "Fault", "Fault"),
    ("lab-h3c-fl", "cpu_high", {}, "display cpu-usage", None, "96% in last 5 seconds"),
    ("lab-ios-rt", "power_failed", {}, "show environment all", "Critical         0 V AC", "Critical         0 V AC"),
    ("lab-mds", "temperature_high", {}, "show environment", "major", "major"),
    ("lab-topsec", "signature_outdated", {"days": "60"}, "ips signature show", None, None),
    ("lab-topsec", "cpu_high", {}, "system status show", None, "CPU使用率: 96%"),
    ("lab-fos", "power_failed", {}, "psshow", "FAULTY", "Power Supply #2 is FAULTY"),
    ("lab-fos", "fc_port_errors", {"port": "2"}, "porterrshow", None, None),
])
def test_fault_appears_and_clears(lab, conns, faults, name, kind, params, cmd, healthy, faulty):
    conn = conns(name)
    before = conn.send_command(cmd)
    if healthy:
        assert healthy not in before
    faults(name, kind, **params)
    if faulty is None:  # the answer changes (a date moves back, a counter rises)
        assert wait_for(lambda: conn.send_command(cmd) != before)
    else:
        assert wait_for(lambda: faulty in conn.send_command(cmd)), conn.send_command(cmd)
    FaultStore(lab[1]).clear(name, kind)
    assert wait_for(lambda: conn.send_command(cmd) == before if faulty is None else faulty not in conn.send_command(cmd))


def _counter(text: str, label: str) -> int:
    line = next(x for x in text.splitlines() if label in x)
    return int(line.split(label)[1].split(",")[0].strip(" :"))


def test_crc_errors_grow_and_fc_errors_show(conns, faults):
    vrp = conns("lab-vrp-core")
    mds = conns("lab-mds")
    port = "GigabitEthernet0/0/3"
    assert _counter(vrp.send_command(f"display interface {port}"), "CRC:") == 0
    faults("lab-vrp-core", "crc_errors", port="3", per_minute="600")
    first = wait_for(lambda: _counter(vrp.send_command(f"display interface {port}"), "CRC:"))
    time.sleep(1.1)
    second = _counter(vrp.send_command(f"display interface {port}"), "CRC:")
    assert 0 < first < second  # rising, as an inspection comparing runs must see
    assert "CRC_ERROR" in vrp.send_command("display logbuffer")
    faults("lab-mds", "fc_port_errors")
    assert wait_for(lambda: "0 CRC" not in mds.send_command("show interface fc1/1"))


def test_config_faults_empty_and_truncated(lab, conns, faults):
    conn = conns("lab-h3c-fl")
    full = conn.send_command("display current-configuration")
    assert full.rstrip().endswith("return")
    faults("lab-h3c-fl", "truncated_config")
    cut = wait_for(lambda: (lambda t: t if not t.rstrip().endswith("return") else "")(
        conn.send_command("display current-configuration")))
    assert cut and full.startswith(cut.rstrip()[:200]) and len(cut) < len(full) / 2
    FaultStore(lab[1]).clear("lab-h3c-fl")
    faults("lab-h3c-fl", "empty_config")
    assert wait_for(lambda: conn.send_command("display current-configuration").strip() == "")


def test_garbage_and_slow_answers(lab, faults):
    conn = connect(lab, "lab-vrp8-agg")
    try:
        faults("lab-vrp8-agg", "garbage")
        assert wait_for(lambda: "CPU" not in conn.send_command("display cpu-usage"))
        FaultStore(lab[1]).clear("lab-vrp8-agg")
        faults("lab-vrp8-agg", "slow", seconds="3")
        time.sleep(0.3)
        with pytest.raises(ReadTimeout):
            conn.send_command("display version", read_timeout=1)
    finally:
        conn.disconnect()


def test_wrong_password_refused_and_unreachable(lab, faults):
    inv, state = lab
    addr = inv.hosts["lab-ios-rt"].get("ansible_host")
    faults("lab-ios-rt", "wrong_password")
    time.sleep(0.3)
    with pytest.raises(NetmikoAuthenticationException):
        connect(lab, "lab-ios-rt")
    FaultStore(state).clear("lab-ios-rt")
    faults("lab-ios-rt", "refused")
    assert wait_for(lambda: control.probe(addr)[1] == "connection refused")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((addr, 22), timeout=2).close()
    FaultStore(state).clear("lab-ios-rt")
    faults("lab-ios-rt", "unreachable")
    assert wait_for(lambda: control.probe(addr, timeout=0.5)[1] == "connect timed out", timeout=5)
    FaultStore(state).clear("lab-ios-rt")
    assert wait_for(lambda: control.probe(addr)[0])
    connect(lab, "lab-ios-rt").disconnect()


def test_vrp_enforces_five_sessions(lab):
    inv, state = lab
    c = creds(state)
    addr = inv.hosts["lab-ne80e"].get("ansible_host")  # a VRP device no other test holds a session on
    clients = []
    try:
        for _ in range(5):
            cl = paramiko.SSHClient()
            cl.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            cl.connect(addr, username=c["username"], password=c["password"], look_for_keys=False, allow_agent=False)
            clients.append(cl)
        def another():
            cl = paramiko.SSHClient()
            cl.set_missing_host_key_policy(paramiko.AutoAddPolicy())
            cl.connect(addr, username=c["username"], password=c["password"], look_for_keys=False,
                       allow_agent=False, timeout=5)
            return cl

        with pytest.raises(paramiko.SSHException):  # the device disconnects the sixth during auth
            another()
        clients.pop().close()
        time.sleep(0.2)
        clients.append(another())  # a freed VTY line admits a new session
    finally:
        for cl in clients:
            cl.close()


def vrp_shell(lab, term: str = "vt100"):
    """An interactive shell on the lab's VRP core switch, as a person's terminal (or expect's) opens one."""
    inv, state = lab
    c = creds(state)
    cl = paramiko.SSHClient()
    cl.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    cl.connect(inv.hosts["lab-vrp-core"].get("ansible_host"), username=c["username"], password=c["password"],
               look_for_keys=False, allow_agent=False)
    return cl, cl.invoke_shell(term=term)


def test_paging_until_disabled(lab):
    cl, chan = vrp_shell(lab)
    try:
        buf = _read_until(chan, b">")
        chan.send(b"display current-configuration\n")
        buf = _read_until(chan, b"---- More ----")
        assert b"sysname lab-vrp-core" in buf and buf.count(b"\n") < 40
        chan.send(b" ")
        buf = _read_until(chan, b"---- More ----")
        chan.send(b"q")
        _read_until(chan, b"<lab-vrp-core>")
    finally:
        cl.close()


@pytest.mark.parametrize("term", ["network", "vt100", "dumb"])
def test_typed_input_is_echoed_once_whatever_the_terminal_type(lab, term):
    """RANCID's clogin runs with TERM=network; a device echoes 'quit' as 'quit', never redrawn with backspaces."""
    cl, chan = vrp_shell(lab, term)
    try:
        _read_until(chan, b"<lab-vrp-core>")
        for ch in b"display clock\n":  # typed a key at a time, as expect does
            chan.send(bytes([ch]))
            time.sleep(0.005)
        buf = _read_until(chan, b"UTC+08:00")
        assert buf.startswith(b"display clock\r\n") and b"\x08" not in buf, buf[:200]
    finally:
        cl.close()


def test_save_asks_before_it_writes_as_devices_do(lab):
    """VRP asks once, Comware three times (file name, overwrite); 'n' cancels; `save force` asks nothing; netmiko's
    save_config gets through (as an engineer's script saves)."""
    import netmiko

    from cityops.lab.netdev.configstate import ConfigState

    inv, state = lab
    cl, chan = vrp_shell(lab)
    try:
        _read_until(chan, b"<lab-vrp-core>")
        chan.send(b"save\n")
        _read_until(chan, b"Continue? [Y/N]:")
        chan.send(b"n\n")
        assert b"cancelled" in _read_until(chan, b"<lab-vrp-core>")
        chan.send(b"save\n")
        _read_until(chan, b"Continue? [Y/N]:")
        chan.send(b"y\n")
        assert b"Save the configuration successfully" in _read_until(chan, b"<lab-vrp-core>")
    finally:
        cl.close()
    h = inv.hosts["lab-h3c-fl"]
    c = creds(state, h.get("credential"))
    try:
        conn = netmiko.ConnectHandler(device_type="hp_comware", host=h.get("ansible_host"), username=c["username"],
                                      password=c["password"], use_keys=False, allow_agent=False, ssh_strict=False,
                                      system_host_keys=False)
        try:
            out = conn.send_command_timing("save")
            assert out.rstrip().endswith("Are you sure? [Y/N]:")
            out = conn.send_command_timing("y")
            assert "press the enter key" in out
            out = conn.send_command_timing("")
            assert "overwrite? [Y/N]:" in out
            assert "successfully" in conn.send_command_timing("y")
            assert "successfully" in conn.save_config()  # netmiko's own: `save force`
        finally:
            conn.disconnect()
    finally:
        ConfigState(state).clear("lab-h3c-fl")


def _read_until(chan, marker: bytes, timeout=5.0) -> bytes:
    data = b""
    deadline = time.monotonic() + timeout
    while marker not in data and time.monotonic() < deadline:
        if chan.recv_ready():
            data += chan.recv(65536)
        else:
            time.sleep(0.02)
    assert marker in data, data[-300:]
    return data


def test_host_keys_are_verified_against_known_hosts(lab):
    inv, state = lab
    c = creds(state)
    addr = inv.hosts["lab-h3c-fl"].get("ansible_host")
    cl = paramiko.SSHClient()
    cl.load_host_keys(str(state.known_hosts))
    cl.set_missing_host_key_policy(paramiko.RejectPolicy())
    cl.connect(addr, username=c["username"], password=c["password"], look_for_keys=False, allow_agent=False)
    cl.close()
    # another device's key under this address: the client must refuse
    other = inv.hosts["lab-ios-rt"].get("ansible_host")
    lines = state.known_hosts.read_text().splitlines()
    wrong = [line.replace(other, addr) for line in lines if line.startswith(other + " ")]
    bad = state.path / "known_hosts.wrong"
    bad.write_text("\n".join(wrong) + "\n")
    cl = paramiko.SSHClient()
    cl.load_host_keys(str(bad))
    cl.set_missing_host_key_policy(paramiko.RejectPolicy())
    with pytest.raises(paramiko.BadHostKeyException):
        cl.connect(addr, username=c["username"], password=c["password"], look_for_keys=False, allow_agent=False)


def test_old_devices_offer_only_group14_sha1_and_ssh_rsa(lab):
    inv, state = lab
    c = creds(state)
    addr = inv.hosts["lab-ne80e"].get("ansible_host")
    t = paramiko.Transport((addr, 22))
    t.start_client(timeout=5)
    assert t.host_key_type == "ssh-rsa" and t.get_remote_server_key().get_name() == "ssh-rsa"
    t.close()
    modern = paramiko.Transport((addr, 22))
    modern.disabled_algorithms = {"kex": ["diffie-hellman-group14-sha1"]}
    with pytest.raises(paramiko.SSHException):
        modern.start_client(timeout=5)
    modern.close()
    assert c["username"] == "netops"


def test_gbk_device_answers_in_gbk(lab):
    inv, state = lab
    c = creds(state)
    cl = paramiko.SSHClient()
    cl.set_missing_host_key_policy(paramiko.AutoAddPolicy())
    cl.connect(inv.hosts["lab-h3c-gbk"].get("ansible_host"), username=c["username"], password=c["password"],
               look_for_keys=False, allow_agent=False)
    try:
        _stdin, stdout, _ = cl.exec_command("display interface brief")
        raw = stdout.read()
        assert "接入端口".encode("gbk") in raw
        with pytest.raises(UnicodeDecodeError):
            raw.decode("utf-8")
    finally:
        cl.close()


def test_second_up_is_refused_and_down_leaves_nothing(lab, tmp_path):
    inv, state = lab
    with pytest.raises(supervisor.LabError, match="already running"):
        control.up(state, list(inv.hosts.values()))
    procs, hosts = control.status(state)
    assert set(procs) == {"netdev", "web", "redfish", "snmp", "ipmi",
                          *(f"sshd:{n}" for n in ("lab-linux-app", "lab-linux-ora", "lab-kylin", "lab-rac1", "lab-rac2",
                                                  "lab-sqla", "lab-sqlb", "lab-wsus", "lab-aix", "lab-esx"))}
    assert all(h.reachable for h in hosts)
    other = LabDir(tmp_path / "other")
    sub = [inv.hosts["lab-vrp-core"]]
    with pytest.raises(supervisor.LabError):  # the address is taken by the running lab: no doubling
        control.up(other, sub)
    assert not supervisor.running(other)


def test_napalm_ios_driver_reads_facts_and_environment(lab, faults):
    """napalm's IOS driver (the estate's Cisco router), strict about the lab's host keys."""
    from napalm import get_network_driver

    inv, state = lab
    c = creds(state)
    driver = get_network_driver("ios")
    dev = driver(inv.hosts["lab-ios-rt"].get("ansible_host"), c["username"], c["password"],
                 optional_args={"ssh_strict": True, "alt_host_keys": True, "alt_key_file": str(state.known_hosts)})
    dev.open()
    try:
        facts = dev.get_facts()
        assert facts["hostname"] == "lab-ios-rt" and facts["fqdn"] == "lab-ios-rt.klmy.gov.cn"
        assert facts["model"] == "ISR4451-X" and len(facts["interface_list"]) == 8
        env = dev.get_environment()
        assert env["memory"]["available_ram"] > env["memory"]["used_ram"] > 0
        assert not env["temperature"]["system"]["is_critical"]
        faults("lab-ios-rt", "cpu_high", percent="93")
        faults("lab-ios-rt", "temperature_high", celsius="77")
        time.sleep(0.3)
        env = dev.get_environment()
        assert env["cpu"][0]["%usage"] == 93.0
        assert env["temperature"]["system"] == {"is_alert": True, "is_critical": True, "temperature": 77.0}
    finally:
        dev.close()
