"""Which hosts a task runs on: facet flags and ansible-style patterns, one syntax for every task.

`--bureau gxj --class core_switch` and `--limit 'core_switches:&site_dzzw'` both
end up as ansible host patterns, evaluated here with ansible's own rules (union,
`&` intersection, `!` exclusion, globs, `~regex`, `[0:2]` subscripts), so a
selection equals `ansible PATTERN --list-hosts` on the same inventory. Flags of
different facets narrow each other (AND); values within one flag add up (OR).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field

from ..errors import BadInput
from .model import Host, Inventory
from .schema import CADENCES, normalise_lot, split_list
from .vocabulary import facet_group

PATTERN_WITH_SUBSCRIPT = re.compile(
    r"""^
        (.+)                    # a pattern expression ending with...
        \[(?:                   # a [subscript] expression comprising:
            (-?[0-9]+)|         # a single positive or negative number
            ([0-9]+)([:-])      # or an x:y or x: range.
            ([0-9]*)
        )\]
        $
    """,
    re.X,
)
FLAG_FACETS = ("bureau", "lot", "site", "zone", "class", "subsystem")


class SelectionError(BadInput):
    """A selection that names an unknown value or matches nothing."""


def split_host_pattern(pattern: str) -> list[str]:
    """Split 'a,b:&c' into single patterns exactly as ansible does."""
    from ansible.inventory.manager import split_host_pattern as ansible_split

    return list(ansible_split(pattern))


class PatternMatcher:
    """ansible-core's InventoryManager pattern rules, over a cityops Inventory."""

    def __init__(self, inventory: Inventory):
        self.inv = inventory
        self._cache: dict[str, list[str]] = {}

    def hosts(self, pattern: str) -> list[str]:
        return self.evaluate(split_host_pattern(pattern))

    def evaluate(self, patterns: list[str]) -> list[str]:
        regular = [p for p in patterns if p and p[0] not in "!&"]
        inter = [p for p in patterns if p and p[0] == "&"]
        exclude = [p for p in patterns if p and p[0] == "!"]
        ordered = (regular or ["all"]) + inter + exclude
        hosts: list[str] = []
        for p in ordered:
            if p in self.inv.hosts:
                if p not in hosts:
                    hosts.append(p)
                continue
            that = self.match_one(p)
            if p[0] == "!":
                drop = set(that)
                hosts = [h for h in hosts if h not in drop]
            elif p[0] == "&":
                keep = set(that)
                hosts = [h for h in hosts if h in keep]
            else:
                have = set(hosts)
                hosts.extend(h for h in that if h not in have)
        out: list[str] = []
        seen: set[str] = set()
        for h in hosts:
            if h not in seen:
                seen.add(h)
                out.append(h)
        return out

    def match_one(self, pattern: str) -> list[str]:
        if pattern[0] in "&!":
            pattern = pattern[1:]
        if pattern not in self._cache:
            expr, subscript = self._split_subscript(pattern)
            hosts = self._enumerate(expr)
            if subscript and hosts:
                start, end = subscript
                try:
                    if end:
                        end = len(hosts) - 1 if end == -1 else end
                        hosts = hosts[start:end + 1]
                    else:
                        hosts = [hosts[start]]
                except IndexError:
                    raise SelectionError(f"no hosts matched the subscripted pattern '{pattern}'") from None
            self._cache[pattern] = hosts
        return self._cache[pattern]

    @staticmethod
    def _split_subscript(pattern: str):
        if pattern[0] == "~":
            return pattern, None
        m = PATTERN_WITH_SUBSCRIPT.match(pattern)
        if not m:
            return pattern, None
        expr, idx, start, _sep, end = m.groups()
        if idx:
            return expr, (int(idx), None)
        return expr, (int(start), int(end) if end else -1)

    def _compile(self, pattern: str):
        try:
            return re.compile(pattern[1:] if pattern[0] == "~" else fnmatch.translate(pattern))
        except re.error:
            raise SelectionError(f"invalid host pattern: {pattern}") from None

    def _enumerate(self, pattern: str) -> list[str]:
        rx = self._compile(pattern)
        results: list[str] = []
        groups = [g for g in self.inv.groups if rx.match(g)]
        for g in groups:
            results.extend(self.inv.hosts_of(g))
        if not groups or pattern[0] == "~" or any(c in pattern for c in ".?*["):
            results.extend(h for h in self.inv.hosts if rx.match(h))
        return results


