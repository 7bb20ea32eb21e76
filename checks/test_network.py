"""Network devices (Huawei VRP5/VRP8, H3C Comware, Cisco IOS, and the MDS FC switches on NX-OS): health and errors.

Each check reads a getter of the host's platform driver (cityops/drivers) and applies to every network
platform whose driver has that getter."""

import re

from cityops.drivers import having
from cityops.inspect.catalogue import check
from cityops.terms import EVERY


def net(getter: str) -> tuple[str, ...]:
    return having(getter, "network")


@check("NET-CPU-001", "设备 CPU 利用率", platforms=net("cpu"), cadences=EVERY, severity="major", warn=70, crit=90,
       unit="%", remedy="查看占用 CPU 的任务（display cpu-usage / show processes cpu sorted），排查环路、攻击流量或协议震荡。")
def test_cpu(host, ctx):
    ctx.measure(ctx.read("cpu"))


@check("NET-MEM-001", "设备内存利用率", platforms=net("memory"), cadences=EVERY, severity="major", warn=80, crit=90,
       unit="%", remedy="确认路由表、MAC 表等规模是否异常增长，排查内存泄漏；必要时在维护窗口升级软件版本。")
def test_memory(host, ctx):
    ctx.measure(ctx.read("memory"))


@check("NET-FAN-001", "风扇状态", platforms=net("fans"), cadences=EVERY, severity="major",
       remedy="现场确认风扇模块运行与告警灯，清理积尘；故障风扇按备件流程更换。")
def test_fans(host, ctx):
    for fan in ctx.read("fans"):
        ctx.condition(fan.ok, f"风扇 {fan.name}", "正常" if fan.ok else "故障")


@check("NET-PWR-001", "电源模块状态", platforms=net("power_supplies"), cadences=EVERY, severity="critical",
       remedy="检查电源线与配电（PDU、UPS 输出），确认电源模块指示灯；故障模块按备件流程更换，期间保持冗余。")
def test_power(host, ctx):
    for psu in ctx.read("power_supplies"):
        ctx.condition(psu.ok, f"电源 {psu.name}", "正常" if psu.ok else "故障")


@check("NET-TEMP-001", "设备温度", platforms=net("temperatures"), cadences=EVERY, severity="major", warn=60, crit=70,
       unit="℃", remedy="检查机房空调与机柜通风，确认风扇正常；温度持续偏高时排查设备散热通道并报告机房管理方。")
def test_temperature(host, ctx):
    for t in ctx.read("temperatures"):
        status = ctx.measure(t.celsius, f"传感器 {t.sensor}")
        if not t.ok and status == "pass":  # the device itself says the sensor is past its limit
            ctx.condition(False, f"传感器 {t.sensor}", f"{t.celsius:g}℃，设备报告超限")


@check("NET-ALM-001", "设备活动告警", platforms=net("alarms"), cadences=EVERY, severity="major",
       remedy="逐条核对活动告警的原因与影响，处理后确认告警清除；无法立即处理的登记故障单跟踪。")
def test_alarms(host, ctx):
    active = ctx.read("alarms")
    ctx.condition(not active, "活动告警", f"{len(active)} 条：{active[0][:120]}" if active else "无")


@check("NET-DEV-001", "单板及堆叠成员状态", platforms=net("boards"), cadences=EVERY, severity="critical",
       remedy="确认离线成员或单板的电源、堆叠线缆与指示灯；堆叠分裂时按预案处理主备，故障单板按备件流程更换。")
def test_boards(host, ctx):
    """A stack running on one member still forwards: only `display device` shows the other one is gone."""
    listed = ctx.read("boards")
    bad = [b for b in listed if not b.ok]
    for b in bad:
        ctx.condition(False, f"槽位 {b.name}（{b.kind}）", b.state)
    if not bad:
        ctx.condition(True, "单板/堆叠成员", f"{len(listed)} 项均在位、已注册、无告警")


@check("NET-CRC-001", "接口错包（CRC）增长", platforms=net("interface_errors"), cadences=EVERY, severity="major", warn=1,
       crit=100, unit="个/次巡检", remedy="检查增长端口的光模块、跳线与对端端口，清洁或更换光纤/模块，必要时更换端口。")
def test_interface_errors(host, ctx):
    """Errors since the last run, per interface; the first run only stores the counters (a baseline)."""
    ctx.growth(ctx.read("interface_errors"), "错包增长端口")


PID_PREFIX = re.compile(r"^(?:WS-C|DS-C|N\dK-C)")  # Cisco product ids: 'DS-C9148' is the MDS 9148


def same_model(recorded: str, reported: str) -> bool:
    """The archive's model against what the device says: any member of a stack ('WS-C3850-48U, WS-C3850-48U'); case
    and spaces aside; one a prefix of the other (an archive writes 'S5720-28X-SI' for 'S5720-28X-SI-AC'); word by
    word, a Cisco product id by its number (the archive's 'MDS DS-C9148' is the 'MDS 9148' the switch reports)."""
    def words(text: str) -> set[str]:
        whole = "".join(text.split()).upper()
        return {whole} | {PID_PREFIX.sub("", w.upper()) for w in text.split() if len(PID_PREFIX.sub("", w)) >= 4}

    want = words(recorded)
    return any(a.startswith(b) or b.startswith(a) for member in reported.split(",") if member.strip()
               for a in words(member) for b in want if a and b)


@check("NET-VER-001", "设备型号与软件版本（设备系统档案）", platforms=net("facts"), cadences=("monthly", "quarterly"),
       severity="minor",
       remedy="核对设备铭牌与资产档案：设备被更换的，更新清单中的型号与序列号并记录变更；档案录入有误的予以更正。")
def test_facts(host, ctx):
    """The device system archive (设备系统档案) must describe the device actually there: its model (and serial, where
    the device prints one and the archive has one) against the inventory; its software version is recorded."""
    facts = ctx.read("facts")
    inv = ctx.inventory_host
    recorded = str(inv.get("model") or "")
    if recorded:
        ok = same_model(recorded, facts.model)
        ctx.condition(ok, "型号", facts.model if ok else f"设备报告 {facts.model}，档案记录 {recorded}")
    serial = str(inv.get("serial_number") or "")
    reported = facts.serial
    if serial and not reported and ctx.reads("inventory"):
        # `display version` prints no serial on Comware: the electronic labels do (every IRF member's)
        reported = ",".join(m.serial for m in ctx.read("inventory") if m.serial)
    if serial and reported:
        ok = serial.upper() in reported.upper().replace(" ", "").split(",")
        ctx.condition(ok, "序列号", serial if ok else f"设备报告 {reported}，档案记录 {serial}")
    ctx.condition(True, "软件版本", facts.os_version)
    if facts.uptime:
        ctx.condition(True, "运行时间", facts.uptime)
