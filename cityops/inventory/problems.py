"""One inventory problem, one line: where (file:line), who (host or row), which field, what is wrong."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    file: str
    line: int
    subject: str  # "host NAME", "row N (NAME)", "group NAME" or "-"
    field: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.subject}: {self.field}: {self.message}"
