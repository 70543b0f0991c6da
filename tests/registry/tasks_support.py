"""Helpers of the registry's worker-task tests: Celery eager, unlabelled jobs on real clips."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from landmarks.formats import read_landmarks
from tests.registry.corrections import LEXICON
from tests.support.jobs import store_landmarks


@pytest.fixture
def eager(monkeypatch) -> Iterator[None]:  # noqa: ANN001
    """Queued registry tasks run inline, at once: Celery eager, and the test's transaction
    (which never commits) treated as committed when a task is queued."""
    from slrweb.celery import app

    monkeypatch.setattr("registry.background.transaction.on_commit", lambda fn, **kw: fn())
    # The app reads Django settings under the CELERY_ namespace: the key is the prefixed name.
    before = app.conf.task_always_eager
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    try:
        yield
    finally:
        app.conf.CELERY_TASK_ALWAYS_EAGER = before


def unlabelled_job(shared_data: Path, out_dir: Path, clip_index: int, language: str = "ase"):
    """A finished job over one real fingerspelling clip, with cached landmarks and no
    annotation."""
    from jobs.models import Job, Video

    clips = sorted((shared_data / LEXICON).glob("*.pose"))
    sequence = read_landmarks(clips[clip_index])
    landmarks_file = store_landmarks(sequence, f"{out_dir}/job-{clip_index}")  # a storage name
    video = Video.objects.create(sha256=uuid.uuid4().hex * 2, file=f"videos/u{clip_index}.mp4",
                                 size=1)
    return Job.objects.create(id=uuid.uuid4(), video=video, language=language,
                              status="succeeded", landmarks_file=landmarks_file,
                              result={"landmarks": sequence.summary()})
