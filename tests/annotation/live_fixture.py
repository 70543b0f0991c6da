"""Data for the browser test, created inside a live stack (`manage.py shell -c`).

A real clip (pose_test_video.mp4) with its real MediaPipe landmarks, shared for review by its
owner; recognition/translation results in the pipeline's shape (the recognizer's output on this
clip is not what the test is about: it checks the workspace).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model

from accounts.roles import assign_role
from annotation.services import share_job_for_review
from jobs.models import Job, Video
from landmarks.extract import extract_landmarks
from registry import services as registry
from tests.annotation.factories import recognition, translation
from tests.support.jobs import store_landmarks

TOPK = [
    [("H", 0.6), ("A", 0.3), ("S", 0.1)],
    [("E", 0.5), ("I", 0.4), ("O", 0.1)],
    [("Y", 0.7), ("L", 0.2), ("X", 0.1)],
]


def create_review_job(video: str, password: str) -> None:
    """Users owen (owner), anna (annotator), ada (admin); one shared job. Prints its id."""
    users = get_user_model().objects
    owner = users.create_user("owen", password=password)
    for name, role in (("anna", "annotator"), ("ada", "admin")):
        assign_role(users.create_user(name, password=password), role)
    registry.add_glosses(registry.ensure_language("ase"), [chr(c) for c in range(65, 91)])

    source = Path(video)
    stored = Path(settings.MEDIA_ROOT) / "videos" / source.name
    stored.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source, stored)
    sequence = extract_landmarks(stored)
    landmarks = store_landmarks(sequence, "review")

    third = round(sequence.duration / 3, 3)
    spans = [(0.0, third), (third, 2 * third), (2 * third, round(sequence.duration, 3))]
    result = {
        "landmarks": sequence.summary(),
        "recognition": recognition([(a, b, k) for (a, b), k in zip(spans, TOPK, strict=True)]),
        "translation": translation("hey", ["H", "E", "Y"]),
    }
    video_row = Video.objects.create(
        sha256="0" * 64, file=f"videos/{source.name}", size=stored.stat().st_size,
        content_type="video/mp4",
        info={"duration": sequence.duration, "fps": sequence.fps},
    )
    job = Job.objects.create(owner=owner, video=video_row, language="ase",
                             original_name=source.name,
                             status=Job.Status.SUCCEEDED, progress=100, result=result,
                             landmarks_file=landmarks)
    share_job_for_review(job, owner, "Is the second letter right?")
    print(json.dumps({"job": str(job.id), "spans": spans}))


def annotation_record(job_id: str) -> None:
    """Prints the annotation's status, segments, corrections and reviews as JSON."""
    from annotation.models import Annotation

    annotation = Annotation.objects.get(job_id=job_id)
    print(json.dumps({
        "status": annotation.status,
        "segments": annotation.segments,
        "translation": annotation.translation,
        "corrections": [[c.author_name, c.field, c.before, c.after, c.model_version]
                        for c in annotation.corrections.all()],
        "reviews": [[r.reviewer.username, r.decision, r.comment] for r in annotation.reviews.all()],
    }))
