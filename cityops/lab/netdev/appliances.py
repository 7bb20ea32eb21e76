"""Security appliances and SAN/ADC gear: Topsec TOS, Sangfor, Brocade FOS (DS-300B/SAN24B), F5 TMOS.

No netmiko or napalm driver exists for Topsec or Sangfor; their prompts and
commands here follow public collector code (sky-cloud-tec/netd's Topsec NGFW4000
operator: `NAME# ` prompt, errors beginning "error", GBK output; `system version
show`, `network interface show`, `show-running`) and field practice; command
names this model adds (`system status show`, `ips signature show` ...) are
stated as such in the README. Brocade FOS and F5 tmsh follow their manuals'
output layouts.
"""

from __future__ import annotations

import datetime as dt
import time

from ...timeutil import today as now_date
from .cli import Platform, Session
from .device import now_text, uptime_text
from .planted import cipher, plain, sha512_crypt
from .vrp import config_answer


def _signature_date(s: Session) -> str:
    days = s.health.signature_age_days
    return (now_date() - dt.timedelta(days=days)).isoformat()


class Topsec(Platform):
    name = "topsec_tos"
    more = "--More--"
    more_erase = "\r        \r"

    def register(self) -> None:
        modes = ("user", "system")
        add = self.add
        add("system version show", self.version, modes)
        add("show-running", self.config, modes)
        add("network interface show", self.interfaces, modes)
        add("system status show", self.status, modes)
        add("ips signature show", lambda s, a: self.signature(s, "IPS"), modes)
        add("av signature show", lambda s, a: self.signature(s, "AV"), modes)
        add("ips signature update online", lambda s, a: self.update(s, "IPS"), modes)
        add("av signature update online", lambda s, a: self.update(s, "AV"), modes)
        add("system alarm show", self.alarms, modes)
        add("pager off", self.no_paging, modes)
        add("exit", self.exit, modes)

    def prompt(self, s: Session) -> str:
        return f"{s.dev.name}# "

    def unknown(self, s: Session, line: str, position: int) -> str:
        return f"error -8001 : 命令不存在 ({line.split()[0] if line.split() else line})"


    def version(self, s: Session, a) -> str:
        return (f"TopsecOS version: 3.3.010.095.1\nProduct: {s.dev.model}\nSerial number: {s.dev.serial}\n"
                f"Uptime: {uptime_text(s.health.uptime_s)}")

    def config(self, s: Session, a) -> str:
        d = s.dev
        lines = ["#topsec configuration", f"system hostname set {d.name}",
                 f"system admin user add name {d.username} password {cipher(d.name, 'admin')} privilege superman",
                 "system ntp set server 127.0.0.1 enable yes", "log syslog set server 127.0.0.1 port 514",
                 f"network interface eth0 ip add {d.address} mask 255.255.0.0", "define area add name area_inside",
                 "define area add name area_outside", "firewall policy add action accept src area_inside dst area_outside",
                 f"snmp set community {cipher(d.name, 'snmp')[4:24]} readonly",
                 "ips enable yes", "av enable yes", "#end"]
        return config_answer(s, "\n".join(lines))

    def interfaces(self, s: Session, a) -> str:
        rows = [f"eth{i:<3} {'up' if p.up else 'down':<6} 1000M  full   {p.base_in // 700:>10} {p.base_out // 700:>10} {p.crc:>6}"
                for i, p in enumerate(s.health.ports)]
        return "接口   状态   速率   双工   接收包数   发送包数   错包\n" + "\n".join(rows)

    def status(self, s: Session, a) -> str:
        h = s.health
        fans = " ".join(f"fan{i}:{'normal' if ok else 'fault'}" for i, ok, _sp in h.fans)
        psus = " ".join(f"power{i}:{'normal' if ok else 'fault'}" for i, ok in h.psus)
        return (f"CPU使用率: {h.cpu}%\n内存使用率: {h.memory}%\n磁盘使用率: {h.disk}%\n当前会话数: 18342\n"
                f"设备温度: {h.temperature}C\n风扇: {fans}\n电源: {psus}\n运行时间: {uptime_text(h.uptime_s)}")

    def signature(self, s: Session, kind: str) -> str:
        return f"{kind} 特征库版本: 3.0.{2026 - s.health.signature_age_days // 30}.1122\n更新时间: {_signature_date(s)}"

    def alarms(self, s: Session, a) -> str:
        return "\n".join(f"{t} {sev} {text}" for sev, t, text in s.health.alarms) or "无告警"

    updated_message = "{kind} 特征库升级成功，当前版本 3.0.2026.1122"

    def update(self, s: Session, kind: str) -> str:
        """Online signature update from the vendor's server; the lab's update server always has today's."""
        config = s.state.get("config_state")
        if config is not None:
            config.update_signatures(s.dev.name, time.time())
            s.state.pop("_health", None)
        return self.updated_message.format(kind=kind)


