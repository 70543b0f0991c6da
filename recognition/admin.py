"""The admin side of enrolled signs (recognition.enrollment): on a gloss's page, upload 3-5
reference clips (videos or landmark files; or record them in the page with the camera:
registry/static/registry/record_reference.js), see each clip's
status and which embedding version embedded it, delete clips. Saving queues the worker task
that embeds the new clips; its progress page is linked from the confirmation message.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from recognition import enrollment
from registry.admin import GlossAdmin as RegistryGlossAdmin
from registry.errors import RegistryError
from registry.models import Gloss, ReferenceClip, SignLanguage

ACCEPT = "video/*,.mp4,.webm,.mov,.mkv,.npz,.pose"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; cleans to a list (empty when none was chosen)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": ACCEPT}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> Any:
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class GlossEnrollmentForm(forms.ModelForm):  # type: ignore[type-arg]
    add_references = MultipleFileField(
        label=gettext_lazy("Add reference clips"), required=False,
        help_text=gettext_lazy(
            "3-5 clips of this sign, each one sign from rest to rest: videos (mp4, webm, mov), "
            "or landmark files (.npz, .pose) as `slrweb extract` writes them. Clips of "
            "several people recognise new people better. Jobs return the sign once %(n)d of "
            "its clips are embedded by the language's active sign embedding."
        ) % {"n": enrollment.MIN_SHOTS})
    signer = forms.CharField(label=gettext_lazy("Signer of these clips"), required=False,
                             max_length=100)

    class Meta:
        model = Gloss
        fields = ["language", "gloss", "description", "reference_clip"]


class ReferenceClipInline(admin.TabularInline):  # type: ignore[type-arg]
    model = ReferenceClip
    extra = 0
    fields = ("original_name", "source", "signer", "status", "embedded_by", "error", "created")
    readonly_fields = fields
    verbose_name_plural = gettext_lazy("reference clips (enrolled sign)")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # clips come in through the upload field, checked like a job's upload

    @admin.display(description=gettext_lazy("embedded by"))
    def embedded_by(self, obj: ReferenceClip) -> str:
        return ", ".join(e.version.label for e in obj.embeddings.select_related("version")) or "—"


class GlossEnrollmentAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """GlossAdmin's base: the upload field, the clips inline and the embed action."""

    form = GlossEnrollmentForm
    inlines = [ReferenceClipInline]
    actions = ["embed_reference_clips"]

    class Media:
        # record clips in the page (camera; frontend/camera.js opens it as the site's pages do)
        js = ("frontend/camera.js", "registry/record_reference.js")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Gloss]:
        return super().get_queryset(request).prefetch_related("references")  # the column

    @admin.display(description=gettext_lazy("reference clips"))
    def references(self, obj: Gloss) -> Any:
        ready = sum(c.status == ReferenceClip.Status.READY for c in obj.references.all())
        total = len(obj.references.all())
        if not total:
            return "—"
        colour = "#1a7f37" if ready >= enrollment.MIN_SHOTS else "#9a6700"
        return format_html('<span style="color:{}">{}/{}</span>', colour, ready, total)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        added = 0
        for upload in form.cleaned_data.get("add_references") or []:
            try:
                enrollment.add_reference(form.instance, chunks=upload.chunks(),
                                         filename=upload.name, user=request.user,
                                         signer=form.cleaned_data.get("signer") or "")
            except RegistryError as exc:
                messages.error(request, _("The file %(file)s was not added: %(why)s")
                               % {"file": upload.name, "why": exc})
            else:
                added += 1
        if added:
            self._start(request, form.instance.language)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not ReferenceClip:
            super().save_formset(request, form, formset, change)
            return
        formset.save(commit=False)
        for clip in formset.deleted_objects:
            enrollment.delete_reference(clip)

    @admin.action(description=gettext_lazy("Embed the reference clips of these glosses' "
                                           "languages"))
    def embed_reference_clips(self, request: HttpRequest, queryset: QuerySet[Gloss]) -> None:
        for language in SignLanguage.objects.filter(glosses__in=queryset).distinct():
            self._start(request, language)

    def _start(self, request: HttpRequest, language: SignLanguage) -> None:
        from registry.admin_tasks import task_url

        try:
            row = enrollment.start_enrollment(language, request.user)
        except RegistryError as exc:
            messages.warning(request, str(exc))
            return
        messages.success(request, format_html(
            '{} <a href="{}">{}</a>', _("The worker is embedding the reference clips of "
                                        "%(language)s.") % {"language": language},
            task_url(row), _("Follow its progress")))


# The registry's gloss page, extended with the enrolled signs' clips (registry.admin is
# imported first: INSTALLED_APPS lists registry before recognition).
admin.site.unregister(Gloss)


@admin.register(Gloss)
class GlossAdmin(GlossEnrollmentAdmin, RegistryGlossAdmin):
    list_display = (*RegistryGlossAdmin.list_display, "references")
