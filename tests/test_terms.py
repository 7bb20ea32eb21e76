"""One vocabulary: statuses, cadences and severities and their Chinese names are defined in cityops/terms.py only."""

from __future__ import annotations

import re
from pathlib import Path

from cityops import terms
from cityops.inspect import catalogue
from cityops.inventory import schema
from cityops.report import summary

REPO = Path(__file__).resolve().parents[1]
COPIES = [re.compile(r'"pass":\s*"正常"'), re.compile(r'"twice_daily",\s*"daily",\s*"weekly"'),
          re.compile(r'"critical":\s*"严重"'), re.compile(r'"error":\s*"无法')]


def test_the_terms_are_defined_once():
    found = []
    for path in [*(REPO / "cityops").rglob("*.py"), *(REPO / "checks").glob("*.py")]:
        if path.name == "terms.py" or "lab" in path.parts:
            continue
        text = path.read_text(encoding="utf-8")
        found += [f"{path.relative_to(REPO)}: {rx.pattern}" for rx in COPIES if rx.search(text)]
    assert found == []


def test_every_user_reads_the_same_words():
    assert summary.LABELS is terms.STATUS_NAMES and summary.SEVERITY is terms.SEVERITIES
    assert schema.CADENCES is terms.CADENCES and catalogue.CADENCES == terms.CHECK_CADENCES
    assert terms.STATUS_NAMES["error"] == "无法巡检"  # the console's word and the report's word are one
    assert set(terms.CHECK_CADENCES) <= set(terms.CADENCES) and set(terms.FROM_DAILY) <= set(terms.EVERY)
    assert terms.cadence_name(None) == "全部" and terms.severity_name("major") == "重要"
