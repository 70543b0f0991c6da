"""`slrweb translate`: what cannot work is said before MediaPipe reads the video, and a file
that is not a video gets a clear message, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from slrweb.cli import main

REPO = Path(__file__).resolve().parents[3]


def test_a_gloss_reader_alone_is_refused_before_the_video_is_read(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "never-read.mp4"  # would fail loudly if extraction started
    assert main(["translate", str(missing), "--model", str(REPO / "models" / "phoenix-gloss2text"),
                 "--json"]) == 2
    err = capsys.readouterr().err
    assert "cannot translate a video" in err and "glosses" in err


def test_a_file_that_is_not_a_video_is_a_clear_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("not a video")
    model = REPO / "models" / "fingerspelling-ase-text"
    assert main(["translate", str(text), "--model", str(model), "--json"]) == 1
    err = capsys.readouterr().err
    assert "notes.mp4" in err and "Traceback" not in err
