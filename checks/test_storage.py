"""Storage arrays: disks, pool capacity, array health. OceanStor and Inspur answer their ISM CLI over SSH; the
EMC VNX/VMAX, HDS AMS and IBM DS4000 are read through the CLIs on their management station."""

from cityops.inspect.catalogue import check
from cityops.inspect.console import console_get
from cityops.parsers import storage as st
from cityops.terms import EVERY

ARRAYS = ("huawei_oceanstor", "inspur_storage", "emc_vnx", "emc_vmax", "hds_ams", "ibm_ds", "backup_appliance")


def target(ctx) -> str:
    return str(ctx.inventory_host.get("sp_address") or ctx.inventory_host.get("ansible_host"))


def out(ctx, command: str) -> str:
    return ctx.run(command).stdout


def api(ctx, path: str) -> dict:
    """The backup appliance's management API (token login once per run), as the security consoles'."""
    return console_get(ctx, path)


def disks(ctx):
    p = ctx.platform
    if p == "backup_appliance":
        return [(f"槽位 {d['slot']}", d["status"] == "normal", d["status"]) for d in api(ctx, "/api/v1/storage/disks")["disks"]]
    if p in ("huawei_oceanstor", "inspur_storage"):
        return st.ism_disks(out(ctx, "show disk general"))
    if p == "emc_vnx":
        return st.vnx_disks(out(ctx, f"naviseccli -h {target(ctx)} getdisk -state"))
    if p == "emc_vmax":
        return st.vmax_failed_disks(out(ctx, "symdisk list -failed"))
    if p == "hds_ams":
        return st.hds_disks(out(ctx, "audrive -unit AMS -status"))
    return st.smcli_health(out(ctx, f"SMcli {target(ctx)} -c \"show storageSubsystem healthStatus;\""))


@check("STO-DISK-001", "存储硬盘状态", platforms=ARRAYS, cadences=EVERY, severity="critical",
       remedy="确认故障盘位置与热备盘是否已接管重构，联系厂商更换故障盘；重构完成前避免其他高风险操作。")
def test_disks(host, ctx):
    for disk, ok, state in disks(ctx):
        ctx.condition(ok, disk, state)


@check("STO-POOL-001", "存储池容量使用率", platforms=(*ARRAYS[:5], "backup_appliance"), cadences=EVERY, severity="major",
       warn=80, crit=90,
       unit="%", remedy="清理过期快照与无用 LUN，评估业务增长并提前规划扩容；精简池满会导致主机写入失败。")
def test_pools(host, ctx):
    p = ctx.platform
    if p == "backup_appliance":
        pools = [(x["name"], float(x["used_percent"])) for x in api(ctx, "/api/v1/storage/pools")["pools"]]
    elif p in ("huawei_oceanstor", "inspur_storage"):
        pools = st.ism_pools(out(ctx, "show storage_pool general"))
    elif p == "emc_vnx":
        pools = st.vnx_pools(out(ctx, f"naviseccli -h {target(ctx)} storagepool -list"))
    elif p == "emc_vmax":
        pools = st.vmax_pools(out(ctx, "symcfg list -pool -thin"))
    else:
        pools = st.hds_pools(out(ctx, "audppool -unit AMS -refer"))
    for name, used in pools:
        ctx.measure(used, name)


@check("STO-HEALTH-001", "存储阵列健康状态与告警", platforms=ARRAYS, cadences=EVERY, severity="critical",
       remedy="按告警逐条排查（控制器、电源、链路、硬盘），处理后确认告警清除；涉及控制器时联系厂商。")
def test_health(host, ctx):
    p = ctx.platform
    if p == "backup_appliance":
        alarms = api(ctx, "/api/v1/alarms")["alarms"]
        items = [("告警", False, f"{a.get('level')} {a.get('message')}") for a in alarms] or [("告警", True, "无")]
    elif p in ("huawei_oceanstor", "inspur_storage"):
        items = st.ism_health(out(ctx, "show system general"), out(ctx, "show alarm"))
    elif p == "emc_vnx":
        items = st.vnx_faults(out(ctx, f"naviseccli -h {target(ctx)} faults -list"))
    elif p == "emc_vmax":
        items = st.vmax_failed_disks(out(ctx, "symdisk list -failed"))
    elif p == "hds_ams":
        items = st.hds_health(out(ctx, "auunitinfo -unit AMS"))
    else:
        items = st.smcli_health(out(ctx, f"SMcli {target(ctx)} -c \"show storageSubsystem healthStatus;\""))
    for name, ok, state in items:
        ctx.condition(ok, name, state)


@check("BAK-JOB-001", "备份作业执行情况", platforms=("backup_appliance",), cadences=EVERY, severity="critical", warn=26,
       crit=48, unit="小时", remedy="查看失败作业日志（介质服务器、客户端代理、网络），修复后当日补做备份并验证可恢复。")
def test_backup_jobs(host, ctx):
    """Hours since each policy's last successful job, and any job that failed in the last 24 hours."""
    import datetime as dt

    from cityops.timeutil import now

    jobs = api(ctx, "/api/v1/backup/jobs").get("jobs")
    if not isinstance(jobs, list) or not jobs:
        from cityops.parsers import ParseError

        raise ParseError("backup jobs JSON: no jobs listed")
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
