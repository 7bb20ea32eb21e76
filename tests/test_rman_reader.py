"""The RMAN reader on published RMAN output (tests/fixtures/published/SOURCES.md) and on what it must refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityops.parsers import ParseError
from cityops.parsers.rman import report

PUBLISHED = Path(__file__).resolve().parent / "fixtures" / "published"


def published(name: str) -> str:
    return (PUBLISHED / name).read_text(encoding="utf-8")


def test_a_level_0_backup_names_its_piece_and_not_the_autobackups():
    r = report(published("rman_backup_level0_level1_rdsdb19.txt"))
    assert r.ok and r.pieces == [("/backups/RMAN_HOT_BACKUP/RDSDB19_147", "TAG20220228T155153")]


def test_a_level_1_backup_in_the_flash_recovery_area():
    r = report(published("rman_backup_level1_orcl_2018.txt"))
    assert r.ok and len(r.pieces) == 1 and r.pieces[0][1] == "TAG20180627T182439"
    assert r.pieces[0][0].endswith("o1_mf_nnnd1_TAG20180627T182439_fm6sj1z3_.bkp")


def test_a_restore_validate_reads_its_piece_and_finishes():
    r = report(published("rman_restore_validate_2023.txt"), "restore")
    assert r.ok and r.read == ["/u01/app/oracle/backup/BACKUP_PROD_042dnp8k"]
    assert r.pieces == [("/u01/app/oracle/backup/BACKUP_PROD_042dnp8k", "BKP_FOR_DEV")]


def test_a_corrupt_piece_is_named_with_its_block():
    r = report(published("rman_restore_corrupt_piece_2016.txt"), "restore")
    assert not r.ok and r.corrupt == [("/media/bkp/INC0", 793607)]
    assert r.errors[0].startswith("ORA-19870: error while restoring backup piece /media/bkp/INC0")


def test_an_error_stack_is_kept_without_its_banners():
    text = ("RMAN-00571: ===========================================================\n"
            "RMAN-00569: =============== ERROR MESSAGE STACK FOLLOWS ===============\n"
            "RMAN-00571: ===========================================================\n"
            "RMAN-03009: failure of backup command on ORA_DISK_1 channel at 12/02/2026 02:00:05\n"
            "ORA-19502: write error on file \"/backup/x\", block number 12 (block size=8192)\n")
    r = report(text)
    assert not r.ok and [e[:9] for e in r.errors] == ["RMAN-0300", "ORA-19502"]


@pytest.mark.parametrize("text", ["", "bash: rman: command not found\n", "Recovery Manager complete.\n",
                                  "Starting backup at 02-DEC-26\nusing channel ORA_DISK_1\n"])
def test_output_that_is_neither_a_finish_nor_an_error_is_refused(text):
    with pytest.raises(ParseError):
        report(text)


def test_a_finished_backup_that_names_no_piece_is_refused():
    with pytest.raises(ParseError, match="without naming a piece"):
        report("Starting backup at 02-DEC-26\nFinished backup at 02-DEC-26\n")
