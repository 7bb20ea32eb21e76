"""The tender's terms, said once: result statuses, inspection cadences and severities, with their Chinese names.

Inventory, checks, the runner, the console and every report read them from here, so a
bureau sees one word for one thing (an uninspectable device was 无法巡检 on the console and
无法连接 in the report before this module). Identifiers stay English; the Chinese names
are what reports and messages print.
"""

from __future__ import annotations

# Result statuses, best first: a check's verdict is its worst item (`error`: nothing could be inspected).
STATUS_ORDER = ("pass", "skip", "waived", "warn", "fail", "error")
# Report counts add two that are not a check's own verdict: required by the cadence but no result, and a
# finding a later result shows fixed.
STATUS_NAMES = {  # nosec B105  # Chinese labels, not a password
    "pass": "正常", "warn": "告警", "fail": "异常", "error": "无法巡检", "skip": "不适用", "waived": "已豁免",
    "missing": "未巡检", "fixed": "已整改",
}
# How often the tender wants each device inspected (ESTATE.md); every one the inventory may name.
CADENCES = {
    "twice_daily": "每日两次", "daily": "每日", "weekly": "每周", "monthly": "每月", "quarterly": "每季度",
    "half_yearly": "每半年", "yearly": "每年",
}
# The cadences a check is declared for (a half-yearly or yearly inspection is a quarterly one's checks, filed
# less often); EVERY and FROM_DAILY are the two sets checks declare most.
CHECK_CADENCES = ("twice_daily", "daily", "weekly", "monthly", "quarterly")
EVERY = CHECK_CADENCES
FROM_DAILY = ("daily", "weekly", "monthly", "quarterly")
SEVERITIES = {"critical": "严重", "major": "重要", "minor": "一般", "info": "提示"}
CHECK_SEVERITIES = ("critical", "major", "minor")


def cadence_name(cadence: str | None, default: str = "全部") -> str:
    return CADENCES.get(cadence, cadence) if cadence else default


def severity_name(severity: str | None) -> str:
    return SEVERITIES.get(severity or "", "")
