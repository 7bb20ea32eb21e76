"""Management APIs of devices the web process also serves: Hikvision NVRs (ISAPI) and VMware vCenter (REST).

ISAPI answers /ISAPI/System/deviceInfo and /ISAPI/ContentMgmt/Storage as XML
behind HTTP digest authentication, as the NVRs do; storage_disk_failed puts a
disk in `error`. vCenter answers the vSphere Automation REST API of 6.5
(/rest/com/vmware/cis/session, /rest/vcenter/host, /rest/vcenter/cluster); an ESXi
host that is unreachable or refuses connections shows NOT_RESPONDING.
"""

from __future__ import annotations

import hashlib
import re
import secrets

from aiohttp import web

from ..faults import FaultView

NONCES: set[str] = set()
VC_SESSIONS: dict[str, str] = {}


def _digest_ok(request: web.Request, e: dict) -> bool:
    auth = request.headers.get("Authorization", "")
    if not auth.startswith("Digest "):
        return False
    f = dict(re.findall(r'(\w+)="?([^",]+)"?', auth[7:]))
    if f.get("username") != e["username"] or f.get("nonce") not in NONCES:
        return False
    ha1 = hashlib.md5(f"{e['username']}:{f.get('realm')}:{e['password']}".encode()).hexdigest()  # nosec B324  # HTTP digest auth (RFC 2617) is MD5 by definition; lab only
    ha2 = hashlib.md5(f"{request.method}:{f.get('uri')}".encode()).hexdigest()  # nosec B324  # HTTP digest auth is MD5 by definition
    expected = hashlib.md5(f"{ha1}:{f['nonce']}:{f.get('nc')}:{f.get('cnonce')}:{f.get('qop')}:{ha2}".encode()).hexdigest()  # nosec B324  # HTTP digest auth is MD5 by definition
    return f.get("response") == expected


async def nvr(request: web.Request, e: dict, faults: dict) -> web.StreamResponse:
    if not _digest_ok(request, e):
        nonce = secrets.token_hex(16)
        NONCES.add(nonce)
        return web.Response(status=401, headers={
            "WWW-Authenticate": f'Digest realm="{e["model"]}", nonce="{nonce}", qop="auth"'})
    seed = int(hashlib.sha256(e["name"].encode()).hexdigest()[:8], 16)
    ns = 'xmlns="http://www.hikvision.com/ver20/XMLSchema"'
    if request.path == "/ISAPI/System/deviceInfo":
        return web.Response(content_type="application/xml", text=(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<DeviceInfo version="2.0" {ns}>'
            f"<deviceName>{e['host']}</deviceName><deviceID>{seed:08x}</deviceID><model>{e['model']}</model>"
            f"<serialNumber>{e['model']}20180101CCWR{seed % 10**9:09d}</serialNumber>"
            "<firmwareVersion>V4.22.005</firmwareVersion><deviceType>NVR</deviceType></DeviceInfo>"))
    if request.path == "/ISAPI/ContentMgmt/Storage":
        bad = int(faults["storage_disk_failed"].get("disk", 3)) if "storage_disk_failed" in faults else None
        disks = "".join(
            f"<hdd><id>{i}</id><hddName>hdd{i}</hddName><status>{'error' if i == bad else 'ok'}</status>"
            f"<capacity>7630885</capacity><freeSpace>{0 if i == bad else 512000 + (seed >> i) % 90000}</freeSpace></hdd>"
            for i in range(1, 9))
        return web.Response(content_type="application/xml", text=(
            f'<?xml version="1.0" encoding="UTF-8"?>\n<storage version="2.0" {ns}><hddList>{disks}</hddList></storage>'))
    return web.Response(status=404, text="Invalid Operation")


async def vcenter(request: web.Request, e: dict, faults: dict, view: FaultView) -> web.StreamResponse:
    if request.path == "/rest/com/vmware/cis/session" and request.method == "POST":
        if not (request.headers.get("Authorization", "").startswith("Basic ")
                and _basic(request) == (e["username"], e["password"])):
            return web.json_response({"type": "com.vmware.vapi.std.errors.unauthenticated"}, status=401)
        token = secrets.token_hex(16)
        VC_SESSIONS[token] = e["name"]
        return web.json_response({"value": token})
    if VC_SESSIONS.get(request.headers.get("vmware-api-session-id", "")) != e["name"]:
        return web.json_response({"type": "com.vmware.vapi.std.errors.unauthenticated"}, status=401)
    if request.path == "/rest/vcenter/host":
        rows = []
        for i, name in enumerate(e["esxi"], 10):
            f = view.of(name)
            down = "unreachable" in f or "refused" in f
            rows.append({"host": f"host-{i}", "name": name, "connection_state": "NOT_RESPONDING" if down else "CONNECTED",
                         "power_state": "POWERED_ON"})
        return web.json_response({"value": rows})
    if request.path == "/rest/vcenter/cluster":
        return web.json_response({"value": [{"cluster": "domain-c7", "name": e["cluster_name"], "ha_enabled": True,
                                             "drs_enabled": True}]})
    return web.json_response({"type": "com.vmware.vapi.std.errors.not_found"}, status=404)


def _basic(request: web.Request) -> tuple[str, str]:
    import base64

    user, _, pw = base64.b64decode(request.headers["Authorization"][6:]).decode(errors="replace").partition(":")
    return user, pw
