"""Fixtures for landmark tests: real clips built once per session from ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from landmarks.sequence import LandmarkSequence


@pytest.fixture(scope="session")
def pose_test_sequence(pose_test_video: Path) -> LandmarkSequence:
    """Holistic landmarks of pose_test_video.mp4, extracted once (about 5 s on 2 cores)."""
    from landmarks.extract import extract_landmarks

    return extract_landmarks(pose_test_video)


@pytest.fixture(scope="session")
def media_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("media")
