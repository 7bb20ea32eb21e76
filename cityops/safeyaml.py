"""YAML from outside, loaded with bounds: size, alias expansion, recursion; dates kept as text.

A few lines of YAML anchors (`a: &a [x, x]`, `b: &b [*a, *a]` ...) describe a
document of billions of nodes: PyYAML builds it as shared references in a blink,
and then whatever walks it — validation, `inventory.show`, JSON output — spins for
minutes or prints gigabytes. So before anything is constructed, the composed node
graph is measured as it would be expanded (each node counted once per path that
reaches it, memoised, so the measure itself is linear) and refused past a bound,
as is a recursive alias and a file larger than the caller allows.

Every loader of outside YAML in cityops goes through here: the inventory (with
line numbers, `inventory/yamlfile.py`), waivers, manual forms, credentials files.
PyYAML's implicit timestamps are off: `2026-02-30` stays a string, so the reader
that expects a date names the field instead of crashing in the YAML library.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from .errors import BadInput

MAX_BYTES = 16 * 1024 * 1024  # a lot file is ~100 KB; the estate's largest YAML is far below this
MAX_NODES = 2_000_000  # nodes after expanding every alias (the whole estate inventory is ~60,000)

_Base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Refused(ValueError):
    def __init__(self, node: yaml.Node, cause: str):
        super().__init__(cause)
        self.line = node.start_mark.line + 1 if node.start_mark else 0


def _expanded_size(root: yaml.Node, limit: int) -> int:
    """Nodes the document has once every alias is expanded; raises _Refused past `limit` or on a cycle."""
    sizes: dict[int, int] = {}
    on_path: set[int] = set()
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        key = id(node)
        if done:
            on_path.discard(key)
            children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
            total = 1 + sum(sizes[id(c)] for c in children)
            if total > limit:
                raise _Refused(node, f"expands to more than {limit:,} nodes through aliases")
            sizes[key] = total
            continue
        if key in sizes:
            continue
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        if key in on_path:
            raise _Refused(node, "a recursive alias (a node that contains itself)")
        on_path.add(key)
        stack.append((node, True))
        children = [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else node.value
        for child in children:
            if id(child) in on_path:
                raise _Refused(node, "a recursive alias (a node that contains itself)")
            if id(child) not in sizes:
                stack.append((child, False))
    return sizes[id(root)]


class BoundedLoader(_Base):
    """SafeLoader (libyaml when available) that refuses oversized expansion and keeps dates as strings."""

    max_nodes = MAX_NODES

    def get_single_node(self):
        node = super().get_single_node()
        if node is not None:
            _expanded_size(node, self.max_nodes)
        return node


BoundedLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def load_text(text: str, source: str, loader=BoundedLoader, max_bytes: int = MAX_BYTES):
    """Parse one YAML document; BadInput names `source`, the line and the cause of anything refused."""
    size = len(text.encode("utf-8", "surrogatepass"))
    if size > max_bytes:
        raise BadInput(f"{source}: {size:,} bytes, more than the {max_bytes:,} a YAML file may have here")
    try:
        return yaml.load(text, Loader=loader)  # nosec B506  # BoundedLoader is a SafeLoader subclass
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        raise BadInput(f"{source}:{mark.line + 1 if mark else 0}: YAML does not parse: {exc.problem or exc}") from None
    except yaml.YAMLError as exc:
        raise BadInput(f"{source}: YAML does not parse: {exc}") from None
    except _Refused as exc:  # the expansion bound
        raise BadInput(f"{source}:{exc.line}: refused: {exc}") from None
    except RecursionError:
        raise BadInput(f"{source}: refused: nested too deeply") from None


def read_text(path: Path, max_bytes: int = MAX_BYTES) -> str:
    """A YAML file's text (UTF-8, BOM allowed); BadInput for a file too large or not UTF-8, naming the line."""
    path = Path(path)
    try:
        size = path.stat().st_size
        if size > max_bytes:
            raise BadInput(f"{path}: {size:,} bytes, more than the {max_bytes:,} a YAML file may have here")
        data = path.read_bytes()
    except OSError as exc:
        raise BadInput(f"{path}: cannot be read ({exc.strerror or exc})") from None
    return decode_utf8(data, str(path))


def decode_utf8(data: bytes, source: str) -> str:
    """UTF-8 text (BOM allowed); a byte that is not UTF-8 is named by its line and column, not its offset."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise BadInput(f"{source}:{line}: not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}); "
                       f"save the file as UTF-8") from None


def load_file(path: Path, max_bytes: int = MAX_BYTES):
    """Read and parse one YAML file within the bounds."""
    return load_text(read_text(path, max_bytes), str(path), max_bytes=max_bytes)
