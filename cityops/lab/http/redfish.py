"""Redfish BMCs (Lenovo XCC, Huawei iBMC): systems, chassis power and thermal, managers, sessions.

Resources follow the DMTF schemas the vendors implement (ServiceRoot 1.x,
ComputerSystem, Chassis Power/Thermal, Manager, SessionService). Basic and
session (X-Auth-Token) authentication, with the host's BMC credential. Faults of
the server's hardware (fan_failed, power_failed, temperature_high) show here, as
on the real BMC.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

from aiohttp import web

from .base import main as serve

SESSIONS: dict[str, str] = {}  # token -> endpoint name


def _authorised(request: web.Request, e: dict) -> bool:
    token = request.headers.get("X-Auth-Token")
    if token:
        return SESSIONS.get(token) == e["name"]
    auth = request.headers.get("Authorization", "")
    if auth.startswith("Basic "):
        user, _, pw = base64.b64decode(auth[6:]).decode(errors="replace").partition(":")
        return user == e["username"] and pw == e["password"]
    return False


def _health(ok: bool, critical: bool = True) -> dict:
    return {"State": "Enabled", "Health": "OK" if ok else ("Critical" if critical else "Warning")}


def resources(e: dict, faults: dict) -> dict[str, dict]:
    vendor = e["vendor"]
    seed = int(hashlib.sha256(e["name"].encode()).hexdigest()[:8], 16)
    bad_fan = int(faults["fan_failed"].get("fan", 1)) if "fan_failed" in faults else None
    bad_psu = int(faults["power_failed"].get("psu", 2)) if "power_failed" in faults else None
    inlet = int(faults["temperature_high"].get("celsius", 48)) if "temperature_high" in faults else 22 + seed % 6
    fans = [{"@odata.id": f"/redfish/v1/Chassis/1/Thermal#/Fans/{i - 1}", "MemberId": str(i - 1), "Name": f"Fan {i}",
             "Reading": 0 if i == bad_fan else 5600 + (seed >> i) % 900, "ReadingUnits": "RPM",
             "Status": _health(i != bad_fan)} for i in range(1, 7)]
    temps = [{"@odata.id": "/redfish/v1/Chassis/1/Thermal#/Temperatures/0", "MemberId": "0", "Name": "Inlet Temp",
              "ReadingCelsius": inlet, "UpperThresholdNonCritical": 38, "UpperThresholdCritical": 42,
              "Status": _health(inlet < 38, critical=inlet >= 42)},
             {"@odata.id": "/redfish/v1/Chassis/1/Thermal#/Temperatures/1", "MemberId": "1", "Name": "CPU1 Temp",
              "ReadingCelsius": 45 + seed % 10, "UpperThresholdCritical": 90, "Status": _health(True)}]
    psus = [{"@odata.id": f"/redfish/v1/Chassis/1/Power#/PowerSupplies/{i - 1}", "MemberId": str(i - 1),
             "Name": f"PSU{i}", "PowerCapacityWatts": 750, "LineInputVoltage": 0 if i == bad_psu else 220,
             "Status": _health(i != bad_psu)} for i in (1, 2)]
    worst = "Critical" if (bad_fan or bad_psu or inlet >= 42) else ("Warning" if inlet >= 38 else "OK")
    return {
        "/redfish/v1": {"@odata.type": "#ServiceRoot.v1_5_0.ServiceRoot", "@odata.id": "/redfish/v1", "Id": "RootService",
                        "Name": "Root Service", "RedfishVersion": "1.6.0", "Vendor": vendor,
                        "UUID": f"{seed:08x}-0000-4000-8000-{seed:012x}",
                        "Systems": {"@odata.id": "/redfish/v1/Systems"}, "Chassis": {"@odata.id": "/redfish/v1/Chassis"},
                        "Managers": {"@odata.id": "/redfish/v1/Managers"},
                        "SessionService": {"@odata.id": "/redfish/v1/SessionService"},
                        "Links": {"Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}}},
        "/redfish/v1/SessionService": {"@odata.id": "/redfish/v1/SessionService", "Id": "SessionService",
                                       "ServiceEnabled": True,
                                       "Sessions": {"@odata.id": "/redfish/v1/SessionService/Sessions"}},
        "/redfish/v1/Systems": {"@odata.id": "/redfish/v1/Systems", "Members@odata.count": 1,
                                "Members": [{"@odata.id": "/redfish/v1/Systems/1"}]},
        "/redfish/v1/Systems/1": {"@odata.type": "#ComputerSystem.v1_5_0.ComputerSystem",
                                  "@odata.id": "/redfish/v1/Systems/1", "Id": "1", "Name": e["host"],
                                  "HostName": e["host"], "Manufacturer": vendor, "Model": e["model"],
                                  "SerialNumber": f"J{seed % 10**8:08d}", "PowerState": "On",
                                  "Status": {"State": "Enabled", "Health": worst, "HealthRollup": worst},
                                  "ProcessorSummary": {"Count": 2, "Status": _health(True)},
                                  "MemorySummary": {"TotalSystemMemoryGiB": 256, "Status": _health(True)}},
        "/redfish/v1/Chassis": {"@odata.id": "/redfish/v1/Chassis", "Members@odata.count": 1,
                                "Members": [{"@odata.id": "/redfish/v1/Chassis/1"}]},
        "/redfish/v1/Chassis/1": {"@odata.id": "/redfish/v1/Chassis/1", "Id": "1", "Name": "Chassis",
                                  "ChassisType": "RackMount", "Status": {"State": "Enabled", "Health": worst},
                                  "Power": {"@odata.id": "/redfish/v1/Chassis/1/Power"},
                                  "Thermal": {"@odata.id": "/redfish/v1/Chassis/1/Thermal"}},
        "/redfish/v1/Chassis/1/Power": {"@odata.type": "#Power.v1_5_0.Power", "@odata.id": "/redfish/v1/Chassis/1/Power",
                                        "Id": "Power", "Name": "Power", "PowerSupplies": psus},
        "/redfish/v1/Chassis/1/Thermal": {"@odata.type": "#Thermal.v1_4_0.Thermal",
                                          "@odata.id": "/redfish/v1/Chassis/1/Thermal", "Id": "Thermal",
                                          "Name": "Thermal", "Fans": fans, "Temperatures": temps},
        "/redfish/v1/Managers": {"@odata.id": "/redfish/v1/Managers", "Members@odata.count": 1,
                                 "Members": [{"@odata.id": "/redfish/v1/Managers/1"}]},
        "/redfish/v1/Managers/1": {"@odata.id": "/redfish/v1/Managers/1", "Id": "1",
                                   "Name": "XClarity Controller" if vendor == "Lenovo" else "iBMC",
                                   "FirmwareVersion": "CDI3A4A 5.10" if vendor == "Lenovo" else "3.55",
                                   "Status": _health(True)},
    }


async def handle(request: web.Request, e: dict, faults: dict) -> web.StreamResponse:
    path = request.path.rstrip("/") or "/redfish/v1"
    if path == "/redfish":
        return web.json_response({"v1": "/redfish/v1/"})
    if path == "/redfish/v1/SessionService/Sessions" and request.method == "POST":
        body = await request.json()
        if body.get("UserName") != e["username"] or body.get("Password") != e["password"]:
            return web.json_response({"error": {"code": "Base.1.0.GeneralError", "message": "Invalid credentials"}},
                                     status=401)
        token = secrets.token_hex(16)
        SESSIONS[token] = e["name"]
        loc = f"/redfish/v1/SessionService/Sessions/{token[:8]}"
        return web.json_response({"@odata.id": loc, "Id": token[:8], "UserName": e["username"]}, status=201,
                                 headers={"X-Auth-Token": token, "Location": loc})
    if request.method == "DELETE" and path.startswith("/redfish/v1/SessionService/Sessions/"):
        for tok, name in list(SESSIONS.items()):
            if name == e["name"] and path.endswith(tok[:8]):
                SESSIONS.pop(tok)
        return web.Response(status=204)
    if path != "/redfish/v1" and not _authorised(request, e):
        return web.json_response({"error": {"code": "Base.1.0.InsufficientPrivilege", "message": "Unauthorized"}},
                                 status=401)
    doc = resources(e, faults).get(path)
    if doc is None:
        return web.json_response({"error": {"code": "Base.1.0.ResourceMissingAtURI", "message": path}}, status=404)
    return web.json_response(doc, headers={"OData-Version": "4.0"})


def main(argv=None) -> None:
    serve("redfish", handle, argv)


if __name__ == "__main__":
    main()
