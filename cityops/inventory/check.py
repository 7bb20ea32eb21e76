"""`invoke inventory.check`: every problem of the inventory, one line each, not just the first.

Checks what the loader cannot: required fields, identifiers the vocabulary does
not declare, addresses that are malformed, outside the allowed networks or used
twice, impossible dates, clusters with the wrong members, malformed GB/T 28181
codes, secrets where only credential names belong.
"""

from __future__ import annotations

import re
from collections import defaultdict

from .. import gbt28181, netguard, platforms, timeutil
from .model import Host, Inventory
from .problems import Problem
from .schema import (
    ADDRESS_FIELDS,
    BMC_PROTOCOLS,
    CADENCES,
    CLUSTER_ADDRESS_VARS,
    CREDENTIAL_FIELDS,
    FIELDS,
    HOSTNAME,
    PATCH_ROUTES,
    PYTHON_VERSION,
    REQUIRED,
    ROUTE_PLATFORMS,
    SERVER_PLATFORMS,
    SOURCES,
    credential_name_problem,
    secret_keys,
)
from .vocabulary import FACETS, facet_group

CJK = re.compile(r"[\u4e00-\u9fff]")
# Karamay's extent (with a margin): 克拉玛依市 lies within 44.0-46.6 N, 84.3-86.3 E.
LAT_RANGE = (44.0, 46.6)
LON_RANGE = (84.3, 86.3)
NOT_NEEDED_FOR_MANUAL = ("ansible_host", "credential")
VOCAB_FIELDS = {"bureau": "bureau", "subsystem": "subsystem", "site": "site", "zone": "zone",
                "device_class": "class", "cluster": "cluster"}
CLUSTER_RULES = {"oracle_rac": "Oracle RAC", "sqlserver_fci": "SQL Server failover cluster", "vmware": "VMware"}


