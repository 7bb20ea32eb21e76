"""The zones' signing keys: each zone runner signs its bundles with its own ed25519 key; the centre trusts the
public keys committed under keys/zones/ (one file per zone, reviewed like any other change).

The private key stays on the runner (secrets/zones/<zone>.key, 0600, never in git); a public key file is one line,
`ed25519 <base64 of the 32 raw bytes> <zone>`, so a reviewer sees which zone it is for.
"""

from __future__ import annotations

import base64
import os
import re
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from ..errors import BadInput, one_line
from ..files import write_atomic

ZONE_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
PRIVATE_DIR = Path("secrets") / "zones"
PUBLIC_DIR = Path("keys") / "zones"


def zone_name(zone: str) -> str:
    if not ZONE_RE.fullmatch(str(zone)):
        raise BadInput(f"zone '{one_line(str(zone), 40)}': not a zone id (lower-case letters, digits, '_')")
    return str(zone)


def generate(zone: str, private_dir: Path = PRIVATE_DIR, public_dir: Path = PUBLIC_DIR) -> tuple[Path, Path]:
    """A new key pair for the zone; refuses to overwrite an existing private key (bundles signed with it would no
    longer verify at a centre holding the old public key)."""
    zone = zone_name(zone)
    private = Path(private_dir) / f"{zone}.key"
    if private.exists():
        raise BadInput(f"{private}: the zone already has a key; remove it yourself to replace it")
    key = Ed25519PrivateKey.generate()
    private.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(private.parent, 0o700)
    write_atomic(private, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                            serialization.NoEncryption()), 0o600)
    public = Path(public_dir) / f"{zone}.pub"
    write_atomic(public, public_line(key.public_key(), zone).encode(), 0o644)
    return private, public


def public_line(key: Ed25519PublicKey, zone: str) -> str:
    raw = key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return f"ed25519 {base64.b64encode(raw).decode()} {zone}\n"


def load_private(zone: str, private_dir: Path = PRIVATE_DIR) -> Ed25519PrivateKey:
    path = Path(private_dir) / f"{zone_name(zone)}.key"
    try:
        if path.stat().st_mode & 0o077:
            raise BadInput(f"{path}: readable by others; chmod 600 it")
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
    except FileNotFoundError:
        raise BadInput(f"{path}: no signing key for zone {zone} (invoke evidence.keygen --zone {zone})") from None
    except ValueError as exc:
        raise BadInput(f"{path}: not a PEM private key ({exc})") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise BadInput(f"{path}: not an ed25519 key")
    return key


def load_public(zone: str, public_dir: Path = PUBLIC_DIR) -> Ed25519PublicKey:
    path = Path(public_dir) / f"{zone_name(zone)}.pub"
    try:
        kind, b64, named = path.read_text(encoding="utf-8").split()[:3]
        if kind != "ed25519" or named != zone:
            raise ValueError(f"names {kind} key of zone {named}")
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(b64, validate=True))
    except FileNotFoundError:
        raise BadInput(f"zone {zone}: no trusted key {path} at the centre") from None
    except ValueError as exc:
        raise BadInput(f"{path}: not a zone key line 'ed25519 <base64> {zone}' ({exc})") from None


def verify(key: Ed25519PublicKey, signature: bytes, data: bytes) -> bool:
    try:
        key.verify(signature, data)
        return True
    except InvalidSignature:
        return False
