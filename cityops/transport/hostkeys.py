"""The known_hosts, read once per file and shared by every SSH connection of a run.

paramiko's `load_host_keys` parses the whole file for each client: on an estate
of two thousand hosts that is two thousand lines parsed per connection, and each
line takes the logging module's global lock, so a concurrent run spent most of
its CPU there. Here the file is parsed once (again only when it changes) into
an index by host name, and each client is given only the keys of the host it
is about to connect to — with paramiko's RejectPolicy still refusing any other.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import paramiko

_lock = threading.Lock()
_cache: dict[str, tuple[tuple[int, int], dict[str, dict[str, paramiko.PKey]], list]] = {}


def _parse(path: Path) -> tuple[dict[str, dict[str, paramiko.PKey]], list]:
    plain: dict[str, dict[str, paramiko.PKey]] = {}
    hashed: list[tuple[str, paramiko.PKey]] = []
    with open(path) as fh:
        for lineno, line in enumerate(fh, 1):
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            try:
                entry = paramiko.hostkeys.HostKeyEntry.from_line(line, lineno)
            except paramiko.SSHException:
                continue  # paramiko's own loader skips an unreadable line the same way
            if entry is None:
                continue
            for name in entry.hostnames:
                if name.startswith("|1|"):
                    hashed.append((name, entry.key))
                else:
                    plain.setdefault(name, {})[entry.key.get_name()] = entry.key
    return plain, hashed


def keys_for(path: Path, address: str, port: int = 22) -> dict[str, paramiko.PKey]:
    """The known keys of one host (by key type), as OpenSSH names it: `addr`, or `[addr]:port` off port 22."""
    try:
        st = path.stat()
    except FileNotFoundError:
        return {}
    stamp = (st.st_mtime_ns, st.st_size)
    with _lock:
        cached = _cache.get(str(path))
        if cached is None or cached[0] != stamp:
            cached = (stamp, *_parse(path))
            _cache[str(path)] = cached
    _, plain, hashed = cached
    name = address if port == 22 else f"[{address}]:{port}"
    found = dict(plain.get(name, {}))
    for hashed_name, key in hashed:
        if paramiko.HostKeys.hash_host(name, hashed_name) == hashed_name:
            found.setdefault(key.get_name(), key)
    return found


def trust(client: paramiko.SSHClient, path: Path, address: str, port: int = 22) -> None:
    """Give the client the known keys of this one host; RejectPolicy refuses anything else."""
    name = address if port == 22 else f"[{address}]:{port}"
    known = client.get_host_keys()
    for key_type, key in keys_for(path, address, port).items():
        known.add(name, key_type, key)
    client.set_missing_host_key_policy(paramiko.RejectPolicy())


_drivers: dict[tuple[str, str], type] = {}


def netmiko_driver(device_type: str, path: Path) -> type:
    """netmiko's driver class for the device type, taking its host keys from `trust` instead of re-reading the file."""
    from netmiko.ssh_dispatcher import CLASS_MAPPER

    key = (device_type, str(path))
    with _lock:
        if key not in _drivers:
            base = CLASS_MAPPER[device_type]

            def _build_ssh_client(self, _path=path, _base=base):
                client = _base._build_ssh_client(self)
                trust(client, _path, self.host, int(self.port))
                return client

            _drivers[key] = type(f"Known{base.__name__}", (base,), {"_build_ssh_client": _build_ssh_client})
        return _drivers[key]


# -- enrolment: what `invoke hostkeys.enrol` shows and, only when told, writes ------------------------------------

def fingerprint(key: paramiko.PKey) -> str:
    """OpenSSH's SHA256 fingerprint of a key (what `ssh-keygen -l` and a first ssh login show)."""
    import base64
    import hashlib

    return "SHA256:" + base64.b64encode(hashlib.sha256(key.asbytes()).digest()).decode().rstrip("=")


@dataclass
class Scanned:
    host: str
    address: str
    key: paramiko.PKey | None = None
    known: dict[str, paramiko.PKey] = field(default_factory=dict)  # what the managed file holds for it
    error: str = ""

    @property
    def state(self) -> str:
        """new | same | changed | error"""
        if self.error or self.key is None:
            return "error"
        held = self.known.get(self.key.get_name())
        if held is None:
            return "new" if not self.known else "changed"  # a host known only by another key type changed too
        return "same" if held == self.key else "changed"


def scan(session, known_hosts: Path, timeout: float = 10.0) -> Scanned:
    """The key a host's SSH server offers, asked for in the type the managed file knows it by (so a host with an
    ed25519 and an RSA key is compared like for like); the connection is recorded in the audit log."""
    import time

    out = Scanned(session.name, session.address, known=keys_for(known_hosts, session.address))
    t0 = time.monotonic()
    transport = None
    try:
        sock = session.tcp()
        transport = paramiko.Transport(sock)
        if out.known:
            options = transport.get_security_options()
            options.key_types = [t for t in options.key_types if t in out.known] or options.key_types
        transport.start_client(timeout=timeout)
        out.key = transport.get_remote_server_key()
        status: int | str = 0
    except Exception as exc:  # one host's failure is that host's line
        out.error = f"{type(exc).__name__}: {exc}"
        status = f"failed: {type(exc).__name__}"
    finally:
        if transport is not None:
            transport.close()
    session.audit("<host-key scan>", status, time.monotonic() - t0)
    return out


def enrolled(known_hosts: Path, scans: list[Scanned], replace: set[str]) -> tuple[bytes, list[str]]:
    """The managed file with the new hosts' keys added and the keys of the hosts named in `replace` swapped; the
    hosts whose key changed and were not named stay as they are. (new content, the host names written)"""
    try:
        lines = known_hosts.read_text(encoding="utf-8").splitlines(keepends=True)
    except FileNotFoundError:
        lines = []
    if lines and not lines[-1].endswith("\n"):
        lines[-1] += "\n"
    written = []
    for s in scans:
        if s.state == "new" or (s.state == "changed" and s.host in replace):
            if s.state == "changed":
                lines = [ln for ln in lines if not _names(ln, s.address)]
            lines.append(f"{s.address} {s.key.get_name()} {s.key.get_base64()}\n")
            written.append(s.host)
    return "".join(lines).encode(), written


def _names(line: str, address: str) -> bool:
    """Whether a known_hosts line is one of the address's (plain or hashed)."""
    first = line.split(None, 1)[0] if line.strip() and not line.startswith("#") else ""
    for name in first.split(","):
        if name == address or (name.startswith("|1|") and paramiko.HostKeys.hash_host(address, name) == name):
            return True
    return False
