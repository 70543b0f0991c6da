"""mlcore.predictors: every predictor's from_bundle reads, checks and caches a bundle the same way."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlcore.bundle import BundleError
from mlcore.predictors import PredictorCache

REPO = Path(__file__).resolve().parents[3]
LETTERS = REPO / "models" / "silfa-letters"


def test_a_bundle_is_read_and_built_once_per_folder_and_device():
    cache, built = PredictorCache(), []

    def build(bundle, device):  # noqa: ANN001, ANN202
        built.append((bundle.name, device))
        return object()

    first = cache.bundle(LETTERS, "cpu", "isolated", build)
    assert cache.bundle(str(LETTERS), "cpu", "isolated", build) is first
    assert cache.bundle(LETTERS, "meta", "isolated", build) is not first
    assert built == [("silfa-letters", "cpu"), ("silfa-letters", "meta")]


def test_a_bundle_of_another_task_is_refused_before_anything_is_built():
    cache = PredictorCache()

    def build(bundle, device):  # noqa: ANN001, ANN202
        raise AssertionError("built a bundle of the wrong task")

    with pytest.raises(BundleError, match="'isolated' bundle, not a 'continuous' one"):
        cache.bundle(LETTERS, "cpu", "continuous", build)


def test_the_predictors_load_through_it_and_a_cached_one_is_not_handed_out_as_another_kind():
    # (the cache was keyed by folder and device alone: an isolated bundle once loaded came
    # back from ContinuousPredictor.from_bundle as the IsolatedPredictor)
    from recognition.ml.infer import IsolatedPredictor
    from translation.ml.continuous.infer import ContinuousPredictor
    from translation.ml.letterspeller import LetterSpeller

    assert IsolatedPredictor.from_bundle(LETTERS).vocabulary[:3] == ["A", "B", "C"]
    with pytest.raises(BundleError, match="not a 'continuous' one"):
        ContinuousPredictor.from_bundle(LETTERS)
    with pytest.raises(BundleError, match="not a 'fingerspelling' one"):
        LetterSpeller.from_bundle(LETTERS)
