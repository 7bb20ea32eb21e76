"""`yum check-update` read from real published output (puppetlabs/puppet's captures of CentOS 6.5, CentOS 7.1 and
RHEL 7 hosts) and from the lab's yum."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityops.parsers import ParseError
from cityops.parsers.yum import PendingUpdate, check_update

CAPTURES = Path(__file__).parent / "captures" / "linux" / "pending_updates"


def published(name: str) -> str:
    return (CAPTURES / f"puppet_{name}.txt").read_text()


def test_centos6_every_row_and_the_wrapped_one():
    """yum 3.2.29 on CentOS 6.5: mirror lines before the table; libpcap's long version wraps its repository onto
    the next line."""
    rows = check_update(published("centos6"))
    assert len(rows) == 194
    assert rows[0] == PendingUpdate("abrt", "x86_64", "2.0.8-21.el6.centos", "base")
    by_name = {r.name: r for r in rows}
    assert by_name["libpcap"] == PendingUpdate("libpcap", "x86_64", "14:1.4.0-1.20130826git2dbcaa1.el6", "base")
    assert by_name["libpcap"].version == "1.4.0-1.20130826git2dbcaa1.el6"
    assert by_name["kernel"].evr == "2.6.32-431.17.1.el6" and by_name["kernel"].repo == "updates"
    assert by_name["yum-utils"].repo == "updates"  # the last row


def test_centos7_long_name_and_obsoleting_packages():
    """yum 3.4.3 on CentOS 7.1: a name too long for its column goes alone on its line; the Obsoleting Packages
    section lists replacements, not the installed packages they replace."""
    rows = check_update(published("centos7_obsoletes"))
    by_name = {r.name: r for r in rows}
    assert by_name["device-mapper-persistent-data"] == PendingUpdate(
        "device-mapper-persistent-data", "x86_64", "0.4.1-2.el7", "base")
    assert by_name["NetworkManager-adsl"].evr == "1:1.0.0-14.git20150121.b4ea599c.el7"  # only under Obsoleting
    assert [r for r in rows if r.name == "NetworkManager"] == [by_name["NetworkManager"]]  # listed once
    assert all(not r.repo.startswith("@") for r in rows)  # the replaced, installed ones are not updates
    assert len(rows) == 183


@pytest.mark.parametrize("name", ["rhel7_security", "rhel7_broken_notices"])
def test_rhel7_notices_after_the_table_are_not_rows(name):
    """RHEL 7: the security plugin's 'is the currently running version' lines and broken update-notice warnings
    follow the table."""
    rows = check_update(published(name))
    assert rows and all(r.repo in ("base", "updates") for r in rows)
    assert {r.name for r in rows} >= {"kernel", "openssl", "openssh-server", "glibc"}


def test_output_not_understood_is_an_error_with_the_line():
    """Plugin noise after the table (puppet's capture with a stray plugin's lines) is not silently dropped."""
    with pytest.raises(ParseError, match="Random plugin output"):
        check_update(published("plugin_noise"))
    with pytest.raises(ParseError, match="device-mapper-persistent-data"):  # a row broken off
        check_update("Loaded plugins: fastestmirror\n\ndevice-mapper-persistent-data.x86_64\n")
    with pytest.raises(ParseError, match="not understood"):
        check_update("<html><body>Proxy Authentication Required</body></html>\n")


def test_nothing_pending_is_an_empty_list():
    assert check_update("Loaded plugins: fastestmirror, security\nLoading mirror speeds from cached hostfile\n") == []
    with pytest.raises(ParseError, match="empty"):
        check_update("")


def test_a_row_carrying_shell_characters_is_not_a_package():
    """A mirror's answer is untrusted: a 'package' named with ; $ or ` would be written back into the update's
    command line, so it is refused, never read."""
    for row in ("evil;reboot.x86_64     1.0-1     updates", "x$(id).noarch    1.0-1    updates",
                "curl.x86_64     7.29.0-59.el7_9.2     updates;reboot"):
        with pytest.raises(ParseError, match="not understood"):
            check_update(f"Loaded plugins: fastestmirror\n\n{row}\n")
