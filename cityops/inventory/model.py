"""The inventory as every cityops task sees it: hosts, groups, vocabulary, problems.

`load_inventory()` is the one loader. It reads the YAML files with ansible's
semantics, adds the bulk CSV hosts, puts every host into the groups its own
fields name (bureau_gxj, lot_6_10, core_switches, ...), and computes each
host's variables with ansible's precedence. The ansible inventory plugin in
plugins/inventory/ calls this same function, so ansible and cityops agree.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path

from .ansible_yaml import AnsibleYamlInventory, HostDef, read_inventory_dir
from .bulk import PLUGIN_NAME, BulkSource, read_bulk_sources
from .problems import Problem
from .schema import split_list
from .vocabulary import FACETS, IDENT, Vocabulary, facet_group, vocabulary_from_groups

DEFAULT_ROOT = Path(__file__).resolve().parents[2] / "inventory"


@dataclass
class Host:
    name: str
    vars: dict
    origin: str  # "yaml" or "csv"
    file: str
    line: int
    groups: list[str] = field(default_factory=list)  # direct groups, YAML ones first
    facet_groups: list[str] = field(default_factory=list)
    var_lines: dict = field(default_factory=dict)
    own_vars: dict = field(default_factory=dict)  # variables the host itself sets (YAML entry or CSV row)

    def get(self, key: str, default=None):
        return self.vars.get(key, default)

    @property
    def address(self) -> str | None:
        return self.vars.get("ansible_host")

    @property
    def lots(self) -> list[str]:
        return split_list(self.vars.get("lots"))

    @property
    def where(self) -> str:
        return f"{self.file}:{self.line}" if self.line else self.file

    @property
    def subject(self) -> str:
        return f"host {self.name}" if self.origin == "yaml" else f"row {self.line} ({self.name})"

    def line_of(self, key: str) -> int:
        return self.var_lines.get(key, self.line)


@dataclass
class Group:
    name: str
    vars: dict
    children: list[str]
    hosts: list[str]
    parents: list[str]
    depth: int


@dataclass
class Inventory:
    root: Path
    hosts: dict[str, Host]
    groups: dict[str, Group]
    vocabulary: Vocabulary
    problems: list[Problem]
    bulk_sources: list[BulkSource]
    files: list[Path]

    def hosts_of(self, group: str) -> list[str]:
        """Hosts of a group and its descendants, in ansible's order (the group's own first)."""
        g = self.groups.get(group)
        if g is None:
            return []
        ordered = [group]
        seen = {group}
        frontier = [group]
        while frontier:
            nxt = []
            for name in frontier:
                for child in self.groups[name].children:
                    if child not in seen:
                        seen.add(child)
                        ordered.append(child)
                        nxt.append(child)
            frontier = nxt
        out: list[str] = []
        taken: set[str] = set()
        for name in ordered:
            for h in self.groups[name].hosts:
                if h not in taken:
                    taken.add(h)
                    out.append(h)
        return out

    def digest(self) -> str:
        """sha256 over every inventory file: names the exact inventory a run used."""
        h = hashlib.sha256()
        for path in sorted(self.files):
            h.update(str(path.relative_to(self.root)).encode())
            h.update(b"\0")
            h.update(path.read_bytes())
        return h.hexdigest()


def facet_groups_of(hvars: dict) -> list[str]:
    """The groups a host's own fields put it in. Values that are not identifiers make none."""
    out: list[str] = []
    for facet, (fieldname, _prefix, _var) in FACETS.items():
        value = hvars.get(fieldname)
        values = split_list(value) if fieldname == "lots" else ([value] if value not in (None, "") else [])
        for v in values:
            v = str(v)
            if IDENT.match(v):
                group = facet_group(facet, v)
                if group not in out:
                    out.append(group)
    return out


