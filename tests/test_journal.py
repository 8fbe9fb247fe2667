"""The journal survives a torn last line: later records are kept, the fragment is ignored."""

from __future__ import annotations

from pathlib import Path

from omnirec_core.orchestration.journal import JOURNAL_NAME, Journal


def test_append_after_a_torn_line_keeps_the_new_record(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    journal.append("a", "fit", "started")
    with open(tmp_path / JOURNAL_NAME, "ab") as fh:
        fh.write(b'{"job": "a", "phase": "fit", "ev')  # a crash in the middle of an append
    journal.append("b", "fit", "done")
    journal.append("c", "predict", "done")
    assert [(r["job"], r["event"]) for r in Journal(tmp_path).read()] == [
        ("a", "started"),
        ("b", "done"),
        ("c", "done"),
    ]


def test_a_clean_journal_gets_no_blank_lines(tmp_path: Path) -> None:
    journal = Journal(tmp_path)
    for i in range(3):
        journal.append(str(i), "fit", "done")
    assert b"\n\n" not in (tmp_path / JOURNAL_NAME).read_bytes()
    assert len(Journal(tmp_path).read()) == 3