@dataclass
class Selection:
    """The hosts a task acts on, and how they were chosen (recorded in run manifests)."""

    hosts: list[Host]
    criteria: dict = field(default_factory=dict)
    patterns: list[str] = field(default_factory=list)

    @property
    def names(self) -> list[str]:
        return [h.name for h in self.hosts]

    def describe(self) -> str:
        if not self.criteria:
            return "all"
        return " ".join(f"--{k}={v}" for k, v in self.criteria.items())


def _resolve_values(inv: Inventory, facet: str, raw: str) -> list[str]:
    """Facet values as identifiers; accepts ids, Chinese names and '6-10' lot notation."""
    known = inv.vocabulary.known(facet)
    by_name = {name: ident for ident, name in known.items()}
    out = []
    for value in split_list(raw):
        ident = normalise_lot(value) if facet == "lot" else value.strip()
        prefix = {"bureau": "bureau_", "site": "site_", "zone": "zone_", "subsystem": "subsystem_"}.get(facet, "")
        if prefix and ident.startswith(prefix):
            ident = ident[len(prefix):]
        if ident not in known and value in by_name:
            ident = by_name[value]
        if ident not in known:
            shown = ", ".join(f"{k} ({v})" for k, v in list(known.items())[:40])
            raise SelectionError(f"unknown {facet} '{value}'; known: {shown}")
        out.append(ident)
    return out


def select(
    inventory: Inventory,
    *,
    bureau: str | None = None,
    lot: str | None = None,
    site: str | None = None,
    zone: str | None = None,
    device_class: str | None = None,
    subsystem: str | None = None,
    host: str | None = None,
    limit: str | None = None,
    cadence: str | None = None,
    allow_empty: bool = False,
) -> Selection:
    """Resolve the shared selection flags to hosts, in inventory order."""
    clash = sorted(set(inventory.hosts) & set(inventory.groups))
    if clash:  # ansible resolves such a name to the group: a selection would silently mean something else
        raise SelectionError(f"host name(s) also used as group names: {', '.join(clash[:5])}; the selection would be "
                             "ambiguous (rename the host; `invoke inventory.check` lists them)")
    matcher = PatternMatcher(inventory)
    criteria: dict[str, str] = {}
    patterns: list[str] = []
    for facet, raw in (("bureau", bureau), ("lot", lot), ("site", site), ("zone", zone),
                       ("class", device_class), ("subsystem", subsystem)):
        if not raw:
            continue
        criteria[facet] = raw
        patterns.append(":".join(facet_group(facet, v) for v in _resolve_values(inventory, facet, raw)))
    if host:
        criteria["host"] = host
        names = split_list(host)
        for name in names:
            if not any(c in name for c in "*?[~") and name not in inventory.hosts:
                raise SelectionError(f"unknown host '{name}'")
        patterns.append(",".join(names))
    if limit:
        criteria["limit"] = limit
        patterns.append(limit)
    chosen = set(inventory.hosts)
    for p in patterns:
        chosen &= set(matcher.hosts(p))
    if cadence:
        if cadence not in CADENCES:
            raise SelectionError(f"unknown cadence '{cadence}'; known: {', '.join(CADENCES)}")
        criteria["cadence"] = cadence
        chosen = {h for h in chosen if cadence in split_list(inventory.hosts[h].get("cadences"))}
    hosts = [h for name, h in inventory.hosts.items() if name in chosen]
    if not hosts and not allow_empty:
        raise SelectionError(f"selection matched no hosts ({' '.join(f'--{k}={v}' for k, v in criteria.items())})")
    return Selection(hosts=hosts, criteria=criteria, patterns=patterns)
