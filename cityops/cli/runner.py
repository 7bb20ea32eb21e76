"""`invoke runner.deploy`: set up (or bring up to date) a zone's runner, idempotently, with pyinfra."""

from __future__ import annotations

import secrets as token
from pathlib import Path

from invoke import Collection, Exit, task

from ..errors import EXIT_UNINSPECTED, BadInput, one_line
from .common import load


@task(help={"host": "the runner, a host of the inventory (its credential logs in)", "zone": "the zone it serves",
            "keys": "where the zone's private key is (default secrets/zones)",
            "vault": "the ansible-vault credentials file it carries (default: the lab's credentials, encrypted "
                     "for it)", "vault_password_file": "that vault's key file",  # nosec B105  # help text
            "wheelhouse": "where the offline wheelhouse is built (default .cityops/wheelhouse)",
            "load_crontab": "also load the crontab into cron (a real runner; the lab's keeps it in its tree)",
            "lab": "lab state directory", "reports": "reports directory, for the audit log",
            "inventory": "inventory directory"})
def deploy(c, host, zone, keys="", vault="", vault_password_file="", wheelhouse=".cityops/wheelhouse",  # nosec B107  # a path, empty when not given
           load_crontab=False, lab=None, reports="reports", inventory=None):
    """区域运行机部署: cityops from an offline wheelhouse, the release, the zone's inventory, key, credentials and
    known_hosts, and its crontab, into ~/cityops-runner on the host. Run it again: it changes nothing."""
    from ..inspect.session import transport_config
    from ..timeutil import now
    from ..transport.audit import AuditLog
    from ..zone import deploy as runner_deploy
    from ..zone import keys as zkeys

    inv = load(inventory)
    if host not in inv.hosts:
        raise BadInput(f"--host {one_line(host, 40)}: not a host of the inventory")
    zone = zkeys.zone_name(zone)
    config = transport_config(AuditLog(Path(reports) / "audit", f"{now():%Y%m%dT%H%M%S}-runner-{zone}", "",
                                       "runner.deploy"), Path(lab) if lab else None)
    key_file = Path(keys or zkeys.PRIVATE_DIR) / f"{zone}.key"
    zkeys.load_private(zone, key_file.parent)  # refuses a missing or loose key before anything is sent
    carried = {f"{zone}.key": key_file.read_bytes(), "known_hosts": config.known_hosts.read_bytes()}
    if vault:
        if not vault_password_file:
            raise BadInput("--vault needs --vault-password-file (the runner opens the vault unattended)")
        carried["vault.yml"] = Path(vault).read_bytes()
        carried["vault.pass"] = Path(vault_password_file).read_bytes()
    else:
        carried.update(lab_vault(config))
    wheels = runner_deploy.wheelhouse(Path(wheelhouse))
    commit, tarball = runner_deploy.release(Path(wheelhouse).parent / "releases")
    done = runner_deploy.deploy(inv, inv.hosts[host], zone, config, wheels=wheels, release_tar=tarball, commit=commit,
                                secrets=carried, load_crontab=bool(load_crontab))
    if done.error:
        raise Exit(f"cityops: runner {host}: {done.error}", code=EXIT_UNINSPECTED)
    print(f"runner {host} (zone {zone}, release {commit}) in {done.base}: "
          + (f"changed {len(done.changed)} — {'、'.join(done.changed)}" if done.changed else "nothing changed"))


def lab_vault(config) -> dict[str, bytes]:
    """The lab's credentials as the ansible-vault file and key a runner carries (a real runner is given its own)."""
    from ansible.constants import DEFAULT_VAULT_ID_MATCH
    from ansible.parsing.vault import VaultLib, VaultSecret

    path = config.credentials.lab_file
    if not path or not path.is_file():
        raise BadInput("no --vault given and no lab credentials to carry (invoke lab.up, or pass --vault)")
    stamp = path.with_name("runner-vault.pass")
    if not stamp.exists():  # one key per lab, so a second deploy carries the same bytes
        stamp.write_text(token.token_urlsafe(24))
        stamp.chmod(0o600)
    password = stamp.read_text().strip()
    cached = path.with_name("runner-vault.yml")
    plain = path.read_bytes()
    lib = VaultLib([(DEFAULT_VAULT_ID_MATCH, VaultSecret(password.encode()))])
    if not cached.exists() or lib.decrypt(cached.read_bytes()) != plain:  # re-encrypt only when they changed
        cached.write_bytes(lib.encrypt(plain))
        cached.chmod(0o600)
    return {"vault.yml": cached.read_bytes(), "vault.pass": password.encode()}


runner_ns = Collection("runner", deploy)
