"""The host record: every field a device carries, its Chinese label and its kind.

One table serves the YAML hosts, the bulk CSV columns, the XLSX/CSV device
archive (一机一档) and its import, so a label or a field is added in one place.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..terms import CADENCES as TERMS_CADENCES


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
    Field("patch_route", "补丁途径", "text",
          note="how the host is patched: pyinfra_yum, pyinfra_aix, pyinfra_esxi, wsus, playbook_rac, playbook_mssql"),
    Field("python", "Python 版本", "text",
          note="the interpreter the host's own OS carries (none, 2.6, 2.7, 3.6 ...): which patch route can run there"),
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

HOSTNAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
BY_NAME: dict[str, Field] = {f.name: f for f in FIELDS}
BY_LABEL: dict[str, Field] = {f.label: f for f in FIELDS}
REQUIRED: tuple[str, ...] = tuple(f.name for f in FIELDS if f.required)
ADDRESS_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == "address")
LIST_FIELDS: tuple[str, ...] = tuple(f.name for f in FIELDS if f.kind == "list")
CLUSTER_ADDRESS_VARS: tuple[str, ...] = ("scan_addresses", "cluster_address")

SOURCES = {"tender": "招标文件", "assumed": "假设(招标未列数量)"}
BMC_PROTOCOLS = ("redfish", "ipmi")
# A server's own Python: 'none' or major.minor. ansible-core 2.19 runs modules only on 3.8 and later.
PYTHON_VERSION = re.compile(r"none|[23]\.\d{1,2}")
SERVER_PLATFORMS = ("linux", "windows", "aix", "vmware_esxi")  # hosts with an OS of their own to patch
# The patch route of each kind of server, fitted to the host as it is: pyinfra needs only a shell (RHEL 6's
# Python 2.6 and AIX's none are enough); Windows 2008 R2/2012 R2 through WSUS; clusters by their rolling playbooks.
PATCH_ROUTES = {"pyinfra_yum": "pyinfra + yum", "pyinfra_aix": "pyinfra + installp/emgr",
                "pyinfra_esxi": "pyinfra + esxcli software", "wsus": "WSUS 审批 + 远程安装",
                "playbook_rac": "ansible raw 滚动补丁（Oracle RAC）", "playbook_mssql": "ansible 滚动补丁（SQL Server 群集）"}
# The platform a route can patch: a route named for the wrong kind of host is an inventory error, not a 3 a.m. one.
ROUTE_PLATFORMS = {"pyinfra_yum": ("linux",), "pyinfra_aix": ("aix",), "pyinfra_esxi": ("vmware_esxi",),
                   "wsus": ("windows",), "playbook_rac": ("linux",), "playbook_mssql": ("windows",)}
# Variable names that would hold a secret: never allowed in the inventory. A name is split into words
# (ansible_ssh_pass -> ansible, ssh, pass); any of SECRET_WORDS, or a marker anywhere in it, makes it a secret's name.
SECRET_NAME_MARKERS = ("password", "passwd", "secret", "community", "token", "private_key", "passphrase")
SECRET_WORDS = frozenset({"pass", "pwd", "pw", "key", "psk", "passcode", "pin", "privkey", "apikey"})
# Fields that hold the *name* of a credential (resolved at run time from the vault or the environment).
CREDENTIAL_FIELDS = ("credential", "bmc_credential")
CREDENTIAL_NAME = re.compile(r"[a-z][a-z0-9_]{1,63}")
REDACTED = "«已隐去：疑似密码/密钥»"


def secret_name(name) -> bool:
    """True if a variable or column of this name would hold a secret (password, pass, pwd, key, community...)."""
    low = str(name).lower()
    return any(m in low for m in SECRET_NAME_MARKERS) or any(w in SECRET_WORDS for w in re.split(r"[^a-z0-9]+", low))


def credential_name_problem(value) -> str:
    """Why a credential field's value is not a credential's name (a password typed in its place), or ''."""
    if value in (None, ""):
        return ""
    if not isinstance(value, str) or not CREDENTIAL_NAME.fullmatch(value):
        return ("does not look like a credential name (lowercase letters, digits, '_', e.g. gxj_network): "
                "was a password typed here? The inventory holds credential names only")
    return ""


def secret_keys(data, path: tuple = ()):
    """Yield the key paths of every secret-named key in a (nested) mapping of variables."""
    if isinstance(data, dict):
        for key, value in data.items():
            if secret_name(key):
                yield (*path, str(key))
            else:
                yield from secret_keys(value, (*path, str(key)))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from secret_keys(value, (*path, str(i)))


def without_secrets(variables: dict) -> dict:
    """A host's variables as they may be shown or exported: secret-named values and credential fields that hold
    something other than a name are replaced by a marker (nested mappings too)."""
    def clean(data):
        if isinstance(data, dict):
            return {k: REDACTED if secret_name(k) else clean(v) for k, v in data.items()}
        if isinstance(data, list):
            return [clean(v) for v in data]
        return data

    out = clean(dict(variables))
    for name in CREDENTIAL_FIELDS:
        if credential_name_problem(out.get(name)):
            out[name] = REDACTED
    return out

CADENCES = TERMS_CADENCES  # one list for inventory, checks and reports (cityops/terms.py)


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
