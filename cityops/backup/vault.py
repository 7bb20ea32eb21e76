"""The full configurations, encrypted: what restores a dead device, kept apart from the masked store.

A masked configuration cannot bring back a switch (its passwords and keys are gone), so every capture whose
full text changed is also kept encrypted (Fernet: AES-128-CBC with HMAC-SHA256) under `<vault>/<host>/`.
Encryption gives new bytes every time, so whether the full text changed is decided on a keyed hash (HMAC-
SHA256) of it; the file's name carries that hash and the capture time, so the vault needs no index that a
crash could tear: `<YYYYmmddTHHMMSSffffff>_<hmac>.enc`, written aside and renamed into place, mode 0600.

Old full copies hold old passwords: a copy is kept `KEEP_DAYS` (a year of monthly and quarterly evidence)
and then removed, except the newest `KEEP_LAST` copies of the device and the copy that was current when the
window opened (so `restore-file --at` answers for every day of the window).

The key is the credential named `backup_vault` (environment, ansible-vault or the lab's file, like every
other secret); two keys are derived from it (HKDF), one to encrypt and one to hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from ..errors import BadInput
from ..files import write_atomic
from ..timeutil import BEIJING, now
from ..transport.credentials import Credentials

CREDENTIAL = "backup_vault"
NAME = re.compile(r"(\d{8}T\d{12})_([0-9a-f]{64})\.enc")
STAMP = "%Y%m%dT%H%M%S%f"
KEEP_DAYS = 400
KEEP_LAST = 10


class VaultError(BadInput):
    """The vault cannot be used: no key, or a copy that does not decrypt or does not match its hash (said in one
    line, like bad input: the engineer fixes the key or picks another copy)."""


@dataclass(frozen=True)
class Copy:
    host: str
    path: Path
    taken: datetime
    digest: str  # HMAC-SHA256 of the full text, hex


def _derive(secret: str, purpose: bytes) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"cityops-backup-vault", info=purpose).derive(
        secret.encode("utf-8"))


class Vault:
    def __init__(self, root: Path, secret: str):
        if len(secret) < 16:
            raise VaultError(f"the '{CREDENTIAL}' key is shorter than 16 characters")
        from cryptography.fernet import Fernet

        self.root = Path(root)
        self._fernet = Fernet(base64.urlsafe_b64encode(_derive(secret, b"encrypt")))
        self._mac_key = _derive(secret, b"hmac")

    @classmethod
    def open(cls, root: Path, credentials: Credentials) -> Vault:
        from ..transport.credentials import CredentialError

        try:
            cred = credentials.get(CREDENTIAL)
        except CredentialError as exc:
            raise VaultError(f"no key for the encrypted copies: {exc}") from None
        return cls(root, cred.password)

    def digest(self, full: str) -> str:
        return hmac.new(self._mac_key, full.encode("utf-8"), hashlib.sha256).hexdigest()

    def _dir(self, host: str) -> Path:
        return self.root / host

    def copies(self, host: str) -> list[Copy]:
        """The host's copies, oldest first (files that are not a vault copy's name are ignored)."""
        out = []
        d = self._dir(host)
        if d.is_dir():
            for p in d.iterdir():
                m = NAME.fullmatch(p.name)
                if m:
                    out.append(Copy(host, p, datetime.strptime(m.group(1), STAMP).replace(tzinfo=BEIJING),
                                    m.group(2)))
        return sorted(out, key=lambda c: c.taken)

    def latest(self, host: str) -> Copy | None:
        copies = self.copies(host)
        return copies[-1] if copies else None

    def keep(self, host: str, full: str, digest: str | None = None) -> Copy:
        """Encrypt and keep a full configuration (call only when its digest differs from the latest copy's)."""
        digest = digest or self.digest(full)
        taken = now()
        path = self._dir(host) / f"{taken.strftime(STAMP)}_{digest}.enc"
        self._dir(host).mkdir(parents=True, exist_ok=True, mode=0o700)
        write_atomic(path, self._fernet.encrypt(full.encode("utf-8")), mode=0o600)
        return Copy(host, path, taken, digest)

    def at(self, host: str, when: datetime | None) -> Copy | None:
        """The copy that was current at `when` (the newest when None)."""
        eligible = [c for c in self.copies(host) if when is None or c.taken <= when]
        return eligible[-1] if eligible else None

    def open_copy(self, copy: Copy) -> str:
        from cryptography.fernet import InvalidToken

        try:
            text = self._fernet.decrypt(copy.path.read_bytes()).decode("utf-8")
        except InvalidToken:
            raise VaultError(f"{copy.path.name}: does not decrypt with this key (another key, or a damaged file)"
                             ) from None
        if not hmac.compare_digest(self.digest(text), copy.digest):
            raise VaultError(f"{copy.path.name}: decrypts, but not to the configuration its name vouches for")
        return text

    def prune(self, host: str, keep_days: int = KEEP_DAYS, keep_last: int = KEEP_LAST) -> list[Copy]:
        """Remove the host's copies older than `keep_days`, except its newest `keep_last` and the one current when
        the window opened; the copies removed."""
        copies = self.copies(host)  # oldest first
        cutoff = now() - timedelta(days=keep_days)
        before = [c for c in copies if c.taken <= cutoff]
        current_at_cutoff = before[-1] if before else None  # what at(host, cutoff) answers, without a second listing
        old = [c for c in copies[:-keep_last or None] if c.taken < cutoff]
        gone = [c for c in old if c != current_at_cutoff]
        for c in gone:
            c.path.unlink(missing_ok=True)
        return gone
