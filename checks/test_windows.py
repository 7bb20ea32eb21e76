"""Windows servers and SQL Server failover clusters (2 nodes each): cluster, databases, jobs, backups, error log.

The PowerShell getters are the windows fact set's (cityops/drivers/windows.py: WMI where 2008 R2 and 2012 R2 lack
what newer PowerShell has); SQL Server is the mssql fact set's (cityops/drivers/mssql.py: sqlcmd over the same session).
"""

import datetime as dt

from cityops.backup.schedule import jobs_of
from cityops.drivers import mssql
from cityops.inspect.catalogue import check
from cityops.parsers import ParseError
from cityops.parsers import windows as win
from cityops.terms import EVERY
from cityops.timeutil import BEIJING, now, today

WINDOWS = ("windows",)
SQL_ROLES = ("sqlserver_node", "sqlserver_db")

SYSTEM_DBS = {"master", "model", "msdb", "tempdb"}


def hosts_sql(ctx) -> bool:
    """Does this host run the SQL Server instance now? A failover node answers only while it owns the role."""
    if str(ctx.inventory_host.get("role")) != "sqlserver_node":
        return True
    def sql_owner() -> str:
        owners = [g.owner for g in ctx.read("cluster_groups") if g.name.startswith("SQL Server")]
        if not owners:
            raise ParseError("Get-ClusterGroup: no 'SQL Server (...)' role")
        return owners[0]

    owner = ctx.cached("sql_owner", sql_owner)
    if owner.lower() != ctx.host_name.lower():
        ctx.skip(f"本节点不承载 SQL Server 角色（当前所有者 {owner}），由所有者节点巡检")
        return False
    return True


def sql(ctx, getter: str):
    """Rows of one of the mssql fact set's queries on the host's instance, or None when the instance did not answer:
    that is the finding (an unreachable database), not a tool error."""
    try:
        return ctx.read(getter, facts="mssql")
    except mssql.InstanceUnreachable as e:
        ctx.condition(False, "SQL Server 实例", f"无法连接：{e}")
        return None


@check("WIN-DISK-001", "Windows 磁盘空间使用率", platforms=WINDOWS, cadences=EVERY, severity="major", warn=80, crit=90,
       unit="%", remedy="清理日志、临时文件与过期备份，或扩展卷；数据库所在卷须保留增长空间。")
def test_disks(host, ctx):
    for drive, used in ctx.read("disks").items():
        ctx.measure(used, drive)


@check("WIN-SVC-001", "Windows 自动启动服务运行状态", platforms=WINDOWS, cadences=EVERY, severity="critical",
       remedy="查看系统事件日志中该服务的错误，排除原因后启动服务并确认依赖的业务恢复。")
def test_services(host, ctx):
    services = ctx.read("services")
    stopped = [svc.name for svc in services if svc.stopped_automatic]
    ctx.condition(not stopped, "已停止的自动服务", "、".join(stopped) if stopped else f"无（共 {len(services)} 个服务）")


@check("WIN-PATCH-001", "Windows 补丁更新时间", platforms=WINDOWS, cadences=("monthly", "quarterly"), severity="minor",
       warn=90, crit=180, unit="天", standard="GB/T 22239-2019 8.1.4.9（入侵防范：补丁）",
       remedy="通过 WSUS 审批并安装已发布的安全更新，先在测试环境验证，群集节点逐台滚动安装。")
def test_hotfix_age(host, ctx):
    newest = max(day for _kb, day in ctx.read("hotfixes"))
    ctx.measure((today() - newest).days, "最近安装")


@check("MSSQL-NODE-001", "SQL Server 群集节点与角色状态", platforms=WINDOWS, roles=("sqlserver_node",), cadences=EVERY,
       severity="critical", remedy="确认宕机节点的原因（硬件、网络、群集服务），修复后恢复节点；确认 SQL Server 角色"
                                    "已在存活节点联机，必要时在维护窗口切回首选节点。")
def test_cluster(host, ctx):
    for node in ctx.read("cluster_nodes"):
        ctx.condition(node.ok, f"节点 {node.name}", node.state)
    for group in ctx.read("cluster_groups"):
        ctx.condition(group.state == "Online", f"角色 {group.name}", f"{group.state}（所有者 {group.owner}）")


@check("MSSQL-DB-001", "SQL Server 数据库状态", platforms=WINDOWS, roles=SQL_ROLES, cadences=EVERY, severity="critical",
       remedy="对非 ONLINE 的数据库查看错误日志（置疑多为 I/O 或日志损坏），按应急预案从备份恢复，切勿直接强制修复。")
def test_databases(host, ctx):
    if not hosts_sql(ctx):
        return
    dbs = sql(ctx, "databases")
    if dbs is None:
        return
    for name, state in dbs:
        ctx.condition(state == "ONLINE", name, state)


