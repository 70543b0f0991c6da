"""Corrections of model output by annotators, and their review.

A job reaches annotators through a ReviewRequest (its owner's consent) or through the site-wide
setting SLRWEB_SHARE_JOBS_FOR_REVIEW. Each job has at most one Annotation, edited in revisions;
every change of a field is kept as a Correction row (author, time, the model version whose output
it corrects, before and after). A Review accepts or rejects a submitted annotation.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from jobs.models import Job

# Flags an annotator may raise on a job; the key is stored, the label shown.
FLAGS = {
    "bad_extraction": _("bad landmark extraction"),
    "wrong_language": _("wrong sign language"),
    "no_signing": _("no signing in the clip"),
}


class ReviewRequest(models.Model):
    """A job queued for review: its owner consented that annotators may see and correct it."""

    job = models.OneToOneField(
        Job, on_delete=models.CASCADE, related_name="review_request", verbose_name=_("job")
    )
    shared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("shared by"),
    )
    note = models.TextField(_("note for the annotators"), blank=True)
    created = models.DateTimeField(_("shared"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["created"]
        verbose_name = _("review request")
        verbose_name_plural = _("review requests")

    def __str__(self) -> str:
        return str(_("review of %(job)s") % {"job": self.job_id})


class Annotation(models.Model):
    """An annotator's corrected reading of one job: segments, translation text, flags."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("draft")
        SUBMITTED = "submitted", _("submitted")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    job = models.OneToOneField(
        Job, on_delete=models.CASCADE, related_name="annotation", verbose_name=_("job")
    )
    language = models.CharField(_("sign language"), max_length=8, db_index=True)
    annotator = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="annotations", verbose_name=_("annotator"),
    )
    # [{"id": "m0", "start": s, "end": s, "gloss": str, "origin": model segment index | None}]
    segments = models.JSONField(_("segments"), default=list, blank=True)
    translation = models.TextField(_("translation"), blank=True)
    flags = models.JSONField(_("flags"), default=list, blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.DRAFT, db_index=True
    )
    # Bumped by every save; a save naming an older revision is refused (two editors at once).
    revision = models.PositiveIntegerField(_("revision"), default=0)
    # The labels of the model versions whose output this annotation started from.
    base_models = models.JSONField(_("corrected model versions"), default=dict, blank=True)
    created = models.DateTimeField(_("created"), auto_now_add=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)
    submitted = models.DateTimeField(_("submitted"), null=True, blank=True)
    reviewed = models.DateTimeField(_("reviewed"), null=True, blank=True, db_index=True)

    class Meta:
        ordering = ["-updated"]
        verbose_name = _("annotation")
        verbose_name_plural = _("annotations")

    def __str__(self) -> str:
        return f"{self.job_id} ({self.get_status_display()})"

    @property
    def is_editable(self) -> bool:
        return self.status in (self.Status.DRAFT, self.Status.REJECTED)


class Correction(models.Model):
    """One changed field of an annotation: who, when, which model output, before and after."""

    annotation = models.ForeignKey(
        Annotation, on_delete=models.CASCADE, related_name="corrections",
        verbose_name=_("annotation"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("author"),
    )
    # Kept as text too, so the record still says who after the account is deleted.
    author_name = models.CharField(_("author name"), max_length=150, blank=True)
    created = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    model_version = models.CharField(_("corrected model version"), max_length=120, blank=True)
    # "segment:<id>" (added/removed), "segment:<id>.gloss|start|end", "translation", "flag:<key>"
    field = models.CharField(_("field"), max_length=120)
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)
    revision = models.PositiveIntegerField(_("revision"))

    class Meta:
        ordering = ["created", "id"]
        verbose_name = _("correction")
        verbose_name_plural = _("corrections")

    def __str__(self) -> str:
        return f"{self.field}: {self.before!r} -> {self.after!r}"


class Review(models.Model):
    """A reviewer's decision on a submitted annotation."""

    class Decision(models.TextChoices):
        ACCEPT = "accept", _("accept")
        REJECT = "reject", _("reject")

    annotation = models.ForeignKey(
        Annotation, on_delete=models.CASCADE, related_name="reviews", verbose_name=_("annotation")
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("reviewer"),
    )
    decision = models.CharField(_("decision"), max_length=8, choices=Decision.choices)
    comment = models.TextField(_("comment"), blank=True)
    revision = models.PositiveIntegerField(_("reviewed revision"))
    created = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("review")
        verbose_name_plural = _("reviews")

    def __str__(self) -> str:
        return f"{self.get_decision_display()} {self.annotation.job_id}"
