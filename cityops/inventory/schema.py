"""The host record: every field a device carries, its Chinese label and its kind.

One table serves the YAML hosts, the bulk CSV columns, the XLSX/CSV device
archive (一机一档) and its import, so a label or a field is added in one place.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Field:
    name: str
    label: str  # Chinese column header in CSV/XLSX
    kind: str = "text"  # text | cjk | hostname | vocab | list | address | date | code | number
    required: bool = False
    vocab: str = ""  # for vocab/list kinds: bureau, lot, site, zone, subsystem, class, cluster, cadence, platform
    note: str = ""


FIELDS: tuple[Field, ...] = (
    Field("hostname", "主机名", "hostname", True),
    Field("display_name", "设备名称", "cjk", True),
    Field("bureau", "委办局", "vocab", True, "bureau"),
    Field("lots", "标项", "list", True, "lot"),
    Field("subsystem", "分系统", "vocab", True, "subsystem"),
    Field("site", "机房/站点", "vocab", True, "site"),
    Field("zone", "网络区域", "vocab", True, "zone"),
    Field("device_class", "设备类别", "vocab", True, "class"),
    Field("vendor", "厂商", "text", True),
    Field("model", "型号", "text", True),
    Field("platform", "平台", "vocab", True, "platform"),
    Field("ansible_host", "管理地址", "address", True),
    Field("bmc_address", "带外管理地址", "address"),
    Field("bmc_protocol", "带外协议", "text"),
    Field("bmc_credential", "带外凭据名称", "text"),
    Field("vip_address", "虚拟地址(VIP)", "address"),
    Field("ipv6_address", "IPv6 地址", "address"),
    Field("cluster", "集群", "vocab", False, "cluster"),
    Field("role", "角色", "text", True),
    Field("owner", "责任单位", "text", True),
    Field("warranty_end", "维保到期", "date", True),
    Field("cadences", "巡检频率", "list", True, "cadence"),
    Field("credential", "凭据名称", "text", True),
    Field("source", "数据来源", "text", True),
    Field("os", "操作系统", "text"),
    Field("stack_members", "堆叠成员数", "number", note="switches stacked (iStack/IRF) into one device"),
    Field("serial_number", "序列号", "code"),
    Field("location", "安装位置", "text"),
    Field("tender_ref", "招标依据", "text"),
    # 一机一档 fields of the video network (tender, lot 3: 摄像机类设备注册信息)
    Field("gb_code", "国标编码", "code"),
    Field("district", "行政区划", "text"),
    Field("longitude", "经度", "number"),
    Field("latitude", "纬度", "number"),
    Field("camera_type", "摄像机类型", "text"),
    Field("maintenance_mode", "维护方式", "text"),
    Field("usage", "监控性质", "text"),
    Field("build_date", "建设时间", "date"),
    Field("notes", "备注", "text"),
)

BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
BY_LABEL: dict[str, Field] = {f.label: f for f in FIELDS}
REQUIRED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
ADDRESS_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == "address")
LIST_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == "list")
CLUSTER_ADDRESS_VARS: tuple[str, ...] = ("scan_addresses", "cluster_address")

SOURCES = {"tender": "招标文件", "assumed": "假设(招标未列数量)"}
BMC_PROTOCOLS = ("redfish", "ipmi")
# Variable names that would hold a secret: never allowed in the inventory.
SECRET_NAME_MARKERS = ("password", "passwd", "secret", "community", "token", "private_key", "ansible_become_pass")

CADENCES: dict[str, str] = {
    "twice_daily": "每日两次",
    "daily": "每日",
    "weekly": "每周",
    "monthly": "每月",
    "quarterly": "每季度",
    "half_yearly": "每半年",
    "yearly": "每年",
}


def field_for_header(header: str) -> Field | None:
    """Map a CSV/XLSX column header (Chinese label or field name) to its field."""
    header = header.strip().lstrip("\ufeff")
    return BY_LABEL.get(header) or BY_NAME.get(header)


def split_list(value) -> list[str]:
    """A list field from YAML (list) or a table cell ('6_10;6_9', '6-10、6-9')."""
    if value is None:
        return []
    if isinstance(value, list | tuple):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value)
    for sep in ("、", "，", ",", "|"):
        text = text.replace(sep, ";")
    return [part.strip() for part in text.split(";") if part.strip()]


def normalise_lot(value: str) -> str:
    """'6-10', '6_10', 'lot_6_10' and '标项6-10' all name lot 6_10."""
    text = str(value).strip().lower().replace("标项", "").replace("-", "_")
    return text.removeprefix("lot_")
