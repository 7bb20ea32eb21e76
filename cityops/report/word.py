"""Editable Word documents on A4 as the bureaus file them: 黑体 headings, 宋体 body, 仿宋 tables, a cover, a sign-off.

The East-Asian font is set explicitly on every style (Word otherwise falls back to a
Latin font for Chinese). Tables get a fixed layout with their column widths written
into the table grid as well as the cells: LibreOffice and WPS read the grid and
ignore cell widths, which left the 说明 column one character wide.
"""

from __future__ import annotations

import io
from pathlib import Path

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Mm, Pt

TEXT_WIDTH_MM = 170  # A4 less 20 mm margins each side


def _east_asian(style, font: str, size: float) -> None:
    style.font.name = font
    style.font.size = Pt(size)
    rpr = style.element.get_or_add_rPr()
    rfonts = rpr.find(qn("w:rFonts"))
    if rfonts is None:
        rfonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.append(rfonts)
    for attr in ("w:eastAsia", "w:ascii", "w:hAnsi"):
        rfonts.set(qn(attr), font)


class Word:
    def __init__(self):
        self.doc = doc = Document()
        section = doc.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = Mm(210), Mm(297)
        section.left_margin = section.right_margin = Mm(20)
        section.top_margin = section.bottom_margin = Mm(20)
        _east_asian(doc.styles["Normal"], "宋体", 10.5)
        for level, size in ((1, 15), (2, 13), (3, 11.5)):
            _east_asian(doc.styles[f"Heading {level}"], "黑体", size)
        _east_asian(doc.styles["Title"], "黑体", 22)
        _east_asian(doc.styles["Table Grid"], "仿宋", 9)
        self.figures = 0

    def heading(self, text: str, level: int = 1) -> None:
        self.doc.add_heading(text, level=level)

    def para(self, text: str = "", center: bool = False, bold: bool = False):
        p = self.doc.add_paragraph()
        if text:
            run = p.add_run(text)
            run.bold = bold
        if center:
            p.alignment = WD_ALIGN_PARAGRAPH.CENTER
        return p

    def page_break(self) -> None:
        self.doc.add_page_break()

    def table(self, headers: list[str], rows, widths: list[float] | None = None):
        """A grid table with a bold header row; widths in mm (default: shared equally over the text width)."""
        widths = widths or [TEXT_WIDTH_MM / len(headers)] * len(headers)
        scale = min(1.0, TEXT_WIDTH_MM / sum(widths))
        widths = [w * scale for w in widths]
        t = self.doc.add_table(rows=1, cols=len(headers))
        t.style = self.doc.styles["Table Grid"]
        t.autofit = False
        for col, width in zip(t._tbl.tblGrid.findall(qn("w:gridCol")), widths, strict=True):
            col.set(qn("w:w"), str(int(Mm(width).twips)))
        for cell, text in zip(t.rows[0].cells, headers, strict=True):
            cell.text = text
            for run in cell.paragraphs[0].runs:
                run.bold = True
        for row in rows:
            cells = t.add_row().cells
            for cell, text in zip(cells, row, strict=True):
                cell.text = "" if text is None else str(text)
        for row in t.rows:
            for cell, width in zip(row.cells, widths, strict=True):
                cell.width = Mm(width)
        return t

    def section(self, title: str, headers: list[str], rows: list, widths: list[float] | None, empty: str,
                level: int = 1) -> None:
        """A heading, then the table of its rows, or the sentence that says there are none."""
        self.heading(title, level)
        if rows:
            self.table(headers, rows, widths)
        else:
            self.para(empty)

    def picture(self, png: bytes, caption: str, width_mm: float = 165) -> None:
        self.figures += 1
        self.doc.add_picture(io.BytesIO(png), width=Mm(width_mm))
        self.doc.paragraphs[-1].alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.para(f"图{self.figures} {caption}", center=True)

    def cover(self, title: str, subtitle: str, facts: list[tuple[str, str]], note: str = "") -> None:
        for _ in range(5):
            self.para()
        heading = self.doc.add_paragraph(style="Title")  # "标项… 运维台账": the scope above, the document below
        scope, _, what = title.rpartition(" ")
        if scope:
            heading.add_run(scope).add_break()
        heading.add_run(what)
        heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
        self.para(subtitle, center=True)
        self.para()
        self.table(["项目", "内容"], facts, [40, 130])
        if note:
            self.para()
            self.para(note)
        self.page_break()

    def signoff(self, title: str, roles: list[str]) -> None:
        self.heading(title)
        sign = self.table(["角色", "签字", "日期"], [(role, "", "") for role in roles], [50, 80, 40])
        for row in sign.rows[1:]:
            row.height = Mm(15)

    def save(self, path: Path) -> None:
        self.doc.save(path)