def _add_bulk_hosts(y: AnsibleYamlInventory, sources: list[BulkSource], problems: list[Problem]) -> dict[str, str]:
    origin: dict[str, str] = {}
    for src in sources:
        for row in src.rows:
            if row.name in y.hosts:
                first = y.hosts[row.name]
                problems.append(
                    Problem(row.file, row.line, f"row {row.line} ({row.name})", "hostname",
                            f"duplicate hostname, already defined at {first.file}:{first.line}")
                )
                continue
            y.hosts[row.name] = HostDef(name=row.name, vars=row.vars, file=row.file, line=row.line,
                                         defined_at=[(row.file, row.line)])
            origin[row.name] = "csv"
    return origin


def load_inventory(root: Path | str | None = None) -> Inventory:
    """Load the whole estate: YAML hosts and groups, bulk CSV hosts, facet groups, variables."""
    root = Path(root) if root is not None else DEFAULT_ROOT
    y = read_inventory_dir(root)
    problems = list(y.problems)
    for h in y.hosts.values():
        if len(h.defined_at) > 1:
            places = ", ".join(f"{f}:{n}" for f, n in h.defined_at[1:])
            problems.append(Problem(h.file, h.line, f"host {h.name}", "hostname",
                                    f"duplicate hostname, defined again at {places}"))
    bulk_sources: list[BulkSource] = []
    for cfg in y.plugin_configs:
        if cfg.data.get("plugin") != PLUGIN_NAME:
            problems.append(Problem(y.rel(cfg.path), 1, "-", "plugin",
                                    f"unknown inventory plugin '{cfg.data.get('plugin')}' (cityops knows {PLUGIN_NAME})"))
            continue
        bulk_sources.extend(read_bulk_sources(cfg.path, cfg.data, root.parent, problems))
    csv_origin = _add_bulk_hosts(y, bulk_sources, problems)

    # Membership index: host -> direct groups from the YAML structure.
    direct: dict[str, list[str]] = {name: [] for name in y.hosts}
    for gname, g in y.groups.items():
        for h in g.hosts:
            direct.setdefault(h, []).append(gname)

    # First pass: each host's fields (from YAML structure alone) name its facet groups.
    y.reconcile()
    facet_of: dict[str, list[str]] = {}
    for name in y.hosts:
        hv = y.host_vars(name, _with_ancestors(y, direct.get(name, [])))
        facet_of[name] = facet_groups_of(hv)
        for g in facet_of[name]:
            y.add_host_to_group(g, name)
    y.reconcile()  # hosts that gained a facet group leave `ungrouped`, as in ansible

    membership: dict[str, list[str]] = {name: [] for name in y.hosts}
    for gname, g in y.groups.items():
        for h in g.hosts:
            membership[h].append(gname)
    hosts: dict[str, Host] = {}
    for name, hdef in y.hosts.items():
        hv = y.host_vars(name, _with_ancestors(y, membership[name]))
        hosts[name] = Host(
            name=name, vars=hv, origin=csv_origin.get(name, "yaml"), file=hdef.file, line=hdef.line,
            groups=[g for g in membership[name] if g != "all"], facet_groups=facet_of[name],
            var_lines=dict(hdef.var_lines), own_vars=dict(hdef.vars),
        )
    groups = {
        name: Group(name=name, vars={**g.vars, **y.group_var_files.get(name, {})}, children=list(g.children),
                    hosts=list(g.hosts), parents=list(g.parents), depth=g.depth)
        for name, g in y.groups.items()
    }
    files = [p for p in root.rglob("*") if p.is_file() and not any(part.startswith(".") for part in p.parts)]
    return Inventory(root=root, hosts=hosts, groups=groups, vocabulary=vocabulary_from_groups(groups),
                     problems=problems, bulk_sources=bulk_sources, files=files)


def _with_ancestors(y: AnsibleYamlInventory, groups: list[str]) -> set[str]:
    out = set(groups)
    for g in groups:
        out |= y.ancestors(g)
    out.add("all")
    return out