class _Checker:
    def __init__(self, inv: Inventory, networks):
        self.inv = inv
        self.voc = inv.vocabulary
        self.nets = networks
        self.problems: list[Problem] = list(inv.problems)

    def add(self, host: Host, fieldname: str, message: str) -> None:
        self.problems.append(Problem(host.file, host.line_of(fieldname), host.subject, fieldname, message))

    # -- per host ------------------------------------------------------------
    def host(self, h: Host) -> None:
        v = h.own_vars if h.origin == "yaml" else h.vars
        merged = h.vars
        if not HOSTNAME.match(h.name):
            self.add(h, "hostname", f"'{h.name}' is not an ASCII hostname (lowercase letters, digits, hyphens)")
        platform = platforms.get(str(merged.get("platform", "")))
        manual = platform is not None and platform.family == "manual"
        for name in REQUIRED:
            if name == "hostname" or (manual and name in NOT_NEEDED_FOR_MANUAL):
                continue
            value = merged.get(name)
            if value in (None, "", []):
                self.add(h, name, "missing required field")
        for keypath in secret_keys(v):
            self.add(h, keypath[0], f"'{'.'.join(keypath)}' looks like a secret; the inventory holds credential names "
                                    "only (put the secret in the vault under the credential's name)")
        for name in CREDENTIAL_FIELDS:
            reason = credential_name_problem(v.get(name))
            if reason:
                self.add(h, name, reason)
        if h.name in self.inv.groups:
            self.add(h, "hostname", f"'{h.name}' is also a group name: a pattern or --class/--lot naming it would "
                                    "select the host or the group ambiguously; rename the host")
        name = merged.get("display_name")
        if name and not CJK.search(str(name)):
            self.add(h, "display_name", f"'{name}' has no Chinese text (设备名称 is the Chinese display name)")
        self._vocab(h, merged)
        self._addresses(h, merged)
        for datefield in ("warranty_end", "build_date"):
            if merged.get(datefield) not in (None, ""):
                try:
                    timeutil.parse_date(str(merged[datefield]))
                except ValueError as exc:
                    self.add(h, datefield, f"bad date: {exc}")
        src = merged.get("source")
        if src not in (None, "") and src not in SOURCES:
            self.add(h, "source", f"'{src}' must be one of: {', '.join(SOURCES)}")
        if merged.get("bmc_address"):
            if merged.get("bmc_protocol") not in BMC_PROTOCOLS:
                self.add(h, "bmc_protocol", f"a host with bmc_address needs bmc_protocol: {' or '.join(BMC_PROTOCOLS)}")
            if not merged.get("bmc_credential"):
                self.add(h, "bmc_credential", "a host with bmc_address needs bmc_credential (a credential name)")
        python = merged.get("python")
        if python not in (None, "") and not (isinstance(python, str) and PYTHON_VERSION.fullmatch(python)):
            self.add(h, "python", f"{python!r} must be 'none' or a quoted major.minor such as '2.6' (unquoted 2.10 is "
                                  "the number 2.1)")
        elif python in (None, "") and merged.get("platform") in SERVER_PLATFORMS:
            self.add(h, "python", "a server needs python: the interpreter its OS carries ('none', '2.6', '2.7' ...), "
                                  "which decides how it can be patched")
        if merged.get("change_window") not in (None, "", []):
            from ..change.windows import windows_of
            from ..errors import BadInput

            try:
                windows_of(h)
            except BadInput as exc:
                self.add(h, "change_window", str(exc).split(": ", 1)[-1])
        route = merged.get("patch_route")
        if route not in (None, "") and route not in PATCH_ROUTES:
            self.add(h, "patch_route", f"{route!r}: one of {', '.join(PATCH_ROUTES)}")
        elif route and merged.get("platform") not in ROUTE_PLATFORMS[route]:
            self.add(h, "patch_route", f"{route} patches {' or '.join(ROUTE_PLATFORMS[route])} hosts, not platform "
                                       f"{merged.get('platform')}")
        elif route in (None, "") and merged.get("platform") in SERVER_PLATFORMS:
            self.add(h, "patch_route", "a server needs patch_route: how it is patched (pyinfra_yum, wsus ...)")
        mirror = merged.get("package_mirror")
        if mirror not in (None, ""):
            why = netguard.url_refusal(mirror)  # an internal yum mirror on an allowed address
            if why:
                self.add(h, "package_mirror", f"{mirror!r}: {why}")
        if merged.get("gb_code") not in (None, "") or merged.get("device_class") == "camera":
            self._camera(h, merged)
        if h.origin == "yaml":
            self._yaml_membership(h)

    def _vocab(self, h: Host, v: dict) -> None:
        for fieldname, facet in VOCAB_FIELDS.items():
            value = v.get(fieldname)
            if value in (None, ""):
                continue
            if not isinstance(value, str):
                self.add(h, fieldname, f"{value!r} must be a text identifier (quote it in YAML)")
            elif value not in self.voc.known(facet):
                self.add(h, fieldname, f"unknown {facet} '{value}' (not declared in inventory/estate.yml)")
        lots = v.get("lots")
        if lots not in (None, "", []):
            if not isinstance(lots, list):
                self.add(h, "lots", f"{lots!r} must be a list of lot identifiers, e.g. ['6_10']")
                lots = []
            for lot in lots:
                if not isinstance(lot, str):
                    self.add(h, "lots", f"lot {lot!r} is not text: quote it in YAML ('6_10' unquoted is the number 610)")
                elif lot not in self.voc.known("lot"):
                    self.add(h, "lots", f"unknown lot '{lot}' (not declared in inventory/estate.yml)")
                elif v.get("bureau") and self.voc.lot_bureau.get(lot) not in (None, v.get("bureau")):
                    self.add(h, "bureau", f"'{v.get('bureau')}' but lot {lot} belongs to bureau "
                                          f"'{self.voc.lot_bureau[lot]}'")
            sub = v.get("subsystem")
            sub_lot = self.voc.subsystem_lot.get(sub) if isinstance(sub, str) else None
            if sub_lot and sub_lot not in lots:
                self.add(h, "subsystem", f"subsystem '{sub}' belongs to lot {sub_lot}, not to the host's lots {lots}")
        cadences = v.get("cadences")
        if isinstance(cadences, list):
            for c in cadences:
                if c not in CADENCES:
                    self.add(h, "cadences", f"unknown cadence {c!r}; known: {', '.join(CADENCES)}")
        elif cadences not in (None, ""):
            self.add(h, "cadences", f"{cadences!r} must be a list, e.g. [daily, weekly]")
        plat = v.get("platform")
        if plat not in (None, "") and platforms.get(str(plat)) is None:
            self.add(h, "platform", f"unknown platform '{plat}'; known: {', '.join(sorted(platforms.PLATFORMS))}")

    def _addresses(self, h: Host, v: dict) -> None:
        for fieldname in ADDRESS_FIELDS:
            value = v.get(fieldname)
            if value not in (None, ""):
                reason = netguard.refusal(value, self.nets)
                if reason:
                    self.add(h, fieldname, reason)

    def _camera(self, h: Host, v: dict) -> None:
        code = v.get("gb_code")
        if code in (None, ""):
            self.add(h, "gb_code", "missing 国标编码 (GB/T 28181 code) for a camera")
        else:
            try:
                parsed = gbt28181.parse(code)
            except ValueError as exc:
                self.add(h, "gb_code", f"malformed GB/T 28181 code: {exc}")
            else:
                district = v.get("district")
                if district and gbt28181.DISTRICTS.get(district) != parsed.division:
                    self.add(h, "district", f"'{district}' does not match the code's division {parsed.division} "
                                            f"({gbt28181.district_of(parsed)})")
        for fieldname, (lo, hi) in (("latitude", LAT_RANGE), ("longitude", LON_RANGE)):
            raw = v.get(fieldname)
            if raw in (None, ""):
                continue
            try:
                value = float(raw)
            except (TypeError, ValueError):
                self.add(h, fieldname, f"'{raw}' is not a number")
                continue
            if not lo <= value <= hi:
                self.add(h, fieldname, f"{value} lies outside Karamay ({lo}–{hi})")

    def _yaml_membership(self, h: Host) -> None:
        """A YAML host listed under a facet group must carry that facet (bureau_x, lot_y, ...)."""
        for group in h.groups:
            g = self.inv.groups[group]
            for facet, (_field, prefix, name_var) in FACETS.items():
                if name_var in g.vars and (facet == "class" or group.startswith(prefix)):
                    if group not in h.facet_groups:
                        self.add(h, FACETS[facet][0], f"listed under group '{group}' but its own fields do not "
                                                      f"put it there (its {FACETS[facet][0]} disagrees)")
                    break

    # -- across hosts ------------------------------------------------------------
    def uniqueness(self) -> None:
        seen: dict[str, tuple[str, str]] = {}
        codes: dict[str, str] = {}
        for h in self.inv.hosts.values():
            for fieldname in ADDRESS_FIELDS:
                value = h.vars.get(fieldname)
                if isinstance(value, str) and value:
                    key = value.strip()
                    if key in seen:
                        other, ofield = seen[key]
                        self.add(h, fieldname, f"duplicate address {key}, already used by {other} ({ofield})")
                    else:
                        seen[key] = (h.name, fieldname)
            code = h.vars.get("gb_code")
            if isinstance(code, str) and code:
                if code in codes:
                    self.add(h, "gb_code", f"duplicate GB/T 28181 code {code}, already used by {codes[code]}")
                else:
                    codes[code] = h.name
        for cid, cvars in self.voc.clusters.items():
            group = self.inv.groups[facet_group("cluster", cid)]
            for var in CLUSTER_ADDRESS_VARS:
                values = cvars.get(var)
                values = values if isinstance(values, list) else ([values] if values else [])
                for value in values:
                    where = f"cluster {cid} ({var})"
                    reason = netguard.refusal(value, self.nets)
                    if reason:
                        self._group_problem(group, var, reason)
                        continue
                    if value in seen:
                        other, ofield = seen[value]
                        self._group_problem(group, var, f"duplicate address {value}, already used by {other} ({ofield})")
                    else:
                        seen[value] = (where, var)

    def backup_jobs(self) -> None:
        """Every declared database and file backup readable as a schedule (cityops/backup/schedule.py)."""
        from ..backup.schedule import jobs

        for line in jobs(self.inv)[1]:
            owner, _, message = line.partition(": ")
            if owner in self.inv.hosts:
                self.add(self.inv.hosts[owner], "backup_jobs", message)
            elif owner in self.inv.groups:
                self._group_problem(self.inv.groups[owner], "backup_jobs", message)
            else:
                self.problems.append(Problem(self.inv.root.name, 0, "-", "backup_jobs", line))

    def _group_problem(self, group, fieldname: str, message: str) -> None:
        src = self.inv.root.name + "/estate.yml"
        self.problems.append(Problem(src, 0, f"group {group.name}", fieldname, message))

    def clusters(self) -> None:
        members: dict[str, list[Host]] = defaultdict(list)
        for h in self.inv.hosts.values():
            c = h.vars.get("cluster")
            if isinstance(c, str) and c:
                members[c].append(h)
        for cid, cvars in self.voc.clusters.items():
            group = self.inv.groups[facet_group("cluster", cid)]
            hosts = members.get(cid, [])
            names = ", ".join(h.name for h in hosts) or "none"
            ctype = cvars.get("cluster_type")
            if ctype not in CLUSTER_RULES:
                self._group_problem(group, "cluster_type", f"unknown cluster type {ctype!r}; known: {', '.join(CLUSTER_RULES)}")
            size = cvars.get("cluster_size")
            if not isinstance(size, int):
                self._group_problem(group, "cluster_size", f"{size!r} must be the number of member hosts")
            elif len(hosts) != size:
                self._group_problem(group, "cluster_size", f"declares {size} members but {len(hosts)} hosts name it: {names}")
            plats = {str(h.vars.get("platform")) for h in hosts}
            if len(plats) > 1:
                self._group_problem(group, "platform", f"members run different platforms ({', '.join(sorted(plats))}): {names}")
            if ctype == "oracle_rac":
                scans = cvars.get("scan_addresses")
                if not isinstance(scans, list) or len(scans) != 3:
                    self._group_problem(group, "scan_addresses", "an Oracle RAC needs exactly 3 SCAN addresses")
                if not cvars.get("scan_name"):
                    self._group_problem(group, "scan_name", "an Oracle RAC needs its SCAN name")
                for h in hosts:
                    if not h.vars.get("vip_address"):
                        self.add(h, "vip_address", f"RAC node of {cid} has no VIP address")
            if ctype == "sqlserver_fci" and not cvars.get("cluster_address"):
                self._group_problem(group, "cluster_address", "a SQL Server cluster needs its cluster (listener) address")

    def group_secrets(self) -> None:
        for group in self.inv.groups.values():
            for keypath in secret_keys(group.vars):
                self._group_problem(group, keypath[0], f"'{'.'.join(keypath)}' looks like a secret; the inventory "
                                                       "holds credential names only")
            for name in CREDENTIAL_FIELDS:
                reason = credential_name_problem(group.vars.get(name))
                if reason:
                    self._group_problem(group, name, reason)

    def vocabulary(self) -> None:
        for lot, bureau in self.voc.lot_bureau.items():
            if bureau not in self.voc.known("bureau"):
                self._group_problem(self.inv.groups[facet_group("lot", lot)], "lot_bureau", f"unknown bureau '{bureau}'")
        for sub, lot in self.voc.subsystem_lot.items():
            if lot not in self.voc.known("lot"):
                self._group_problem(self.inv.groups[facet_group("subsystem", sub)], "subsystem_lot", f"unknown lot '{lot}'")


def check_inventory(inventory: Inventory, networks=None) -> list[Problem]:
    """All problems of the inventory: the loader's and the semantic ones, in file order."""
    checker = _Checker(inventory, networks or netguard.allowed_networks())
    for h in inventory.hosts.values():
        checker.host(h)
    checker.uniqueness()
    checker.clusters()
    checker.backup_jobs()
    checker.group_secrets()
    checker.vocabulary()
    order = {name: i for i, name in enumerate(f.name for f in FIELDS)}
    return sorted(checker.problems, key=lambda p: (p.file, p.line, order.get(p.field, 99)))
