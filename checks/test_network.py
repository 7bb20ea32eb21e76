"""Network devices (Huawei VRP5/VRP8, H3C Comware, Cisco IOS, and the MDS FC switches on NX-OS): health and errors."""

from cityops.inspect.catalogue import check
from cityops.parsers import network
from cityops.terms import EVERY

NET = ("huawei_vrp", "huawei_vrpv8", "hp_comware", "cisco_ios", "cisco_nxos")


def answer(ctx, reading: str) -> str:
    return ctx.run(network.COMMANDS[ctx.platform][reading]).stdout


@check("NET-CPU-001", "设备 CPU 利用率", platforms=NET, cadences=EVERY, severity="major", warn=70, crit=90, unit="%",
       remedy="查看占用 CPU 的任务（display cpu-usage / show processes cpu sorted），排查环路、攻击流量或协议震荡。")
def test_cpu(host, ctx):
    ctx.measure(network.cpu_percent(ctx.platform, answer(ctx, "cpu")))


@check("NET-MEM-001", "设备内存利用率", platforms=NET, cadences=EVERY, severity="major", warn=80, crit=90, unit="%",
       remedy="确认路由表、MAC 表等规模是否异常增长，排查内存泄漏；必要时在维护窗口升级软件版本。")
def test_memory(host, ctx):
    ctx.measure(network.memory_percent(ctx.platform, answer(ctx, "memory")))


@check("NET-FAN-001", "风扇状态", platforms=NET, cadences=EVERY, severity="major",
       remedy="现场确认风扇模块运行与告警灯，清理积尘；故障风扇按备件流程更换。")
def test_fans(host, ctx):
    for fan, ok in network.fans(ctx.platform, answer(ctx, "fan")):
        ctx.condition(ok, f"风扇 {fan}", "正常" if ok else "故障")


@check("NET-PWR-001", "电源模块状态", platforms=NET, cadences=EVERY, severity="critical",
       remedy="检查电源线与配电（PDU、UPS 输出），确认电源模块指示灯；故障模块按备件流程更换，期间保持冗余。")
def test_power(host, ctx):
    for psu, ok in network.power_supplies(ctx.platform, answer(ctx, "power")):
        ctx.condition(ok, f"电源 {psu}", "正常" if ok else "故障")


@check("NET-TEMP-001", "设备温度", platforms=NET, cadences=EVERY, severity="major", warn=60, crit=70, unit="℃",
       remedy="检查机房空调与机柜通风，确认风扇正常；温度持续偏高时排查设备散热通道并报告机房管理方。")
def test_temperature(host, ctx):
    for sensor, celsius, within in network.temperatures(ctx.platform, answer(ctx, "temperature")):
        status = ctx.measure(celsius, f"传感器 {sensor}")
        if not within and status == "pass":  # the device itself says the sensor is past its limit
            ctx.condition(False, f"传感器 {sensor}", f"{celsius:g}℃，设备报告超限")


@check("NET-ALM-001", "设备活动告警", platforms=("huawei_vrp", "huawei_vrpv8", "hp_comware", "cisco_ios"),
       cadences=EVERY, severity="major",
       remedy="逐条核对活动告警的原因与影响，处理后确认告警清除；无法立即处理的登记故障单跟踪。")
def test_alarms(host, ctx):
    active = network.alarms(ctx.platform, answer(ctx, "alarms"))
    ctx.condition(not active, "活动告警", f"{len(active)} 条：{active[0][:120]}" if active else "无")


@check("NET-DEV-001", "单板及堆叠成员状态", platforms=("huawei_vrp", "huawei_vrpv8"), cadences=EVERY,
       severity="critical",
       remedy="确认离线成员或单板的电源、堆叠线缆与指示灯；堆叠分裂时按预案处理主备，故障单板按备件流程更换。")
def test_boards(host, ctx):
    """A stack running on one member still forwards: only `display device` shows the other one is gone."""
    listed = network.boards(ctx.platform, answer(ctx, "boards"))
    bad = [(slot, kind, state) for slot, kind, ok, state in listed if not ok]
    for slot, kind, state in bad:
        ctx.condition(False, f"槽位 {slot}（{kind}）", state)
    if not bad:
        ctx.condition(True, "单板/堆叠成员", f"{len(listed)} 项均在位、已注册、无告警")


@check("NET-CRC-001", "接口错包（CRC）增长", platforms=NET, cadences=EVERY, severity="major", warn=1, crit=100,
       unit="个/次巡检", remedy="检查增长端口的光模块、跳线与对端端口，清洁或更换光纤/模块，必要时更换端口。")
def test_interface_errors(host, ctx):
    """Errors since the last run, per interface; the first run only stores the counters (a baseline)."""
    ctx.growth(network.interface_errors(ctx.platform, answer(ctx, "errors")), "错包增长端口")
