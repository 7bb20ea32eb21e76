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


@pytest.mark.parametrize("name, done, pages, files", [
    ("mssql_restore_full_log_demirtest.txt", "RESTORE LOG", 4, 4),
    ("mssql_restore_full_diff_log_renamed_2026.txt", "RESTORE LOG", 30, 5),
    ("mssql_restore_log_pagerestore_2026.txt", "RESTORE LOG", 3, 2),
    ("mssql_restore_log_multifile_ep1_2017.txt", "RESTORE LOG", 55554, 5),
])
def test_restores_of_full_differential_and_log_backups(name, done, pages, files):
    """What a drill reads when it restores each backup of a chain under the scratch name."""
    r = report(published(name))
    assert r.ok and r.done == done and r.pages == pages and len(r.files) == files


def test_a_restore_under_another_name_names_the_new_database_and_the_old_files():
    r = report(published("mssql_restore_full_diff_log_renamed_2026.txt"))
    assert {db for db, _f, _p in r.files} == {"testbackup_Restored"}
    assert {f for _db, f, _p in r.files} == {"testbackup", "testbackup_log"}
