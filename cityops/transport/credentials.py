"""Credentials by the inventory's credential name: environment, keyring, an ansible-vault file, the lab's.

The inventory never holds a secret, only a credential name (`gxj_linux`). At run
time the name resolves, in order, from
  1. CITYOPS_CRED_<NAME>_USERNAME / CITYOPS_CRED_<NAME>_PASSWORD,
  2. the keyring (service `cityops`, one JSON {username, password} per name) when one is configured:
     CITYOPS_KEYRING_FILE names an encrypted file keyring (keyrings.cryptfile: Argon2 and AES-GCM) opened
     with the password in CITYOPS_KEYRING_PASSWORD_FILE — what a headless runner under cron uses, since
     nothing can type a password there; or CITYOPS_KEYRING=system takes the desktop's own keyring. A
     plain-text backend is refused, never read;
  3. an ansible-vault encrypted YAML file (CITYOPS_VAULT, default secrets/vault.yml)
     opened with the password in CITYOPS_VAULT_PASSWORD_FILE, mapping name -> {username, password},
  4. the lab's credentials.yml, written by `invoke lab.up` (the lab only).
Every password handed out — and the keys that open the keyring and the vault — is
registered with the redactor so it can never reach a log, a result or a message.
"""

from __future__ import annotations

import json
import os
import threading
from dataclasses import dataclass
from pathlib import Path

from .. import safeyaml
from . import redact


@dataclass(frozen=True)
class Credential:
    name: str
    username: str
    password: str = ""
    source: str = ""

    def __repr__(self) -> str:  # never print the secret, even in a traceback
        return f"Credential({self.name!r}, username={self.username!r}, source={self.source!r})"


class CredentialError(LookupError):
    pass


class Credentials:
    def __init__(self, vault: Path | None = None, vault_password_file: Path | None = None, lab_file: Path | None = None):
        self.vault = vault or Path(os.environ.get("CITYOPS_VAULT", "secrets/vault.yml"))
        pw = vault_password_file or os.environ.get("CITYOPS_VAULT_PASSWORD_FILE")
        self.vault_password_file = Path(pw) if pw else None
        self.lab_file = lab_file
        self._keyring = None  # opened on first use: unlocking it costs an Argon2 derivation
        self._from_keyring: dict[str, Credential | None] = {}
        self._vault_data: dict | None = None
        self._lab_data: dict | None = None
        self._lock = threading.Lock()

    def _from_env(self, name: str) -> Credential | None:
        key = "CITYOPS_CRED_" + name.upper().replace("-", "_")
        user, pw = os.environ.get(key + "_USERNAME"), os.environ.get(key + "_PASSWORD")
        return Credential(name, user, pw or "", "env") if user else None

    def _load_vault(self) -> dict:
        if self._vault_data is None:
            self._vault_data = {}
            if self.vault.exists() and self.vault_password_file and self.vault_password_file.exists():
                from ansible.constants import DEFAULT_VAULT_ID_MATCH
                from ansible.parsing.vault import VaultLib, VaultSecret

                password = self.vault_password_file.read_bytes().strip()
                redact.register(password.decode("utf-8", "replace"))
                secret = VaultSecret(password)
                text = VaultLib([(DEFAULT_VAULT_ID_MATCH, secret)]).decrypt(self.vault.read_bytes())
                self._vault_data = safeyaml.load_text(text.decode("utf-8"), str(self.vault)) or {}
                _register_all(self._vault_data)
        return self._vault_data

    def _load_lab(self) -> dict:
        if self._lab_data is None:
            self._lab_data = {}
            if self.lab_file and self.lab_file.exists():
                self._lab_data = safeyaml.load_file(self.lab_file) or {}
                _register_all(self._lab_data)
        return self._lab_data

    def _from_keyring_store(self, name: str) -> Credential | None:
        if name not in self._from_keyring:
            ring = self._keyring = self._keyring or open_keyring()
            found = None
            if ring is not None:
                try:
                    raw = ring.get_password(SERVICE, name)
                except Exception as exc:  # a wrong key or a damaged file: say which keyring, never the secret
                    raise CredentialError(f"keyring {describe(ring)}: {type(exc).__name__}: {exc}") from None
                if raw:
                    try:
                        entry = json.loads(raw)
                        found = Credential(name, str(entry["username"]), str(entry.get("password", "")), "keyring")
                    except (ValueError, KeyError, TypeError):
                        raise CredentialError(f"keyring {describe(ring)}: the entry of '{name}' is not "
                                              f"{{username, password}}") from None
            self._from_keyring[name] = found
        return self._from_keyring[name]

    def source_of(self, name: str) -> str:
        """Where a credential name resolves (env, keyring, vault, lab), or why it does not — never the secret."""
        try:
            return self.get(name).source
        except CredentialError as exc:
            return f"missing: {exc}"

    def get(self, name: str | None) -> Credential:
        if not name:
            raise CredentialError("the inventory names no credential for this host")
        with self._lock:  # every secret of the files is known to the redactor, used by this run or not: a
            self._load_vault()  # device may answer with another credential's secret
            self._load_lab()
        cred = self._from_env(name)
        if cred is None:
            with self._lock:
                cred = self._from_keyring_store(name)
                for source, load in (("vault", self._load_vault), ("lab", self._load_lab)):
                    if cred is not None:
                        break
                    entry = load().get(name)
                    if isinstance(entry, dict) and entry.get("username"):
                        cred = Credential(name, str(entry["username"]), str(entry.get("password", "")), source)
        if cred is None:
            ring = f"keyring {describe(self._keyring)}, " if self._keyring is not None else ""
            raise CredentialError(f"credential '{name}' is in none of: CITYOPS_CRED_{name.upper()}_USERNAME, "
                                  f"{ring}{self.vault}, {self.lab_file or 'the lab credentials'}")
        redact.register(cred.password)
        return cred


