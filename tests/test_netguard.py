"""The target guard: loopback only unless widened explicitly."""

from __future__ import annotations

import pytest

from cityops import netguard


def test_default_is_loopback_only(monkeypatch):
    monkeypatch.delenv(netguard.ENV_VAR, raising=False)
    assert netguard.is_allowed("127.10.0.11") and netguard.is_allowed("::1")
    assert not netguard.is_allowed("203.0.113.9")
    with pytest.raises(netguard.TargetRefused, match="outside the allowed range"):
        netguard.check_target("198.51.100.1")


def test_widened_only_by_explicit_setting(monkeypatch):
    monkeypatch.setenv(netguard.ENV_VAR, "198.51.100.0/24")
    assert netguard.is_allowed("198.51.100.7")
    assert not netguard.is_allowed("127.0.0.1")  # the setting replaces the default, it does not add to it
    monkeypatch.setenv(netguard.ENV_VAR, "not-a-net")
    with pytest.raises(ValueError, match="not a network"):
        netguard.allowed_networks()


@pytest.mark.parametrize("bad", ["127.0.0.256", "localhost", "", None, 2130706433])
def test_malformed_addresses_are_refused_with_the_value(bad):
    reason = netguard.refusal(bad)
    assert reason is not None and "is not an IP address" in reason
