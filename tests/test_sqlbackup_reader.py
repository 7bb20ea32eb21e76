"""The sqlcmd BACKUP / RESTORE VERIFYONLY reader on published output (tests/fixtures/published/SOURCES.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityops.parsers import ParseError
from cityops.parsers.sqlbackup import report

PUBLISHED = Path(__file__).resolve().parent / "fixtures" / "published"


def published(name: str) -> str:
    return (PUBLISHED / name).read_text(encoding="utf-8")


def test_a_full_backup_with_progress_lines():
    r = report(published("mssql_backup_sqlcmd_linux_docs.txt"))
    assert r.ok and r.done == "BACKUP DATABASE" and r.pages == 298
    assert r.files == [("demodb", "demodb", 296), ("demodb", "demodb_log", 2)]


def test_a_backup_to_a_unc_share_with_ssms_completion_line():
    r = report(published("mssql_backup_unc_2026.txt"))
    assert r.ok and r.pages == 151138 and len(r.files) == 2


def test_the_device_error_and_its_terminating_message():
    r = report(published("mssql_backup_error_3201.txt"))
    assert not r.ok and r.errors[0].startswith("Msg 3201: Cannot open backup device")
    assert r.errors[1] == "Msg 3013: BACKUP DATABASE is terminating abnormally."


def test_verifyonly_says_the_set_is_valid():
    r = report(published("mssql_restore_verifyonly_wwi.txt"))
    assert r.ok and r.valid and not r.done


def test_differential_and_log_success_lines():
    assert report("BACKUP DATABASE WITH DIFFERENTIAL successfully processed 40 pages in 0.029 seconds "
                  "(10.637 MB/sec).\n").done == "BACKUP DATABASE WITH DIFFERENTIAL"
    assert report("Processed 3 pages for database 'X', file 'X_log' on file 1.\nBACKUP LOG successfully processed 3 "
                  "pages in 0.010 seconds (2.343 MB/sec).\n").done == "BACKUP LOG"


@pytest.mark.parametrize("text", ["", "Sqlcmd: Error: Microsoft ODBC Driver 17 for SQL Server : Login timeout expired.",
                                  "bash: sqlcmd: command not found", "10 percent processed.\n"])
def test_what_is_neither_success_nor_an_error_is_refused(text):
    with pytest.raises(ParseError):
        report(text)
