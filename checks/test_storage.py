"""Storage arrays: disks, pool capacity, array health. OceanStor and Inspur answer their ISM CLI over SSH; the
EMC VNX/VMAX, HDS AMS and IBM DS4000 are read through the CLIs on their management station."""

from cityops.drivers import having
from cityops.inspect.catalogue import check
from cityops.terms import EVERY

ARRAYS = having("disks", "storage")


@check("STO-DISK-001", "存储硬盘状态", platforms=ARRAYS, cadences=EVERY, severity="critical",
       remedy="确认故障盘位置与热备盘是否已接管重构，联系厂商更换故障盘；重构完成前避免其他高风险操作。")
def test_disks(host, ctx):
    for disk in ctx.read("disks"):
        ctx.condition(disk.ok, disk.name, disk.state)


@check("STO-POOL-001", "存储池容量使用率", platforms=having("pools", "storage"), cadences=EVERY, severity="major",
       warn=80, crit=90,
       unit="%", remedy="清理过期快照与无用 LUN，评估业务增长并提前规划扩容；精简池满会导致主机写入失败。")
def test_pools(host, ctx):
    for name, used in ctx.read("pools").items():
        ctx.measure(used, name)


@check("STO-HEALTH-001", "存储阵列健康状态与告警", platforms=having("health", "storage"), cadences=EVERY,
       severity="critical", remedy="按告警逐条排查（控制器、电源、链路、硬盘），处理后确认告警清除；涉及控制器时联系厂商。")
def test_health(host, ctx):
    items = ctx.read("health") + (ctx.read("alarms") if ctx.reads("alarms") else [])
    for part in items:
        ctx.condition(part.ok, part.name, part.state)


@check("BAK-JOB-001", "备份作业执行情况", platforms=having("jobs", "storage"), cadences=EVERY, severity="critical", warn=26,
       crit=48, unit="小时", remedy="查看失败作业日志（介质服务器、客户端代理、网络），修复后当日补做备份并验证可恢复。")
def test_backup_jobs(host, ctx):
    """Hours since each policy's last successful job, and any job that failed in the last 24 hours."""
    import datetime as dt

    from cityops.timeutil import now

    jobs = ctx.read("jobs")
    last_ok: dict[str, dt.datetime] = {}
    for j in jobs:
        if j["status"] == "success" and j.get("end"):
            end = dt.datetime.fromisoformat(j["end"])
            last_ok[j["policy"]] = max(last_ok.get(j["policy"], end), end)
        elif j["status"] == "failed" and now() - dt.datetime.fromisoformat(j["start"]) < dt.timedelta(days=1):
            ctx.condition(False, f"{j['policy']} {j['id']}", f"失败：{j.get('error', '')}")
    for policy in sorted({j["policy"] for j in jobs}):
        if policy in last_ok:
            ctx.measure(round((now() - last_ok[policy]).total_seconds() / 3600, 1), policy)
        else:
            ctx.condition(False, policy, "近 7 天没有成功的作业")
