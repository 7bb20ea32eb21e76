"""`invoke evidence.keygen | evidence.export | evidence.import`: a zone runner's evidence, signed, to the centre."""

from __future__ import annotations

from pathlib import Path

from invoke import task

from .common import load

HELP = {"zone": "the network zone this runner serves (gov_extranet, video, …)",
        "reports": "reports directory (default ./reports)", "inventory": "inventory directory",
        "keys": "the zones' key directory (runner: secrets/zones, the private keys; centre: keys/zones, the public)"}


@task(help={"zone": HELP["zone"], "keys": "where the private key goes (default secrets/zones)",
            "public_keys": "where the public key goes (default keys/zones, committed)"})
def keygen(c, zone, keys="", public_keys=""):
    """A zone's signing key pair: the private key stays on its runner (secrets/zones/<zone>.key, 0600); the public
    one (keys/zones/<zone>.pub) is committed so the centre trusts it after review."""
    from ..zone import keys as zkeys

    private, public = zkeys.generate(zone, Path(keys) if keys else zkeys.PRIVATE_DIR,
                                     Path(public_keys) if public_keys else zkeys.PUBLIC_DIR)
    print(f"zone {zone}: private key {private} (keep on the runner), public key {public} (commit it for the centre)")


@task(help=HELP)
def export(c, zone, reports="reports", inventory=None, keys=""):
    """证据包导出: the zone's runs, backup records, ledgers and audit trail not yet sent, signed with its key."""
    from ..zone import bundle
    from ..zone import keys as zkeys

    out = bundle.export(Path(reports), load(inventory), zone, Path(keys) if keys else zkeys.PRIVATE_DIR)
    print(f"zone {zone} bundle {out.sequence}: {len(out.runs)} runs, {out.ledger_lines} backup ledger lines → "
          f"{out.path} (sha256 {out.sha256})")
    for line in out.skipped:
        print(f"  not in this bundle: {line}")


@task(name="import", help={"bundle": "bundle files (.tar), comma-separated, in order",
                           "reports": HELP["reports"], "inventory": HELP["inventory"], "keys": HELP["keys"]})
def import_(c, bundle, reports="reports", inventory=None, keys=""):
    """证据包导入 (at the centre): verify each bundle — signature, every file, sequence, zone — then merge it;
    a bundle in doubt is refused whole, naming why."""
    from ..zone import bundle as zbundle
    from ..zone import keys as zkeys

    inv = load(inventory)
    for path in [p for p in bundle.split(",") if p]:
        got = zbundle.import_bundle(Path(reports), Path(path), inv, Path(keys) if keys else zkeys.PUBLIC_DIR)
        print(f"zone {got.zone} bundle {got.sequence}: {len(got.runs)} runs, {got.ledger_lines} backup ledger lines "
              f"imported (sha256 {got.sha256})")
