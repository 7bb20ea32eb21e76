"""Brocade FC switches (EMC DS-300B, IBM SAN24B): port errors growing, fans, power supplies, temperature.
(The Cisco MDS FC switches run NX-OS and take the network device checks.)"""

from cityops.drivers import having
from cityops.inspect.catalogue import check
from cityops.terms import EVERY

FOS = having("interface_errors", "fc_switch")


@check("FC-ERR-001", "光纤端口错误增长", platforms=FOS, cadences=EVERY, severity="major", warn=1, crit=100,
       unit="个/次巡检", remedy="检查增长端口的 SFP 模块与光纤跳线（清洁或更换），核对对端 HBA/存储端口状态。")
def test_port_errors(host, ctx):
    """Errors since the last run, per port; the first run stores the counters as a baseline."""
    ctx.growth(ctx.read("interface_errors"), "错误增长端口")


@check("FC-HW-001", "光纤交换机风扇与电源", platforms=FOS, cadences=EVERY, severity="critical",
       remedy="确认故障风扇/电源模块位置，报修更换；更换期间确认冗余模块工作正常。")
def test_hardware(host, ctx):
    for part in ctx.read("power_supplies") + ctx.read("fans"):
        ctx.condition(part.ok, part.name, part.state)


@check("FC-TEMP-001", "光纤交换机温度", platforms=FOS, cadences=EVERY, severity="major", warn=60, crit=70, unit="℃",
       remedy="检查机房空调与机柜通风、风扇状态；温度持续偏高时报告机房管理方。")
def test_temperature(host, ctx):
    for t in ctx.read("temperatures"):
        ctx.measure(t.celsius, t.sensor)
