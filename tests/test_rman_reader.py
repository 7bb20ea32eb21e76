"""The RMAN reader on published RMAN output (tests/fixtures/published/SOURCES.md) and on what it must refuse."""

from __future__ import annotations

from pathlib import Path

import pytest

from cityops.parsers import ParseError
from cityops.parsers.rman import recovery, report

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


@pytest.mark.parametrize("name, handle", [
    ("rman_backup_controlfile_set_ocplhr1_2019.txt", "o1_mf_ncsnf_TAG20190729T151210_gmx75chn_.bkp"),
    ("rman_backup_controlfile_set_windows_2021.txt", "O1_MF_NCSNF_TAG20211109T001314_JRN4DO5K_.BKP"),
    ("rman_backup_controlfile_set_booboo_2019.txt", "BOOBOO_3420951115_17_1_20191207.bkp"),
])
def test_the_control_file_set_a_backup_of_data_file_1_adds_is_told_apart(name, handle):
    """A drill restores the control file from it; the data file piece beside it under the same tag is not one."""
    r = report(published(name))
    assert r.ok and len(r.pieces) == 2 and r.pieces[0][1] == r.pieces[1][1]
    assert len(r.control_pieces) == 1 and r.control_pieces[0].endswith(handle)
    assert r.pieces[1][0] == r.control_pieces[0]


def test_a_whole_restore_elsewhere_from_control_file_to_open_resetlogs():
    r = recovery(published("rman_restore_recover_orcl_2013.txt"))
    assert r.ok and r.control_restored and r.mounted and r.restored and r.recovered and r.opened
    assert r.logs == list(range(100, 109)) and len(r.catalogued) == 2 and r.missing_log is None


def test_a_restore_that_has_only_catalogued_its_pieces_is_not_a_recovery():
    r = recovery(published("rman_restore_controlfile_catalog_nmdcfarm_2022.txt"))
    assert r.control_restored and len(r.catalogued) == 4 and all("NMDCFARM" in f for f in r.catalogued)
    assert not r.ok and not r.recovered and not r.opened


def test_media_recovery_through_archived_logs_on_12c():
    r = recovery(published("rman_recover_duplicate_cdbora_2014.txt"))
    assert r.recovered and r.logs == list(range(20, 28)) and not r.opened and not r.ok


@pytest.mark.parametrize("name, sequence, scn", [
    ("rman_recover_unknown_log_demo_2020.txt", 528778, 12341005809871),
    ("rman_recover_unknown_log_rac_2023.txt", 69, 1515889),
    ("rman_recover_unknown_log_2018.txt", 15, 72611696),
])
def test_a_recovery_that_needs_a_log_no_backup_holds_names_it(name, sequence, scn):
    r = recovery(published(name))
    assert not r.ok and not r.recovered and r.missing_log == (sequence, scn)
    assert any(e.startswith("RMAN-06054") for e in r.errors)


def test_output_with_no_step_of_a_restore_is_refused():
    with pytest.raises(ParseError):
        recovery("Recovery Manager: Release 11.2.0.4.0 - Production\n\nconnected to target database (not started)\n")
