"""Charts as PNG bytes, with Chinese labels drawn in a CJK font (fonts-noto-cjk, installed by scripts/setup.sh).

matplotlib warns 'Glyph ... missing from font' when a label cannot be drawn; those
warnings are collected on each chart so a test (and the report command) can fail
loudly instead of shipping boxes where the Chinese should be.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass, field

from .summary import LABELS, ReportData

CJK_FAMILIES = ["Noto Sans CJK SC", "Noto Serif CJK SC", "WenQuanYi Zen Hei", "Source Han Sans SC", "SimSun"]
COLOURS = {"pass": "#4c9a2a", "warn": "#e0a100", "fail": "#c0392b", "error": "#7f8c8d", "waived": "#5d8aa8"}  # nosec B105  # colours, not a password


@dataclass
class Chart:
    title: str
    png: bytes
    missing_glyphs: list[str] = field(default_factory=list)


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    have = {f.name for f in font_manager.fontManager.ttflist}
    family = [f for f in CJK_FAMILIES if f in have]
    if not family:
        raise RuntimeError("no CJK font for the charts' Chinese labels: install fonts-noto-cjk (scripts/setup.sh)")
    plt.rcParams["font.family"] = [*family, "DejaVu Sans"]
    plt.rcParams["axes.unicode_minus"] = False
    return plt


def _render(fig, title: str) -> Chart:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=130, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    missing = [str(w.message) for w in caught if "missing from" in str(w.message)]
    return Chart(title, buf.getvalue(), missing)


def status_by_subsystem(data: ReportData) -> Chart:
    """Results per subsystem, stacked by status: where the trouble sits, at a glance."""
    plt = _pyplot()
    subs = sorted(data.by_subsystem, key=lambda s: -sum(data.by_subsystem[s].values()))[:16]
    names = [data.name("subsystem", s) or "（未分系统）" for s in subs]
    fig, ax = plt.subplots(figsize=(7.2, 0.45 * len(subs) + 1.4))
    left = [0] * len(subs)
    for status in ("pass", "warn", "fail", "error", "waived"):
        values = [data.by_subsystem[s].get(status, 0) for s in subs]
        ax.barh(names, values, left=left, color=COLOURS[status], label=LABELS[status])
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.invert_yaxis()
    ax.set_xlabel("巡检结果数")
    ax.set_title("各分系统巡检结果")
    ax.legend(ncol=5, loc="upper center", bbox_to_anchor=(0.5, -0.18 if len(subs) < 4 else -0.08), frameon=False)
    return _render(fig, "各分系统巡检结果")


def trends(data: ReportData, limit: int = 8, keys=None, title: str = "主要指标变化趋势") -> Chart | None:
    """Values that inspections store, over the period (disk, tablespace, CPU ... in %): the fullest first."""
    series = {k: v for k, v in data.trends.items() if keys is None or k in keys}
    if not series:
        return None
    plt = _pyplot()
    top = sorted(series, key=lambda k: -max(v for _, v in series[k]))[:limit]
    titles = data.trend_titles
    fig, ax = plt.subplots(figsize=(7.2, 3.6))
    for key in top:
        points = series[key]
        ax.plot([t for t, _ in points], [v for _, v in points], marker="o", markersize=3,
                label=f"{key[0]} {titles.get(key, key[1])}")
    ax.set_ylabel("百分比（%）")
    ax.set_ylim(0, 100)
    ax.set_title(f"{title}（取最高的 {len(top)} 项）")
    fig.autofmt_xdate()  # before the legend is placed: the slanted dates take the room under the axis
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.32), ncol=2, frameon=False)
    return _render(fig, title)


def monthly(data: ReportData, months: list[str] | None = None) -> Chart:
    """Results per month, stacked by status, with problems found and fixed: the year at a glance (every month
    of `months` shown, a month without runs as an empty bar rather than left out)."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    months = months or sorted(data.by_month)
    labels = [f"{int(m[5:])}月" for m in months]
    fig, (ax, ax2) = plt.subplots(2, 1, figsize=(7.2, 6.0), sharex=True)
    bottom = [0] * len(months)
    for status in ("warn", "fail", "error", "waived"):
        values = [data.by_month.get(m, {}).get(status, 0) for m in months]
        ax.bar(labels, values, bottom=bottom, color=COLOURS[status], label=LABELS[status])
        bottom = [a + b for a, b in zip(bottom, values, strict=True)]
    ax.set_ylabel("巡检结果数")
    ax.set_title("各月告警、异常与无法巡检的巡检结果")
    ax.legend(ncol=4, fontsize=8, frameon=False)
    found = [sum(1 for p in data.problems if f"{p.found:%Y-%m}" == m) for m in months]
    fixed = [sum(1 for p in data.problems if p.fixed and f"{p.fixed:%Y-%m}" == m) for m in months]
    x = range(len(months))
    ax2.bar([i - 0.2 for i in x], found, width=0.4, color=COLOURS["fail"], label="新发现问题")
    ax2.bar([i + 0.2 for i in x], fixed, width=0.4, color=COLOURS["pass"], label="已整改问题")
    ax2.set_xticks(list(x), labels)
    ax2.set_ylabel("问题数")
    for axis in (ax, ax2):
        axis.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax2.set_title("各月发现与整改的问题")
    ax2.legend(ncol=2, fontsize=8, frameon=False)
    return _render(fig, "各月巡检情况")


def all_charts(data: ReportData) -> list[Chart]:
    charts = [status_by_subsystem(data)]
    trend = trends(data)
    if trend is not None:
        charts.append(trend)
    return charts
