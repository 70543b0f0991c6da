"""Django admin of the registry: languages, vocabularies, model versions, the activation log.

The pages that are more than a form over one row (bundle upload, activation and roll-back
confirmations, vocabulary CSV) live in registry.admin_views; this module wires them in.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin, messages
from django.db.models import Count, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from registry import admin_tasks, admin_views, services
from registry.metrics import format_value, headline
from registry.models import ActivationEvent, Gloss, ModelVersion, SignLanguage


@admin.register(SignLanguage)
class SignLanguageAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "gloss_count", "active_models")
    search_fields = ("code", "name")
    ordering = ("name",)
    change_form_template = "admin/registry/signlanguage/change_form.html"

    def get_queryset(self, request: HttpRequest) -> QuerySet[SignLanguage]:
        return super().get_queryset(request).annotate(n_glosses=Count("glosses"))

    @admin.display(description=_("glosses"), ordering="n_glosses")
    def gloss_count(self, obj: SignLanguage) -> Any:
        url = reverse("admin:registry_gloss_changelist") + f"?language__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, getattr(obj, "n_glosses", 0))

    @admin.display(description=_("active models"))
    def active_models(self, obj: SignLanguage) -> str:
        active = obj.model_versions.filter(status=ModelVersion.Status.ACTIVE).order_by("task")
        return ", ".join(f"{v.task}: {v.label}" for v in active) or "—"

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/vocabulary/import/",
                 view(lambda r, pk: admin_views.import_vocabulary(self, r, pk)),
                 name="registry_signlanguage_import_vocabulary"),
            path("<int:pk>/vocabulary/export/",
                 view(lambda r, pk: admin_views.export_vocabulary(self, r, pk)),
                 name="registry_signlanguage_export_vocabulary"),
        ] + super().get_urls()


class HasReferenceClip(admin.SimpleListFilter):
    title = _("reference clip")
    parameter_name = "has_clip"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("with a clip")), ("no", _("without a clip"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Gloss]) -> QuerySet[Gloss]:
        if self.value() == "yes":
            return queryset.exclude(reference_clip="")
        if self.value() == "no":
            return queryset.filter(reference_clip="")
        return queryset


@admin.register(Gloss)
class GlossAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    # recognition.admin extends it with the enrolled signs' reference clips
    list_display: tuple[str, ...] = ("gloss", "language", "short_description", "has_clip")
    list_filter = ("language", HasReferenceClip)
    search_fields = ("gloss", "description")
    list_select_related = ("language",)
    list_per_page = 100

    @admin.display(description=_("description"))
    def short_description(self, obj: Gloss) -> str:
        return obj.description if len(obj.description) <= 80 else obj.description[:79] + "…"

    @admin.display(description=_("clip"), boolean=True)
    def has_clip(self, obj: Gloss) -> bool:
        return bool(obj.reference_clip)


@admin.register(ModelVersion)
class ModelVersionAdmin(admin.ModelAdmin):
    list_display = ("label", "language", "task", "status_badge", "headline_metrics", "created",
                    "uploaded_by")
    list_display_links = ("label",)
    list_filter = ("status", "task", "language")
    search_fields = ("name", "language__code", "language__name", "checksum")
    list_select_related = ("language", "uploaded_by")
    readonly_fields = ("label", "language", "task", "name", "version", "status", "activated",
                       "created", "uploaded_by", "bundle_path", "checksum", "card")
    fieldsets = (
        (None, {"fields": ("label", "language", "task", "status", "activated")}),
        (_("Provenance"), {"fields": ("name", "version", "uploaded_by", "created",
                                      "bundle_path", "checksum")}),
        (_("Model card"), {"fields": ("card",), "classes": ("collapse",)}),
    )
    actions = ["activate_selected", "roll_back_selected"]
    change_form_template = "admin/registry/modelversion/change_form.html"
    change_list_template = "admin/registry/modelversion/change_list.html"

    @admin.display(description=_("version"), ordering="name")
    def label(self, obj: ModelVersion) -> str:
        return obj.label

    @admin.display(description=_("status"), ordering="status")
    def status_badge(self, obj: ModelVersion) -> Any:
        colours = {"active": "#1a7f37", "candidate": "#9a6700", "retired": "#6e7781"}
        return format_html('<strong style="color:{}">{}</strong>', colours.get(obj.status, ""),
                           obj.get_status_display())

    @admin.display(description=_("metrics"))
    def headline_metrics(self, obj: ModelVersion) -> Any:
        items = headline(obj.metrics)
        return format_html_join(" · ", "{} {}", ((k, format_value(v)) for k, v in items)) or "—"

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # a registered bundle is immutable; state changes go through actions

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if obj is not None and (obj.is_active or obj.activation_events.exists()):
            return False  # the activation log keeps every version that was ever live
        return super().has_delete_permission(request, obj)

    def has_activate_permission(self, request: HttpRequest) -> bool:
        return admin_views.can_activate(request)

    def delete_model(self, request: HttpRequest, obj: ModelVersion) -> None:
        services.delete_version(obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[ModelVersion]) -> None:
        for version in queryset:
            services.delete_version(version)

    def get_urls(self) -> list[Any]:
        view = self.admin_site.admin_view
        return [
            path("<int:pk>/activate/",
                 view(lambda r, pk: admin_views.confirm_activation(self, r, pk)),
                 name="registry_modelversion_activate"),
            path("rollback/", view(lambda r: admin_views.confirm_rollback(self, r)),
                 name="registry_modelversion_rollback"),
            path("<int:pk>/shadow/", view(lambda r, pk: admin_tasks.shadow_page(self, r, pk)),
                 name="registry_modelversion_shadow"),
            path("retrain/", view(lambda r: admin_tasks.retrain_page(self, r)),
                 name="registry_modelversion_retrain"),
            path("tasks/<uuid:task_id>/",
                 view(lambda r, task_id: admin_tasks.task_page(self, r, task_id)),
                 name="registry_modelversion_task"),
            path("tasks/<uuid:task_id>/status/",
                 view(lambda r, task_id: admin_tasks.task_status(self, r, task_id)),
                 name="registry_modelversion_task_status"),
        ] + super().get_urls()

    def add_view(self, request: HttpRequest, form_url: str = "",
                 extra_context: dict[str, Any] | None = None) -> HttpResponse:
        return admin_views.upload_bundle(self, request)

    def change_view(self, request: HttpRequest, object_id: str, form_url: str = "",
                    extra_context: dict[str, Any] | None = None) -> HttpResponse:
        context = {**(extra_context or {}),
                   **admin_views.version_context(self, request, object_id)}
        return super().change_view(request, object_id, form_url, context)

    @admin.action(description=_("Activate the selected version…"), permissions=["activate"])
    def activate_selected(self, request: HttpRequest,
                          queryset: QuerySet[ModelVersion]) -> HttpResponse | None:
        if queryset.count() != 1:
            self.message_user(request, _("Select exactly one version to activate."),
                              messages.WARNING)
            return None
        url = reverse("admin:registry_modelversion_activate", args=[queryset.get().pk])
        return HttpResponseRedirect(url)

    @admin.action(description=_("Roll back the language and task of the selected versions…"),
                  permissions=["activate"])
    def roll_back_selected(self, request: HttpRequest,
                           queryset: QuerySet[ModelVersion]) -> HttpResponse:
        pairs = sorted({f"{v.language_id}:{v.task}" for v in queryset})
        query = urlencode([("slot", p) for p in pairs])
        return HttpResponseRedirect(reverse("admin:registry_modelversion_rollback") + "?" + query)


@admin.register(ActivationEvent)
class ActivationEventAdmin(admin.ModelAdmin):
    """The audit log: readable by those allowed to view it, never written by hand."""

    list_display = ("created", "action", "language", "task", "from_version", "to_version",
                    "who", "shadow_summary")
    readonly_fields = ("created", "action", "language", "task", "from_version", "to_version",
                       "user", "username", "figures")

    @admin.display(description=_("shadow evaluation"))
    def shadow_summary(self, obj: ActivationEvent) -> str:
        jobs = (obj.figures or {}).get("jobs") or {}
        if not obj.figures:
            return "—"
        agreement = jobs.get("agreement")
        return (f"{jobs.get('agree', 0)}/{jobs.get('compared', 0)} jobs agree"
                + (f" ({agreement:.0%})" if isinstance(agreement, float) else ""))
    list_filter = ("action", "task", "language")
    search_fields = ("username", "to_version__name", "from_version__name", "language__code")
    date_hierarchy = "created"
    list_select_related = ("language", "from_version", "to_version")

    @admin.display(description=_("by"), ordering="username")
    def who(self, obj: ActivationEvent) -> str:
        return obj.username or str(_("system"))

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

