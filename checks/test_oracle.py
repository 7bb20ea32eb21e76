"""Oracle 10g R2 and 11g: the RAC (cluster resources, instances, listeners, SCAN, ASM) and every database (space, backups, logs).

What is read, and how, is the oracle fact set's (cityops/drivers/oracle.py): its commands run over the server's
SSH session in the oracle user's environment (`oracle_shell_prefix`).
"""

import datetime as dt
import re

from cityops.backup.schedule import jobs_of
from cityops.drivers import oracle as ora
from cityops.inspect.catalogue import check
from cityops.parsers import ParseError
from cityops.terms import EVERY
from cityops.timeutil import BEIJING, now

LINUX = ("linux",)
RAC = ("oracle_rac_node",)
DB = ("oracle_rac_node", "oracle_db")


def read(ctx, getter: str):
    return ctx.read(getter, facts="oracle")


def sh(ctx, command: str, ok_status=(0,)):
    """A command with an argument of this host's (a database name, an alert log path), as the fact set runs its own."""
    prefix = ctx.inventory_host.get("oracle_shell_prefix") or ""
    return ctx.run(f"{prefix} {command}".strip(), ok_status=ok_status)


INSTANCE_DOWN = re.compile(r"ORA-01034|ORA-27101|ORA-01089|ORA-01033")  # not available, shutting down, starting
ALERT_LOGS = " ".join(f"{base}/diag/rdbms/*/*/trace/alert_*.log {base}/admin/*/bdump/alert_*.log"
                      for base in ('"$ORACLE_BASE"', "/u01/app/oracle", "/opt/oracle"))


def alert_logs(ctx) -> list[str]:
    """Where the instance writes its alert log (background_dump_dest); when the instance is down, which is when its
    alert log matters most, the logs in ADR's trees and 10g's bdump under $ORACLE_BASE and the usual bases."""
    try:
        return [f"{directory.rstrip('/')}/alert_{sid}.log" for sid, directory in read(ctx, "alert_dir")]
    except ParseError as e:
        if not INSTANCE_DOWN.search(str(e)):
            raise
    found = sorted(set(sh(ctx, f"ls -1 {ALERT_LOGS} 2>/dev/null", ok_status=(0, 1, 2)).stdout.split()))
    if not found:
        raise ParseError("the instance is down and no alert_<SID>.log is under $ORACLE_BASE, /u01/app/oracle or "
                         "/opt/oracle (diag/rdbms/*/*/trace, admin/*/bdump)")
    return found


@check("ORA-CRS-001", "RAC 集群资源状态", platforms=LINUX, roles=RAC, cadences=EVERY, severity="critical",
       remedy="查看离线资源的日志（crsctl stat res 名称 -f，$GRID_HOME/log），排除原因后 crsctl start res 恢复；"
              "涉及实例或 VIP 时先确认业务已切换。")
def test_crs_resources(host, ctx):
    for r in read(ctx, "crs_resources"):
        if r.target == "ONLINE":  # OFFLINE targets (ora.gsd in 11g) are meant to be down
            where = f"{r.name}@{r.server}" if r.server else r.name
            ctx.condition(r.state == "ONLINE", where, r.state + (f" {r.detail}" if r.detail else ""))


@check("ORA-INST-001", "数据库实例状态", platforms=LINUX, roles=DB, cadences=EVERY, severity="critical",
       remedy="检查实例告警日志与 CRS 日志，确认宕机原因后 srvctl start instance 启动；单实例用 startup 启动并核对业务连接。")
def test_instances(host, ctx):
    if str(ctx.inventory_host.get("role")) in RAC:
        for db in read(ctx, "databases"):
            for inst, running, node in ora.srvctl_instances(sh(ctx, f"srvctl status database -d {db}").stdout):
                ctx.condition(running, f"{inst}@{node}", "运行" if running else "未运行")
    else:
        for name, status, _host, dbstatus, _ver in read(ctx, "instance"):
            ctx.condition(status == "OPEN" and dbstatus == "ACTIVE", name, f"{status}/{dbstatus}")


@check("ORA-LSNR-001", "数据库监听状态", platforms=LINUX, roles=DB, cadences=EVERY, severity="critical",
       remedy="lsnrctl start 启动监听并核对 listener.ora；RAC 节点用 srvctl start listener -n 节点名。")
def test_listener(host, ctx):
    up, why = read(ctx, "listener")
    ctx.condition(up, "LISTENER", why)


@check("ORA-SCAN-001", "SCAN 监听状态", platforms=LINUX, roles=RAC, cadences=EVERY, severity="critical",
       remedy="srvctl status scan / scan_listener 确认 SCAN VIP 与监听，srvctl start scan_listener 恢复，并核对 DNS 解析。")
def test_scan(host, ctx):
    for name, running, node in read(ctx, "scan_listeners"):
        ctx.condition(running, name, f"运行于 {node}" if running else "未运行")


@check("ORA-ASM-001", "ASM 磁盘组使用率", platforms=LINUX, roles=RAC, cadences=EVERY, severity="major", warn=80,
       crit=90, unit="%", remedy="清理过期归档与备份片，或按变更流程向磁盘组添加 LUN；同时检查是否有离线磁盘。")
def test_asm(host, ctx):
    for dg in read(ctx, "asm_diskgroups"):
        ctx.measure(dg.used_percent, dg.name)
        if dg.offline_disks or dg.state != "MOUNTED":
            ctx.condition(False, f"{dg.name} 状态", f"{dg.state}，离线磁盘 {dg.offline_disks}")


@check("ORA-TBS-001", "表空间使用率", platforms=LINUX, roles=DB, cadences=EVERY, severity="major", warn=85, crit=95,
       unit="%", remedy="为将满的表空间添加数据文件或开启自动扩展（确认磁盘组/文件系统余量），清理历史数据前须与业务方确认。")
