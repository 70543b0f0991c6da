"""Signs added without retraining (issue 12, item 4): reference clips of a vocabulary entry,
embedded by the language's active sign embedding, recognised by nearest class mean.

    add_reference(gloss, chunks=..., filename="hello-1.mp4")   # checked and stored, pending
    start_enrollment(language)          # a RegistryTask: the worker extracts and embeds
    enrolled_predictor("ase")           # (embedding version, predictor over the enrolled signs)

A reference is a video (probed like a job's upload; the worker extracts its landmarks through
the landmark cache) or a landmark file (.npz/.pose, checked like a landmarks-only job). Each
clip keeps its own copy of its landmarks (the "references/" folder of the landmarks storage),
so deleting jobs never takes them away and a new embedding version can re-embed them.

Vectors are computed once per (clip, embedding version) by the worker and kept in
ReferenceEmbedding; a job reads them from the database (no model runs over references at job
time). A sign counts as enrolled once MIN_SHOTS of its clips are embedded by the active
version; the vocabulary, class means and the "unknown sign" threshold come from
recognition.ml.enroll (vocabulary_from), the same code as `slrweb enroll`.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Count, Q

from jobs import files, storage
from registry import background, selectors
from registry.errors import RegistryError
from registry.models import (
    Gloss,
    ModelVersion,
    ReferenceClip,
    ReferenceEmbedding,
    RegistryTask,
    SignLanguage,
)

log = logging.getLogger(__name__)
MIN_SHOTS = 3  # reference clips a sign needs before jobs can return it (the 3-5)
VIDEO_DIR = "registry/references"  # in the default storage, apart from jobs' videos/
LANDMARKS_DIR = "references"  # in the landmarks storage, apart from the cache and job uploads
EMBEDDING_TASK = "embedding"


class ReferenceRejected(RegistryError):
    """An uploaded reference clip cannot be used; the message is shown to the admin."""


def add_reference(gloss: Gloss, *, chunks: Iterable[bytes], filename: str, user: Any = None,
                  signer: str = "") -> ReferenceClip:
    """Check and store one uploaded clip as a pending reference of `gloss`.

    Raises ReferenceRejected: not a video nor a landmark file, too large, too long, or the
    same bytes already a reference of this gloss."""
    from jobs import landmark_uploads as lu

    suffix = Path(filename or "").suffix.lower()
    try:
        if suffix in lu.SUFFIXES:
            sha, video_name, landmarks_name = _store_landmarks(chunks, suffix)
            source = ReferenceClip.Source.LANDMARKS
        else:
            sha, video_name = _store_video(chunks, filename)
            landmarks_name, source = "", ReferenceClip.Source.VIDEO
    except storage.UploadTooLarge as exc:
        raise ReferenceRejected([str(exc)]) from exc
    try:
        with transaction.atomic():
            return ReferenceClip.objects.create(
                gloss=gloss, source=source, sha256=sha, video_file=video_name,
                landmarks_file=landmarks_name, original_name=(filename or "")[:255],
                signer=signer[:100], uploaded_by=user if _is_user(user) else None)
    except IntegrityError as exc:
        raise ReferenceRejected(
            [f"{filename} is already a reference clip of {gloss.gloss}"]) from exc


def _store_landmarks(chunks: Iterable[bytes], suffix: str) -> tuple[str, str, str]:
    from jobs import landmark_uploads as lu

    with storage.spool_upload(chunks, suffix, settings.SLRWEB_MAX_LANDMARKS_BYTES) as upload:
        if upload.size == 0:
            raise ReferenceRejected(["The file is empty."])
        try:
            sequence = lu.clean_sequence(lu.read_uploaded(upload.path, suffix), suffix)
        except lu.InvalidLandmarks as exc:
            raise ReferenceRejected([str(exc)]) from exc
        return upload.sha256, "", lu.store_sequence(sequence, LANDMARKS_DIR)


def _store_video(chunks: Iterable[bytes], filename: str) -> tuple[str, str]:
    """Probe the upload as a job's video is probed; store it under VIDEO_DIR by its hash."""
    from jobs.stages import StageError, check_duration
    from landmarks.decode import InvalidVideoError, probe_upload

    with storage.spool_upload(chunks, storage.safe_suffix(filename),
                              settings.SLRWEB_MAX_UPLOAD_BYTES) as upload:
        if upload.size == 0:
            raise ReferenceRejected(["The file is empty."])
        try:
            info, _ = probe_upload(upload.path)
            check_duration(info.duration)
        except (InvalidVideoError, StageError) as exc:
            raise ReferenceRejected([str(exc)]) from exc
        name, _ = storage.save_video(
            upload, f"{VIDEO_DIR}/{upload.sha256[:2]}/{Path(upload.name).name}")
        return upload.sha256, name


def delete_reference(clip: ReferenceClip) -> None:
    """Delete a clip, and its stored files when no other reference holds the same bytes."""
    video, landmarks = clip.video_file, clip.landmarks_file
    clip.delete()
    if video and not ReferenceClip.objects.filter(video_file=video).exists():
        files.delete_file(files.video_storage(), video)
    if landmarks.startswith(LANDMARKS_DIR + "/") and not ReferenceClip.objects.filter(
            landmarks_file=landmarks).exists():
        files.delete_file(files.landmark_storage(), landmarks)


