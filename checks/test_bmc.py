"""Server hardware through the management controller: fans, power supplies, temperature (Redfish or IPMI)."""

from cityops.inspect.catalogue import check
from cityops.parsers import ParseError
from cityops.parsers import ipmi as ipmi_parser
from cityops.terms import FROM_DAILY

SERVERS = ("linux", "windows", "aix", "vmware_esxi")


def redfish_chassis(ctx) -> list[str]:
    members = ctx.bmc.get("/redfish/v1/Chassis").get("Members") or []
    if not members:
        raise ParseError("Redfish: no chassis listed")
    return [m["@odata.id"] for m in members]


def redfish_list(ctx, resource: str, key: str) -> list[dict]:
    """Every entry of `key` (Fans, Temperatures, PowerSupplies) in each chassis' Thermal or Power resource."""
    return [x for chassis in redfish_chassis(ctx) for x in ctx.bmc.get(f"{chassis}/{resource}").get(key, [])]


def health(status: dict | None) -> str:
    return str((status or {}).get("Health") or "OK")


def ipmi(ctx, kind: str) -> list[ipmi_parser.Sensor]:
    """The host's sensors of one kind, from one SDR read shared by the three BMC checks (each keeps it as evidence).
    Fewer sensors of the kind than the last whole reading of this host is a partial answer, never a pass."""
    bmc = ctx.bmc
    sensors = ctx.cached("ipmi_sensors", lambda: ipmi_parser.sdr_elist(bmc.sensors()))
    picked = [s for s in sensors if kind in s.name]
    readable = [s for s in picked if s.status != "ns"]  # `ns`: no reading (an empty slot, or a BMC too busy to scan)
    if not readable:
        raise ParseError(f"IPMI: no readable '{kind}' sensor in the SDR" + (f" ({len(picked)} without a reading)"
                                                                           if picked else ""))
    key = f"sensors:{kind}"
    expected = ctx.previous(key)
    if expected and len(readable) < expected:
        raise ParseError(f"IPMI: read {len(readable)} of {int(expected)} '{kind}' sensors (the last whole reading of "
                         f"this host had {int(expected)}): a partial answer")
    ctx.values[key] = len(readable)
    return readable


@check("BMC-FAN-001", "服务器风扇状态（带外）", platforms=SERVERS, requires=("bmc_protocol",), cadences=FROM_DAILY,
       severity="major", remedy="登录 BMC 确认故障风扇位置，清理积尘；风扇故障须报修更换，期间关注 CPU 温度。")
def test_fans(host, ctx):
    if ctx.inventory_host.get("bmc_protocol") == "redfish":
        for fan in redfish_list(ctx, "Thermal", "Fans"):
            ok = health(fan.get("Status")) == "OK"
            ctx.condition(ok, fan.get("Name", "fan"), f"{fan.get('Reading')} {fan.get('ReadingUnits', 'RPM')}"
                          + ("" if ok else f"，{health(fan.get('Status'))}"))
    else:
        for s in ipmi(ctx, "Fan"):
            ctx.condition(s.ok and (s.value is None or s.value > 0), s.name, s.reading + ("" if s.ok else f"（{s.status}）"))


@check("BMC-PSU-001", "服务器电源状态（带外）", platforms=SERVERS, requires=("bmc_protocol",), cadences=FROM_DAILY,
       severity="critical", remedy="检查电源线与 PDU 供电；电源模块故障须报修更换，更换前确认另一路电源正常。")
def test_power_supplies(host, ctx):
    if ctx.inventory_host.get("bmc_protocol") == "redfish":
        for psu in redfish_list(ctx, "Power", "PowerSupplies"):
            state = health(psu.get("Status"))
            ctx.condition(state == "OK", psu.get("Name", "PSU"), "正常" if state == "OK" else state)
    else:
        for s in ipmi(ctx, "PS"):
            ctx.condition(s.ok, s.name, s.reading)


@check("BMC-TEMP-001", "服务器进风温度（带外）", platforms=SERVERS, requires=("bmc_protocol",), cadences=FROM_DAILY,
       severity="major", warn=35, crit=40, unit="℃",
       remedy="检查机房空调与机柜冷通道，确认无挡风、盲板齐全；持续偏高时报告机房管理方。")
def test_inlet_temperature(host, ctx):
    if ctx.inventory_host.get("bmc_protocol") == "redfish":
        temps = redfish_list(ctx, "Thermal", "Temperatures")
        inlet = [t for t in temps if "inlet" in str(t.get("Name", "")).lower()] or temps[:1]
        if not inlet:
            raise ParseError("Redfish: no temperature reading")
        for t in inlet:
            ctx.measure(float(t["ReadingCelsius"]), t.get("Name", "Inlet"))
    else:
        sensors = ipmi(ctx, "Temp")
        inlet = [s for s in sensors if "inlet" in s.name.lower() or "ambient" in s.name.lower()] or sensors[:1]
        for s in inlet:
            if s.value is None:
                raise ParseError(f"IPMI: {s.name} has no reading ({s.reading})")
            ctx.measure(s.value, s.name)
