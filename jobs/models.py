"""A Job is one uploaded clip going through the pipeline stages."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Video(models.Model):
    """An uploaded clip, stored once under its content hash.

    De-duplication is internal: several users' jobs may share one Video, so nothing here may
    describe one uploader (the file name each gave lives on their Job). `content_type` comes
    from the probe (a whitelisted video type), never from the client.
    """

    sha256 = models.CharField(max_length=64, unique=True)
    file = models.CharField(
        _("file"), max_length=255, help_text=_("name in the default storage (jobs.files)")
    )
    size = models.BigIntegerField(_("size in bytes"))
    content_type = models.CharField(max_length=100, blank=True)
    info = models.JSONField(_("probe result"), default=dict)
    created = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("video")
        verbose_name_plural = _("videos")

    def __str__(self) -> str:
        return self.sha256[:12]


class Job(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="jobs",
    )
    # Anonymous jobs (SLRWEB_ALLOW_ANONYMOUS) belong to one browser session.
    session_key = models.CharField(max_length=40, blank=True, db_index=True)
    # None for a landmarks-only job (privacy mode: the landmarks were uploaded, never the video).
    video = models.ForeignKey(
        Video, on_delete=models.PROTECT, related_name="jobs", null=True, blank=True
    )
    # The file name this job's uploader gave (another user's upload of the same bytes has its own).
    original_name = models.CharField(_("original name"), max_length=255, blank=True)
    language = models.CharField(_("sign language"), max_length=8, default="ase")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    # [{"name", "status": pending|running|done|failed, "percent", "started", "finished"}]
    stages = models.JSONField(default=list)
    error = models.TextField(blank=True)
    result = models.JSONField(default=dict)
    # A relative name in the "landmarks" storage (a landmark cache entry), never a local path.
    landmarks_file = models.CharField(
        max_length=255, blank=True, help_text=_("name in the landmarks storage (jobs.files)")
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    heartbeat = models.DateTimeField(null=True, blank=True)
    created = models.DateTimeField(auto_now_add=True, db_index=True)
    updated = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")

    def __str__(self) -> str:
        return f"{self.original_name or self.video} ({self.status})"

    @property
    def group_name(self) -> str:
        return f"job_{self.id.hex}"

    def stage(self, name: str) -> dict[str, Any]:
        for stage in self.stages:
            if stage["name"] == name:
                return stage
        raise KeyError(name)