@check("MSSQL-JOB-001", "SQL Server 代理作业", platforms=WINDOWS, roles=SQL_ROLES, cadences=EVERY, severity="major",
       remedy="查看失败作业的步骤历史（msdb.dbo.sysjobhistory），修复原因后手工重跑；备份作业失败须当日补做。")
def test_jobs(host, ctx):
    if not hosts_sql(ctx):
        return
    failed = sql(ctx, "failed_jobs")
    if failed is None:
        return
    ctx.condition(not failed, "24 小时内失败的作业",
                  "；".join(f"{name}（{at}）" for name, _st, at, _msg in failed) if failed else "无")


@check("MSSQL-BAK-001", "SQL Server 数据库备份", platforms=WINDOWS, roles=SQL_ROLES, cadences=EVERY, severity="critical",
       warn=26, crit=48, unit="小时", remedy="查看备份作业与目标路径空间，修复后立即补做完整备份并验证（RESTORE VERIFYONLY）。")
def test_backups(host, ctx):
    if not hosts_sql(ctx):
        return
    dbs = sql(ctx, "databases")
    if dbs is None:
        return
    backups = sql(ctx, "backups")
    if backups is None:
        return
    full = {}
    for db, kind, at in backups:
        if kind in ("D", "I"):  # full or differential: a restorable base
            full[db] = max(full.get(db, win.when(at)), win.when(at))
    clock = now().replace(tzinfo=None)
    for db, _state in dbs:
        if db in SYSTEM_DBS:
            continue
        if db in full:
            ctx.measure(round((clock - full[db]).total_seconds() / 3600, 1), db)
        else:
            ctx.condition(False, db, "没有任何完整或差异备份")


@check("MSSQL-BAK-002", "备份计划执行情况（按备份计划）", platforms=WINDOWS, roles=SQL_ROLES, cadences=EVERY,
       severity="critical", requires=("backup_jobs",), remedy="按备份计划补做缺失的完全、差异或日志备份，查明作业未按"
                                                              "计划执行的原因（代理作业、空间、权限），补做后用 RESTORE "
                                                              "VERIFYONLY 验证。")
def test_backup_schedule(host, ctx):
    """Each SQL Server backup the inventory declares for this instance (cityops/backup/schedule.py), for every user
    database, against msdb's record of the last good one of that type: overdue once its slot and window passed."""
    if not hosts_sql(ctx):
        return
    jobs = [j for j in jobs_of(ctx.inventory_host) if j.kind == "sqlserver"]
    if not jobs:
        ctx.skip("本实例未声明 SQL Server 备份任务（backup_jobs 中只有其他类型）")
        return
    dbs = sql(ctx, "databases")
    backups = sql(ctx, "backups") if dbs is not None else None
    if backups is None:
        return
    last = {}
    for db, kind, at in backups:
        when = win.when(at).replace(tzinfo=BEIJING)
        last[db, kind] = max(last.get((db, kind), when), when)
    clock = now()
    user_dbs = [db for db, _state in dbs if db not in SYSTEM_DBS]
    for j in jobs:
        kind = mssql.BACKUP_TYPE[j.level]
        late: dict[tuple[str, str], list[str]] = {}  # (slot, last good) -> databases: one phrase for many
        for db in user_dbs:
            due = j.overdue(last.get((db, kind)), clock)
            if due is not None:
                seen = last.get((db, kind))
                late.setdefault((f"{due:%Y-%m-%d %H:%M}", f"{seen:%Y-%m-%d %H:%M}" if seen else "无"), []).append(db)
        ctx.condition(not late, j.label,
                      "；".join(f"{'、'.join(dbs)} 应于 {due} 完成（最近一次成功：{seen}）"
                               for (due, seen), dbs in late.items()) if late else f"{len(user_dbs)} 个库按计划完成")


@check("MSSQL-LOG-001", "SQL Server 错误日志（严重级别 ≥17）", platforms=WINDOWS, roles=SQL_ROLES, cadences=EVERY,
       severity="major", remedy="按错误号处理：823/824/825 为 I/O 错误须检查存储并运行 DBCC CHECKDB；17 级以上资源错误"
                                 "检查内存与磁盘；处理后在台账登记。")
def test_errorlog(host, ctx):
    if not hosts_sql(ctx):
        return
    lines = sql(ctx, "errorlog")
    if lines is None:
        return
    since = now().replace(tzinfo=None) - dt.timedelta(days=1)
    recent = [row for row in lines if win.when(row[0][:19]) >= since]
    severe = win.errorlog_severe(recent)
    ctx.condition(not severe, "24 小时内的严重错误", f"{len(severe)} 条：{severe[-1][:150]}" if severe else "无")
