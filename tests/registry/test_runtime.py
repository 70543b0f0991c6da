"""Predictors cached per worker process, keyed by version id."""

from __future__ import annotations

import pytest

from registry import runtime, services
from registry.smoke import dummy_sequence

pytestmark = pytest.mark.django_db


@pytest.fixture
def versions(ase, make_bundle):
    return [services.register_bundle(make_bundle(f"b{i}", seed=i), ase) for i in range(2)]


def test_a_predictor_is_loaded_once_per_version(versions):
    first = runtime.get_predictor(versions[0])
    assert runtime.get_predictor(versions[0]) is first
    assert runtime.cached_version_ids() == [versions[0].id]


def test_a_newer_version_replaces_the_old_one_and_predicts_differently(versions):
    old = runtime.get_predictor(versions[0]).translate(dummy_sequence())
    new = runtime.get_predictor(versions[1]).translate(dummy_sequence())
    assert runtime.cached_version_ids() == [versions[1].id]
    assert old["tokens"] != new["tokens"]


def test_the_cache_is_bounded(settings, make_bundle):
    settings.SLRWEB_PREDICTOR_CACHE_SIZE = 2
    loaded = []
    for code in ("ase", "bfi", "gsg"):
        language = services.ensure_language(code)
        services.add_glosses(language, [chr(c) for c in range(65, 91)])
        version = services.register_bundle(make_bundle(code, language=code), language)
        runtime.get_predictor(version)
        loaded.append(version.id)
    assert runtime.cached_version_ids() == loaded[1:]


def test_unknown_task_is_an_error():
    with pytest.raises(ValueError, match="no predictor"):
        runtime.predictor_class("pose")


def test_evicted_isolated_predictors_leave_the_class_cache_too(ase, tmp_path):
    from mlcore.predictors import PREDICTORS
    from tests.registry.bundles import isolated_bundle

    versions = [services.register_bundle(isolated_bundle(tmp_path / f"b{i}", seed=i), ase)
                for i in range(2)]
    first = runtime.get_predictor(versions[0])
    assert PREDICTORS.holds(first)
    second = runtime.get_predictor(versions[1])
    assert not PREDICTORS.holds(first)
    assert PREDICTORS.holds(second)
    assert first.predict_clip(dummy_sequence()) != second.predict_clip(dummy_sequence())
