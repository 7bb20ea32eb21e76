"""YAML as the inventory reads it: safe, with line numbers, and without implicit dates.

PyYAML's SafeLoader turns `2023-02-30` into a crash and `2026-12-31` into a date
object; the inventory wants both kept as text so that validation can say which
host has the impossible date. Mappings remember the line of each key so messages
can point at `file:line`.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from ..errors import BadInput
from ..safeyaml import BoundedLoader, load_text, read_text


class LineDict(dict):
    """A dict that remembers the (1-based) line of each key in its source file."""

    __slots__ = ("duplicates", "key_lines", "line")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.key_lines: dict = {}
        self.line: int = 0
        self.duplicates: list[tuple[object, int, int]] = []  # (key, first line, repeated line)


class _Loader(BoundedLoader):
    """libyaml's parser when available, dates kept as text, alias expansion bounded (cityops/safeyaml.py)."""


def _construct_mapping(loader: _Loader, node: yaml.MappingNode) -> LineDict:
    loader.flatten_mapping(node)
    result = LineDict()
    result.line = node.start_mark.line + 1
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark, "found an unhashable key", key_node.start_mark
            ) from None
        if key in result:  # YAML keeps the last silently; the inventory reports it
            result.duplicates.append((key, result.key_lines[key], key_node.start_mark.line + 1))
        result[key] = loader.construct_object(value_node, deep=True)
        result.key_lines[key] = key_node.start_mark.line + 1
    return result


_Loader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


class YamlError(BadInput):
    """A YAML file that does not parse; carries the file and line."""

    def __init__(self, path: Path, line: int, message: str):
        super().__init__(f"{path}:{line}: {message}")
        self.path = path
        self.line = line
        self.message = message


def load_yaml(path: Path):
    """Load one YAML document within the bounds; raise YamlError with file, line and cause if it is refused."""
    try:
        return load_text(read_text(path), str(path), loader=_Loader)
    except BadInput as exc:
        text = str(exc).removeprefix(f"{path}:")
        head, sep, rest = text.partition(":")
        if sep and head.isdigit():
            raise YamlError(path, int(head), rest.strip()) from None
        raise YamlError(path, 0, text.strip()) from None


def line_of(mapping, key) -> int:
    """The line of `key` in `mapping` if known, else the mapping's own line, else 0."""
    if isinstance(mapping, LineDict):
        return mapping.key_lines.get(key, mapping.line)
    return 0


def duplicate_keys(data, path: tuple = ()):
    """Yield (key path, key, first line, repeated line) for every key repeated in a mapping."""
    if isinstance(data, LineDict):
        for key, first, again in data.duplicates:
            yield path, key, first, again
        for key, value in data.items():
            yield from duplicate_keys(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from duplicate_keys(value, (*path, i))
