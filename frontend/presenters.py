"""What the templates show of a job: translated labels, durations, download links."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from jobs.models import Job
from jobs.serializers import job_to_dict
from registry.models import SignLanguage

# Names of the pipeline's stages as people read them (the JSON keeps the technical names).
STAGE_LABELS = {
    "probe": _("Checking the video"),
    "landmarks": _("Finding body, hands and face"),
    "recognition": _("Recognising signs"),
    "translation": _("Translating"),
}
STATUS_LABELS = {
    "pending": _("waiting"),
    "queued": _("queued"),
    "running": _("running"),
    "done": _("done"),
    "succeeded": _("finished"),
    "failed": _("failed"),
}
# Tokens less likely than this are marked in the translation (and in tests/browser).
LOW_CONFIDENCE = 0.5


def job_duration(job: Job) -> float | None:
    """Seconds of video: the probe's duration, else what the landmarks covered."""
    probed = job.video.info.get("duration") if job.video is not None else None  # landmarks-only
    for value in (probed, (job.result.get("landmarks") or {}).get("duration")):
        if value is not None and math.isfinite(float(value)) and float(value) > 0:
            return float(value)
    return None


def format_duration(seconds: float | None) -> str:
    """"0:07", "12:03"; an em dash when unknown."""
    if seconds is None:
        return "—"
    whole = int(round(seconds))
    return f"{whole // 60}:{whole % 60:02d}"


def download_links(job: Job) -> list[dict[str, str]]:
    """Files of a finished job (the result section, which lists them, shows only then)."""
    base = f"/api/v1/jobs/{job.id}"
    return [
        {"href": f"{base}/result.json", "label": str(_("Result (JSON)"))},
        {"href": f"{base}/subtitles.vtt?download=1", "label": str(_("Subtitles (WebVTT)"))},
        {"href": f"{base}/landmarks.pose", "label": str(_("Landmarks (.pose)"))},
        {"href": f"{base}/landmarks.npz", "label": str(_("Landmarks (NumPy .npz)"))},
    ]


def language_names() -> dict[str, str]:
    return dict(SignLanguage.objects.values_list("code", "name"))


def stage_rows(state: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {
            **stage,
            "label": STAGE_LABELS.get(stage["name"], stage["name"]),
            "status_label": STATUS_LABELS.get(stage["status"], stage["status"]),
        }
        for stage in state["stages"]
    ]


def job_page_context(job: Job) -> dict[str, Any]:
    state = job_to_dict(job)
    return {
        "job": job,
        "state": state,
        "stage_rows": stage_rows(state),
        "language_name": language_names().get(job.language, job.language),
        "downloads": download_links(job),
        "labels": {
            "stages": {k: str(v) for k, v in STAGE_LABELS.items()},
            "statuses": {k: str(v) for k, v in STATUS_LABELS.items()},
            "low_confidence": LOW_CONFIDENCE,
        },
    }


@dataclass(frozen=True)
class HistoryRow:
    job: Job
    name: str
    status_label: str
    duration: str
    language: str
    thumbnail_url: str


def history_rows(jobs: list[Job]) -> list[HistoryRow]:
    names = language_names()
    return [
        HistoryRow(
            job=job,
            name=job.original_name or str(_("Video")),
            status_label=str(STATUS_LABELS.get(job.status, job.status)),
            duration=format_duration(job_duration(job)),
            language=names.get(job.language, job.language),
            # A landmarks-only job has no video to take a still from.
            thumbnail_url=f"/api/v1/jobs/{job.id}/thumbnail.jpg" if job.video_id else "",
        )
        for job in jobs
    ]
