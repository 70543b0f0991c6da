"""Admin of annotations: browse, filter and audit. Edits happen in the workspace (annotation.views),
whose services record every change; so corrections and reviews are read-only here."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from annotation.models import Annotation, Correction, Review, ReviewRequest


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class CorrectionInline(ReadOnlyInline):
    model = Correction
    fields = ("created", "author_name", "field", "before", "after", "model_version", "revision")
    readonly_fields = fields


class ReviewInline(ReadOnlyInline):
    model = Review
    fields = ("created", "reviewer", "decision", "comment", "revision")
    readonly_fields = fields


@admin.register(Annotation)
class AnnotationAdmin(admin.ModelAdmin):
    list_display = ("job", "language", "status", "annotator", "revision", "updated", "workspace")
    list_filter = ("status", "language", "reviewed", "updated")
    search_fields = ("job__id", "annotator__username", "translation", "job__original_name")
    date_hierarchy = "updated"
    readonly_fields = ("job", "language", "annotator", "segments", "translation", "flags",
                       "status", "revision", "base_models", "created", "updated", "submitted",
                       "reviewed", "workspace")
    inlines = (ReviewInline, CorrectionInline)
    list_select_related = ("job", "annotator")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # annotations start in the workspace, from a job's model output

    @admin.display(description=_("workspace"))
    def workspace(self, obj: Annotation) -> str:
        url = reverse("annotation:workspace", args=[obj.job_id])
        return format_html('<a href="{}">{}</a>', url, _("open"))


@admin.register(ReviewRequest)
class ReviewRequestAdmin(admin.ModelAdmin):
    list_display = ("job", "shared_by", "created", "note")
    list_filter = ("created",)
    search_fields = ("job__id", "shared_by__username", "note")
    readonly_fields = ("job", "shared_by", "created")
    list_select_related = ("job", "shared_by")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # consent is the owner's to give (annotation:share)


@admin.register(Correction)
class CorrectionAdmin(admin.ModelAdmin):
    list_display = ("created", "author_name", "field", "before", "after", "model_version",
                    "annotation")
    list_filter = ("model_version", "created")
    search_fields = ("author_name", "field", "annotation__job__id")
    date_hierarchy = "created"
    list_select_related = ("annotation",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # the record of who corrected what is kept whole


@admin.register(Review)
class ReviewAdmin(admin.ModelAdmin):
    list_display = ("created", "reviewer", "decision", "annotation", "comment")
    list_filter = ("decision", "created")
    search_fields = ("reviewer__username", "comment", "annotation__job__id")
    list_select_related = ("reviewer", "annotation")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
