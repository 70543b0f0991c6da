"""Fixtures of the registry tests: a private MEDIA_ROOT, tiny bundles, a language."""

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