def start_enrollment(language: SignLanguage, user: Any = None) -> RegistryTask:
    """Queue the worker task that embeds the language's clips not yet embedded by its active
    embedding version (returns at once; the admin's task page shows the progress)."""
    version = selectors.active_model(language.code, EMBEDDING_TASK)
    if version is None:
        raise RegistryError([f"no sign embedding is active for {language}: register and "
                             "activate one (task 'embedding') before enrolling signs"])
    return background.start(RegistryTask.Kind.ENROLL, user=user, language=language,
                            task=EMBEDDING_TASK, version=version)


def run_enrollment(row: RegistryTask, report: background.Progress) -> dict[str, Any]:
    """The worker's side (registry.background runner of "enroll" tasks): extract and embed
    each clip lacking a vector of the embedding version, one clip at a time."""
    from registry.runtime import get_predictor

    assert row.language is not None and row.version is not None
    version = row.version
    predictor = get_predictor(version)
    todo = list(ReferenceClip.objects.filter(gloss__language=row.language)
                .exclude(embeddings__version=version).select_related("gloss"))
    done = failed = 0
    for k, clip in enumerate(todo):
        report(f"clip {k + 1} of {len(todo)}: {clip}", 5 + 90 * k // max(1, len(todo)))
        try:
            points = reference_landmarks(clip).points
            vector = np.asarray(predictor.embed(points), dtype=np.float64)
        except Exception as exc:  # noqa: BLE001 - one bad clip must not stop the others
            log.warning("reference clip %s failed: %s", clip.pk, exc)
            clip.status, clip.error = ReferenceClip.Status.FAILED, f"{type(exc).__name__}: {exc}"
            clip.save(update_fields=["status", "error", "landmarks_file"])
            failed += 1
            continue
        ReferenceEmbedding.objects.update_or_create(
            clip=clip, version=version, defaults={"vector": [round(float(v), 7) for v in vector]})
        clip.status, clip.error = ReferenceClip.Status.READY, ""
        clip.save(update_fields=["status", "error", "landmarks_file"])
        done += 1
    signs = enrolled_signs(row.language.code)
    summary = (f"{version.label}: {done} clip(s) embedded, {failed} failed; enrolled signs: "
               + (", ".join(signs) or "none yet"))
    return {"embedded": done, "failed": failed, "model": version.label, "signs": signs,
            "label": summary}


def reference_landmarks(clip: ReferenceClip) -> Any:
    """The clip's LandmarkSequence; a video's is extracted once (through the landmark cache,
    as a job's is) and kept under LANDMARKS_DIR (clip.landmarks_file is set, not saved)."""
    if clip.landmarks_file:
        return files.read_landmarks(clip.landmarks_file)
    from jobs import landmark_uploads as lu
    from landmarks.cache import LandmarkCache, extract_cached

    sequence = extract_cached(
        lambda: files.local_file(files.video_storage(), clip.video_file),
        LandmarkCache(files.landmark_entries()),
        model_complexity=settings.SLRWEB_HOLISTIC_MODEL_COMPLEXITY, video_sha256=clip.sha256,
        sample_fps=settings.SLRWEB_EXTRACT_FPS or None)
    clip.landmarks_file = lu.store_sequence(sequence, LANDMARKS_DIR)
    return sequence


def _embedded(language_code: str, version: ModelVersion) -> Any:
    """The active version's vectors of the language's ready clips, of signs with enough."""
    counts = (Gloss.objects.filter(language__code=language_code)
              .annotate(n=Count("references", filter=Q(
                  references__status=ReferenceClip.Status.READY,
                  references__embeddings__version=version)))
              .filter(n__gte=MIN_SHOTS).values_list("pk", flat=True))
    return (ReferenceEmbedding.objects
            .filter(version=version, clip__status=ReferenceClip.Status.READY,
                    clip__gloss__in=list(counts))
            .select_related("clip__gloss").order_by("clip__gloss__gloss", "clip_id"))


def enrolled_signs(language_code: str) -> list[str]:
    """The glosses jobs of this language can be told from enrolled references (sorted)."""
    version = selectors.active_model(language_code, EMBEDDING_TASK)
    if version is None:
        return []
    # Names only: every job's stage plan asks (serves_language), so no vector is loaded.
    return sorted(set(_embedded(language_code, version)
                      .values_list("clip__gloss__gloss", flat=True)))


def enrolled_vocabulary(language_code: str) -> tuple[ModelVersion, Any] | None:
    """(active embedding version, recognition.ml.enroll.Vocabulary of the enrolled signs), or
    None when the language has no active embedding or no sign with MIN_SHOTS embedded clips."""
    from recognition.ml.enroll import vocabulary_from

    version = selectors.active_model(language_code, EMBEDDING_TASK)
    if version is None:
        return None
    rows = list(_embedded(language_code, version))
    if not rows:
        return None
    emb = np.asarray([row.vector for row in rows], dtype=np.float32)
    clips = [{"id": f"reference-{row.clip_id}", "participant": row.clip.signer,
              "label": row.clip.gloss.gloss} for row in rows]
    return version, vocabulary_from(emb, clips, model=version.label)


def enrolled_predictor(language_code: str) -> tuple[ModelVersion, Any] | None:
    """(embedding version, EnrolledPredictor over the enrolled signs) for a job, or None.
    The model is the worker's cached predictor of that version; only the vocabulary is new."""
    from registry.runtime import get_predictor

    found = enrolled_vocabulary(language_code)
    if found is None:
        return None
    version, vocabulary = found
    return version, get_predictor(version).with_vocabulary(vocabulary)


def _is_user(user: Any) -> bool:
    return user is not None and bool(getattr(user, "is_authenticated", False))
