"""The landmark cache: keys, atomic entries, and no second MediaPipe run for the same video."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from landmarks import extract
from landmarks.cache import LandmarkCache, cache_key, extract_cached, file_sha256
from landmarks.sequence import LandmarkSequence
from tests.support.videos import iter_video_frames, write_video


def test_key_depends_on_video_and_every_setting() -> None:
    settings = extract.extractor_settings(1)
    key = cache_key("a" * 64, settings)
    assert key == cache_key("a" * 64, dict(reversed(list(settings.items()))))
    assert key != cache_key("b" * 64, settings)
    assert key != cache_key("a" * 64, extract.extractor_settings(2))
    assert key != cache_key("a" * 64, {**settings, "extractor_version": "other"})


def test_put_get_round_trip_leaves_no_temporary_files(
    pose_test_sequence: LandmarkSequence, tmp_path: Path
) -> None:
    cache = LandmarkCache(tmp_path)
    assert cache.get("f" * 64) is None
    name = cache.put("f" * 64, pose_test_sequence)
    assert name == f"ff/{'f' * 64}.npz"  # relative: what a job stores
    got = cache.get("f" * 64)
    assert got is not None
    np.testing.assert_array_equal(got.points, pose_test_sequence.points)
    path = tmp_path / name
    assert [p.name for p in path.parent.iterdir()] == [path.name]


def test_damaged_entry_is_a_miss(tmp_path: Path) -> None:
    cache = LandmarkCache(tmp_path)
    path = tmp_path / cache.name_for("e" * 64)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"half a zip")
    assert cache.get("e" * 64) is None
    assert not path.exists()


def test_second_extraction_does_not_run_mediapipe(
    pose_test_video: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    clip = write_video(iter_video_frames(pose_test_video, limit=6), tmp_path / "clip.mp4")
    graphs: list[Any] = []  # extractions that took a Holistic graph (built or kept)
    real_holistic_graph = extract.holistic_graph

    def counting_holistic_graph(model_complexity: int = 1) -> Any:
        graphs.append(model_complexity)
        return real_holistic_graph(model_complexity)

    monkeypatch.setattr(extract, "holistic_graph", counting_holistic_graph)
    cache = LandmarkCache(tmp_path / "cache")
    first = extract_cached(clip, cache)
    assert graphs == [1] and first.meta["cache"] == "miss"
    calls: list[tuple[int, int | None]] = []
    opened: list[int] = []

    def video_opener() -> Any:  # a video in object storage: a hit must not download it
        opened.append(1)
        return contextlib.nullcontext(clip)

    second = extract_cached(video_opener, cache, video_sha256=file_sha256(clip),
                            progress=lambda d, t: calls.append((d, t)))
    assert opened == []
    assert graphs == [1] and second.meta["cache"] == "hit"
    assert calls == [(6, 6)]
    np.testing.assert_array_equal(second.points, first.points)
    assert second.meta["video_sha256"] == file_sha256(clip)
    # A new extractor version is another entry: MediaPipe runs again.
    monkeypatch.setattr(extract, "EXTRACTOR_VERSION", "test-version/2")
    assert extract_cached(clip, cache).meta["cache"] == "miss"
    assert graphs == [1, 1]
