"""A pool process warms what its queues' stages use before its first job (jobs.warm)."""

from __future__ import annotations

from typing import Any

import pytest

from jobs import warm


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch, settings: Any) -> list[tuple[str, int]]:
    from landmarks import extract, parallel

    settings.SLRWEB_EXTRACT_WORKERS = 3
    settings.SLRWEB_HOLISTIC_MODEL_COMPLEXITY = 1
    seen: list[tuple[str, int]] = []
    monkeypatch.setattr(extract, "warm_holistic", lambda c, h: seen.append(("graph", c, h)))
    monkeypatch.setattr(parallel, "start_helpers",
                        lambda n, c, h: seen.append(("helpers", n, h)))
    monkeypatch.setattr(warm, "_load_active_models", lambda: seen.append(("models", 0)) or 2)
    monkeypatch.setattr(warm, "_wants_hands", lambda: True)  # a language recovers hands
    return seen


def test_a_landmarks_worker_warms_its_graph_helpers_and_models(calls: list) -> None:
    warm.warm_worker(["landmarks", "inference"])
    assert calls == [("helpers", 2, True), ("graph", 1, True), ("models", 0)]


def test_an_inference_worker_loads_only_models(calls: list) -> None:
    warm.warm_worker(["inference"])
    assert calls == [("models", 0)]


@pytest.mark.django_db
def test_warming_loads_the_active_models_into_the_predictor_cache(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from registry import runtime
    from registry.models import ModelVersion, SignLanguage

    for n, code in enumerate(["zz1", "zz2", "zz3"]):
        ModelVersion.objects.create(
            language=SignLanguage.objects.create(code=code, name=code), task="isolated",
            name=code, version=1, bundle_path=f"models/{code}", checksum=code * 10,
            status=ModelVersion.Status.ACTIVE if n < 2 else ModelVersion.Status.CANDIDATE)
    loaded: list[str] = []
    monkeypatch.setattr(runtime, "get_predictor", lambda v: loaded.append(v.name))
    assert warm._load_active_models() == 2
    assert sorted(loaded) == ["zz1", "zz2"]  # the candidate is not loaded
