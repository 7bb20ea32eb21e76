"""Pure logic of the periodic documents: trend lines and their crossing day, cadence slots of a period."""

from __future__ import annotations

import datetime as dt

import pytest

from cityops.report.cadence import slots, spans
from cityops.report.runs import parse_period
from cityops.report.trend import fit, warn_threshold
from cityops.timeutil import BEIJING

T0 = dt.datetime(2026, 10, 1, 9, tzinfo=BEIJING)


def series(values, step_days=1.0):
    return [(T0 + dt.timedelta(days=i * step_days), v) for i, v in enumerate(values)]


def test_a_rising_series_reaches_its_warning_level_on_the_fitted_day():
    t = fit(series([50 + 0.5 * i for i in range(30)]))
    assert t.per_30_days == pytest.approx(15.0) and (t.first, t.last, t.low, t.high) == (50.0, 64.5, 50.0, 64.5)
    assert t.crossing(warn_threshold("告警 ≥70%，严重 ≥90%")) == T0 + dt.timedelta(days=29 + 11)


def test_a_falling_series_reaches_a_lower_is_worse_level():
    low = warn_threshold("告警 ≤15%，严重 ≤5%")
    assert (low.level, low.above, low.shown) == (15.0, False, "≤15")
    t = fit(series([40 - 0.5 * i for i in range(30)]))
    assert t.crossing(low) == T0 + dt.timedelta(days=29 + 21)  # 25.5 % down to 15 % at 0.5 a day
    assert t.crossing(warn_threshold("告警 ≥70%")) is None  # falling away from a higher-is-worse level


@pytest.mark.parametrize("values,step,why", [
    ([50, 60], 10.0, "two points are not a trend"),
    ([50, 55, 60], 0.1, "three points within a quarter of a day are not a trend"),
])
def test_too_little_data_claims_no_rate(values, step, why):
    t = fit(series(values, step))
    assert t.per_30_days is None and t.crossing(warn_threshold("告警 ≥70%")) is None, why


def test_past_steady_or_distant_crossings_are_not_projected():
    above = fit(series([75, 76, 77]))
    assert above.crossing(warn_threshold("告警 ≥70%")) is None  # already past it: that is a finding, not a forecast
    assert fit(series([30, 30, 30])).crossing(warn_threshold("告警 ≥70%")) is None
    assert fit(series([10, 10.001, 10.002])).crossing(warn_threshold("告警 ≥70%")) is None  # > 10 years away
    assert warn_threshold("") is None and warn_threshold("严重 ≥90%") is None


def test_cadence_slots_of_a_month_quarter_and_week():
    month = parse_period("2026-11")
    end = dt.datetime(2026, 12, 31, tzinfo=BEIJING)
    twice = slots("twice_daily", month, end)
    assert len(twice) == 60 and twice[0].label == "2026-11-01 上午" and twice[-1].label == "2026-11-30 下午"
    assert twice[1].start == dt.datetime(2026, 11, 1, 12, tzinfo=BEIJING)
    weeks = slots("weekly", month, end)  # weeks whose Monday is in November: the 2nd, 9th, 16th, 23rd, 30th
    assert [s.start.day for s in weeks] == [2, 9, 16, 23, 30] and weeks[0].label.startswith("2026年第45周")
    assert [s.label for s in slots("quarterly", parse_period("2026"), end)] == [
        "2026年第1季度", "2026年第2季度", "2026年第3季度", "2026年第4季度"]
    assert [s.label for s in slots("monthly", parse_period("2026-Q4"), end)] == ["2026年10月", "2026年11月", "2026年12月"]
    assert len(slots("daily", month, dt.datetime(2026, 11, 10, 8, tzinfo=BEIJING))) == 10  # not yet owed after now
    with pytest.raises(ValueError, match="unknown cadence"):
        slots("hourly", month, end)


def test_consecutive_missed_slots_read_as_spans():
    days = slots("daily", parse_period("2026-11"), dt.datetime(2026, 12, 1, tzinfo=BEIJING))
    missed = [d for d in days if d.start.day not in (3, 4, 20)]
    assert [(a.label, b.label, n) for a, b, n in spans(missed)] == [
        ("2026-11-01", "2026-11-02", 2), ("2026-11-05", "2026-11-19", 15), ("2026-11-21", "2026-11-30", 10)]


def test_a_slot_is_filled_by_its_own_cadence_or_by_a_run_of_every_check_it_needs():
    from cityops.report.cadence import CadenceCompliance

    monthly = CadenceCompliance("monthly", 3, [], {"WIN-DISK-001", "WIN-SVC-001"})
    assert monthly.filled_by({"cadence": "monthly", "checks": []})
    assert monthly.filled_by({"cadence": "daily", "checks": ["WIN-DISK-001", "WIN-SVC-001", "NET-CPU-001"]})
    assert not monthly.filled_by({"cadence": "daily", "checks": ["WIN-DISK-001"]})
    assert not CadenceCompliance("weekly", 1, []).filled_by({"cadence": "daily", "checks": ["X"]})


def test_a_document_that_fails_half_way_leaves_no_directory_and_never_touches_an_earlier_one(tmp_path):
    from cityops.report.build import report_directory

    with report_directory(tmp_path, "lot6_10-2026-11") as first:
        assert first.path.name.startswith(".partial-")  # built aside, invisible until whole
        (first.path / "report.html").write_text("earlier report")
        first.result = first.path / "report.html"
    assert first.result == tmp_path / "lot6_10-2026-11" / "report.html"  # paths follow the directory into place
    with pytest.raises(RuntimeError, match="chart failed"), report_directory(tmp_path, "lot6_10-2026-11") as second:
        (second.path / "report.xlsx").write_bytes(b"half")
        raise RuntimeError("chart failed")
    assert not second.path.exists()
    assert first.result.read_text() == "earlier report"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["lot6_10-2026-11"]
    with report_directory(tmp_path, "lot6_10-2026-11") as third:
        (third.path / "report.html").write_text("later report")
    assert (tmp_path / "lot6_10-2026-11-2" / "report.html").read_text() == "later report"
    assert first.result.read_text() == "earlier report"
