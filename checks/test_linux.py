"""Linux servers: filesystems, inodes, memory, load, services, time, kernel log, patches.

Run by `invoke inspect` or as plain pytest-testinfra: `pytest checks/ --hosts=cityops://HOST`.
"""

import re

from cityops.inspect.catalogue import check
from cityops.terms import EVERY
from cityops.timeutil import today

LINUX = ("linux",)  # an OS's checks are its own: AIX and ESXi name their filesystems alike, in other shapes
IO_ERRORS = re.compile("|".join((r"I/O error", r"Medium Error", r"EXT4-fs error", r"XFS.*error",
                                 r"multipathd.*(?:fail|down)", r"Hardware Error")), re.I)


@check("LNX-FS-001", "文件系统空间使用率", platforms=LINUX, cadences=EVERY, severity="major", warn=80, crit=90,
       unit="%", standard="GB/T 22239-2019 8.1.10.6（资源控制）",
       remedy="清理过期日志与临时文件、归档历史数据，或按变更流程扩容该文件系统。")
def test_filesystem_usage(host, ctx):
    for fs in ctx.read("filesystems"):
        if fs.percent is not None:
            ctx.measure(fs.percent, fs.mount)


@check("LNX-FS-002", "文件系统 inode 使用率", platforms=LINUX, cadences=EVERY, severity="major", warn=80, crit=95,
       unit="%", remedy="查找并清理大量小文件（会话、缓存、邮件队列），必要时重建文件系统并增加 inode 数。")
def test_inode_usage(host, ctx):
    for fs in ctx.read("inodes"):
        if fs.percent is not None:
            ctx.measure(fs.percent, fs.mount)


@check("LNX-MEM-001", "内存使用率", platforms=LINUX, cadences=EVERY, severity="major", warn=85, crit=95, unit="%",
       remedy="定位占用内存最多的进程，确认是否存在内存泄漏；必要时在维护窗口重启应用或扩充内存。")
def test_memory_usage(host, ctx):
    ctx.measure(ctx.read("memory"))


@check("LNX-CPU-001", "CPU 负载（1 分钟平均负载 / 核数）", platforms=LINUX, cadences=EVERY, severity="major", warn=70,
       crit=90, unit="%", remedy="定位高负载进程（top、pidstat），排查异常任务或死循环；持续偏高时评估扩容。")
def test_cpu_load(host, ctx):
    one, _five, _fifteen = ctx.read("load")
    cores = ctx.read("cpus")
    ctx.measure(round(100.0 * one / cores, 1))


@check("LNX-SVC-001", "系统服务运行状态", platforms=LINUX, cadences=EVERY, severity="critical",
       remedy="查看失败服务的日志（journalctl -u 服务名），排除原因后重启服务并确认业务恢复。")
def test_failed_services(host, ctx):
    failed = ctx.read("failed_services")
    ctx.condition(not failed, "失败的服务", "、".join(failed) if failed else "无")


@check("LNX-NTP-001", "时间同步偏差", platforms=LINUX, cadences=EVERY, severity="major", warn=0.5, crit=2.0, unit="秒",
       standard="GB/T 22239-2019 8.1.4.3（安全审计：时间同步）",
       remedy="检查 NTP 服务与时间源连通性（chronyc sources；RHEL 6 为 ntpq -p），同步时钟并确认偏差回到 0.5 秒以内。")
def test_ntp_offset(host, ctx):
    sync = ctx.read("time_sync")
    if not sync.synchronised:
        ctx.condition(False, "时间同步", f"未与时间源同步（{sync.source or '无可用时间源'}）")
        return
    ctx.measure(round(abs(sync.offset), 3), sync.source)


@check("LNX-LOG-001", "系统日志硬件/IO 错误", platforms=LINUX, cadences=("daily", "weekly", "monthly"), severity="critical",
       remedy="根据日志定位故障磁盘或链路，检查多路径与存储状态，联系厂商更换故障部件。")
def test_kernel_io_errors(host, ctx):
    errors = [ln for ln in ctx.read("messages") if IO_ERRORS.search(ln)]
    ctx.condition(not errors, "IO 错误", f"{len(errors)} 条，最近：{errors[-1][:120]}" if errors else "无")


@check("LNX-PATCH-001", "系统补丁更新时间", platforms=LINUX, cadences=("monthly", "quarterly"), severity="minor",
       warn=180, crit=365, unit="天", standard="GB/T 22239-2019 8.1.4.9（入侵防范：补丁）",
       remedy="评估并安装已发布的安全补丁（先在测试环境验证），按变更流程在维护窗口实施。")
def test_patch_age(host, ctx):
    newest = ctx.read("last_patch")
    ctx.measure((today() - newest).days, "最近安装")


@check("LNX-PATCH-002", "待安装补丁", platforms=LINUX, cadences=("weekly", "monthly", "quarterly"), severity="minor",
       warn=1, crit=10, unit="个", standard="GB/T 22239-2019 8.1.4.9（入侵防范：补丁）",
       remedy="按变更流程（invoke patch，先检查模式）在维护窗口安装主机软件源中已发布的更新，安装后复查。")
def test_pending_updates(host, ctx):
    ctx.measure(len(ctx.read("pending_updates")), "软件源中待安装的更新")
