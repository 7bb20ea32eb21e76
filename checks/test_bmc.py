"""Server hardware through the management controller: fans, power supplies, temperature (Redfish or IPMI).

What is read, and how, is the bmc_redfish or bmc_ipmi fact set's (cityops/drivers/bmc.py), by the host's
bmc_protocol.
"""

from cityops.inspect.catalogue import check
from cityops.parsers import ParseError
from cityops.terms import FROM_DAILY

SERVERS = ("linux", "windows", "aix", "vmware_esxi")


def read(ctx, getter: str) -> list:
    """A getter of the host's controller. Fewer readings than the last whole reading of this host is a partial
    answer (a BMC too busy to scan every sensor), never a pass."""
    readings = ctx.read(getter, facts=f"bmc_{ctx.inventory_host.get('bmc_protocol')}")
    key = f"sensors:{getter}"
    expected = ctx.previous(key)
    if expected and len(readings) < expected:
        raise ParseError(f"BMC: read {len(readings)} of {int(expected)} {getter} (the last whole reading of this host "
                         f"had {int(expected)}): a partial answer")
    ctx.values[key] = len(readings)
    return readings


@check("BMC-FAN-001", "服务器风扇状态（带外）", platforms=SERVERS, requires=("bmc_protocol",), cadences=FROM_DAILY,
       severity="major", remedy="登录 BMC 确认故障风扇位置，清理积尘；风扇故障须报修更换，期间关注 CPU 温度。")
def test_fans(host, ctx):
    for fan in read(ctx, "fans"):
        ctx.condition(fan.ok, fan.name, fan.state)


@check("BMC-PSU-001", "服务器电源状态（带外）", platforms=SERVERS, requires=("bmc_protocol",), cadences=FROM_DAILY,
       severity="critical", remedy="检查电源线与 PDU 供电；电源模块故障须报修更换，更换前确认另一路电源正常。")
def test_power_supplies(host, ctx):
    for psu in read(ctx, "power_supplies"):
        ctx.condition(psu.ok, psu.name, psu.state)


@check("BMC-TEMP-001", "服务器进风温度（带外）", platforms=SERVERS, requires=("bmc_protocol",), cadences=FROM_DAILY,
       severity="major", warn=35, crit=40, unit="℃",
       remedy="检查机房空调与机柜冷通道，确认无挡风、盲板齐全；持续偏高时报告机房管理方。")
def test_inlet_temperature(host, ctx):
    temps = read(ctx, "temperatures")
    inlet = [t for t in temps if "inlet" in t.sensor.lower() or "ambient" in t.sensor.lower()] or temps[:1]
    for t in inlet:
        ctx.measure(t.celsius, t.sensor)
