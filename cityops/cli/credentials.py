"""`invoke credentials.show | credentials.set` and `invoke hostkeys.enrol`: the secrets and keys a runner holds."""

from __future__ import annotations

import getpass
import os
import sys
from pathlib import Path

from invoke import Collection, Exit, task

from ..errors import EXIT_FINDINGS, BadInput, one_line
from .common import load, selection, selection_task, warn_problems

CREDENTIAL_FIELDS = ("credential", "bmc_credential")


@selection_task(name="show", help={"lab": "lab state directory (the lab's credentials)"})
def show(c, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None, host=None, limit=None,
         lab=None, inventory=None):
    """Each credential name the selected hosts use, and where it resolves (env, keyring, vault, lab) — never the
    secret. Exit 1 if any is missing."""
    from ..lab.statedir import LabDir
    from ..transport.credentials import CredentialError, Credentials

    inv = load(inventory)
    sel = selection(inv, bureau=bureau, lot=lot, site=site, zone=zone, class_=class_, subsystem=subsystem,
                    host=host, limit=limit)
    names: dict[str, int] = {}
    for h in sel.hosts:
        for f in CREDENTIAL_FIELDS:
            if h.get(f):
                names[str(h.get(f))] = names.get(str(h.get(f)), 0) + 1
    creds = Credentials(lab_file=LabDir(Path(lab) if lab else None).credentials_file)
    missing = 0
    for name, count in sorted(names.items()):
        try:
            cred = creds.get(name)
            where = f"{cred.source}（用户 {cred.username}）"
        except CredentialError as exc:
            where, missing = f"缺失：{exc}", missing + 1
        print(f"{name:28} {count:5} 台  {where}")
    if missing:
        raise Exit(f"cityops: {missing} credential name(s) resolve nowhere", code=EXIT_FINDINGS)


@task(name="set", help={"name": "the credential name the inventory uses (gxj_linux)", "username": "its login name",
                        "password_stdin": "read it from standard input (a pipe) instead of asking"})  # nosec B105  # help text, not a password
def set_(c, name, username, password_stdin=False):
    """Store a credential in the keyring that CITYOPS_KEYRING_FILE (encrypted file, with its password file) or
    CITYOPS_KEYRING=system configures. The password is asked for without echo, or read from a pipe."""
    from ..transport import redact
    from ..transport.credentials import CredentialError, open_keyring, store

    if not name.replace("_", "").replace("-", "").isalnum() or len(name) > 64:
        raise BadInput(f"credential name '{one_line(name, 40)}': letters, digits, '_' and '-' only")
    try:
        ring = open_keyring()
    except CredentialError as exc:
        raise BadInput(str(exc)) from None
    if ring is None:
        raise BadInput("no keyring configured: set CITYOPS_KEYRING_FILE and CITYOPS_KEYRING_PASSWORD_FILE (a headless "
                       "runner) or CITYOPS_KEYRING=system")
    password = sys.stdin.readline().rstrip("\n") if password_stdin else getpass.getpass(f"{name} 的口令：")
    if not password:
        raise BadInput(f"credential '{name}': an empty password is not stored")
    redact.register(password)
    store(ring, name, username, password)
    print(f"credential '{name}' (user {username}) stored in {os.environ.get('CITYOPS_KEYRING_FILE') or 'the system keyring'}")


@selection_task(name="enrol", help={
    "write": "add the keys of hosts not yet known to the managed known_hosts (without it nothing is written)",
    "replace": "hosts whose key changed and whose new key you have checked out of band: replace theirs (with --write)",
    "known_hosts": "the managed known_hosts (default $CITYOPS_KNOWN_HOSTS, else the lab's)",
    "lab": "lab state directory", "reports": "reports directory, for the audit log (default ./reports)"})
def enrol(c, bureau=None, lot=None, site=None, zone=None, class_=None, subsystem=None, host=None, limit=None,
          write=False, replace="", known_hosts="", lab=None, reports="reports", inventory=None):
    """登记主机密钥: show each selected SSH host's key fingerprint against the managed known_hosts (new, same,
    changed); with --write add the new ones. A changed key is never replaced unless named in --replace. Exit 1 when
    a key changed or a host could not be asked."""
    from ..files import write_atomic
    from ..inspect.session import transport_config
    from ..timeutil import now
    from ..transport import hostkeys
    from ..transport.audit import AuditLog
    from ..transport.errors import ConnectFailure
    from ..transport.registry import open_session, protocol_of

    inv = load(inventory)
    warn_problems(inv)
    sel = selection(inv, bureau=bureau, lot=lot, site=site, zone=zone, class_=class_, subsystem=subsystem,
                    host=host, limit=limit)
    config = transport_config(AuditLog(Path(reports) / "audit", f"{now():%Y%m%dT%H%M%S}-hostkeys", "",
                                       "hostkeys.enrol"), Path(lab) if lab else None)
    path = Path(known_hosts) if known_hosts else config.known_hosts
    replace_set = {h for h in replace.split(",") if h}
    unknown = replace_set - {h.name for h in sel.hosts}
    if unknown:
        raise BadInput(f"--replace {','.join(sorted(unknown))}: not among the selected hosts")
    scans = []
    for h in sel.hosts:
        try:
            if protocol_of(h) not in ("ssh", "ssh-cli"):
                continue
            session = open_session(h, config)
        except ConnectFailure as exc:
            scans.append(hostkeys.Scanned(h.name, str(h.get("ansible_host") or ""), error=str(exc)))
            continue
        scans.append(hostkeys.scan(session, path))
    labels = {"new": "新主机（未登记）", "same": "已登记，一致", "changed": "密钥已变更！", "error": "未取得密钥"}
    for s in scans:
        key = f"{s.key.get_name():20} {hostkeys.fingerprint(s.key)}" if s.key else f"{'':20} {s.error}"
        print(f"{s.host:28} {s.address:16} {key}  {labels[s.state]}")
        if s.state == "changed":
            for old in s.known.values():
                print(f"{'':45} 已登记：{old.get_name()} {hostkeys.fingerprint(old)}")
    new, changed = [s for s in scans if s.state == "new"], [s for s in scans if s.state == "changed"]
    if write:
        data, written = hostkeys.enrolled(path, scans, replace_set)
        if written:
            write_atomic(path, data, 0o644)
        print(f"{path}: 写入 {len(written)} 台（{', '.join(written) or '无'}）")
    elif new or (replace_set and changed):
        print(f"{path}: 未写入（加 --write 登记 {len(new)} 台新主机"
              + (f"，替换 {', '.join(sorted(replace_set))}" if replace_set else "") + "）")
    kept = [s.host for s in changed if s.host not in replace_set or not write]
    if kept:
        print(f"密钥已变更的主机不会自动替换：{', '.join(kept)} — 与设备管理员核对指纹后，用 --replace 指名替换")
    if (changed and not (write and not kept)) or any(s.state == "error" for s in scans):
        raise Exit(code=EXIT_FINDINGS)


credentials_ns = Collection("credentials", show, set_)
hostkeys_ns = Collection("hostkeys", enrol)
