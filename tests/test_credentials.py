"""Credentials and host keys: the keyring (an encrypted file on a headless runner, never plain text) beside the
environment and ansible-vault; one redaction filter every log, report and error passes through, tried with each
credential source and kind; host-key enrolment that shows fingerprints and writes only when told to."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
import yaml

from cityops.transport import redact
from cityops.transport.credentials import CredentialError, Credentials, open_keyring

from .conftest import BIN, REPO, run_invoke


@pytest.fixture
def keyring_env(tmp_path, monkeypatch):
    key = tmp_path / "keyring.pass"
    key.write_text("Kr-unlock-7731\n")
    key.chmod(0o600)
    env = {"CITYOPS_KEYRING_FILE": str(tmp_path / "cityops.keyring"), "CITYOPS_KEYRING_PASSWORD_FILE": str(key)}
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    return env


def test_the_keyring_is_an_encrypted_file_read_before_the_vault(keyring_env, tmp_path):
    stored = subprocess.run([str(BIN / "invoke"), "credentials.set", "gxj_linux", "--username", "opsadmin",
                             "--password-stdin"], cwd=REPO, input="Kr-secret-9Q2w\n", capture_output=True, text=True,
                            env={**os.environ, **keyring_env})
    assert stored.returncode == 0, stored.stderr
    assert "Kr-secret-9Q2w" not in (tmp_path / "cityops.keyring").read_text()  # encrypted at rest
    cred = Credentials(vault=tmp_path / "none.yml").get("gxj_linux")
    assert (cred.username, cred.password, cred.source) == ("opsadmin", "Kr-secret-9Q2w", "keyring")
    os.environ["CITYOPS_CRED_GXJ_LINUX_USERNAME"], os.environ["CITYOPS_CRED_GXJ_LINUX_PASSWORD"] = "e", "env-pw-1"
    try:  # the environment still comes first
        assert Credentials().get("gxj_linux").source == "env"
    finally:
        del os.environ["CITYOPS_CRED_GXJ_LINUX_USERNAME"], os.environ["CITYOPS_CRED_GXJ_LINUX_PASSWORD"]
    with pytest.raises(CredentialError, match=r"in none of: .*keyring"):
        Credentials(vault=tmp_path / "none.yml").get("gxj_other")


def test_a_keyring_that_cannot_be_opened_safely_is_refused(keyring_env, tmp_path):
    Path(keyring_env["CITYOPS_KEYRING_PASSWORD_FILE"]).chmod(0o644)
    with pytest.raises(CredentialError, match="readable by others"):
        open_keyring()
    Path(keyring_env["CITYOPS_KEYRING_PASSWORD_FILE"]).chmod(0o600)
    open_keyring()  # creates the file with this key
    Path(keyring_env["CITYOPS_KEYRING_PASSWORD_FILE"]).write_text("another key")
    with pytest.raises(CredentialError, match="wrong password"):
        open_keyring()
    with pytest.raises(CredentialError, match="plain text, unusable"):
        open_keyring({"CITYOPS_KEYRING": "system", "PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"})
    with pytest.raises(CredentialError, match="PlaintextKeyring"):  # what keyring offers on a headless machine
        open_keyring({"CITYOPS_KEYRING": "system"})
    out = subprocess.run([str(BIN / "invoke"), "credentials.set", "x", "--username", "u", "--password-stdin"],
                         cwd=REPO, input="pw\n", capture_output=True, text=True,
                         env={k: v for k, v in os.environ.items() if not k.startswith("CITYOPS_KEYRING")})
    assert out.returncode == 4 and "no keyring configured" in out.stderr


def vault_with(tmp_path: Path, name: str, password: str) -> tuple[Path, Path]:
    vault_pw = tmp_path / "vault.pass"
    vault_pw.write_text("Vault-open-5521")
    plain = tmp_path / "vault.yml"
    plain.write_text(yaml.safe_dump({name: {"username": "dba", "password": password}}))
    subprocess.run([str(BIN / "ansible-vault"), "encrypt", "--vault-password-file", str(vault_pw), str(plain)],
                   check=True, capture_output=True)
    return plain, vault_pw


@pytest.mark.parametrize("source", ["env", "keyring", "vault", "lab"])
@pytest.mark.parametrize("kind, name", [("login password", "gxj_linux"), ("SNMP community", "gxj_snmp"),
                                        ("BMC password", "gxj_bmc")])
def test_one_filter_masks_each_credential_in_logs_errors_and_records(source, kind, name, tmp_path, monkeypatch):
    secret = f"S3cr-{source}-{name}"
    creds = Credentials(vault=tmp_path / "none.yml")
    if source == "env":
        monkeypatch.setenv(f"CITYOPS_CRED_{name.upper()}_USERNAME", "u")
        monkeypatch.setenv(f"CITYOPS_CRED_{name.upper()}_PASSWORD", secret)
    elif source == "keyring":
        key = tmp_path / "k.pass"
        key.write_text("unlock-it-42")
        key.chmod(0o600)
        monkeypatch.setenv("CITYOPS_KEYRING_FILE", str(tmp_path / "k.keyring"))
        monkeypatch.setenv("CITYOPS_KEYRING_PASSWORD_FILE", str(key))
        from cityops.transport.credentials import store

        store(open_keyring(), name, "u", secret)
    elif source == "vault":
        vault, vault_pw = vault_with(tmp_path, name, secret)
        creds = Credentials(vault=vault, vault_password_file=vault_pw)
    else:
        lab_file = tmp_path / "credentials.yml"
        lab_file.write_text(yaml.safe_dump({name: {"username": "u", "password": secret}}))
        creds = Credentials(vault=tmp_path / "none.yml", lab_file=lab_file)
    assert creds.get(name).source == source and creds.get(name).password == secret
    import cityops.cli  # noqa: F401  # the program's entry installs the filter

    log_file = tmp_path / "run.log"
    handler = logging.FileHandler(log_file)
    handler.setFormatter(logging.Formatter("%(name)s %(message)s"))
    logging.getLogger().addHandler(handler)
    try:  # as a library might log it, with the secret in the message, an argument, a traceback (loggers of the
        # test's own, so no level another test set on paramiko's or pyinfra's hides a line)
        logging.getLogger("cityops.test.lib").warning("auth with %s failed", secret)
        logging.getLogger("cityops.test.lib2").error(f"command: echo {secret}")
        try:
            raise ValueError(f"device said: bad community {secret}")
        except ValueError:
            logging.getLogger("cityops").exception("collect failed")
    finally:
        logging.getLogger().removeHandler(handler)
        handler.close()
    text = log_file.read_text()
    assert secret not in text and text.count(redact.MASK) == 3 and "bad community ******" in text
    from cityops.transport.audit import AuditLog, entries

    AuditLog(tmp_path / "audit", "r", "t").record("h", "127.0.0.1", "u", "ssh", f"login {secret}", 0, 0.1,
                                                  note=f"answer had {secret}")
    assert all(secret not in str(e) for e in entries(tmp_path / "audit"))
    assert redact.clean({"message": f"x {secret}", "evidence": [{"excerpt": secret}]}) == \
        {"message": "x ******", "evidence": [{"excerpt": "******"}]}
    if source in ("keyring", "vault"):  # the key that opens the store is a secret too
        opener = "unlock-it-42" if source == "keyring" else "Vault-open-5521"
        assert redact.text(f"key {opener}") == "key ******"


def test_an_error_the_command_line_prints_is_masked(tmp_path):
    """A tool failure's traceback and a task's last word go through the same filter (here: a planted vault
    password the run registers, leaking through an exception's message)."""
    code = (
        "import sys; sys.argv=['invoke']\n"
        "from cityops.transport import redact\n"
        "from cityops.cli.common import tool_failure, refusing_bad_input\n"
        "from invoke import Exit\n"
        "redact.register('Planted-Pw-88')\n"
        "try:\n"
        "    with tool_failure('inspect'):\n"
        "        raise RuntimeError('login as root/Planted-Pw-88 refused')\n"
        "except Exit as e:\n"
        "    print('exit', e.code)\n"
        "def task():\n"
        "    raise Exit('cityops: device answered Planted-Pw-88', code=2)\n"
        "try:\n"
        "    refusing_bad_input(task)()\n"
        "except Exit as e:\n"
        "    print(e.message)\n"
        "raise KeyError('uncaught Planted-Pw-88')\n")
    out = subprocess.run([sys.executable, "-c", "import cityops.cli\n" + code], cwd=REPO, capture_output=True,
                         text=True)
    both = out.stdout + out.stderr
    assert "Planted-Pw-88" not in both, both
    assert "root/******" in both and "device answered ******" in both and "uncaught ******" in both


# -- secrets in a device's answer and in an exception, against the lab ----------------------------------------

def test_a_secret_in_a_device_answer_or_exception_reaches_no_report_or_log(lab, tmp_path):
    from cityops.inspect.catalogue import REGISTRY, check
    from cityops.inspect.session import inspect
    from cityops.report.build import make_report

    inv, state = lab
    creds = yaml.safe_load(state.credentials_file.read_text())
    secrets = {n: creds[n]["password"] for n in ("gxj_linux", "gxj_net", "gxj_snmp", "gxj_bmc") if n in creds}
    assert len(secrets) >= 3

    @check("TEST-SECRET-002", "测试：各类凭据不外泄", platforms=("linux", "huawei_vrp", "snmp_ups"), remedy="无",
           severity="minor")
    def planted(host, ctx):  # each device's own login secret echoed in its answer, and in an exception
        h = ctx.inventory_host
        mine = creds[h.get("credential")]["password"]
        if h.get("platform") != "snmp_ups":
            ctx.run(f"echo 'connect opsadmin/{mine}'" if h.get("platform") == "linux" else f"display {mine}")
        logging.getLogger("cityops.check").warning("retry for %s with %s", h.name, mine)
        raise ValueError(f"planted failure mentioning {mine} and {secrets.get('gxj_bmc', '')}")

    import cityops.cli  # noqa: F401  # the program's entry installs the filter

    log_file = tmp_path / "run.log"
    handler = logging.FileHandler(log_file)
    logging.getLogger().addHandler(handler)
    hosts = [n for n, h in inv.hosts.items() if h.get("platform") in ("linux", "huawei_vrp", "snmp_ups")][:6]
    try:
        run = inspect(inv, [inv.hosts[h] for h in hosts], cadence=None, selection={"host": ",".join(hosts)},
                      reports=tmp_path / "reports", lab_dir=state.path, only={"TEST-SECRET-002"})
        made = make_report(tmp_path / "reports", inv, run_ids=[run.run_id])
    finally:
        REGISTRY.pop("TEST-SECRET-002")
        logging.getLogger().removeHandler(handler)
        handler.close()
    assert made.html.exists()
    written = {p: p.read_bytes() for p in [*(tmp_path / "reports").rglob("*"), log_file] if p.is_file()}
    for path, data in list(written.items()):
        if data[:2] == b"PK":  # XLSX, DOCX: read what is inside
            with zipfile.ZipFile(path) as z:
                written[path] = b"".join(z.read(n) for n in z.namelist())
    rows = [r for r in __import__("cityops.inspect.record", fromlist=["x"]).read_results(run.run_dir / "results.jsonl")]
    assert "retry for" in log_file.read_text(), [(r["host"], r["status"], r["message"][:80]) for r in rows]
    for name, secret in secrets.items():
        leaks = [str(p) for p, data in written.items() if secret.encode() in data]
        assert not leaks, f"{name} leaked into {leaks}"


# -- host keys -------------------------------------------------------------------------------------------------

def test_enrol_shows_fingerprints_writes_only_when_told_and_never_replaces_a_changed_key_unasked(lab, tmp_path):
    inv, state = lab
    lines = state.known_hosts.read_text().splitlines()
    keys = {ln.split()[0]: ln.split(None, 1)[1] for ln in lines}
    app, net, ora = (inv.hosts[h].get("ansible_host") for h in ("lab-linux-app", "lab-vrp-core", "lab-linux-ora"))
    forged = [f"{app} {keys[ora]}" if ln.startswith(app + " ") else ln for ln in lines if not ln.startswith(net + " ")]
    path = tmp_path / "known_hosts"
    path.write_text("\n".join(forged) + "\n")
    before = path.read_bytes()
    base = ["hostkeys.enrol", "--inventory", str(lab[0].root), "--lab", str(state.path), "--known-hosts", str(path),
            "--host", "lab-linux-app,lab-vrp-core,lab-linux-ora", "--reports", str(tmp_path / "r")]
    shown = run_invoke(*base)
    assert shown.returncode == 1, shown.stdout + shown.stderr  # a key changed: exit 1 even when only looking
    out = shown.stdout
    assert path.read_bytes() == before, "nothing is written without --write"
    real = subprocess.run(["ssh-keygen", "-l", "-f", "-"], input=f"{net} {keys[net]}\n", capture_output=True,
                          text=True).stdout.split()[1]  # OpenSSH's own fingerprint of the real key
    assert f"{real}  新主机（未登记）" in out
    assert "lab-linux-app" in out and "密钥已变更！" in out and "已登记，一致" in out and "已登记：" in out
    written = run_invoke(*base, "--write")
    assert "写入 1 台（lab-vrp-core）" in written.stdout and "不会自动替换：lab-linux-app" in written.stdout
    after = path.read_text()
    assert f"{net} {keys[net]}" in after and f"{app} {keys[ora]}" in after  # the changed one is left alone
    replaced = run_invoke(*base, "--write", "--replace", "lab-linux-app")
    assert replaced.returncode == 0, replaced.stdout + replaced.stderr
    assert f"{app} {keys[app]}" in path.read_text() and f"{app} {keys[ora]}" not in path.read_text()
    again = run_invoke(*base)
    assert again.returncode == 0 and again.stdout.count("已登记，一致") == 3
    from cityops.transport.audit import entries

    scans = [e for e in entries(tmp_path / "r" / "audit") if e["task"] == "hostkeys.enrol"]
    assert {e["host"] for e in scans} == {"lab-linux-app", "lab-vrp-core", "lab-linux-ora"}
    assert all(e["command"] == "<host-key scan>" and e["status"] == 0 for e in scans), scans
