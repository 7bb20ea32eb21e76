"""The secrets the lab's configurations carry, as each vendor prints them: what the backup tests look for.

Every lab configuration plants real-looking secrets of its vendor's kinds (irreversible hashes, reversible
ciphers, Cisco type 7, plain SNMP communities and keys). `planted(platform, name)` lists every form that must
never reach the configuration store, its history, a log, the audit log or a report; a test checks each one is
really in the lab's raw listing, so this list cannot drift from the renderers.
"""

from __future__ import annotations

import hashlib

XLAT = "dsfd;kfoA,.iyewrkldJKDHSUBsgvca69834ncxv9873254k;fg87"  # Cisco's type 7 table (public since 1995)


def cipher(dev_name: str, what: str) -> str:
    """A stable, secret-looking VRP cipher text (never the lab password)."""
    digest = hashlib.sha256(f"{dev_name}/{what}".encode()).hexdigest()
    return f"%^%#{digest[:40]}%^%#"


def plain(dev_name: str, what: str) -> str:
    """A stable plain-text secret (a key or a password as typed)."""
    return "Kmy" + hashlib.sha256(f"{dev_name}/plain/{what}".encode()).hexdigest()[:9]


def sha512_crypt(dev_name: str) -> str:
    """A stable string in SHA-512 crypt's shape (`$6$salt$hash`), as Linux-based appliances store passwords."""
    digest = hashlib.sha256(f"{dev_name}/crypt".encode()).hexdigest()
    return f"$6${digest[:8]}${digest[8:60]}"


def type7(text: str, seed: int = 7) -> str:
    """Cisco's reversible 'password 7' encoding of `text` (what `service password-encryption` prints)."""
    return f"{seed:02d}" + "".join(f"{ord(ch) ^ ord(XLAT[(seed + i) % len(XLAT)]):02X}" for i, ch in enumerate(text))


def planted(platform: str, name: str) -> list[tuple[str, str]]:
    """Every secret the lab's configuration of this device holds: (the secret, the form the listing prints it in;
    the same string unless the vendor prints a reversible encoding of it, as Cisco's type 7)."""
    def same(*texts: str) -> list[tuple[str, str]]:
        return [(t, t) for t in texts]

    if platform in ("huawei_vrp", "huawei_vrpv8", "huawei_ce"):
        return same(hashlib.md5(name.encode()).hexdigest()[:24], cipher(name, "snmp-ro")[4:-4],  # nosec B324  # lab text
                    cipher(name, "console")[4:-4])
    if platform == "hp_comware":
        return same(cipher(name, "snmp-ro")[4:-4], cipher(name, "local-user")[4:36])
    if platform == "cisco_ios":
        return [*same(cipher(name, "enable")[4:30], cipher(name, "user")[4:30], cipher(name, "snmp")[4:20]),
                (plain(name, "backup-user"), type7(plain(name, "backup-user"))),
                (plain(name, "tacacs"), type7(plain(name, "tacacs"), 11))]
    if platform == "cisco_nxos":
        return same(cipher(name, "user")[4:30], cipher(name, "snmp").encode().hex()[:32], plain(name, "community"))
    if platform in ("appliance_web", "lipu_gap", "backup_appliance"):
        return same(sha512_crypt(name)[3:], plain(name, "web-snmp"), plain(name, "web-syslog"))
    if platform == "f5_tmos":
        return same(sha512_crypt(name)[3:], plain(name, "f5-monitor"), plain(name, "f5-snmp"))
    if platform == "brocade_fos":
        return same(plain(name, "fos-snmp"))
    if platform in ("topsec_tos", "sangfor_vpn"):
        return same(cipher(name, "admin")[4:-4], cipher(name, "snmp")[4:24])
    return []
