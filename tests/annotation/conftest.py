"""Fixtures of the annotation tests: a private MEDIA_ROOT, the role users, a vocabulary."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.annotation.factories import make_job, make_user, simple_result

LETTERS = [chr(c) for c in range(ord("A"), ord("Z") + 1)]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path: Path):  # noqa: ANN001
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.SLRWEB_SHARE_JOBS_FOR_REVIEW = False


@pytest.fixture
def ase(db):  # noqa: ANN001
    """American Sign Language with the 26 letters as its vocabulary."""
    from registry import services

    language = services.ensure_language("ase")
    services.add_glosses(language, LETTERS + ["COB"])
    return language


@pytest.fixture
def owner(db):  # noqa: ANN001
    return make_user("owner")


@pytest.fixture
def stranger(db):  # noqa: ANN001
    return make_user("stranger")


@pytest.fixture
def annotator(db):  # noqa: ANN001
    return make_user("anna", "annotator")


@pytest.fixture
def second_annotator(db):  # noqa: ANN001
    return make_user("bert", "annotator")


@pytest.fixture
def admin_user(db):  # noqa: ANN001
    return make_user("ada", "admin")


@pytest.fixture
def job(owner, ase):  # noqa: ANN001
    """A finished job of `owner` with three recognised segments, not shared."""
    return make_job(owner, result=simple_result(3.0))


@pytest.fixture
def shared_job(owner, ase):  # noqa: ANN001
    from annotation.services import share_job_for_review

    shared = make_job(owner, result=simple_result(3.0), name="shared.mp4")
    share_job_for_review(shared, owner, "please check the middle letter")
    return shared
