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


@pytest.fixture(scope="session")
def silfa_samples(shared_data: Path) -> list[tuple[LandmarkSequence, str]]:
    """All 558 SILFA GISLR samples (one Holistic frame each) with their letter, read once."""
    from landmarks.formats.parquet import iter_gislr_dataset

    root = shared_data / "isolated" / "silfa_fingerspelling"
    return [(seq, sign) for seq, sign, _ in iter_gislr_dataset(root)]
