"""GB/T 28181 device codes (国标编码): 20 digits that say where and what a device is.

Layout (GB/T 28181-2016, appendix D): digits 1-8 centre code (province,
city, district, grass-roots unit: administrative division per GB/T 2260),
9-10 industry, 11-13 device type, 14 network, 15-20 serial number.
"""

from __future__ import annotations

from dataclasses import dataclass

# Karamay (克拉玛依市, GB/T 2260: 650200) and its four districts.
CITY_PREFIX = "6502"
DISTRICTS: dict[str, str] = {
    "独山子区": "650202",
    "克拉玛依区": "650203",
    "白碱滩区": "650204",
    "乌尔禾区": "650205",
}
# Type codes (digits 11-13) used on this estate.
DEVICE_TYPES: dict[str, str] = {
    "111": "DVR",
    "112": "视频服务器",
    "113": "编码器",
    "118": "网络视频录像机(NVR)",
    "131": "摄像机",
    "132": "网络摄像机(IPC)",
    "200": "中心信令控制服务器",
}
NETWORKS: dict[str, str] = {
    "0": "监控报警专网", "1": "监控报警专网", "2": "监控报警专网", "3": "监控报警专网", "4": "监控报警专网",
    "5": "公安信息网", "6": "政务网", "7": "Internet", "8": "社会资源接入网",
}


@dataclass(frozen=True)
class GbCode:
    code: str
    division: str  # six-digit administrative division
    unit: str
    industry: str
    type_code: str
    network: str
    serial: str


def parse(code: object) -> GbCode:
    """Parse a 20-digit code; raise ValueError saying exactly what is wrong."""
    if not isinstance(code, str):
        raise ValueError(f"must be a 20-digit string, got {type(code).__name__} {code!r} (kept as text?)")
    text = code.strip()
    if len(text) != 20 or not text.isdigit():
        raise ValueError(f"'{text}' must be exactly 20 digits (has {len(text)} characters)")
    if not text.startswith(CITY_PREFIX):
        raise ValueError(f"'{text}' does not start with Karamay's division prefix {CITY_PREFIX}")
    division = text[:6]
    if division not in DISTRICTS.values():
        raise ValueError(f"'{text}': division {division} is not a Karamay district ({', '.join(DISTRICTS.values())})")
    type_code = text[10:13]
    if type_code not in DEVICE_TYPES:
        raise ValueError(f"'{text}': device type {type_code} is not a known GB/T 28181 type")
    network = text[13]
    if network not in NETWORKS:
        raise ValueError(f"'{text}': network digit {network} is reserved")
    return GbCode(text, division, text[6:8], text[8:10], type_code, network, text[14:])


def district_of(code: GbCode) -> str:
    return next(name for name, div in DISTRICTS.items() if div == code.division)