SERVICE = "cityops"


def _register_all(data) -> None:
    """Every password of a credentials file, and every one the environment holds, to the redactor."""
    if isinstance(data, dict):
        for entry in data.values():
            if isinstance(entry, dict) and entry.get("password"):
                redact.register(str(entry["password"]))
    for key, value in os.environ.items():
        if key.startswith("CITYOPS_CRED_") and key.endswith("_PASSWORD"):
            redact.register(value)


def describe(ring) -> str:
    path = getattr(ring, "file_path", "")
    return f"{type(ring).__module__}.{type(ring).__name__}" + (f" ({path})" if path else "")


def open_keyring(environ=None):
    """The keyring the environment configures, unlocked, or None when none is: CITYOPS_KEYRING_FILE (an encrypted
    file, its password in CITYOPS_KEYRING_PASSWORD_FILE) or CITYOPS_KEYRING=system. Never prompts: a runner under
    cron has no one to answer."""
    env = os.environ if environ is None else environ
    path = env.get("CITYOPS_KEYRING_FILE")
    if path:
        pw_file = env.get("CITYOPS_KEYRING_PASSWORD_FILE")
        if not pw_file or not Path(pw_file).is_file():
            raise CredentialError(f"keyring {path}: CITYOPS_KEYRING_PASSWORD_FILE must name the file holding its "
                                  f"password (a headless runner cannot be asked for it)")
        if Path(pw_file).stat().st_mode & 0o077:
            raise CredentialError(f"keyring password file {pw_file}: readable by others; chmod 600 it")
        from keyrings.cryptfile.cryptfile import CryptFileKeyring

        ring = CryptFileKeyring()
        ring.file_path = str(path)
        key = Path(pw_file).read_text(encoding="utf-8").strip()
        redact.register(key)
        try:
            ring.keyring_key = key  # checks the key against the file's reference entry (or creates the file)
        except ValueError as exc:
            raise CredentialError(f"keyring {path}: {exc} (wrong password in {pw_file}?)") from None
        return ring
    if env.get("CITYOPS_KEYRING") == "system":
        import keyring
        import keyring.core

        chosen = env.get("PYTHON_KEYRING_BACKEND")
        ring = keyring.core.load_keyring(chosen) if chosen else keyring.get_keyring()
        offered = list(getattr(ring, "backends", None) or [ring])  # keyring's chainer tries each in turn
        usable = [b for b in offered if not _refused(b)]
        if not usable:
            raise CredentialError(f"keyring: {', '.join(describe(b) for b in offered)}: plain text, unusable or "
                                  f"unable to unlock without a prompt; refused (use CITYOPS_KEYRING_FILE on a "
                                  f"headless runner)")
        return usable[0]
    return None


def _refused(backend) -> bool:
    """A backend cityops never reads: plain text, the failing and null ones, and the file ones that ask for
    their password on a terminal (the encrypted file is used only as CITYOPS_KEYRING_FILE, with its key file)."""
    kind, module = type(backend).__name__, type(backend).__module__
    return (kind in ("PlaintextKeyring", "EncryptedKeyring", "CryptFileKeyring")
            or module.endswith((".fail", ".null")) or "Plaintext" in kind)


def store(ring, name: str, username: str, password: str) -> None:
    """Put one credential into the keyring."""
    ring.set_password(SERVICE, name, json.dumps({"username": username, "password": password}))
