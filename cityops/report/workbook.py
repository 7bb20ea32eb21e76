"""XLSX written as a stream (xlsxwriter, constant memory): a month of results is 100,000 rows and must not be held.

Each sheet streams its own rows, so a report can write its per-result sheet during
the one pass over the runs and its summary sheets after it, in whatever order the
tabs are meant to appear. Strings are never turned into formulas, URLs or numbers:
a device's message that starts with '=' stays text, with the OWASP apostrophe (cityops/cells.py).
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from ..cells import neutral_row, neutralise


class Sheet:
    def __init__(self, book: Book, name: str, headers: list[str] | None, widths: list[float] | None,
                 freeze: tuple[int, int] | None = None):
        self.ws = book.wb.add_worksheet(name)
        self.book = book
        self.next_row = 0
        self.columns = len(headers or [])
        self.filtered = headers is not None
        for i, width in enumerate(widths or []):
            self.ws.set_column(i, i, width)
        if headers:
            self.ws.write_row(0, 0, neutral_row(headers), book.bold)
            self.next_row = 1
        if freeze:
            self.ws.freeze_panes(*freeze)

    def row(self, values, bold: bool = False) -> None:
        write_string, write_number, fmt = self.ws.write_string, self.ws.write_number, self.book.bold if bold else None
        r = self.next_row
        for c, v in enumerate(values):
            if v is None or v == "":
                continue
            if isinstance(v, bool):
                write_string(r, c, "是" if v else "否", fmt)
            elif isinstance(v, (int, float)):
                write_number(r, c, v, fmt)
            else:
                write_string(r, c, neutralise(str(v)[:32000]), fmt)  # Excel's cell limit is 32,767 characters
        self.next_row = r + 1
        self.columns = max(self.columns, len(values))

    def blank(self) -> None:
        self.next_row += 1

    def close(self) -> None:
        if self.filtered and self.columns and self.next_row > 1:
            self.ws.autofilter(0, 0, self.next_row - 1, self.columns - 1)


class Book:
    """A workbook whose sheets are created in tab order and filled in any order, each row by row."""

    def __init__(self, path: Path):
        self.path = path
        self.wb = xlsxwriter.Workbook(str(path), {"constant_memory": True, "strings_to_numbers": False,
                                                  "strings_to_formulas": False, "strings_to_urls": False})
        self.bold = self.wb.add_format({"bold": True, "bg_color": "#DDDDDD", "border": 1})
        self.sheets: list[Sheet] = []

    def sheet(self, name: str, headers: list[str] | None = None, widths: list[float] | None = None,
              freeze: tuple[int, int] | None = None) -> Sheet:
        s = Sheet(self, name, headers, widths, freeze)
        self.sheets.append(s)
        return s

    def close(self) -> None:
        for s in self.sheets:
            s.close()
        self.wb.close()
