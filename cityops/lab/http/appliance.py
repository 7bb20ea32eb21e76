"""Web-managed appliances: security devices, the 利谱 gatekeeper and the backup appliances.

TopSAG and Shterm bastions, TopAudit and 天玥 log auditors, NSFOCUS and 天清
IPS, the RSAS vulnerability scanner, the 利谱 gatekeeper and the 爱数 / 浪潮
DP1000G5 backup appliances are managed over HTTPS only. Their real management
APIs are proprietary and differ by vendor; the lab models one JSON shape for
all of them (said so in the README), carrying what an inspection reads:

    POST /api/v1/login              {"username", "password"} -> {"token"}
    GET  /api/v1/system             identity, CPU, memory, disks, PSUs, fans, temperature
    GET  /api/v1/alarms             active alarms
    GET  /api/v1/signatures         signature / rule libraries with version and update date
    GET  /api/v1/gap/units          gatekeeper: inner and outer units, ferry channel
    GET  /api/v1/backup/jobs        backup appliance: the last week's jobs
    GET  /api/v1/storage/pools      backup appliance: pool capacity
    GET  /api/v1/storage/disks      backup appliance: disk state
    GET  /api/v1/config/export      the configuration as text ({"format": "text", "config": ...}), for backups

Requests carry the token in X-Auth-Token. Faults change the answers
(cpu_high, memory_high, disk_full, fan_failed, power_failed, temperature_high,
alarm_active, signature_outdated, storage_*, backup_*), and the connection:
wrong_password rejects the credential, garbage answers bytes that are not JSON.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from aiohttp import web

from ...timeutil import BEIJING, now

TOKENS: dict[str, str] = {}  # token -> endpoint name

# Rule and signature libraries by device class (what the vendor consoles call them).
LIBRARIES = {
    "ips_appliance": (("入侵防御特征库", "5.6.10.{n}"), ("病毒特征库", "2.0.{n}")),
    "vuln_scanner": (("系统漏洞插件库", "V6.0R04F00.{n}"), ("Web 漏洞插件库", "V6.0R02F01.{n}")),
    "log_auditor": (("日志解析规则库", "3.1.{n}"),),
    "gatekeeper": (("病毒特征库", "2.1.{n}"),),
    "bastion_host": (),
    "backup_appliance": (),
}


def _seed(name: str) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def _kind(e: dict) -> str:
    if e["platform"] == "lipu_gap":
        return "gatekeeper"
    if e["platform"] == "backup_appliance":
        return "backup_appliance"
    if "漏洞" in e["model"] or "RSAS" in e["model"]:
        return "vuln_scanner"
    return e["device_class"]


def system(e: dict, faults: dict) -> dict:
    seed = _seed(e["name"])
    bad_fan = int(faults["fan_failed"].get("fan", 1)) if "fan_failed" in faults else None
    bad_psu = int(faults["power_failed"].get("psu", 2)) if "power_failed" in faults else None
    full = faults.get("disk_full", {})
    disks = [{"name": mount, "total_gb": size, "used_percent": int(full["percent"]) if full.get("mount") == mount
              else 20 + (seed >> i) % 40} for i, (mount, size) in enumerate((("/", 64), ("/data", 3700)))]
    if full and full.get("mount") not in ("/", "/data"):
        disks[1]["used_percent"] = int(full["percent"])
    return {
        "hostname": e["host"], "vendor": e["vendor"], "model": e["model"],
        "serial": f"{e['model'][:4].upper()}{seed % 10**10:010d}", "version": f"V3.{seed % 9}.{seed % 30}",
        "uptime_seconds": 86400 * (40 + seed % 300),
        "cpu_percent": int(faults["cpu_high"]["percent"]) if "cpu_high" in faults else 5 + seed % 25,
        "memory_percent": int(faults["memory_high"]["percent"]) if "memory_high" in faults else 30 + seed % 30,
        "disks": disks,
        "power_supplies": [{"id": i, "status": "fault" if i == bad_psu else "normal"} for i in (1, 2)],
        "fans": [{"id": i, "status": "fault" if i == bad_fan else "normal", "rpm": 0 if i == bad_fan else 4200 + i * 37}
                 for i in range(1, 5)],
        "temperature_celsius": int(faults["temperature_high"]["celsius"]) if "temperature_high" in faults
        else 38 + seed % 8,
    }


def alarms(e: dict, faults: dict) -> list[dict]:
    out = []
    since = lambda kind: dt.datetime.fromtimestamp(faults[kind]["since"], BEIJING).isoformat(timespec="seconds")  # noqa: E731
    if "alarm_active" in faults:
        out.append({"id": 1001, "level": "critical", "time": since("alarm_active"), "message": "引擎异常重启"})
    if "power_failed" in faults:
        out.append({"id": 1002, "level": "major", "time": since("power_failed"),
                    "message": f"电源模块{faults['power_failed'].get('psu', 2)}故障"})
    if "fan_failed" in faults:
        out.append({"id": 1003, "level": "major", "time": since("fan_failed"),
                    "message": f"风扇{faults['fan_failed'].get('fan', 1)}故障"})
    if "storage_disk_failed" in faults:
        out.append({"id": 1004, "level": "critical", "time": since("storage_disk_failed"),
                    "message": f"硬盘 {faults['storage_disk_failed'].get('disk', 3)} 故障"})
    return out


def signatures(e: dict, faults: dict) -> list[dict]:
    seed = _seed(e["name"])
    age = int(faults["signature_outdated"]["days"]) if "signature_outdated" in faults else None
    rows = []
    for i, (name, version) in enumerate(LIBRARIES.get(_kind(e), ())):
        days = age if age is not None else (seed >> i) % 2
        updated = now() - dt.timedelta(days=days, hours=(seed >> (i + 3)) % 6)
        rows.append({"name": name, "version": version.format(n=updated.strftime("%y%m%d")),
                     "updated": updated.isoformat(timespec="seconds"), "auto_update": True})
    return rows


def gap_units(e: dict, faults: dict) -> dict:
    down = "power_failed" in faults and int(faults["power_failed"].get("psu", 2)) == 2
    return {"units": [{"name": "内端机", "status": "normal"}, {"name": "外端机", "status": "fault" if down else "normal"}],
            "channel": {"status": "interrupted" if down else "normal", "files_today": 0 if down else 120 + _seed(e["name"]) % 80}}


def backup_jobs(e: dict, faults: dict) -> list[dict]:
    """Nightly jobs of the last 7 days, newest first; backup_old stops success `days` ago, backup_job_failed fails one."""
    seed = _seed(e["name"])
    today = now().replace(hour=1, minute=30, second=0, microsecond=0)
    if today > now():
        today -= dt.timedelta(days=1)
    stale = int(faults["backup_old"]["days"]) if "backup_old" in faults else 0
    failed_job = int(faults["backup_job_failed"].get("job", 1)) if "backup_job_failed" in faults else None
    jobs = []
    policies = ("ORACLE_RAC_全库", "SQLSERVER_业务库", "文件服务器_增量")
    for day in range(7):
        start = today - dt.timedelta(days=day)
        for j, policy in enumerate(policies, 1):
            status = "success"
            if day < stale or (day == 0 and j == failed_job):
                status = "failed"
            end = start + dt.timedelta(minutes=40 + (seed >> j) % 90)
            if end > now() and status == "success":
                status = "running"  # tonight's job has not finished yet
            jobs.append({"id": f"{start:%Y%m%d}{j:02d}", "policy": policy, "type": "全量" if start.weekday() == 6 else "增量",
                         "start": start.isoformat(timespec="seconds"),
                         "end": "" if status == "running" else end.isoformat(timespec="seconds"),
                         "status": status, "size_gb": 0 if status != "success" else 80 + (seed >> (j + day)) % 300,
                         "error": "介质服务器连接超时（错误码 0x4E21）" if status == "failed" else ""})
    return jobs


def storage(e: dict, faults: dict) -> tuple[list[dict], list[dict]]:
    seed = _seed(e["name"])
    used = int(faults["storage_pool_full"]["percent"]) if "storage_pool_full" in faults else 55 + seed % 20
    pools = [{"name": "BackupPool01", "total_tb": 96, "used_percent": used}]
    bad = int(faults["storage_disk_failed"].get("disk", 3)) if "storage_disk_failed" in faults else None
    disks = [{"slot": i, "capacity_tb": 8, "status": "failed" if i == bad else "normal"} for i in range(1, 13)]
    return pools, disks


def config_export(e: dict, faults: dict) -> dict:
    """The device's configuration as its console exports it: text ending '# end of configuration', with the
    secrets a real export carries (the admin's hash, the SNMP community, the syslog share key); `empty_config`
    and `truncated_config` damage it as on the CLI devices."""
    from ..netdev.planted import plain, sha512_crypt

    name = e["name"]
    lines = [f"# {e['model']} configuration export", f"hostname {name}",
             f"admin user {e['username']} password-hash {sha512_crypt(name)}",
             f"snmp community {plain(name, 'web-snmp')} ro", "syslog server 127.0.0.1 port 514",
             f"syslog key {plain(name, 'web-syslog')}", "ntp server 127.0.0.1",
             f"interface mgmt ip {e['addresses'][0]} 255.255.0.0", "policy default action deny log enable",
             "policy 1 src any dst any service https action permit", "# end of configuration"]
    text = "\n".join(lines)
    if "empty_config" in faults:
        text = ""
    elif "truncated_config" in faults:
        text = "\n".join(lines[: len(lines) * 2 // 5])
    return {"format": "text", "config": text}


def _authorised(request: web.Request, e: dict) -> bool:
    return TOKENS.get(request.headers.get("X-Auth-Token", "")) == e["name"]


async def handle(request: web.Request, e: dict, faults: dict) -> web.StreamResponse:
    if "garbage" in faults:
        return web.Response(body=hashlib.sha512(request.path.encode()).digest() * 8, content_type="application/json")
    path = request.path.rstrip("/")
    if path == "/api/v1/login" and request.method == "POST":
        try:
            body = await request.json()
        except ValueError:
            return web.json_response({"code": 400, "message": "请求格式错误"}, status=400)
        if "wrong_password" in faults or body.get("username") != e["username"] or body.get("password") != e["password"]:
            return web.json_response({"code": 401, "message": "用户名或密码错误"}, status=401)
        token = secrets.token_hex(16)
        TOKENS[token] = e["name"]
        return web.json_response({"token": token})
    if path in ("", "/index.html"):
        return web.Response(text=f"<!DOCTYPE html><html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>{e['model']}"
                                 "</title></head><body>请登录</body></html>", content_type="text/html")
    if not _authorised(request, e):
        return web.json_response({"code": 401, "message": "未登录或会话已过期"}, status=401)
    kind = _kind(e)
    if path == "/api/v1/system":
        return web.json_response(system(e, faults))
    if path == "/api/v1/alarms":
        return web.json_response({"alarms": alarms(e, faults)})
    if path == "/api/v1/signatures":
        return web.json_response({"libraries": signatures(e, faults)})
    if path == "/api/v1/gap/units" and kind == "gatekeeper":
        return web.json_response(gap_units(e, faults))
    if path == "/api/v1/backup/jobs" and kind == "backup_appliance":
        return web.json_response({"jobs": backup_jobs(e, faults)})
    if path in ("/api/v1/storage/pools", "/api/v1/storage/disks") and kind == "backup_appliance":
        pools, disks = storage(e, faults)
        return web.json_response({"pools": pools} if path.endswith("pools") else {"disks": disks})
    if path == "/api/v1/config/export":
        return web.json_response(config_export(e, faults))
    return web.json_response({"code": 404, "message": "接口不存在"}, status=404)
