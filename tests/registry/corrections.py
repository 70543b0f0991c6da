"""Accepted annotations on real landmark clips, for retraining and evaluation tests."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.utils import timezone

from landmarks.formats import read_landmarks
from landmarks.formats.npz import save_npz
from registry.evaluation import is_held_out

LEXICON = "poses/s2s_fingerspelling_lexicon/ase"


def job_id(held_out: bool) -> uuid.UUID:
    """A job id that falls in (or out of) the held-out bucket."""
    while True:
        candidate = uuid.uuid4()
        if is_held_out(candidate) == held_out:
            return candidate


def accepted_annotation(shared_data: Path, out_dir: Path, clip_index: int, glosses: list[str],
                        *, held_out: bool, translation: str = "", language: str = "ase"):
    """A finished job over one real fingerspelling clip, annotated with `glosses` (the clip
    cut into equal segments) and accepted by a reviewer."""
    from annotation.models import Annotation
    from jobs.models import Job, Video

    clips = sorted((shared_data / LEXICON).glob("*.pose"))
    sequence = read_landmarks(clips[clip_index])
    out_dir.mkdir(parents=True, exist_ok=True)
    landmarks_file = out_dir / f"{clips[clip_index].stem}.npz"
    save_npz(sequence, landmarks_file)
    video = Video.objects.create(sha256=uuid.uuid4().hex * 2, file=f"videos/{clip_index}.mp4",
                                 size=1)
    job = Job.objects.create(id=job_id(held_out), video=video, language=language,
                             status="succeeded", landmarks_file=str(landmarks_file),
                             result={"landmarks": sequence.summary()})
    step = sequence.duration / len(glosses)
    segments = [{"id": f"s{i}", "start": round(i * step, 3), "end": round((i + 1) * step, 3),
                 "gloss": gloss, "origin": None} for i, gloss in enumerate(glosses)]
    return Annotation.objects.create(job=job, language=language, segments=segments,
                                     translation=translation, status="accepted",
                                     reviewed=timezone.now())
