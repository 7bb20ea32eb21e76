"""Platforms: what a device runs, and therefore how cityops talks to it.

Each inventory host names one platform. The platform says what kind of thing it
is and how it is reached (a device CLI, an OS over SSH, an HTTP or SNMP endpoint)
so transports and checks can be chosen from data, not from hostnames. Everything
cityops knows about talking to a device CLI and reading its answers is that
platform's driver (cityops/drivers/<platform>.py), not here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Platform:
    id: str
    name: str  # Chinese description for reports
    family: str  # server_os | network_cli | storage_cli | appliance | http | snmp | camera | terminal | manual
    transport: str  # ssh | cli | https | snmp | http | gb28181 | agent | none
    os: str = ""
    # Why its readings rest on a modelled interface (no real output of it is public to test the reader on); a
    # result from such a platform carries `modelled: true`, and a report marks the findings that rest on it.
    modelled: str = ""


MODELLED_CLI = "健康与特征库命令按公开采集代码建模，无公开真机输出可核对"
MODELLED_WEB = "管理接口为建模的统一 JSON 接口，各厂商真实接口不同且未公开"

_ALL = (
    # servers
    Platform("linux", "Linux 服务器", "server_os", "ssh", os="linux"),
    Platform("aix", "IBM AIX 小型机", "server_os", "ssh", os="aix"),
    Platform("windows", "Windows Server", "server_os", "winrm", os="windows"),
    Platform("vmware_esxi", "VMware ESXi", "server_os", "ssh", os="esxi"),
    Platform("vmware_vcenter", "VMware vCenter", "http", "https"),
    # network devices
    Platform("huawei_vrp", "华为 VRP5", "network_cli", "cli"),
    Platform("huawei_vrpv8", "华为 VRP8", "network_cli", "cli"),
    Platform("huawei_ce", "华为 CloudEngine 数据中心交换机", "network_cli", "cli"),
    Platform("hp_comware", "H3C Comware", "network_cli", "cli"),
    Platform("cisco_ios", "Cisco IOS", "network_cli", "cli"),
    Platform("cisco_nxos", "Cisco NX-OS (MDS)", "network_cli", "cli"),
    Platform("brocade_fos", "Brocade FOS (EMC DS-300B)", "network_cli", "cli"),
    Platform("f5_tmos", "F5 TMOS", "network_cli", "cli"),
    # security appliances (no netmiko/napalm driver exists; cityops brings its own)
    Platform("topsec_tos", "天融信 TOS", "appliance", "cli", modelled=MODELLED_CLI),
    Platform("sangfor_vpn", "深信服 VPN", "appliance", "cli", modelled=MODELLED_CLI),
    Platform("lipu_gap", "利谱网闸", "appliance", "https", modelled=MODELLED_WEB),
    Platform("appliance_web", "安全设备(Web 管理)", "appliance", "https", modelled=MODELLED_WEB),
    # storage and backup
    Platform("emc_vnx", "EMC VNX (naviseccli)", "storage_cli", "ssh"),
    Platform("emc_vmax", "EMC VMAX (symcli)", "storage_cli", "ssh"),
    Platform("hds_ams", "HDS AMS (SNM2 CLI)", "storage_cli", "ssh"),
    Platform("ibm_ds", "IBM DS4000 (SMcli)", "storage_cli", "ssh"),
    Platform("huawei_oceanstor", "华为 OceanStor", "storage_cli", "ssh"),
    Platform("inspur_storage", "浪潮存储", "storage_cli", "ssh"),
    Platform("backup_appliance", "备份一体机", "storage_cli", "https", modelled=MODELLED_WEB),
    # environment and endpoints
    Platform("snmp_ups", "UPS (SNMP)", "snmp", "snmp"),
    Platform("snmp_ac", "精密空调 (SNMP)", "snmp", "snmp"),
    Platform("snmp_printer", "打印机 (SNMP)", "snmp", "snmp"),
    Platform("hikvision_nvr", "海康 NVR (ISAPI)", "camera", "http"),
    Platform("gb28181_camera", "GB/T 28181 摄像机", "camera", "gb28181"),
    Platform("vc_terminal", "视频会议终端", "terminal", "http"),
    Platform("http", "Web 站点", "http", "https"),
    Platform("windows_desktop", "Windows 终端", "terminal", "agent"),
    Platform("domestic_linux", "国产 Linux 终端", "terminal", "agent"),
    Platform("kiosk", "自助终端/查询机", "terminal", "agent"),
    Platform("manual", "人工巡检(无管理接口)", "manual", "none"),
)

PLATFORMS: dict[str, Platform] = {p.id: p for p in _ALL}


def get(platform_id: str) -> Platform | None:
    return PLATFORMS.get(platform_id)
