"""IBM AIX (the Power minicomputers): filesystems, inodes, hardware errors in errpt, physical volumes, subsystems."""

import datetime as dt

from cityops.inspect.catalogue import check
from cityops.terms import EVERY
from cityops.timeutil import now

AIX = ("aix",)

REQUIRED_SUBSYSTEMS = ("syslogd", "sshd", "xntpd", "inetd", "snmpd")


@check("AIX-FS-001", "AIX 文件系统空间使用率", platforms=AIX, cadences=EVERY, severity="major", warn=80, crit=90, unit="%",
       remedy="清理日志与临时文件，或在卷组有空闲 PP 时 chfs -a size=+N 在线扩容。")
def test_filesystems(host, ctx):
    for fs in ctx.read("filesystems"):
        if fs.used_percent is not None:
            ctx.measure(fs.used_percent, fs.mount)


@check("AIX-FS-002", "AIX 文件系统 inode 使用率", platforms=AIX, cadences=EVERY, severity="major", warn=80, crit=95,
       unit="%", remedy="清理大量小文件；JFS2 的 inode 随空间动态分配，扩容文件系统即可增加。")
def test_inodes(host, ctx):
    for fs in ctx.read("filesystems"):
        if fs.inode_percent is not None:
            ctx.measure(fs.inode_percent, fs.mount)


@check("AIX-ERR-001", "AIX 硬件错误日志（errpt）", platforms=AIX, cadences=EVERY, severity="critical",
       remedy="errpt -a -j 标识符 查看详情，按资源名定位故障部件（磁盘、适配器、电源），联系 IBM 维保处理。")
def test_errpt(host, ctx):
    since = now().replace(tzinfo=None) - dt.timedelta(days=1)
    errors = [entry for stamp, entry in ctx.read("hardware_errors") if stamp >= since]
    ctx.condition(not errors, "24 小时内硬件错误", f"{len(errors)} 条：{errors[0]}" if errors else "无")


@check("AIX-PV-001", "AIX 物理卷状态", platforms=AIX, cadences=EVERY, severity="critical",
       remedy="确认 missing 的磁盘路径（lspath）与存储映射，恢复后 varyonvg 重新激活；镜像卷组须 syncvg 同步。")
def test_pvs(host, ctx):
    for pv, vg, state in ctx.read("physical_volumes"):
        ctx.condition(state in ("active", "concurrent"), f"{pv}（{vg}）", state or "未激活")


@check("AIX-SRC-001", "AIX 关键子系统状态", platforms=AIX, cadences=EVERY, severity="major",
       remedy="startsrc -s 子系统名 启动，并查看 /var/adm/ras 与 errpt 中的原因。")
def test_subsystems(host, ctx):
    states = ctx.read("subsystems")
    for name in ctx.inventory_host.get("aix_subsystems") or REQUIRED_SUBSYSTEMS:
        ctx.condition(states.get(name) == "active", name, states.get(name, "未安装"))
