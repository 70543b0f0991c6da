"""Sign languages, their vocabularies, and the versions of the models that serve them.

Exactly one ModelVersion per (language, task) may be active; the database enforces it with a
conditional unique constraint, and `registry.services.activate_version` switches it atomically.
Every switch is written to ActivationEvent, which is never edited.
"""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

# What a model does in a language's chain (translation.ml.chain): isolated signs; continuous
# glosses with times (landmarks -> glosses); translation to text (from landmarks, or from the
# continuous glosses when the bundle reads glosses); fingerspelling of spelled spans; a sign
# embedding, which recognises the signs enrolled from reference clips without retraining
# (recognition.enrollment).
TASK_CHOICES = [
    ("isolated", _("isolated signs")),
    ("continuous", _("continuous glosses")),
    ("translation", _("continuous translation")),
    ("fingerspelling", _("fingerspelling")),
    ("embedding", _("sign embedding (enrolled signs)")),
]


class SignLanguage(models.Model):
    """A sign language, keyed by its ISO 639-3 code (ase, gsg, bfi, ...)."""

    code = models.CharField(
        _("ISO 639-3 code"),
        max_length=3,
        unique=True,
        validators=[RegexValidator(r"^[a-z]{3}$", _("Use three lowercase letters (ISO 639-3)."))],
        help_text=_("three lowercase letters, e.g. ase for American Sign Language"),
    )
    name = models.CharField(_("name"), max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name = _("sign language")
        verbose_name_plural = _("sign languages")

    def __str__(self) -> str:
        return f"{self.name} ({self.code})"


def reference_clip_path(gloss: Gloss, filename: str) -> str:
    return f"registry/clips/{gloss.language.code}/{filename}"


class Gloss(models.Model):
    """One entry of a language's vocabulary; model outputs are glosses of this list."""

    language = models.ForeignKey(
        SignLanguage, on_delete=models.CASCADE, related_name="glosses", verbose_name=_("language")
    )
    gloss = models.CharField(_("gloss"), max_length=100)
    description = models.TextField(_("description"), blank=True)
    reference_clip = models.FileField(
        _("reference clip"), upload_to=reference_clip_path, blank=True
    )

    class Meta:
        ordering = ["language", "gloss"]
        verbose_name = _("gloss")
        verbose_name_plural = _("glosses")
        constraints = [
            models.UniqueConstraint(fields=["language", "gloss"], name="registry_unique_gloss")
        ]

    def __str__(self) -> str:
        return self.gloss


class ModelVersion(models.Model):
    """A validated bundle registered for one language and task, stored as an immutable copy."""

    class Status(models.TextChoices):
        CANDIDATE = "candidate", _("candidate")
        ACTIVE = "active", _("active")
        RETIRED = "retired", _("retired")

    language = models.ForeignKey(
        SignLanguage, on_delete=models.PROTECT, related_name="model_versions",
        verbose_name=_("language"),
    )
    task = models.CharField(_("task"), max_length=16, choices=TASK_CHOICES)
    name = models.CharField(_("name"), max_length=100)
    version = models.PositiveIntegerField(_("version"))
    # A folder name in the "default" storage (registry.bundle_store), never an absolute path.
    bundle_path = models.CharField(_("bundle folder"), max_length=255)
    checksum = models.CharField(
        _("checksum"), max_length=64, db_index=True,
        help_text=_("sha256 over the bundle's files; the same bundle is registered only once"),
    )
    metrics = models.JSONField(_("metrics"), default=dict, blank=True)
    evaluation = models.JSONField(
        _("evaluation on held-out corrections"), default=dict, blank=True
    )
    card = models.TextField(_("model card"), blank=True)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.CANDIDATE
    )
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("uploaded by"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)
    activated = models.DateTimeField(_("last activated"), null=True, blank=True)

    class Meta:
        ordering = ["language", "task", "-created"]
        verbose_name = _("model version")
        verbose_name_plural = _("model versions")
        permissions = [("activate_modelversion", _("Can activate and roll back model versions"))]
        constraints = [
            models.UniqueConstraint(
                fields=["language", "task"],
                condition=Q(status="active"),
                name="registry_one_active_version_per_language_task",
            ),
            models.UniqueConstraint(
                fields=["language", "task", "name", "version"],
                name="registry_unique_version_number",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} [{self.language.code}/{self.task}]"

    @property
    def label(self) -> str:
        """What results show as the model that produced them, e.g. "silfa-letters@3"."""
        return f"{self.name}@{self.version}"

    @property
    def bundle_dir(self) -> Path:
        """A local folder with the bundle's files, for torch: fetched from the storage into
        this machine's bundle cache on first use and checked against the checksum
        (registry.bundle_store.local_bundle; StoredBundleError when it cannot be)."""
        from registry.bundle_store import local_bundle

        return local_bundle(self.bundle_path, self.checksum)

    @property
    def is_active(self) -> bool:
        return self.status == self.Status.ACTIVE

    @property
    def input_kind(self) -> str:
        """What the model reads: "landmarks", or "gloss" lines (gloss -> text translators).
        Read from the stored bundle's config, so the web process never loads a model for it."""
        from registry.compat import bundle_input, stored_config

        try:
            config = stored_config(self)
        except (OSError, ValueError):
            return "landmarks"
        return bundle_input(self.task, config)


class ActivationEvent(models.Model):
    """Audit log: who switched which model version live, from which, and when."""

    class Action(models.TextChoices):
        ACTIVATE = "activate", _("activate")
        ROLLBACK = "rollback", _("roll back")

    language = models.ForeignKey(
        SignLanguage, on_delete=models.PROTECT, related_name="+", verbose_name=_("language")
    )
    task = models.CharField(_("task"), max_length=16, choices=TASK_CHOICES)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    # PROTECT: a version that was ever live stays in the database, so the log keeps its meaning.
    from_version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("from version"),
    )
    to_version = models.ForeignKey(
        ModelVersion, on_delete=models.PROTECT, related_name="activation_events",
        verbose_name=_("to version"),
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("by"),
    )
    # Kept as text too, so the log still says who after the account is deleted.
    username = models.CharField(_("username"), max_length=150, blank=True)
    created = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    # What the admin saw before switching: the target's latest shadow evaluation (candidate vs
    # the version it replaces, on held-out corrections and recent jobs), copied, never edited.
    figures = models.JSONField(_("shadow evaluation figures"), default=dict, blank=True)

    class Meta:
        ordering = ["-created", "-id"]
        verbose_name = _("activation event")
        verbose_name_plural = _("activation log")

    def __str__(self) -> str:
        before = self.from_version.label if self.from_version else "none"
        return f"{self.get_action_display()} {self.language.code}/{self.task}: {before} -> " + (
            self.to_version.label
        )


