"""Parsers: pure functions from a command's text to a record. No I/O, no device, no lab.

Each is tested against real published output of its command (tests/fixtures/published)
as well as the lab's. Where ntc-templates has a TextFSM template for the command,
`textfsm()` uses it. A parser that cannot find what it needs raises ParseError:
an answer cityops cannot read is an `error`, never a silent pass.
"""

from __future__ import annotations


class ParseError(ValueError):
    """The text is not what the command should have answered."""


def textfsm(platform: str, command: str, text: str) -> list[dict]:
    """ntc-templates' parse for (platform, command); ParseError if it yields nothing from non-empty text."""
    from ntc_templates.parse import parse_output

    try:
        rows = parse_output(platform=platform, command=command, data=text)
    except Exception as exc:
        raise ParseError(f"'{command}': {type(exc).__name__}: {exc}") from None
    return rows


def number(text: str) -> float:
    try:
        return float(text.rstrip("%"))
    except ValueError:
        raise ParseError(f"'{text}' is not a number") from None
