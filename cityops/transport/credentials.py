"""Credentials by the inventory's credential name: environment, then an ansible-vault file, then the lab's.

The inventory never holds a secret, only a credential name (`gxj_linux`). At run
time the name resolves, in order, from
  1. CITYOPS_CRED_<NAME>_USERNAME / CITYOPS_CRED_<NAME>_PASSWORD,
  2. an ansible-vault encrypted YAML file (CITYOPS_VAULT, default secrets/vault.yml)
     opened with the password in CITYOPS_VAULT_PASSWORD_FILE, mapping name -> {username, password},
  3. the lab's credentials.yml, written by `invoke lab.up` (the lab only).
Every password handed out is registered with the redactor so it can never reach a
log, a result or a message.
"""

from __future__ import annotations

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

                secret = VaultSecret(self.vault_password_file.read_bytes().strip())
                text = VaultLib([(DEFAULT_VAULT_ID_MATCH, secret)]).decrypt(self.vault.read_bytes())
                self._vault_data = safeyaml.load_text(text.decode("utf-8"), str(self.vault)) or {}
        return self._vault_data

    def _load_lab(self) -> dict:
        if self._lab_data is None:
            self._lab_data = {}
            if self.lab_file and self.lab_file.exists():
                self._lab_data = safeyaml.load_file(self.lab_file) or {}
        return self._lab_data

    def get(self, name: str | None) -> Credential:
        if not name:
            raise CredentialError("the inventory names no credential for this host")
        cred = self._from_env(name)
        if cred is None:
            with self._lock:
                for source, data in (("vault", self._load_vault()), ("lab", self._load_lab())):
                    entry = data.get(name)
                    if isinstance(entry, dict) and entry.get("username"):
                        cred = Credential(name, str(entry["username"]), str(entry.get("password", "")), source)
                        break
        if cred is None:
            raise CredentialError(f"credential '{name}' is in none of: CITYOPS_CRED_{name.upper()}_USERNAME, "
                                  f"{self.vault}, {self.lab_file or 'the lab credentials'}")
        redact.register(cred.password)
        return cred
