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