def test_tablespaces(host, ctx):
    for name, _size, _used, pct, _auto, _max in read(ctx, "tablespaces"):
        ctx.measure(float(pct), name)


@check("ORA-TEMP-001", "临时表空间使用率", platforms=LINUX, roles=DB, cadences=EVERY, severity="major", warn=85,
       crit=95, unit="%", remedy="定位占用临时段的大排序/哈希会话（v$tempseg_usage），必要时添加临时文件。")
def test_temp(host, ctx):
    for name, _size, _used, pct in read(ctx, "temp"):
        ctx.measure(float(pct), name)


@check("ORA-FRA-001", "闪回恢复区使用率", platforms=LINUX, roles=DB, cadences=EVERY, severity="critical", warn=80,
       crit=90, unit="%", remedy="确认归档日志已备份后用 RMAN 删除过期归档（delete archivelog ... backed up 1 "
                               "times），或调整 db_recovery_file_dest_size；满时数据库将挂起。")
def test_fra(host, ctx):
    for name, _limit, _used, pct in read(ctx, "fra"):
        ctx.measure(float(pct or 0), name)


@check("ORA-RMAN-001", "RMAN 备份", platforms=LINUX, roles=DB, cadences=EVERY, severity="critical", warn=26, crit=48,
       unit="小时", remedy="查看 RMAN 日志确认失败原因（空间、通道、归档缺失），修复后立即补做一次全备并验证"
                          "（restore validate）。")
def test_rman(host, ctx):
    jobs = read(ctx, "rman")
    good = [ora.oracle_time(t) for kind, status, t in jobs if status.startswith("COMPLETED") and kind != "ARCHIVELOG"]
    clock = now().replace(tzinfo=None)  # the database's clock is Beijing time, as ours
    if good:
        ctx.measure(round((clock - max(good)).total_seconds() / 3600, 1), "距最近一次成功备份")
    else:
        ctx.condition(False, "成功的数据库备份", "14 天内没有")
    for kind, status, t in jobs:
        if status.startswith("FAILED") and clock - ora.oracle_time(t) < dt.timedelta(days=1):
            ctx.condition(False, f"{kind} 备份作业", f"{t} 失败")


@check("ORA-BAK-002", "备份计划执行情况（按备份计划）", platforms=LINUX, roles=DB, cadences=EVERY, severity="critical",
       requires=("backup_jobs",), remedy="按备份计划补做缺失的备份（RMAN 0/1 级或归档日志），查明未按计划执行的原因"
                                        "（调度、空间、通道），补做后用 restore validate 验证。")
def test_backup_schedule(host, ctx):
    """Each RMAN backup the inventory declares for this database (cityops/backup/schedule.py), against the
    catalogue's own record of the last good one: overdue once its slot and window passed without one. The view
    read (v$rman_backup_job_details) says database or archive log, not level 0 from level 1."""
    jobs = [j for j in jobs_of(ctx.inventory_host) if j.kind == "rman"]
    if not jobs:
        ctx.skip("本库未声明 RMAN 备份任务（backup_jobs 中只有其他类型）")
        return
    done = {"db": [], "archivelog": []}
    for kind, status, t in read(ctx, "rman"):
        if status.startswith("COMPLETED"):
            done["archivelog" if kind == "ARCHIVELOG" else "db"].append(ora.oracle_time(t).replace(tzinfo=BEIJING))
    clock = now()
    for j in jobs:
        good = done["archivelog" if j.level == "archivelog" else "db"]
        last = max(good) if good else None
        due = j.overdue(last, clock)
        seen = last.strftime("%Y-%m-%d %H:%M") if last else "无"
        ctx.condition(due is None, j.label,
                      f"应于 {due:%Y-%m-%d %H:%M} 完成，最近一次成功：{seen}" if due else f"最近一次成功：{seen}")


@check("ORA-ARCH-001", "归档目标状态", platforms=LINUX, roles=DB, cadences=EVERY, severity="critical",
       remedy="根据错误号排查归档目标（空间、网络、备库），修复后 alter system set log_archive_dest_state_N=enable。")
def test_archive_dest(host, ctx):
    for dest_id, name, status, error in read(ctx, "archive_dest"):
        ctx.condition(status == "VALID", name or f"DEST_{dest_id}", status + (f" {error}" if error else ""))


@check("ORA-ALERT-001", "告警日志 ORA- 错误", platforms=LINUX, roles=DB, cadences=EVERY, severity="major",
       remedy="按错误号查阅对应 trace 文件与 MOS 文档（ORA-00600/07445 提交 SR），处理后在台账中登记。")
def test_alert_log(host, ctx):
    """ORA- errors written since the last run (first run: the last 2,000 lines). The database says where its alert
    log is (background_dump_dest): ADR's diag/ tree from 11g, $ORACLE_BASE/admin/<db>/bdump on 10g R2 (lot 24)."""
    for path in alert_logs(ctx):
        count = sh(ctx, f"wc -l < {path}").stdout.strip()
        if not count.isdigit():
            raise ParseError(f"wc -l {path}: '{count[:40]}'")
        total, before = int(count), ctx.previous(path)
        start = before + 1 if before is not None and before <= total else max(total - 2000, 0) + 1
        lines = sh(ctx, f"tail -n +{start} {path}").stdout.splitlines() if total >= start else []
        ctx.values[path] = total
        errors = ora.alert_errors(lines)
        ctx.condition(not errors, path.rsplit("/", 1)[-1], f"{len(errors)} 条：{errors[0][:150]}" if errors else "无新错误")
