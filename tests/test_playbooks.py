"""Every playbook in playbooks/ passes ansible-playbook's own syntax check (CI also runs ansible-lint's production
profile over them, in `invoke lint`), and each names what it needs from the inventory."""

from __future__ import annotations

import subprocess

import pytest

from .conftest import BIN, REPO, ansible_env

PLAYBOOKS = sorted((REPO / "playbooks").glob("*.yml"))


def test_there_are_playbooks():
    assert {p.name for p in PLAYBOOKS} >= {"oracle_rac_rolling_patch.yml", "sqlserver_rolling_patch.yml"}


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.name)
def test_syntax_check(playbook, tmp_path):
    inventory = REPO / "tests" / "fixtures" / "lab_inventory"
    out = subprocess.run([str(BIN / "ansible-playbook"), "--syntax-check", "-i", str(inventory), str(playbook)], cwd=REPO,
                         env=ansible_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("playbook", PLAYBOOKS, ids=lambda p: p.name)
def test_a_playbook_without_its_targets_touches_nothing(playbook, tmp_path):
    """Run with no target named, a rolling patch matches no host: never the whole inventory by default; an AWX job
    playbook runs on its execution node alone (cityops reaches the devices itself, through its guard)."""
    out = subprocess.run([str(BIN / "ansible-playbook"), "--list-hosts", "-i", str(REPO / "inventory"), str(playbook)],
                         cwd=REPO, env=ansible_env(tmp_path), capture_output=True, text=True, timeout=300)
    expected = "hosts (1)" if playbook.name.startswith("awx_") else "hosts (0)"
    assert expected in out.stdout, out.stdout + out.stderr
    if playbook.name.startswith("awx_"):
        assert out.stdout.split("hosts (1):")[1].split() == ["localhost"], out.stdout
