"""Fixtures of the registry tests: a private MEDIA_ROOT and bundle cache, tiny bundles, a
language."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
import torch

from registry.runtime import clear_predictor_cache
from tests.registry import bundles


@pytest.fixture(autouse=True)
def _one_thread_and_private_media(settings, tmp_path: Path):  # noqa: ANN001
    torch.set_num_threads(1)
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_BUNDLE_CACHE = tmp_path / "bundle-cache"
    clear_predictor_cache()
    yield
    clear_predictor_cache()


@pytest.fixture(scope="session")
def spm_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return bundles.spm_model(tmp_path_factory.mktemp("spm"))


@pytest.fixture
def make_bundle(tmp_path: Path, spm_path: Path) -> Callable[..., Path]:
    """make_bundle(name="b1", seed=0, glosses=None, language="ase") -> a bundle folder."""
    def make(folder: str = "bundle", **kwargs: object) -> Path:
        return bundles.translation_bundle(tmp_path / "src" / folder, spm_path, **kwargs)

    return make


@pytest.fixture
def ase(db):  # noqa: ANN001
    """American Sign Language with the 26 letters as its vocabulary."""
    from registry import services

    language = services.ensure_language("ase")
    services.add_glosses(language, bundles.LETTERS)
    return language


@pytest.fixture(scope="session")
def registry_stack(tmp_path_factory: pytest.TempPathFactory, spm_path: Path):
    """One live stack (Redis, Daphne, a Celery worker) for the registry's integration and
    browser tests, its default models being one tiny translator: ase translation tiny-a@1."""
    from tests.integration.live import start_stack

    models = tmp_path_factory.mktemp("models")
    bundles.translation_bundle(models / "tiny-a", spm_path, name="tiny-a", seed=0)
    live = start_stack(tmp_path_factory.mktemp("live-registry"),
                       SLRWEB_MODELS_DIR=str(models))
    live.models_dir = models  # type: ignore[attr-defined]
    yield live
    live.stop()



# Celery eager + tasks queued at once, for the registry's worker tasks (registry.background).
from tests.registry.tasks_support import eager  # noqa: E402, F401
