"""Bad input, said in one line: the error every reader of outside data raises, and the exit status it ends in.

Everything cityops reads from outside — inventory YAML, a bureau's spreadsheet, a
waiver file, a manual form, a run's records, an evidence ZIP, a period or run id on
the command line — is untrusted. A reader that refuses it raises `BadInput` with the
place (file, line, row, member) and the cause; the command line prints that one line
and exits with `EXIT_BAD_INPUT`, which no other outcome uses:

    0 clean, 1 findings / problems found, 2 hosts that could not be inspected,
    3 the tool itself failed, 4 bad input (nothing was written), 5 a change refused (nothing changed; its
    record says why).
"""

from __future__ import annotations

EXIT_FINDINGS = 1
EXIT_UNINSPECTED = 2
EXIT_TOOL = 3
EXIT_BAD_INPUT = 4
EXIT_REFUSED = 5


class BadInput(ValueError):
    """Input cityops refuses; the message names the place and the cause, in one line."""

    def __init__(self, message: str):
        super().__init__(" ".join(str(message).split()) if "\n" not in str(message) else str(message))


def one_line(text: str, limit: int = 300) -> str:
    """Untrusted text shown inside a message: control characters and newlines folded, length bounded."""
    text = "".join(c if c.isprintable() else " " for c in str(text))
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"
