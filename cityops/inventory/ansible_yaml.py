"""Ansible's YAML inventory semantics, read without running ansible.

Reads an inventory directory the way ansible-core 2.19 does: files in sorted
order (recursing into sub-directories, skipping hidden files, group_vars/,
host_vars/ and ignored extensions), groups with `hosts`, `children` and `vars`,
host ranges (`sw[01:53]`), `group_vars/` and `host_vars/` files, and ansible's
variable precedence. A test compares the result with `ansible-inventory --list`.

Files whose top-level mapping has a `plugin:` key are inventory-plugin configs,
not host lists; they are returned for the caller (the bulk CSV sources use one).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .problems import Problem
from .yamlfile import LineDict, YamlError, duplicate_keys, line_of, load_yaml

YAML_EXTENSIONS = (".yml", ".yaml", ".json")
# ansible's IGNORED_ALWAYS plus its default ignored extensions, plus the bulk CSVs and
# their folder (ansible.cfg adds .csv and ^bulk$ to its ignore lists for the same reason).
IGNORED = re.compile(
    r"^\.|^host_vars$|^group_vars$|^vars_plugins$|^bulk$"
    r"|(\.pyc|\.pyo|\.swp|\.bak|~|\.rpm|\.md|\.txt|\.rst|\.orig|\.cfg|\.retry|\.csv)$"
)
SPECIAL_GROUPS = ("all", "ungrouped")


@dataclass
class GroupDef:
    name: str
    vars: dict = field(default_factory=dict)
    children: list[str] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    parents: list[str] = field(default_factory=list)
    file: str = ""
    line: int = 0
    depth: int = 0
    priority: int = 1
    host_set: set = field(default_factory=set, repr=False)  # mirrors `hosts` for O(1) membership


@dataclass
class HostDef:
    name: str
    vars: dict = field(default_factory=dict)
    file: str = ""
    line: int = 0
    defined_at: list[tuple[str, int]] = field(default_factory=list)  # places that give it vars
    var_lines: dict = field(default_factory=dict)  # variable name -> line in `file`


@dataclass
class PluginConfig:
    path: Path
    data: dict


@dataclass
class AnsibleYamlInventory:
    """What the YAML files of an inventory directory say, before cityops interprets it."""

    root: Path
    groups: dict[str, GroupDef] = field(default_factory=dict)
    hosts: dict[str, HostDef] = field(default_factory=dict)
    plugin_configs: list[PluginConfig] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    group_var_files: dict[str, dict] = field(default_factory=dict)
    host_var_files: dict[str, dict] = field(default_factory=dict)

    def rel(self, path: Path) -> str:
        try:
            return str(path.relative_to(self.root.parent))
        except ValueError:
            return str(path)

    # -- structure ---------------------------------------------------------
    def group(self, name: str, file: str = "", line: int = 0) -> GroupDef:
        g = self.groups.get(name)
        if g is None:
            g = self.groups[name] = GroupDef(name=name, file=file, line=line)
        return g

    def add_child(self, parent: str, child: str) -> None:
        p, c = self.group(parent), self.group(child)
        if child not in p.children:
            p.children.append(child)
        if parent not in c.parents:
            c.parents.append(parent)

    def add_host_to_group(self, group: str, host: str) -> None:
        g = self.group(group)
        if host not in g.host_set:
            g.host_set.add(host)
            g.hosts.append(host)

    def reconcile(self) -> None:
        """Mirror ansible's reconcile_inventory: every group under `all`, lone hosts in `ungrouped`."""
        self.group("all")
        ungrouped = self.group("ungrouped")
        for name, g in list(self.groups.items()):
            if name != "all" and not g.parents:
                self.add_child("all", name)
        grouped = {h for name, g in self.groups.items() if name not in SPECIAL_GROUPS for h in g.hosts}
        ungrouped.hosts = [h for h in ungrouped.hosts if h not in grouped]
        ungrouped.host_set = set(ungrouped.hosts)
        for host in self.hosts:
            if host not in grouped:
                self.add_host_to_group("ungrouped", host)
        self._compute_depths()

    def _compute_depths(self) -> None:
        for g in self.groups.values():
            g.depth = 0
        order = ["all"]
        while order:
            g = self.groups[order.pop(0)]
            for child in g.children:
                c = self.groups[child]
                if c.depth < g.depth + 1:
                    c.depth = g.depth + 1
                    order.append(child)

    def ancestors(self, group: str) -> set[str]:
        out: set[str] = set()
        todo = list(self.groups[group].parents)
        while todo:
            name = todo.pop()
            if name not in out:
                out.add(name)
                todo.extend(self.groups[name].parents)
        return out

    def host_groups(self, host: str) -> set[str]:
        """Every group the host belongs to, directly or through a child group (incl. 'all')."""
        direct = {name for name, g in self.groups.items() if host in g.host_set}
        out = set(direct)
        for name in direct:
            out |= self.ancestors(name)
        out.add("all")
        return out

    # -- variables ---------------------------------------------------------
    def host_vars(self, host: str, groups: set[str] | None = None) -> dict:
        """The host's variables with ansible's default precedence (hash_behaviour=replace)."""
        groups = self.host_groups(host) if groups is None else groups
        ordered = sorted(
            (self.groups[g] for g in groups if g != "all"), key=lambda g: (g.depth, g.priority, g.name)
        )
        merged: dict = {}
        merged.update(self.groups["all"].vars if "all" in self.groups else {})
        for g in ordered:
            merged.update(g.vars)
        merged.update(self.group_var_files.get("all", {}))
        for g in ordered:
            merged.update(self.group_var_files.get(g.name, {}))
        h = self.hosts.get(host)
        if h is not None:
            merged.update(h.vars)
        merged.update(self.host_var_files.get(host, {}))
        return merged


