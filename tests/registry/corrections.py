"""Accepted annotations on real landmark clips, for retraining and evaluation tests."""

from __future__ import annotations

import uuid
from pathlib import Path

from django.utils import timezone

from landmarks.formats import read_landmarks
from tests.corpus.keys import key_in
from tests.support.jobs import store_landmarks

LEXICON = "poses/s2s_fingerspelling_lexicon/ase"


def accepted_annotation(shared_data: Path, out_dir: Path, clip_index: int, glosses: list[str],
                        *, held_out: bool, translation: str = "", language: str = "ase"):
    """A finished job over one real fingerspelling clip, annotated with `glosses` (the clip
    cut into equal segments) and accepted by a reviewer."""
    from annotation.models import Annotation
    from jobs.models import Job, Video

    clips = sorted((shared_data / LEXICON).glob("*.pose"))
    sequence = read_landmarks(clips[clip_index])
    landmarks_file = store_landmarks(sequence, f"{out_dir}/{clips[clip_index].stem}")
    # The split follows the video (corpus.split.split_key); "train" here means not held out.
    sha = key_in("held_out" if held_out else "train", f"{clip_index}-{'-'.join(glosses)}")
    video = Video.objects.create(sha256=sha, file=f"videos/{clip_index}.mp4", size=1)
    job = Job.objects.create(id=uuid.uuid4(), video=video, language=language,
                             status="succeeded", landmarks_file=landmarks_file,
                             result={"landmarks": sequence.summary()})
    step = sequence.duration / len(glosses)
    segments = [{"id": f"s{i}", "start": round(i * step, 3), "end": round((i + 1) * step, 3),
                 "gloss": gloss, "origin": None} for i, gloss in enumerate(glosses)]
    return Annotation.objects.create(job=job, language=language, segments=segments,
                                     translation=translation, status="accepted",
                                     reviewed=timezone.now())
