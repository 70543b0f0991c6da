"""Registered webhooks, and the log of what was sent to them.

One Delivery per (webhook, job, event): its body is built once and stored, so every retry sends
(and signs) the same bytes. Each HTTP try is a DeliveryAttempt row.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

EVENTS = ("job.succeeded", "job.failed")


class Webhook(models.Model):
    """A URL of an API user, and the job events it wants."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE,
                              related_name="webhooks", verbose_name=_("owner"))
    url = models.CharField(_("URL"), max_length=2000)
    events = models.JSONField(_("events"), default=list)
    # Kept to sign deliveries; shown to the owner once, at creation, and never again.
    secret = models.CharField(_("signing secret"), max_length=128, editable=False)
    active = models.BooleanField(_("active"), default=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["owner", "-created"]
        verbose_name = _("webhook")
        verbose_name_plural = _("webhooks")

    def __str__(self) -> str:
        return self.url


class Delivery(models.Model):
    """One event for one webhook: its signed body and where its sending stands."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        SUCCEEDED = "succeeded", _("delivered")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    webhook = models.ForeignKey(Webhook, on_delete=models.CASCADE, related_name="deliveries",
                                verbose_name=_("webhook"))
    # Not a foreign key: the log stays when the job is deleted.
    job_id = models.UUIDField(_("job"), db_index=True)
    event = models.CharField(_("event"), max_length=32)
    payload = models.TextField(_("body sent"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    last_status_code = models.PositiveIntegerField(_("last HTTP status"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    delivered = models.DateTimeField(_("delivered"), null=True, blank=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        constraints = [
            models.UniqueConstraint(fields=["webhook", "job_id", "event"],
                                    name="webhooks_one_delivery_per_job_event"),
        ]

    def __str__(self) -> str:
        return f"{self.event} of {self.job_id} -> {self.webhook.url}"


class DeliveryAttempt(models.Model):
    """One HTTP try of a delivery: the answer's status (or why there was none)."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempt_log",
                                 verbose_name=_("delivery"))
    number = models.PositiveIntegerField(_("try"))
    status_code = models.PositiveIntegerField(_("HTTP status"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    response_excerpt = models.CharField(_("response (start)"), max_length=500, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    created = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("delivery attempt")
        verbose_name_plural = _("delivery attempts")

    def __str__(self) -> str:
        return f"try {self.number}: {self.status_code or self.error}"