def expand_host_pattern(pattern: str) -> list[str]:
    """Expand `sw[01:53]`-style ranges exactly as ansible does (using ansible's own helper)."""
    if "[" not in pattern:
        return [pattern]
    from ansible.plugins.inventory import detect_range, expand_hostname_range

    if detect_range(pattern):
        return list(expand_hostname_range(pattern))
    return [pattern]


class _Reader:
    def __init__(self, inv: AnsibleYamlInventory):
        self.inv = inv

    def problem(self, path: Path, line: int, subject: str, fieldname: str, message: str) -> None:
        self.inv.problems.append(Problem(self.inv.rel(path), line, subject, fieldname, message))

    def read_dir(self, directory: Path) -> None:
        for entry in sorted(directory.iterdir(), key=lambda p: p.name.encode()):
            if IGNORED.search(entry.name):
                continue
            if entry.is_dir():
                self.read_dir(entry)
            elif entry.suffix in YAML_EXTENSIONS:
                self.read_file(entry)
            elif entry.suffix == "":
                # ansible would try ini/script plugins on these; cityops keeps none.
                self.problem(entry, 0, "-", "-", "file without extension in inventory/ (not YAML); rename or remove it")

    def load_mapping(self, path: Path, subject: str, what: str) -> dict | None:
        """A YAML file's top-level mapping, or None (empty file, or a problem recorded)."""
        try:
            data = load_yaml(path)
        except YamlError as exc:
            self.problem(path, exc.line, subject, "-", exc.message)
            return None
        if data is not None and not isinstance(data, dict):
            self.problem(path, 1, subject, "-", f"{what} must be a mapping, found {type(data).__name__}")
            return None
        return data

    def read_file(self, path: Path) -> None:
        data = self.load_mapping(path, "-", "an inventory file (groups at top level)")
        if not data:
            return
        for keypath, key, first, again in duplicate_keys(data):
            if keypath and keypath[-1] == "hosts":
                self.problem(path, again, f"host {key}", "hostname", f"duplicate hostname, already at line {first}")
            else:
                where = ".".join(str(k) for k in keypath) or "top level"
                self.problem(path, again, f"group {keypath[0]}" if keypath else "-", str(key),
                             f"duplicate key in {where}, already at line {first}; YAML would keep only the last")
        if "plugin" in data:
            self.inv.plugin_configs.append(PluginConfig(path=path, data=data))
            return
        for group_name, group_data in data.items():
            self.parse_group(path, str(group_name), group_data, line_of(data, group_name))

    def parse_group(self, path: Path, name: str, data, line: int) -> str:
        rel = self.inv.rel(path)
        if not isinstance(data, dict | type(None)):
            self.problem(path, line, f"group {name}", "-", "a group must be a mapping with hosts/children/vars")
            return name
        group = self.inv.group(name, rel, line)
        if data is None:
            return name
        for key, value in data.items():
            kline = line_of(data, key)
            if key not in ("hosts", "children", "vars"):
                self.problem(path, kline, f"group {name}", key, "unexpected key; only hosts, children and vars are valid")
                continue
            if isinstance(value, str):
                value = {value: None}
            if value is None:
                continue
            if not isinstance(value, dict):
                self.problem(path, kline, f"group {name}", key, f"must be a mapping, found {type(value).__name__}")
                continue
            if key == "vars":
                group.vars.update(value)
                if "ansible_group_priority" in value:
                    try:
                        group.priority = int(value["ansible_group_priority"])
                    except (TypeError, ValueError):
                        self.problem(path, kline, f"group {name}", "ansible_group_priority", "must be an integer")
            elif key == "children":
                for child, child_data in value.items():
                    self.parse_group(path, str(child), child_data, line_of(value, child))
                    self.inv.add_child(name, str(child))
            else:
                for pattern, host_data in value.items():
                    hline = line_of(value, pattern)
                    pattern = str(pattern)
                    if ":" in pattern and "[" not in pattern:
                        self.problem(path, hline, f"host {pattern}", "-", "host:port names are not used here; set ansible_port")
                    if host_data is not None and not isinstance(host_data, dict):
                        self.problem(path, hline, f"host {pattern}", "-", "host variables must be a mapping")
                        host_data = None
                    for hostname in expand_host_pattern(pattern):
                        host = self.inv.hosts.get(hostname)
                        if host is None:
                            host = self.inv.hosts[hostname] = HostDef(name=hostname, file=rel, line=hline)
                        if host_data:
                            host.vars.update(host_data)
                            host.defined_at.append((rel, hline))
                            if isinstance(host_data, LineDict):
                                host.var_lines.update(host_data.key_lines)
                            host.file, host.line = host.defined_at[0]
                        self.inv.add_host_to_group(name, hostname)
        return name


