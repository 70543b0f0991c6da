"""Read-only queries of the annotation app (the workspace, the API, the dataset export)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Case, IntegerField, QuerySet, Value, When

from annotation.models import Annotation
from annotation.state import model_segments
from jobs.models import Job
from registry.models import Gloss


def clip_duration(job: Job) -> float | None:
    """The clip's length in seconds from its landmarks, else from the probed video."""
    for value in (
        ((job.result or {}).get("landmarks") or {}).get("duration"),
        (job.video.info or {}).get("duration") if job.video is not None else None,
    ):
        if isinstance(value, int | float) and value > 0:
            return float(value)
    return None


def search_glosses(language: str, query: str, limit: int = 20) -> list[dict[str, str]]:
    """Vocabulary entries of a language matching `query`: prefix matches first, then others."""
    query = query.strip()
    glosses = Gloss.objects.filter(language__code=language)
    if query:
        glosses = glosses.filter(gloss__icontains=query).annotate(
            rank=Case(When(gloss__istartswith=query, then=Value(0)), default=Value(1),
                      output_field=IntegerField())
        ).order_by("rank", "gloss")
    return [{"gloss": g.gloss, "description": g.description}
            for g in glosses.only("gloss", "description")[:limit]]


def unknown_glosses(annotation: Annotation) -> list[str]:
    """Glosses of the annotation that are neither in the language's vocabulary nor in the
    model's top-k; empty when the language has no vocabulary registered (anything goes)."""
    vocabulary = set(
        Gloss.objects.filter(language__code=annotation.language).values_list("gloss", flat=True)
    )
    if not vocabulary:
        return []
    proposed = {
        entry["gloss"] for seg in model_segments(annotation.job.result)
        for entry in seg.get("topk") or []
    }
    used = [seg["gloss"] for seg in annotation.segments if seg["gloss"]]
    return sorted({g for g in used if g not in vocabulary and g not in proposed})


def accepted_annotations(language: str, since: datetime | None = None) -> QuerySet[Annotation]:
    """Accepted annotations of a language, oldest review first (the training data)."""
    annotations = Annotation.objects.filter(
        language=language, status=Annotation.Status.ACCEPTED
    ).select_related("job", "job__video")
    if since is not None:
        annotations = annotations.filter(reviewed__gte=since)
    return annotations.order_by("reviewed", "pk")


def annotation_state(annotation: Annotation) -> dict[str, Any]:
    """The editable part of an annotation, as the diff and the workspace see it."""
    return {
        "segments": list(annotation.segments),
        "translation": annotation.translation,
        "flags": list(annotation.flags),
    }
