"""`slrweb extract` through its argparse registration."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pytest

from landmarks.cli import register
from landmarks.formats import read_landmarks
from tests.support.videos import iter_video_frames, write_video


def run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="slrweb")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


@pytest.fixture(scope="module")
def short_clip(pose_test_video: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("cli") / "short.mp4"
    return write_video(iter_video_frames(pose_test_video, limit=8), out)


def test_help_says_workers_share_segments_with_the_same_result(
        capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        run(["extract", "--help"])
    out = capsys.readouterr().out
    assert "Tracking restarts at every segment of the video" in out
    assert "the result is exactly what one process gives" in out


def test_extract_to_npz_then_convert_formats(
    short_clip: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "short.npz"
    assert run(["extract", str(short_clip), "-o", str(out), "--no-progress"]) == 0
    summary = json.loads(capsys.readouterr().out)
    assert summary["frames"] == 8 and summary["pose_detected_fraction"] == 1.0
    seq = read_landmarks(out)
    assert seq.points.shape == (8, 543, 3)
    assert seq.meta["source"]["width"] == 540


@pytest.mark.parametrize("suffix", [".pose", ".parquet"])
def test_other_output_formats(short_clip: Path, tmp_path: Path, suffix: str) -> None:
    out = tmp_path / f"short{suffix}"
    assert run(["extract", str(short_clip), "-o", str(out), "--no-progress"]) == 0
    seq = read_landmarks(out)
    assert len(seq) == 8 and seq.presence[:, 0].all()
    assert np.isfinite(seq.points[:, :33]).all()


def test_bad_video_and_bad_suffix(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = tmp_path / "notes.mp4"
    text.write_text("just text\n")
    assert run(["extract", str(text), "-o", str(tmp_path / "x.npz"), "--no-progress"]) == 1
    assert "not a video" in capsys.readouterr().err
    assert run(["extract", str(text), "-o", str(tmp_path / "x.csv")]) == 2
