"""What each kind of SNMP device answers: OID -> (type, value), from its state and faults.

UPS: RFC 1628 UPS-MIB (1.3.6.1.2.1.33). Printers: RFC 3805 Printer-MIB and the
Host Resources MIB. Precision air conditioning: the Liebert environmental subtree
(1.3.6.1.4.1.476.1.42.3.4) that Emerson/Vertiv units expose. Plus MIB-2 system.
"""

from __future__ import annotations

import hashlib
import time

SYS = "1.3.6.1.2.1.1"
UPS = "1.3.6.1.2.1.33"
PRT = "1.3.6.1.2.1.43"
HR = "1.3.6.1.2.1.25"
LGP = "1.3.6.1.4.1.476.1.42.3.4"
PRT_MARKER = f"{PRT}.10"  # prtMarkerTable


def _seed(name: str) -> int:
    return int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)


def table(dev: dict, faults: dict, started: float) -> dict[str, tuple[str, object]]:
    """The device's OID table as of now."""
    seed = _seed(dev["name"])
    up = int((time.time() - started) * 100) + seed % 10**7
    t: dict[str, tuple[str, object]] = {
        f"{SYS}.1.0": ("str", f"{dev['vendor']} {dev['model']}"),
        f"{SYS}.2.0": ("oid", {"ups": "1.3.6.1.4.1.935", "ac": "1.3.6.1.4.1.476.1.42", "printer": "1.3.6.1.4.1.11"}[
            dev["kind"]]),
        f"{SYS}.3.0": ("ticks", up),
        f"{SYS}.4.0": ("str", "运维值班室"),
        f"{SYS}.5.0": ("str", dev["name"]),
        f"{SYS}.6.0": ("str", dev.get("location") or dev["display_name"]),
    }
    if dev["kind"] == "ups":
        on_battery = "ups_on_battery" in faults
        low = "ups_battery_low" in faults
        since = float(faults.get("ups_on_battery", {}).get("since", time.time()))
        secs = int(time.time() - since) if on_battery else 0
        charge = 18 if low else (max(20, 100 - secs // 30) if on_battery else 100)
        t.update({
            f"{UPS}.1.1.1.0": ("str", dev["vendor"]), f"{UPS}.1.1.2.0": ("str", dev["model"]),
            f"{UPS}.1.1.3.0": ("str", "V3.21"), f"{UPS}.1.1.5.0": ("str", dev["name"]),
            f"{UPS}.1.2.1.0": ("int", 3 if low else 2),  # upsBatteryStatus: 2 normal, 3 low
            f"{UPS}.1.2.2.0": ("int", secs),  # upsSecondsOnBattery
            f"{UPS}.1.2.3.0": ("int", 8 if low else (charge * 2 if on_battery else 240)),  # minutes remaining
            f"{UPS}.1.2.4.0": ("int", charge),  # upsEstimatedChargeRemaining (%)
            f"{UPS}.1.2.5.0": ("int", 2170),  # upsBatteryVoltage (0.1 V)
            f"{UPS}.1.2.7.0": ("int", 24 + seed % 4),  # upsBatteryTemperature
            f"{UPS}.1.3.1.0": ("int", 1 if on_battery else 0),  # upsInputLineBads
            f"{UPS}.1.3.2.0": ("int", 1),
            f"{UPS}.1.3.3.1.3.1": ("int", 0 if on_battery else 221),  # upsInputVoltage
            f"{UPS}.1.4.1.0": ("int", 5 if on_battery else 3),  # upsOutputSource: 3 normal, 5 battery
            f"{UPS}.1.4.4.1.2.1": ("int", 220),  # upsOutputVoltage
            f"{UPS}.1.4.4.1.5.1": ("int", 35 + seed % 20),  # upsOutputPercentLoad
            f"{UPS}.1.6.1.0": ("gauge", int(on_battery) + int(low)),  # upsAlarmsPresent
        })
    elif dev["kind"] == "ac":
        temp = int(faults.get("temperature_high", {}).get("celsius", 23 + seed % 3))
        alarm = "ac_alarm" in faults
        t.update({
            f"{LGP}.1.3.3.1.3.1": ("int", temp),  # lgpEnvTemperatureMeasurementDegC (return air)
            f"{LGP}.1.3.3.1.50.1": ("int", 27),  # high threshold
            f"{LGP}.2.3.3.1.3.1": ("int", int(faults.get("humidity_high", {}).get("percent", 45 + seed % 8))),
            f"{LGP}.3.1.0": ("int", 2 if alarm else 1),  # unit state: 1 running, 2 alarm
            f"{LGP}.3.2.0": ("str", "高压报警 (High Head Pressure)" if alarm else "正常"),
        })
    else:  # printer
        toner = int(faults.get("toner_low", {}).get("percent", 5)) if "toner_low" in faults else 40 + seed % 55
        t.update({
            f"{HR}.3.2.1.5.1": ("int", 3 if "toner_low" in faults else 2),  # hrDeviceStatus: 2 running, 3 warning
            f"{HR}.3.5.1.1.1": ("int", 3),  # hrPrinterStatus: idle
            f"{PRT}.5.1.1.16.1": ("str", dev["name"]),
            f"{PRT_MARKER}.2.1.4.1.1": ("counter", 10000 + seed % 90000),  # prtMarkerLifeCount (pages)
            f"{PRT}.11.1.1.6.1.1": ("str", "Black Toner Cartridge"),
            f"{PRT}.11.1.1.8.1.1": ("int", 100),  # prtMarkerSuppliesMaxCapacity
            f"{PRT}.11.1.1.9.1.1": ("int", toner),  # prtMarkerSuppliesLevel
        })
    return t
