"""GB/T 28181 code parsing (a pure function)."""

from __future__ import annotations

import pytest

from cityops import gbt28181


def test_parse_fields():
    code = gbt28181.parse("65020301001320000009")
    assert (code.division, code.unit, code.industry, code.type_code, code.network, code.serial) == (
        "650203", "01", "00", "132", "0", "000009")
    assert gbt28181.district_of(code) == "克拉玛依区"


@pytest.mark.parametrize("bad", ["", "6502030100132000000", "650203010013200000099", "6502030100132000000x",
                                 "65020601001320000009", "65020301001990000009", "65020301001329000009"])
def test_rejects(bad):
    with pytest.raises(ValueError):
        gbt28181.parse(bad)


def test_rejects_numbers_lost_by_excel():
    with pytest.raises(ValueError, match="kept as text"):
        gbt28181.parse(6.50203010013200e19)