class Sangfor(Topsec):
    name = "sangfor_vpn"
    more = "--More--"

    def register(self) -> None:
        modes = ("user", "system")
        add = self.add
        add("show version", self.version, modes)
        add("show running-config", self.config, modes)
        add("show interface", self.interfaces, modes)
        add("show system status", self.status, modes)
        add("show signature", lambda s, a: self.signature(s, "应用识别/漏洞特征"), modes)
        add("update signature online", lambda s, a: self.update(s, "应用识别/漏洞特征"), modes)
        add("show alarm", self.alarms, modes)
        add("terminal length 0", self.no_paging, modes)
        add("exit", self.exit, modes)

    updated_message = "Update succeeded: {kind} library 3.0.2026.1122"

    def prompt(self, s: Session) -> str:
        return f"{s.dev.name}> "

    def unknown(self, s: Session, line: str, position: int) -> str:
        return "% Unknown command."

    def version(self, s: Session, a) -> str:
        return (f"Sangfor {s.dev.model}\nSoftware version: SSL9.1R1\nHardware version: V3.0\n"
                f"Serial number: {s.dev.serial}\nUptime: {uptime_text(s.health.uptime_s)}")

    def config(self, s: Session, a) -> str:
        d = s.dev
        lines = ["!", f"hostname {d.name}", f"user {d.username} password {cipher(d.name, 'admin')} role admin",
                 f"interface eth0\n ip address {d.address} 255.255.0.0", "ntp server 127.0.0.1",
                 "sslvpn enable", "sslvpn port 443", f"snmp community {cipher(d.name, 'snmp')[4:24]} ro", "!", "end"]
        return config_answer(s, "\n".join(lines))


