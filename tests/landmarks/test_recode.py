"""landmarks.recode: training frames as a lossy codec delivers them, the same every time."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from landmarks.recode import PRESETS, recode
from tests.support.videos import read_rgb, silfa_frame_paths


@pytest.fixture(scope="module")
def frames(shared_data: Path) -> list[np.ndarray]:
    return [read_rgb(p) for p in silfa_frame_paths(shared_data, "CAB", frames_per_letter=8)]


@pytest.mark.parametrize("preset", sorted(PRESETS))
def test_a_preset_gives_every_frame_back_lossy_and_the_same_each_time(
        frames: list[np.ndarray], preset: str) -> None:
    once, again = recode(frames, preset), recode(frames, preset)
    assert len(once) == len(frames) and once[0].shape == frames[0].shape
    assert all((a == b).all() for a, b in zip(once, again, strict=True))
    error = np.mean([(a.astype(float) - f) ** 2 for a, f in zip(once, frames, strict=True)])
    psnr = 10 * np.log10(255**2 / error)
    assert 25 < psnr < 40  # compressed, visibly, but still the picture


def test_an_unknown_preset_is_refused(frames: list[np.ndarray]) -> None:
    with pytest.raises(ValueError, match="unknown recode preset"):
        recode(frames, "h265-whatever")
    assert recode([], "mpeg4-300k") == []
