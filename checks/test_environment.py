"""Machine-room environment over SNMP: UPS (RFC 1628 UPS-MIB), precision air conditioning (Liebert), printers."""

from cityops.inspect.catalogue import check
from cityops.parsers import ParseError
from cityops.terms import EVERY

UPS = "1.3.6.1.2.1.33.1"
LGP = "1.3.6.1.4.1.476.1.42.3.4"
PRT_SUPPLY = "1.3.6.1.2.1.43.11.1.1"
SOURCES = {1: "其他", 2: "无输出", 3: "市电", 4: "旁路", 5: "电池", 6: "升压", 7: "降压"}
BATTERY = {1: "未知", 2: "正常", 3: "电量低", 4: "耗尽"}


def get(ctx, *oids: str) -> dict:
    values = ctx.session.get(*oids)
    missing = [o for o in oids if values.get(o) is None]
    if missing:
        raise ParseError(f"SNMP: no value for {', '.join(missing)} (the agent does not implement it)")
    return values


@check("UPS-PWR-001", "UPS 供电状态", platforms=("snmp_ups",), cadences=EVERY, severity="critical",
       remedy="确认市电中断原因并通知物业/供电部门；电池供电期间评估剩余时间，必要时按预案有序关闭非关键设备。")
def test_ups_source(host, ctx):
    v = get(ctx, f"{UPS}.4.1.0", f"{UPS}.2.2.0")
    source = int(v[f"{UPS}.4.1.0"])
    on_battery = int(v[f"{UPS}.2.2.0"])
    ctx.condition(source == 3, "输出来源", SOURCES.get(source, str(source))
                  + (f"，已由电池供电 {on_battery} 秒" if on_battery else ""))


@check("UPS-BAT-001", "UPS 电池状态", platforms=("snmp_ups",), cadences=EVERY, severity="critical", warn=50, crit=30,
       unit="%", higher_is_worse=False,
       remedy="电池电量低或状态异常时核查充电回路与电池组寿命，必要时更换电池；同时确认市电已恢复。")
def test_ups_battery(host, ctx):
    v = get(ctx, f"{UPS}.2.1.0", f"{UPS}.2.4.0", f"{UPS}.2.3.0")
    status = int(v[f"{UPS}.2.1.0"])
    ctx.condition(status == 2, "电池状态", f"{BATTERY.get(status, status)}，预计可用 {v[f'{UPS}.2.3.0']} 分钟")
    ctx.measure(int(v[f"{UPS}.2.4.0"]), "剩余电量")


@check("AC-TEMP-001", "机房温度（精密空调回风）", platforms=("snmp_ac",), cadences=EVERY, severity="major", warn=27,
       crit=30, unit="℃", standard="GB 50174-2017 机房环境要求",
       remedy="检查空调制冷与回风、冷热通道封闭与盲板；温度持续超标时启用备用空调并报告机房管理方。")
def test_room_temperature(host, ctx):
    ctx.measure(int(get(ctx, f"{LGP}.1.3.3.1.3.1")[f"{LGP}.1.3.3.1.3.1"]), "回风温度")


@check("AC-HUM-001", "机房湿度", platforms=("snmp_ac",), cadences=EVERY, severity="minor", warn=60, crit=70, unit="%",
       standard="GB 50174-2017 机房环境要求", remedy="检查空调除湿功能与加湿器，排查漏水与门窗密封。")
def test_room_humidity(host, ctx):
    ctx.measure(int(get(ctx, f"{LGP}.2.3.3.1.3.1")[f"{LGP}.2.3.3.1.3.1"]), "相对湿度")


@check("AC-ALM-001", "精密空调运行状态", platforms=("snmp_ac",), cadences=EVERY, severity="major",
       remedy="按空调告警代码排查（高压、低压、漏水、风机），联系空调维保单位处理，期间加强温度巡视。")
def test_ac_state(host, ctx):
    v = get(ctx, f"{LGP}.3.1.0", f"{LGP}.3.2.0")
    ctx.condition(int(v[f"{LGP}.3.1.0"]) == 1, "机组状态", str(v[f"{LGP}.3.2.0"]))


@check("PRN-TONER-001", "打印机耗材余量", platforms=("snmp_printer",), cadences=("daily", "weekly", "monthly"),
       severity="minor", warn=15, crit=5, unit="%", higher_is_worse=False,
       remedy="按耗材申领流程更换墨粉/硒鼓，并登记耗材台账。")
def test_toner(host, ctx):
    v = get(ctx, f"{PRT_SUPPLY}.6.1.1", f"{PRT_SUPPLY}.8.1.1", f"{PRT_SUPPLY}.9.1.1")
    level, capacity = int(v[f"{PRT_SUPPLY}.9.1.1"]), int(v[f"{PRT_SUPPLY}.8.1.1"])
    if capacity <= 0 or level < 0:  # -2 unknown, -3 'some remaining': no percentage to judge
        ctx.condition(level != 0, str(v[f"{PRT_SUPPLY}.6.1.1"]), f"余量 {level}（设备未报告百分比）")
        return
    ctx.measure(round(100.0 * level / capacity), str(v[f"{PRT_SUPPLY}.6.1.1"]))
