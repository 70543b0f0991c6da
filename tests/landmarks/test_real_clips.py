"""Extraction on the other real recordings: an HD msl150 clip and an assembled SILFA word."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landmarks.decode import probe_video
from landmarks.extract import extract_landmarks
from tests.support.videos import make_silfa_video, make_y4m, silfa_frame_paths


@pytest.mark.slow
def test_msl150_clip_with_pixelated_face(shared_data: Path) -> None:
    clip = shared_data / "video" / "msl150" / "yo_001.mp4"
    info = probe_video(clip)
    assert (info.width, info.height, info.codec) == (1280, 720, "hevc")
    seq = extract_landmarks(clip)
    assert len(seq) == info.frame_count == 55
    assert seq.presence[:, 0].mean() >= 0.9  # the body is there; the face may not be
    assert (seq.presence[:, 2] | seq.presence[:, 3]).sum() >= 10


@pytest.mark.slow
def test_assembled_silfa_word_has_hands_on_most_frames(shared_data: Path, tmp_path: Path) -> None:
    clip = make_silfa_video(shared_data, "CAB", tmp_path / "cab.mp4", frames_per_letter=15)
    info = probe_video(clip)
    assert (info.frame_count, info.width, info.height) == (45, 852, 480)
    seq = extract_landmarks(clip)
    hands = seq.presence[:, 2] | seq.presence[:, 3]
    assert hands.mean() >= 0.9
    assert seq.presence[:, 3].sum() > seq.presence[:, 2].sum()  # SILFA's signer is right-handed
    assert np.allclose(np.diff(seq.timestamps), 1 / 30, atol=1e-3)


def test_a_built_clip_is_the_same_bytes_every_time(shared_data: Path, tmp_path: Path) -> None:
    # The real-MediaPipe tests above read clips built in each run: the same frames must give the
    # same pixels, or their landmarks change from run to run (libx264's default did not).
    first = make_silfa_video(shared_data, "CAB", tmp_path / "1.mp4", frames_per_letter=15)
    second = make_silfa_video(shared_data, "CAB", tmp_path / "2.mp4", frames_per_letter=15)
    assert first.read_bytes() == second.read_bytes()


def test_y4m_for_the_fake_camera(shared_data: Path, tmp_path: Path) -> None:
    path = make_y4m(shared_data, "AB", tmp_path / "ab.y4m", frames_per_letter=3)
    data = path.read_bytes()
    header, _, rest = data.partition(b"\n")
    assert header == b"YUV4MPEG2 W640 H360 F30:1 Ip A1:1 C420"
    frame_bytes = 640 * 360 * 3 // 2
    assert len(rest) == 6 * (len(b"FRAME\n") + frame_bytes)
    assert rest.count(b"FRAME\n") >= 6
    info = probe_video(path)  # FFmpeg reads it back as a 6-frame 640x360 video
    assert (info.frame_count, info.width, info.height) == (6, 640, 360)


def test_frame_paths_spell_in_order(shared_data: Path) -> None:
    paths = silfa_frame_paths(shared_data, "ba", frames_per_letter=2)
    assert [p.parent.name for p in paths] == ["B", "B", "A", "A"]
    numbers = [int(p.stem.split("_")[1]) for p in paths]
    assert numbers[1] == numbers[0] + 1 and numbers[2:] == [0, 1]  # B's frames start at 0016
    with pytest.raises(FileNotFoundError):
        silfa_frame_paths(shared_data, "a1")