class RegistryTask(models.Model):
    """A registry operation that runs in a Celery worker: registering an uploaded bundle, a
    shadow evaluation of a candidate, or a retrain. The admin page and the API poll this row
    for progress (registry.background writes it)."""

    class Kind(models.TextChoices):
        REGISTER = "register", _("register a bundle")
        SHADOW = "shadow", _("shadow evaluation")
        RETRAIN = "retrain", _("retrain")
        ENROLL = "enroll", _("embed reference clips")

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("running")
        SUCCEEDED = "succeeded", _("succeeded")
        FAILED = "failed", _("failed")

    id = models.UUIDField(primary_key=True, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices)
    language = models.ForeignKey(
        SignLanguage, null=True, blank=True, on_delete=models.CASCADE, related_name="+",
        verbose_name=_("language"),
    )
    task = models.CharField(_("task"), max_length=16, choices=TASK_CHOICES, blank=True)
    # Shadow: the candidate evaluated. Register and retrain: the version made (once it is).
    version = models.ForeignKey(
        ModelVersion, null=True, blank=True, on_delete=models.CASCADE,
        related_name="registry_tasks", verbose_name=_("model version"),
    )
    params = models.JSONField(_("parameters"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.QUEUED)
    stage = models.CharField(_("stage"), max_length=200, blank=True)
    percent = models.PositiveSmallIntegerField(_("percent"), default=0)
    result = models.JSONField(_("result"), default=dict, blank=True)
    error = models.TextField(_("error"), blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("started by"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    updated = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        ordering = ["-created"]
        verbose_name = _("registry task")
        verbose_name_plural = _("registry tasks")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.status}, {self.percent}%)"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.SUCCEEDED, self.Status.FAILED)


class ReferenceClip(models.Model):
    """One reference clip of a vocabulary entry, from which the language's active sign
    embedding learns the sign without retraining (recognition.enrollment). A video (probed like
    a job's upload, its landmarks extracted by a worker through the landmark cache) or a
    landmark file (.npz/.pose, checked like a landmarks-only job)."""

    class Source(models.TextChoices):
        VIDEO = "video", _("video")
        LANDMARKS = "landmarks", _("landmark file")

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting for the worker")
        READY = "ready", _("embedded")
        FAILED = "failed", _("failed")

    gloss = models.ForeignKey(Gloss, on_delete=models.CASCADE, related_name="references",
                              verbose_name=_("gloss"))
    source = models.CharField(_("source"), max_length=16, choices=Source.choices)
    # sha256 of the uploaded bytes: one clip is enrolled once per gloss.
    sha256 = models.CharField(_("sha256"), max_length=64)
    # A video's name in the default storage (registry/references/...); empty for landmarks.
    video_file = models.CharField(_("video file"), max_length=255, blank=True)
    # The clip's own copy in the "landmarks" storage (references/...): set at upload for a
    # landmark file, by the worker for a video (extracted through the landmark cache).
    landmarks_file = models.CharField(_("landmarks file"), max_length=255, blank=True)
    original_name = models.CharField(_("file name"), max_length=255, blank=True)
    signer = models.CharField(_("signer"), max_length=100, blank=True,
                              help_text=_("who signs it (optional; for traceability)"))
    status = models.CharField(_("status"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    error = models.TextField(_("error"), blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
        related_name="+", verbose_name=_("uploaded by"),
    )
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        ordering = ["gloss", "created"]
        verbose_name = _("reference clip")
        verbose_name_plural = _("reference clips")
        constraints = [
            models.UniqueConstraint(fields=["gloss", "sha256"], name="registry_unique_reference")
        ]

    def __str__(self) -> str:
        return f"{self.gloss.gloss}: {self.original_name or self.sha256[:12]}"


class ReferenceEmbedding(models.Model):
    """The vector of one reference clip under one embedding version: computed once by the
    worker, read by every job (keyed by model version and clip)."""

    clip = models.ForeignKey(ReferenceClip, on_delete=models.CASCADE, related_name="embeddings",
                             verbose_name=_("reference clip"))
    version = models.ForeignKey(ModelVersion, on_delete=models.CASCADE, related_name="+",
                                verbose_name=_("embedding version"))
    vector = models.JSONField(_("vector"))  # D floats, L2-normalised
    created = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("reference embedding")
        verbose_name_plural = _("reference embeddings")
        constraints = [
            models.UniqueConstraint(fields=["clip", "version"],
                                    name="registry_one_embedding_per_clip_version")
        ]