def _read_vars_dir(reader: _Reader, base: Path, target: dict[str, dict]) -> None:
    """group_vars/ or host_vars/: NAME, NAME.yml/.yaml/.json or a NAME/ directory of such files."""
    if not base.is_dir():
        return
    for entry in sorted(base.iterdir(), key=lambda p: p.name):
        if entry.name.startswith(".") or entry.name.endswith("~"):
            continue
        if entry.is_dir():
            name = entry.name
            files = sorted(p for p in entry.rglob("*") if p.is_file() and p.suffix in ("", *YAML_EXTENSIONS))
        elif entry.suffix in ("", *YAML_EXTENSIONS):
            name = entry.stem if entry.suffix else entry.name
            files = [entry]
        else:
            continue
        merged = target.setdefault(name, {})
        for path in files:
            merged.update(reader.load_mapping(path, name, "a vars file") or {})


def read_inventory_dir(root: Path) -> AnsibleYamlInventory:
    """Read every YAML file of an inventory directory, with group_vars/ and host_vars/."""
    root = Path(root)
    inv = AnsibleYamlInventory(root=root)
    inv.group("all")
    inv.group("ungrouped")
    reader = _Reader(inv)
    if not root.is_dir():
        inv.problems.append(Problem(str(root), 0, "-", "-", "inventory directory does not exist"))
        return inv
    reader.read_dir(root)
    _read_vars_dir(reader, root / "group_vars", inv.group_var_files)
    _read_vars_dir(reader, root / "host_vars", inv.host_var_files)
    return inv
