"""probe_video / iter_frames on real clips and on the inputs browsers, phones and users send."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from landmarks.decode import InvalidVideoError, VideoInfo, iter_frames, probe_video
from tests.support.videos import (
    iter_video_frames,
    make_silfa_video,
    set_mp4_rotation,
    silfa_frame_paths,
    read_rgb,
    write_video,
)


def test_probe_pose_test_video(pose_test_video: Path) -> None:
    info = probe_video(pose_test_video)
    assert isinstance(info, VideoInfo)
    assert info.frame_count == 58
    assert (info.width, info.height, info.rotation) == (540, 720, 0)
    assert info.fps == pytest.approx(29.9, abs=0.1)
    assert info.duration == pytest.approx(58 / info.fps, rel=0.02)


def test_iter_frames_streams_rgb_with_real_timestamps(pose_test_video: Path) -> None:
    frames = list(iter_frames(pose_test_video))
    assert len(frames) == 58
    assert frames[0].image.shape == (720, 540, 3) and frames[0].image.dtype == np.uint8
    times = np.array([f.timestamp for f in frames])
    assert times[0] == 0.0 and np.all(np.diff(times) > 0)
    assert [f.index for f in frames] == list(range(58))


def test_iter_frames_window_is_exact(pose_test_video: Path) -> None:
    all_times = [f.timestamp for f in iter_frames(pose_test_video)]
    window = [f.timestamp for f in iter_frames(pose_test_video, start=1.0, end=1.5)]
    assert window == [t for t in all_times if 1.0 - 1e-6 <= t < 1.5 - 1e-6]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "empty"),
        (b"hello, this is a text file renamed to .mp4\n" * 20, "not a video"),
        (bytes(range(256)) * 40, "not a video"),
    ],
    ids=["empty", "text", "binary-noise"],
)
def test_bad_files_are_rejected(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "upload.mp4"
    path.write_bytes(content)
    with pytest.raises(InvalidVideoError, match=message):
        probe_video(path)
    with pytest.raises(ValueError):  # InvalidVideoError is a ValueError
        probe_video(path)


def test_missing_file_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(InvalidVideoError):
        probe_video(tmp_path / "nope.mp4")


def test_truncated_mp4_is_rejected_by_probe_but_decodes_partially(
    pose_test_video: Path, tmp_path: Path
) -> None:
    # pose_test_video has its index (moov) first, so half the bytes still open: the sample table
    # announces 58 frames but the data of about half of them is gone.
    data = pose_test_video.read_bytes()
    truncated = tmp_path / "truncated.mp4"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidVideoError, match="truncated"):
        probe_video(truncated)
    frames = list(iter_frames(truncated))
    assert 0 < len(frames) < 58


def test_truncated_mp4_with_index_at_end_is_rejected(tmp_path: Path, shared_data: Path) -> None:
    # PyAV's mp4 muxer writes the index last, as most cameras do: half a file has no index.
    full = make_silfa_video(shared_data, "A", tmp_path / "a.mp4", frames_per_letter=10)
    data = full.read_bytes()
    assert data.find(b"moov") > data.find(b"mdat")
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(data[: len(data) // 2])
    with pytest.raises(InvalidVideoError):
        probe_video(cut)


def test_audio_only_file_has_no_video_stream(tmp_path: Path) -> None:
    path = tmp_path / "sound.mp4"
    with av.open(str(path), "w") as container:
        stream = container.add_stream("aac", rate=16000)
        frame = av.AudioFrame.from_ndarray(
            np.zeros((1, 16000), dtype=np.float32), format="fltp", layout="mono"
        )
        frame.sample_rate = 16000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(InvalidVideoError, match="no video stream"):
        probe_video(path)


def test_mediarecorder_like_webm_without_duration(tmp_path: Path, shared_data: Path) -> None:
    frames = [read_rgb(p, (320, 180)) for p in silfa_frame_paths(shared_data, "B", 20)]
    path = write_video(
        frames, tmp_path / "rec.webm", codec="libvpx", container_options={"live": "1"}
    )
    with av.open(str(path)) as container:
        assert not container.duration  # like MediaRecorder output: no duration in the header
    info = probe_video(path)
    assert info.frame_count == 20
    assert info.duration == pytest.approx(20 / 30, abs=0.05)
    assert info.codec == "vp8"
    assert info.fps == pytest.approx(30, rel=0.1)  # measured, not the 1/1000 time base
    assert len(list(iter_frames(path))) == 20


def test_variable_frame_rate_keeps_real_timestamps(tmp_path: Path, shared_data: Path) -> None:
    frames = [read_rgb(p, (320, 180)) for p in silfa_frame_paths(shared_data, "C", 12)]
    stamps = np.cumsum([0.0] + [0.02, 0.05, 0.033, 0.1, 0.04] * 2 + [0.07])
    path = write_video(frames, tmp_path / "vfr.mp4", timestamps=stamps)
    decoded = np.array([f.timestamp for f in iter_frames(path)])
    np.testing.assert_allclose(decoded, stamps, atol=1e-3)
    assert probe_video(path).frame_count == 12


def test_rotation_metadata_is_applied(tmp_path: Path, pose_test_video: Path) -> None:
    # Store upright frames rotated a quarter turn counter-clockwise, as a phone sensor does, and
    # tell players to turn them back clockwise.
    upright = list(iter_video_frames(pose_test_video, limit=3))
    stored = [np.ascontiguousarray(np.rot90(f, k=1)) for f in upright]
    path = set_mp4_rotation(write_video(stored, tmp_path / "phone.mp4"), 90)
    info = probe_video(path)
    assert (info.rotation, info.width, info.height) == (90, 540, 720)
    first = next(iter_frames(path))
    assert first.image.shape == (720, 540, 3)
    error = np.abs(first.image.astype(int) - upright[0].astype(int)).mean()
    assert error < 8  # only lossy-coding noise; a wrong turn would differ wholesale


def test_odd_frame_size(tmp_path: Path, shared_data: Path) -> None:
    frames = [read_rgb(p, (321, 179)) for p in silfa_frame_paths(shared_data, "D", 5)]
    path = write_video(frames, tmp_path / "odd.mp4", pix_fmt="yuv444p")
    info = probe_video(path)
    assert (info.width, info.height) == (321, 179)
    assert next(iter_frames(path)).image.shape == (179, 321, 3)
