"""Fixtures of the page tests: private media folders, users, languages with an active model."""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.models import ModelVersion, SignLanguage
from tests.users import alice, alice_client, bob, bob_client  # noqa: F401 (fixtures)


@pytest.fixture(autouse=True)
def media(settings, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_LANDMARK_CACHE = tmp_path / "media" / "landmarks"
    settings.SLRWEB_ALLOW_ANONYMOUS = False
    return settings.MEDIA_ROOT


def add_language(code: str, name: str, active: bool = True) -> SignLanguage:
    language = SignLanguage.objects.create(code=code, name=name)
    ModelVersion.objects.create(
        language=language, task="isolated", name=f"{code}-letters", version=1,
        bundle_path=f"models/{code}", checksum=code * 10,
        status=ModelVersion.Status.ACTIVE if active else ModelVersion.Status.CANDIDATE,
    )
    return language


@pytest.fixture
def languages(db):  # noqa: ANN001
    """Two languages with an active model, one with a candidate only."""
    return [add_language("ase", "American Sign Language"), add_language("gsg", "German Sign Language"),
            add_language("bfi", "British Sign Language", active=False)]
