"""Faults the lab can inject, and the store the CLI writes and the servers read.

A fault is (host, kind, parameters, since). Servers re-read the store when it
changes, so `invoke lab.fault HOST KIND` takes effect on the next command or
connection, and `--clear` restores the healthy answer.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from .statedir import LabDir


@dataclass(frozen=True)
class FaultKind:
    kind: str
    title: str  # Chinese, for lab.status and drill records
    families: tuple[str, ...]  # platform families it applies to
    params: dict  # parameter -> default
    platforms: tuple[str, ...] = ()  # if set, only hosts of these platforms (or transports) show it


_NET = ("network_cli", "appliance", "storage_cli")
_SRV = ("server_os",)
_SNMP = ("snmp",)
_ALL = (*_NET, *_SRV)
_HTTP = ("http",)
_BACKUP = ("backup_appliance",)
KINDS: dict[str, FaultKind] = {f.kind: f for f in (
    # reaching the host at all
    FaultKind("unreachable", "设备不可达（连接超时）", (*_ALL, *_SNMP, *_HTTP), {}),
    FaultKind("refused", "连接被拒绝", (*_ALL, *_HTTP), {}),
    FaultKind("wrong_password", "口令错误（设备已改密）", (*_ALL, *_SNMP), {}),
    FaultKind("garbage", "返回乱码", _ALL, {}),
    FaultKind("slow", "响应缓慢", _ALL, {"seconds": 20.0}),
    # health, as the device reports it
    FaultKind("cpu_high", "CPU 利用率过高", _ALL, {"percent": 96}),
    FaultKind("memory_high", "内存利用率过高", _ALL, {"percent": 97}),
    FaultKind("fan_failed", "风扇故障", _ALL, {"fan": 1}),
    FaultKind("power_failed", "电源故障", _ALL, {"psu": 2}),
    FaultKind("temperature_high", "温度过高", (*_ALL, *_SNMP), {"celsius": 79}),
    # a slow or faulty BMC: its SDR walk ends early after `records` records (`truncate`: the repository seems to end,
    # ipmitool exits 0 with a short list), a record read fails (`error`: completion code C3, a BMC too busy to
    # answer in time), or sensors past the first `records` give no reading (`unreadable`: ipmitool shows `ns`)
    FaultKind("sdr_partial", "BMC 传感器列表不完整（SDR 读取中断）", _SRV, {"records": 3, "mode": "truncate"}),
    FaultKind("crc_errors", "接口 CRC 错包持续增长", ("network_cli",), {"port": 1, "per_minute": 120}),
    FaultKind("alarm_active", "存在活动告警", _NET, {}),
    FaultKind("stack_member_offline", "堆叠成员/单板离线", ("network_cli",), {"slot": 1},
              ("huawei_vrp", "huawei_vrpv8", "huawei_ce")),
    # a device replaced (RMA, a spare fitted in a hurry) while the archive still describes the old one
    FaultKind("device_swapped", "设备已更换（型号/序列号与档案不符）", ("network_cli",), {"model": "S5735-L48T4X-A1"},
              ("huawei_vrp", "huawei_vrpv8", "huawei_ce", "hp_comware", "cisco_ios", "cisco_nxos")),
    FaultKind("fc_port_errors", "光纤端口错误", ("network_cli",), {"port": 1, "per_minute": 60}),
    FaultKind("signature_outdated", "特征库过期", ("appliance",), {"days": 45}),
    # SQL Server (failover clusters and single instances)
    FaultKind("sqlserver_node_down", "SQL Server 群集节点宕机", _SRV, {}),
    FaultKind("sql_job_failed", "SQL Server 作业失败", _SRV, {}),
    FaultKind("sql_backup_old", "SQL Server 备份过旧", _SRV, {"days": 3}),
    FaultKind("sql_db_suspect", "数据库置疑", _SRV, {"database": "REPORT_DB"}),
    FaultKind("sql_errors", "SQL Server 错误日志出现高严重级别错误", _SRV, {}),
    # storage arrays
    FaultKind("storage_disk_failed", "存储硬盘故障", ("storage_cli", "camera"), {"disk": 3}),
    FaultKind("storage_pool_full", "存储池容量将满", ("storage_cli",), {"percent": 95}),
    # backup appliances (爱数, 浪潮 DP): the jobs they ran
    FaultKind("backup_job_failed", "备份作业失败", ("storage_cli",), {"job": 1}, _BACKUP),
    FaultKind("backup_old", "备份作业长期未成功", ("storage_cli",), {"days": 3}, _BACKUP),
    # servers
    FaultKind("disk_full", "文件系统空间将满", (*_SRV, "appliance"), {"mount": "/data", "percent": 97}),
    FaultKind("inode_exhausted", "文件系统 inode 耗尽", _SRV, {"mount": "/var", "percent": 100}),
    FaultKind("service_down", "服务停止", _SRV, {"service": ""}),
    FaultKind("ntp_drift", "时间偏差过大", _SRV, {"seconds": 4.5}),
    FaultKind("io_errors", "内核日志出现 I/O 错误", _SRV, {}),
    FaultKind("patch_old", "补丁长期未更新", _SRV, {"days": 400}),
    # the host as first installed: the base packages of its distribution (an AIX host: no interim fix), every
    # update of its mirror pending
    FaultKind("updates_pending", "软件源更新未安装", _SRV, {}, ("linux", "aix")),
    # the next reboot does not come back (a kernel that panics, a root disk not found): sshd stays down until
    # the fault is cleared, which powers the host on again
    FaultKind("no_boot", "重启后未恢复", _SRV, {}),
    # files backups: the bytes themselves (cityops/lab/servers/datafiles.py)
    FaultKind("backup_corrupt", "备份文件损坏（一个字节被改动）", _SRV, {"match": ""}),
    FaultKind("file_locked", "待备份文件无法读取（权限被锁定）", _SRV, {}),
    FaultKind("data_dir_moved", "待备份目录被移走（文件备份将缺少该目录）", _SRV, {}),
    FaultKind("backup_disk_full", "备份服务器磁盘已满", _SRV, {}),
    FaultKind("archive_log_gap", "归档日志缺失（未备份即被删除）", _SRV, {}),
    # Oracle 11g (single instance and RAC; a RAC fault shows on every node's view)
    FaultKind("ora_errors", "告警日志出现 ORA- 错误", _SRV, {}),
    FaultKind("rac_instance_down", "RAC 实例宕机", _SRV, {}),
    # a patch that goes wrong on this node: once its home took one, its instance does not start (lab/servers/rac.py)
    FaultKind("patch_breaks_start", "打补丁后实例无法启动", _SRV, {}),
    FaultKind("rac_resource_offline", "集群资源离线", _SRV, {"resource": "ora.cvu"}),
    FaultKind("listener_down", "监听停止", _SRV, {}),
    FaultKind("scan_offline", "SCAN 监听离线", _SRV, {}),
    FaultKind("tablespace_full", "表空间将满", _SRV, {"tablespace": "APP_DATA", "percent": 96}),
    FaultKind("temp_full", "临时表空间将满", _SRV, {"percent": 97}),
    FaultKind("fra_full", "闪回恢复区将满", _SRV, {"percent": 96}),
    FaultKind("asm_full", "ASM 磁盘组将满", _SRV, {"diskgroup": "DATA", "percent": 96}),
    FaultKind("rman_failed", "RMAN 备份失败", _SRV, {}),
    FaultKind("rman_old", "RMAN 备份过旧", _SRV, {"days": 9}),
    FaultKind("archive_dest_error", "归档目标异常", _SRV, {}),
    # machine room (SNMP)
    FaultKind("ups_on_battery", "UPS 市电中断、电池供电", _SNMP, {}),
    FaultKind("ups_battery_low", "UPS 电池电量低", _SNMP, {}),
    FaultKind("ac_alarm", "精密空调告警", _SNMP, {}),
    FaultKind("humidity_high", "机房湿度过高", _SNMP, {"percent": 78}),
    FaultKind("toner_low", "打印机墨粉不足", _SNMP, {"percent": 5}),
    # web sites (State Council checklist)
    FaultKind("site_slow", "网站访问缓慢", ("http",), {"seconds": 16.0}),
    FaultKind("site_stale", "首页长期未更新", ("http",), {"days": 20}),
    FaultKind("broken_links", "首页存在失效链接", ("http",), {"count": 3}),
    FaultKind("cert_expiring", "证书即将过期", (*_HTTP, "appliance", "storage_cli"), {"days": 10}, ("https",)),
    # configuration answers (for backups)
    FaultKind("empty_config", "配置输出为空", _NET, {}),
    FaultKind("truncated_config", "配置输出被截断", _NET, {}),
    FaultKind("desync_prompt", "长输出中途出现提示符（会话失步）", ("network_cli",), {}),
    # a change that breaks something beyond the device (a peer, a neighbour, a service): a critical alarm while a
    # running configuration change holds a line containing `match` (cityops/lab/netdev/cli.py configured())
    FaultKind("alarm_on_change", "配置变更后对端中断（告警）", ("network_cli",), {"match": ""}),
)}


class FaultError(ValueError):
    pass


def applies(spec: FaultKind, family: str, platform: str = "", transport: str = "") -> bool:
    """Does a host of this platform family (and platform id / transport) show this fault?"""
    if family not in spec.families:
        return False
    return not spec.platforms or bool({platform, transport} & set(spec.platforms))


class FaultStore:
    """faults.json: {host: {kind: {param: value, "since": epoch}}}."""

    def __init__(self, lab: LabDir):
        self.lab = lab

    def all(self) -> dict:
        return self.lab.read_json(self.lab.faults_file, {})

    def set(self, host: str, kind: str, family: str, platform: str = "", transport: str = "", **params) -> dict:
        spec = KINDS.get(kind)
        if spec is None:
            raise FaultError(f"unknown fault kind '{kind}'; known: {', '.join(KINDS)}")
        if not applies(spec, family, platform, transport):
            usable = ", ".join(k for k, f in KINDS.items() if applies(f, family, platform, transport))
            raise FaultError(f"fault '{kind}' does not apply to {host} ({platform or family}); it takes: {usable}")
        unknown = set(params) - set(spec.params)
        if unknown:
            raise FaultError(f"fault '{kind}' has no parameter {', '.join(sorted(unknown))}; "
                             f"it takes: {', '.join(spec.params) or 'none'}")
        entry = {**spec.params, **{k: type(spec.params[k])(v) for k, v in params.items()}, "since": time.time()}
        with self.lab.locked():
            data = self.all()
            data.setdefault(host, {})[kind] = entry
            self.lab.write_json(self.lab.faults_file, data)
        return entry

    def clear(self, host: str, kind: str | None = None) -> list[str]:
        with self.lab.locked():
            data = self.all()
            current = data.get(host, {})
            cleared = [kind] if kind and kind in current else (list(current) if kind is None else [])
            for k in cleared:
                current.pop(k, None)
            if not current:
                data.pop(host, None)
            self.lab.write_json(self.lab.faults_file, data)
        return cleared

    def clear_all(self) -> None:
        with self.lab.locked():
            self.lab.write_json(self.lab.faults_file, {})


class FaultView:
    """A server's cached view of faults.json, refreshed when the file changes (one stat per call)."""

    def __init__(self, lab: LabDir):
        self.lab = lab
        self._mtime = None
        self._data: dict = {}

    def refresh(self) -> bool:
        try:
            mtime = self.lab.faults_file.stat().st_mtime_ns
        except FileNotFoundError:
            mtime = 0
        if mtime != self._mtime:
            self._mtime = mtime
            self._data = self.lab.read_json(self.lab.faults_file, {}) if mtime else {}
            return True
        return False

    def of(self, host: str) -> dict:
        self.refresh()
        return self._data.get(host, {})
