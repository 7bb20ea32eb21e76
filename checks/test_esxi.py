"""VMware ESXi hosts: datastore capacity and storage paths (esxcli over SSH)."""

from cityops.inspect.catalogue import check
from cityops.terms import EVERY

ESXI = ("vmware_esxi",)


@check("ESX-DS-001", "ESXi 数据存储使用率", platforms=ESXI, cadences=EVERY, severity="major", warn=80, crit=90, unit="%",
       remedy="清理过期快照与孤立虚拟磁盘，迁移虚拟机（Storage vMotion）或扩容 LUN；快照写满会使虚拟机挂起。")
def test_datastores(host, ctx):
    for volume, used in ctx.read("datastores"):
        ctx.measure(used, volume)


@check("ESX-PATH-001", "ESXi 存储路径状态", platforms=ESXI, cadences=EVERY, severity="critical",
       remedy="检查 HBA、光纤交换机端口与存储前端口，确认多路径策略；恢复后 esxcli storage core adapter rescan。")
def test_paths(host, ctx):
    for name, state in ctx.read("storage_paths"):
        ctx.condition(state == "active", name, state)