class BrocadeFos(Platform):
    """Brocade Fabric OS (EMC DS-300B, IBM SAN24B): `name:user> `."""

    name = "brocade_fos"
    more = "Type <CR> to continue, Q<CR> to stop: "
    more_erase = "\r\n"
    pages_by_default = False  # FOS pages only when asked (| more)

    def register(self) -> None:
        modes = ("user", "system")
        add = self.add
        add("version", self.version, modes)
        add("switchshow", self.switchshow, modes)
        add("porterrshow", self.porterrshow, modes)
        add("psshow", self.psshow, modes)
        add("fanshow", self.fanshow, modes)
        add("tempshow", self.tempshow, modes)
        add("configshow", self.config, modes)
        add("errdump", lambda s, a: "\n".join(s.health.logs), modes)
        add("exit", self.exit, modes)
        add("logout", self.exit, modes)

    def prompt(self, s: Session) -> str:
        return f"{s.dev.name}:{s.dev.username}> "

    def unknown(self, s: Session, line: str, position: int) -> str:
        return f"rbash: {line.split()[0] if line.split() else line}: command not found"


    def version(self, s: Session, a) -> str:
        return ("Kernel:     2.6.14.2\nFabric OS:  v7.4.2c\nMade on:    Fri Jan 12 20:15:30 2018\n"
                "Flash:      Wed Mar 14 10:22:41 2018\nBootProm:   1.0.11")

    def switchshow(self, s: Session, a) -> str:
        rows = [f"{i:>4} {i:>4}   01{i:02x}00   id    N8     {'Online ' if p.up else 'No_Light'}     FC  "
                f"{'F-Port  10:00:00:00:c9:' + s.dev.mac[:2] + ':' + s.dev.mac[2:4] + ':' + f'{i:02x}' if p.up else ''}"
                for i, p in enumerate(s.health.ports)]
        return (f"switchName:\t{s.dev.name}\nswitchType:\t71.2\nswitchState:\tOnline\nswitchMode:\tNative\n"
                "switchRole:\tPrincipal\nswitchDomain:\t1\nswitchId:\tfffc01\nswitchWwn:\t10:00:00:05:33:"
                f"{s.dev.mac[:2]}:{s.dev.mac[2:4]}:{s.dev.mac[4:]}\nzoning:\t\tON (cfg_{s.dev.name.replace('-', '_')})\n"
                "switchBeacon:\tOFF\n\nIndex Port Address Media Speed State     Proto\n"
                "==================================================\n" + "\n".join(rows))

    def porterrshow(self, s: Session, a) -> str:
        rows = [f"{i:>3}: {p.base_in // 2000 % 10**6:>6}k {p.base_out // 2000 % 10**6:>6}k   0   0   0 "
                f"{p.fc_errors:>5} {p.fc_errors:>5}   0   0   0   0   0   0   0   0   0"
                for i, p in enumerate(s.health.ports)]
        return ("          frames      enc    crc    crc    too    too    bad    enc   disc   link   loss   loss   frjt   fbsy\n"
                "       tx     rx      in    err    g_eof  shrt   long   eof     out   c3    fail    sync   sig\n"
                "     ==========================================================================================\n"
                + "\n".join(rows))

    def psshow(self, s: Session, a) -> str:
        return "\n".join(f"Power Supply #{i} is {'OK' if ok else 'FAULTY'}" for i, ok in s.health.psus)

    def fanshow(self, s: Session, a) -> str:
        return "\n".join(f"Fan {i} is {'Ok' if ok else 'FAULTY'}, speed is {sp * 150} RPM"
                         for i, ok, sp in s.health.fans)

    def tempshow(self, s: Session, a) -> str:
        t = s.health.temperature
        return (" Sensor  State          Centigrade   Fahrenheit\n   ID\n==============================================\n"
                f"  1      {'Ok' if s.health.temp_ok else 'Absent'}             {t}           {t * 9 // 5 + 32}")

    def config(self, s: Session, a) -> str:
        d = s.dev
        lines = ["[Configuration upload Information]", "Configuration Format = 3.0",
                 "Minimum Compatible Format = 3.0", "Excluding Format = 0.0",
                 f"date = {now_text('%a %b %d %H:%M:%S %Y')}", "FOS version = v7.4.2f", "Number of LS = 1",
                 "[Switch Configuration Begin : 0]", f"SwitchName = {d.name}", "Fabric ID = 128", "",
                 "[Boot Parameters]", "boot.name:" + d.name, "boot.ipa:" + d.address, "boot.ipm:ffff0000", "",
                 "[Configuration]", "switch.domain:1", "ts.clockServer:127.0.0.1",
                 f"snmp.snmpv1.0.community:{plain(d.name, 'fos-snmp')}", "snmp.snmpv1.0.trapRecipient:127.0.0.1",
                 "[Zoning]", f"cfg.cfg_{d.name.replace('-', '_')}:zone_db;zone_backup",
                 "enable:cfg_" + d.name.replace("-", "_"), "[Switch Configuration End : 0]"]
        return config_answer(s, "\n".join(lines))


