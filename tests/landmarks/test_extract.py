"""extract_landmarks on real video: layout, presence, timestamps, progress, warnings, errors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landmarks.decode import InvalidVideoError
from landmarks.extract import (
    EXTRACTOR_VERSION,
    NO_PERSON_WARNING,
    extract_landmarks,
    extractor_settings,
)
from landmarks.layout import LEFT_SHOULDER, NUM_POINTS, PARTS, RIGHT_SHOULDER
from landmarks.sequence import LandmarkSequence
from tests.support.videos import iter_video_frames, set_mp4_rotation, write_video


def test_pose_test_video_landmarks(pose_test_sequence: LandmarkSequence) -> None:
    seq = pose_test_sequence
    assert seq.points.shape == (58, NUM_POINTS, 3) and seq.points.dtype == np.float32
    assert seq.presence[:, 0].all() and seq.presence[:, 1].all()  # pose and face on every frame
    hands = seq.presence[:, 2] | seq.presence[:, 3]
    assert hands.sum() >= 15
    assert seq.fps == pytest.approx(29.9, abs=0.1)
    assert np.all(np.diff(seq.timestamps) > 0) and seq.timestamps[0] == 0.0
    assert seq.meta["warnings"] == []
    assert seq.meta["extractor_version"] == EXTRACTOR_VERSION


def test_nan_exactly_where_parts_are_missing(pose_test_sequence: LandmarkSequence) -> None:
    for column, sl in enumerate(PARTS.values()):
        part = pose_test_sequence.points[:, sl]
        present = pose_test_sequence.presence[:, column]
        assert not np.isnan(part[present]).any()
        assert np.isnan(part[~present]).all()


def test_hand_follows_the_signer_side(pose_test_sequence: LandmarkSequence) -> None:
    # The signer raises one hand; whichever block holds it, its wrist must be nearer the pose
    # wrist of the same side (pose 15 = signer's left wrist, 16 = right wrist).
    seq = pose_test_sequence
    for column, block, pose_wrist, other in ((2, "left_hand", 15, 16), (3, "right_hand", 16, 15)):
        rows = seq.presence[:, column]
        if not rows.any():
            continue
        wrist = seq.part(block)[rows, 0, :2]
        same = np.linalg.norm(wrist - seq.points[rows, pose_wrist, :2], axis=1)
        opposite = np.linalg.norm(wrist - seq.points[rows, other, :2], axis=1)
        assert np.median(same) < np.median(opposite)


def test_progress_is_reported_regularly(pose_test_video: Path, tmp_path: Path) -> None:
    clip = write_video(iter_video_frames(pose_test_video, limit=12), tmp_path / "short.mp4")
    calls: list[tuple[int, int | None]] = []
    seq = extract_landmarks(clip, progress=lambda done, total: calls.append((done, total)))
    assert len(seq) == 12
    done = [d for d, _ in calls]
    assert done == sorted(done) and done[-1] == 12
    assert all(total == 12 for _, total in calls)
    assert max(np.diff([0, *done])) <= 5


def test_rotated_phone_clip_is_extracted_upright(pose_test_video: Path, tmp_path: Path) -> None:
    stored = [np.rot90(f, k=1) for f in iter_video_frames(pose_test_video, limit=5)]
    clip = set_mp4_rotation(write_video(stored, tmp_path / "phone.mp4"), 90)
    seq = extract_landmarks(clip)
    assert seq.presence[:, 0].all()
    shoulders_y = seq.points[:, [LEFT_SHOULDER, RIGHT_SHOULDER], 1].mean(axis=1)
    assert np.all(seq.points[:, 0, 1] < shoulders_y)  # nose above the shoulders: upright
    assert seq.meta["source"]["rotation"] == 90


def test_video_without_a_person_is_empty_but_valid(tmp_path: Path) -> None:
    rng = np.random.default_rng(0)
    wall = np.linspace(60, 200, 320 * 240 * 3).reshape(240, 320, 3).astype(np.uint8)
    frames = [np.clip(wall + rng.integers(0, 8, wall.shape), 0, 255).astype(np.uint8)] * 8
    seq = extract_landmarks(write_video(frames, tmp_path / "empty_room.mp4"))
    assert len(seq) == 8
    assert not seq.presence.any() and np.isnan(seq.points).all()
    assert seq.meta["warnings"] == [NO_PERSON_WARNING]
    assert seq.summary()["hands_detected_fraction"] == 0.0


def test_bad_input_raises_invalid_video(tmp_path: Path) -> None:
    path = tmp_path / "notes.mp4"
    path.write_text("not a video\n")
    with pytest.raises(InvalidVideoError):
        extract_landmarks(path)


def test_version_pins_the_installed_mediapipe() -> None:
    import mediapipe

    assert f"mediapipe-{mediapipe.__version__}" in EXTRACTOR_VERSION
    assert extractor_settings(2)["model_complexity"] == 2


def test_missing_pose_model_is_a_clear_error(pose_test_video: Path) -> None:
    from landmarks.extract import ModelUnavailableError, available_model_complexities

    assert 1 in available_model_complexities()
    missing = [level for level in (0, 2) if level not in available_model_complexities()]
    if not missing:
        pytest.skip("every pose model is installed here")
    with pytest.raises(ModelUnavailableError, match="not installed"):
        extract_landmarks(pose_test_video, model_complexity=missing[0])


def test_chunks_are_growing_prefixes_of_the_result(pose_test_video: Path,
                                                   pose_test_sequence: LandmarkSequence) -> None:
    prefixes: list[LandmarkSequence] = []

    def keep(prefix: LandmarkSequence) -> None:  # the buffer is shared: copy what we keep
        prefixes.append(LandmarkSequence.from_points(prefix.points.copy(), fps=prefix.fps,
                                                     timestamps=prefix.timestamps.copy()))

    whole = extract_landmarks(pose_test_video, on_chunk=keep, chunk_seconds=0.5)
    step = round(0.5 * whole.fps)
    assert [len(p) for p in prefixes] == list(range(step, len(whole) + 1, step))
    for p in prefixes:  # each chunk is exactly the first frames of the final sequence
        np.testing.assert_array_equal(p.points, whole.points[: len(p)])
        np.testing.assert_array_equal(p.timestamps, whole.timestamps[: len(p)])
    np.testing.assert_array_equal(whole.points, pose_test_sequence.points)


@pytest.mark.parametrize("rate", [15.0, 10.0])
def test_frame_sampling_reads_frames_at_the_asked_rate(pose_test_video: Path,
                                                       pose_test_sequence: LandmarkSequence,
                                                       rate: float) -> None:
    sampled = extract_landmarks(pose_test_video, sample_fps=rate)
    assert sampled.fps == rate and sampled.meta["sample_fps"] == rate
    expected = pose_test_sequence.duration * rate
    assert abs(len(sampled) - expected) <= 1.5
    gaps = np.diff(sampled.timestamps)
    assert gaps.min() >= 1 / rate - 1 / pose_test_sequence.fps - 2e-3  # never two frames per tick
    assert gaps.max() <= 1 / rate + 1 / pose_test_sequence.fps + 2e-3  # never a skipped tick
    # The frames kept are frames of the full-rate run (same timestamps, same pose).
    index = np.searchsorted(pose_test_sequence.timestamps, sampled.timestamps)
    np.testing.assert_allclose(pose_test_sequence.timestamps[index], sampled.timestamps)
    first_pose = np.nanmean(np.abs(sampled.points[:, :33] - pose_test_sequence.points[index, :33]))
    assert first_pose < 0.05  # tracking from fewer frames moves the pose by little


def test_a_process_keeps_its_warm_graph_and_a_reused_graph_reads_the_same(
    pose_test_video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from landmarks import extract

    clip = write_video(iter_video_frames(pose_test_video, limit=8), tmp_path / "clip.mp4")
    extract.warm_holistic(1)
    built: list[int] = []
    real = extract.new_holistic
    monkeypatch.setattr(extract, "new_holistic", lambda c=1: built.append(c) or real(c))
    with extract.holistic_graph(1) as graph:
        with extract.holistic_graph(1) as other:  # another thread of the process, at once
            assert other is not graph
    assert built == [1]
    first = extract.extract_landmarks(clip)
    again = extract.extract_landmarks(clip)
    assert built == [1]  # the warm graph read both clips
    np.testing.assert_array_equal(again.points, first.points)
    monkeypatch.setattr(extract, "_IDLE_GRAPHS", {})  # a graph that never read anything
    fresh = extract.extract_landmarks(clip)
    assert built == [1, 1]
    np.testing.assert_array_equal(fresh.points, first.points)
