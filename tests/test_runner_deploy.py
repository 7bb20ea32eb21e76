"""A zone runner deployed by pyinfra onto a lab Linux host (Debian 12, Python 3.11, nothing else of cityops), twice —
the second deploy changes nothing — after which the runner's own crontab line fires its scheduled inspection of the
zone, and the bundle it exports imports at the centre.

The runner lives in a small lab of its own on 127.96/16 (the runner, a RHEL 6 server, a VRP switch), so the
session labs' hosts and counts stay as they are."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import shlex
from pathlib import Path

import paramiko
import pytest
import yaml

from cityops.inventory import load_inventory
from cityops.timeutil import BEIJING, clock_text

from .conftest import LAB_INV, REPO, run_invoke

BLOCK = "127.96"
RUNNER = {
    "display_name": "测试区域运行机 Debian 12", "bureau": "gxj", "lots": ["6_10"], "subsystem": "6_10_servers",
    "site": "dzzw", "zone": "gov_extranet", "device_class": "server", "vendor": "浪潮", "model": "NF5280M5",
    "platform": "linux", "ansible_host": f"{BLOCK}.9.1", "role": "app_server", "owner": "运维服务商",
    "credential": "gxj_linux", "source": "contract", "os": "Debian GNU/Linux 12", "python": "3.11",
}
ZONE_HOSTS = ("lab-linux-app", "lab-vrp-core")


@pytest.fixture(scope="module")
def runner_lab(tmp_path_factory):
    from cityops.lab import control
    from cityops.lab.statedir import LabDir

    inv_dir = tmp_path_factory.mktemp("runner-inventory")
    for name in ("estate.yml", "zz_estate.cityops.yml"):
        (inv_dir / name).write_text((LAB_INV / name).read_text(encoding="utf-8").replace("127.98.", f"{BLOCK}."),
                                    encoding="utf-8")
    lot = yaml.safe_load((LAB_INV / "lot_6_10.yml").read_text(encoding="utf-8"))
    hosts = {n: h for n, h in lot["lot_6_10"]["hosts"].items() if n in ZONE_HOSTS}
    for h in hosts.values():
        h.pop("backup_jobs", None)  # their targets are not in this small lab
    hosts["lab-runner"] = RUNNER
    text = yaml.safe_dump({"lot_6_10": {"hosts": hosts}}, allow_unicode=True, sort_keys=False)
    (inv_dir / "lot_6_10.yml").write_text(text.replace("127.98.", f"{BLOCK}."), encoding="utf-8")
    inv = load_inventory(inv_dir)
    state = LabDir(tmp_path_factory.mktemp("runner-lab"))
    state.ensure()
    (state.path / "owner.pid").write_text(str(os.getpid()))
    report = control.up(state, list(inv.hosts.values()))
    assert report.served.get("sshd") == 2 and report.served.get("netdev") == 1, report
    yield inv, state
    control.down(state)


def ssh(lab, command: str, timeout: float = 300) -> tuple[int, str]:
    inv, state = lab
    cred = yaml.safe_load(state.credentials_file.read_text())["gxj_linux"]
    client = paramiko.SSHClient()
    client.load_host_keys(str(state.known_hosts))
    client.connect(inv.hosts["lab-runner"].get("ansible_host"), username=cred["username"], password=cred["password"],
                   look_for_keys=False, allow_agent=False, timeout=10)
    try:
        _in, out, err = client.exec_command(command, timeout=timeout)
        text = out.read().decode() + err.read().decode()
        return out.channel.recv_exit_status(), text
    finally:
        client.close()


def test_a_runner_deployed_twice_fires_its_inspection_and_its_bundle_imports(runner_lab, tmp_path):
    inv, state = runner_lab
    keys = run_invoke("evidence.keygen", "--zone", "gov_extranet", "--keys", str(tmp_path / "secrets"),
                      "--public-keys", str(tmp_path / "public"))
    assert keys.returncode == 0, keys.stderr
    deploy = ["runner.deploy", "--host", "lab-runner", "--zone", "gov_extranet", "--keys", str(tmp_path / "secrets"),
              "--lab", str(state.path), "--reports", str(tmp_path / "r"), "--inventory", str(inv.root),
              "--wheelhouse", str(REPO / ".cityops" / "wheelhouse")]
    first = run_invoke(*deploy)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "离线安装包（wheelhouse）" in first.stdout and "虚拟环境（离线安装）" in first.stdout
    second = run_invoke(*deploy)
    assert second.returncode == 0 and "nothing changed" in second.stdout, second.stdout + second.stderr
    # on the runner: nothing but its OS's Python 3.11, and cityops from the wheelhouse in its own tree
    code, text = ssh(runner_lab, "cat /etc/os-release; ls ~/cityops-runner; stat -c %a ~/cityops-runner/secrets; "
                                 "~/cityops-runner/venv/bin/python -c 'import paramiko, croniter; print(\"deps ok\")'")
    assert code == 0 and "Debian GNU/Linux 12" in text and "deps ok" in text and "\n700\n" in text, text
    code, cron = ssh(runner_lab, "cat ~/cityops-runner/crontab")
    line = next(ln for ln in cron.splitlines() if "--entry inspect-gov_extranet-daily " in ln)
    command = " ".join(line.split()[5:])  # what cron runs at the slot, with the runner's clock at 08:30 北京时间
    slot = dt.datetime.now(BEIJING).replace(hour=8, minute=30, second=5, microsecond=0)
    code, out = ssh(runner_lab, f"printf %s {shlex.quote(clock_text(slot))} > ~/cityops-runner/clock.json && "
                                f"export CITYOPS_CLOCK=$HOME/cityops-runner/clock.json && {command}; "
                                f"tail -3 ~/cityops-runner/reports/schedule/cron.log")
    assert code == 0 and "schedule inspect-gov_extranet-daily slot" in out, out
    code, ledger = ssh(runner_lab, "cat ~/cityops-runner/reports/schedule/ledger.jsonl")
    end = json.loads(ledger.splitlines()[-1])
    assert end["type"] == "end" and end["status"] in ("ok", "findings") and end["run_ids"], ledger
    # its bundle, fetched from the runner, imports at the centre
    code, out = ssh(runner_lab, "R=$HOME/cityops-runner; cd $R/current && . $R/runner.env && $R/venv/bin/python -m "
                                "invoke evidence.export --zone gov_extranet --reports $R/reports --inventory "
                                "$R/inventory --keys $R/secrets")
    assert code == 0, out
    remote = out.split(" → ")[1].split(" (sha256")[0]
    local = tmp_path / Path(remote).name
    code, data = ssh(runner_lab, f"base64 -w0 {shlex.quote(remote)}")
    local.write_bytes(base64.b64decode(data))
    imported = run_invoke("evidence.import", "--bundle", str(local), "--inventory", str(inv.root), "--reports",
                          str(tmp_path / "centre"), "--keys", str(tmp_path / "public"))
    assert imported.returncode == 0 and "1 runs" in imported.stdout, imported.stdout + imported.stderr
    (manifest,) = (tmp_path / "centre").glob("runs/*/manifest.json")
    assert json.loads(manifest.read_text())["inspector"] == "计划任务 inspect-gov_extranet-daily"