class F5Tmos(Platform):
    """F5 BIG-IP (BIG-LTM-1600, TMOS 11.x) in tmsh."""

    name = "f5_tmos"
    more = "---(less 24%)---"
    more_erase = "\r                \r"

    def register(self) -> None:
        modes = ("user", "system")
        add = self.add
        add("tmsh", lambda s, a: "", modes)
        add("modify cli preference pager disabled display-threshold 0", self.no_paging, modes)
        add("run /util bash", lambda s, a: "", modes)  # netmiko's `run /util bash -c "stty cols 255"` at login
        add("show sys version", self.version, modes)
        add("show sys hardware", self.hardware, modes)
        add("show sys cpu", self.cpu, modes)
        add("show sys memory", lambda s, a: f"Sys::System Memory Information\nMemory Used(%)  {s.health.memory}", modes)
        add("list ltm virtual", lambda s, a: ("ltm virtual vs_jiuye_https {\n    destination 127.0.0.1:https\n"
                                              "    pool pool_jiuye\n}"), modes)
        add("show ltm pool", self.pools, modes)
        add("show running-config", self.config, modes)
        add("list", self.config, modes)
        add("quit", self.exit, modes)
        add("exit", self.exit, modes)

    def prompt(self, s: Session) -> str:
        return f"{s.dev.username}@({s.dev.name})(cfg-sync Standalone)(Active)(/Common)(tmos)# "

    def unknown(self, s: Session, line: str, position: int) -> str:
        return f"Syntax Error: \"{line.split()[0] if line.split() else line}\" unknown property"


    def cpu(self, s: Session, a) -> str:
        c = s.health
        return f"Sys::CPU\nCPU Usage   Current  Average  Max(since boot)\n  0     {c.cpu:>8}  {c.cpu:>7}  {c.cpu_max:>7}"

    def version(self, s: Session, a) -> str:
        return ("Sys::Version\nMain Package\n  Product     BIG-IP\n  Version     11.6.1\n  Build       2.0.338\n"
                "  Edition     Hotfix HF2")

    def hardware(self, s: Session, a) -> str:
        h = s.health
        return ("Sys::Hardware\nChassis Fan Status\n  Index  Status  Low Limit  Fan Speed\n"
                + "\n".join(f"  {i}      {'up' if ok else 'down':<7} 2000       {sp * 200}" for i, ok, sp in h.fans)
                + "\nChassis Power Supply Status\n  Index  Status  Current\n"
                + "\n".join(f"  {i}      {'up' if ok else 'down':<7} AC" for i, ok in h.psus)
                + f"\nChassis Temperature Status\n  Index  Temp(C)\n  1      {h.temperature}")

    def pools(self, s: Session, a) -> str:
        return ("Ltm::Pool: pool_jiuye\n  Status\n    Availability : available\n    State        : enabled\n"
                "    Reason       : The pool is available\n  Current Active Members 4")

    def config(self, s: Session, a) -> str:
        d = s.dev
        lines = [f"auth user {d.username} {{\n    description \"Admin User\"\n    encrypted-password "
                 f"{sha512_crypt(d.name)}\n    partition-access {{\n        all-partitions {{\n"
                 "            role admin\n        }\n    }\n    shell tmsh\n}",
                 "ltm monitor http mon_jiuye {\n    defaults-from /Common/http\n    destination *:*\n"
                 f"    interval 5\n    password {plain(d.name, 'f5-monitor')}\n    send \"GET /health HTTP/1.0\\r\\n\\r\\n\"\n"
                 "    time-until-up 0\n    timeout 16\n    username monitor\n}",
                 "ltm pool pool_jiuye {\n    members {\n        127.0.0.1:8080 {\n            address 127.0.0.1\n"
                 "        }\n    }\n    monitor mon_jiuye\n}",
                 "ltm virtual vs_jiuye_https {\n    destination 127.0.0.1:https\n    ip-protocol tcp\n"
                 "    mask 255.255.255.255\n    pool pool_jiuye\n    profiles {\n        /Common/tcp { }\n    }\n"
                 "    source 0.0.0.0/0\n}",
                 f"sys global-settings {{\n    gui-setup disabled\n    hostname {d.name}\n}}",
                 "sys ntp {\n    servers { 127.0.0.1 }\n    timezone Asia/Shanghai\n}",
                 f"sys snmp {{\n    agent-addresses {{ tcp6:161 udp6:161 }}\n    communities {{\n"
                 f"        /Common/comm-public {{\n            community-name {plain(d.name, 'f5-snmp')}\n"
                 "            source 127.0.0.1\n        }\n    }\n    sys-contact \"ops@karamay\"\n}"]
        return config_answer(s, "\n".join(lines))
