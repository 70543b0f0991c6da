"""Fixtures of the continuous-recognition tests: BOSTON-104 from ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest

from translation.ml.continuous.data import Sentence, load_boston


@pytest.fixture(scope="session")
def boston_dir(shared_data: Path) -> Path:
    return shared_data / "continuous" / "boston104_handtracks"


@pytest.fixture(scope="session")
def boston(boston_dir: Path) -> list[Sentence]:
    return load_boston(boston_dir)
