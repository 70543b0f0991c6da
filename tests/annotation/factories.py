"""Builders of annotation test data: users in roles, finished jobs with model results.

The result shape is the pipeline's: result.landmarks (LandmarkSequence.summary), result.recognition
{"model", "segments": [{"start", "end", "topk": [{"gloss", "prob"}]}]}, result.translation
{"model", "text", "tokens", "glosses"}.
"""

from __future__ import annotations

import csv
import hashlib
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings

from accounts.roles import assign_role
from jobs.models import Job, Video
from landmarks.formats import read_landmarks
from landmarks.sequence import LandmarkSequence
from tests.support.jobs import store_landmarks

RECOGNITION_MODEL = "asl-letters@2"
TRANSLATION_MODEL = "asl-fs-translator@1"


def make_user(username: str, role: str | None = None) -> Any:
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.create_user(username=username, password="pw-" + username)
    if role:
        assign_role(user, role)
    return user


def recognition(spans: Sequence[tuple[float, float, Sequence[tuple[str, float]]]]) -> dict:
    return {
        "model": RECOGNITION_MODEL,
        "segments": [
            {"start": start, "end": end, "topk": [{"gloss": g, "prob": p} for g, p in topk]}
            for start, end, topk in spans
        ],
    }


def translation(text: str, glosses: Sequence[str] = ()) -> dict:
    tokens = [{"piece": "▁" + w, "logprob": -0.5} for w in text.split()]
    return {"model": TRANSLATION_MODEL, "text": text, "tokens": tokens, "glosses": list(glosses)}


def make_job(
    owner: Any, sequence: LandmarkSequence | None = None, *, result: dict | None = None,
    language: str = "ase", name: str = "clip.mp4", video_file: Path | None = None,
) -> Job:
    """A succeeded job; its landmarks are stored (landmarks storage) when a sequence is given.

    The stored video is a copy of `video_file`, else a few placeholder bytes (access tests).
    """
    sha = hashlib.sha256(uuid.uuid4().bytes).hexdigest()
    stored = Path(settings.MEDIA_ROOT) / "videos" / f"{sha}.mp4"
    stored.parent.mkdir(parents=True, exist_ok=True)
    stored.write_bytes(video_file.read_bytes() if video_file else b"placeholder")
    video = Video.objects.create(sha256=sha, file=f"videos/{sha}.mp4", size=1000,
                                 content_type="video/mp4",
                                 info={"duration": sequence.duration if sequence else 3.0})
    landmarks_file = ""
    full_result = dict(result or {})
    if sequence is not None:
        landmarks_file = store_landmarks(sequence, sha)
        full_result.setdefault("landmarks", sequence.summary())
    return Job.objects.create(owner=owner, video=video, language=language, original_name=name,
                              status=Job.Status.SUCCEEDED, progress=100, result=full_result,
                              landmarks_file=landmarks_file)


def simple_result(duration: float = 3.0) -> dict:
    """Three recognised segments over a clip of `duration` seconds, and a translation."""
    third = round(duration / 3, 3)
    return {
        "landmarks": {"frames": int(duration * 25), "fps": 25.0, "duration": duration},
        "recognition": recognition([
            (0.0, third, [("C", 0.7), ("O", 0.2), ("E", 0.1)]),
            (third, 2 * third, [("O", 0.5), ("A", 0.4), ("S", 0.1)]),
            (2 * third, duration, [("B", 0.9), ("D", 0.05), ("F", 0.05)]),
        ]),
        "translation": translation("cob", ["C", "O", "B"]),
    }


def letter_clips(shared_data: Path) -> dict[str, Path]:
    """The real ASL fingerspelling .pose clip of each letter (s2s lexicon, 25 fps)."""
    root = shared_data / "poses" / "s2s_fingerspelling_lexicon"
    with open(root / "index.csv", newline="") as handle:
        return {row["glosses"]: root / row["path"] for row in csv.DictReader(handle)
                if row["signed_language"] == "ase"}


def spelled_word(shared_data: Path, word: str) -> tuple[LandmarkSequence, list[tuple[float, float]]]:
    """Real letter clips played one after the other, and each letter's [start, end) span."""
    clips = letter_clips(shared_data)
    parts = [read_landmarks(clips[letter]) for letter in word]
    fps = parts[0].fps
    offsets = np.cumsum([0] + [len(p) for p in parts])
    timestamps = np.arange(offsets[-1]) / fps
    sequence = LandmarkSequence(
        points=np.concatenate([p.points for p in parts]),
        presence=np.concatenate([p.presence for p in parts]),
        timestamps=timestamps, fps=fps,
    )
    spans = [(round(offsets[i] / fps, 3), round(offsets[i + 1] / fps, 3)) for i in range(len(parts))]
    return sequence, spans
