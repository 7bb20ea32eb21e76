"""Security appliances (firewalls, VPN, IPS, bastions, log auditors, scanners, the gatekeeper): signature age,
CPU, memory, disk, hardware, alarms — over SSH (Topsec, Sangfor) or their HTTPS management API."""

from cityops.drivers import get as driver_of
from cityops.drivers import having
from cityops.inspect.catalogue import check
from cityops.parsers import ParseError
from cityops.terms import EVERY
from cityops.timeutil import today

ALL = having("health", "appliance")
SIGNATURE_GETTERS = ("signatures", "av_signatures")  # each signature page an appliance has (Topsec: IPS and AV)


@check("SEC-SIG-001", "安全设备特征库/病毒库时效", platforms=ALL, cadences=EVERY, severity="major", warn=7, crit=30,
       unit="天", standard="GB/T 22239-2019 8.1.3.3（入侵防范）/8.1.3.4（恶意代码防范）：特征库及时升级",
       remedy="检查设备升级授权与升级服务器连通性，手工导入最新特征库并确认自动升级已开启。")
def test_signatures(host, ctx):
    getters = driver_of(ctx.platform).getters
    libs = [lib for g in SIGNATURE_GETTERS if g in getters for lib in ctx.read(g)]
    if not libs:
        ctx.skip(f"{ctx.inventory_host.get('model')} 没有特征库（运维审计类设备）")
        return
    for name, version, updated in libs:
        ctx.measure((today() - updated).days, f"{name} {version}")


@check("SEC-CPU-001", "安全设备 CPU 利用率", platforms=ALL, cadences=EVERY, severity="major", warn=70, crit=90, unit="%",
       remedy="查看会话数与流量是否异常（攻击、病毒扩散），评估策略与性能余量。")
def test_cpu(host, ctx):
    ctx.measure(ctx.read("health").cpu)


@check("SEC-MEM-001", "安全设备内存利用率", platforms=ALL, cadences=EVERY, severity="major", warn=80, crit=90, unit="%",
       remedy="检查并发会话与日志缓存，必要时在维护窗口重启服务；持续偏高联系厂商。")
def test_memory(host, ctx):
    ctx.measure(ctx.read("health").memory)


@check("SEC-DISK-001", "安全设备磁盘使用率", platforms=ALL, cadences=EVERY, severity="major", warn=80, crit=90, unit="%",
       standard="GB/T 22239-2019 8.1.3.5（安全审计：日志留存不少于 6 个月）",
       remedy="将审计日志外发或归档后清理，确认日志留存满足 6 个月要求，必要时扩容。")
def test_disk(host, ctx):
    disks = ctx.read("health").disks
    if not disks:
        raise ParseError("no disk usage reported")
    for name, used in disks.items():
        ctx.measure(used, name)


@check("SEC-HW-001", "安全设备电源与风扇", platforms=ALL, cadences=EVERY, severity="critical",
       remedy="确认故障电源/风扇位置与供电，报修更换；双机部署时确认备机状态。")
def test_hardware(host, ctx):
    h = ctx.read("health")
    if not h.fans and not h.psus:
        raise ParseError("no power supply or fan state reported")
    for name, ok in h.psus:
        ctx.condition(ok, f"电源 {name}", "正常" if ok else "故障")
    for name, ok in h.fans:
        ctx.condition(ok, f"风扇 {name}", "正常" if ok else "故障")


@check("SEC-ALM-001", "安全设备告警", platforms=ALL, cadences=EVERY, severity="major",
       remedy="逐条核对告警原因与影响，处理后确认清除，未能立即处理的登记故障单。")
def test_alarms(host, ctx):
    active = ctx.read("alarms")
    ctx.condition(not active, "活动告警", f"{len(active)} 条：{active[0][:120]}" if active else "无")


@check("GAP-UNIT-001", "网闸内外端机与摆渡通道", platforms=having("gap_units", "appliance"), cadences=EVERY,
       severity="critical", remedy="检查内/外端机供电与运行状态，确认摆渡通道恢复；中断期间通知业务方暂停跨网数据交换。")
def test_gap_units(host, ctx):
    for unit in ctx.read("gap_units"):
        ctx.condition(unit.ok, unit.name, unit.state)
