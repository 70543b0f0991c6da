"""Admin pages beyond the generated ones: bundle upload, activation and roll-back confirmations,
vocabulary CSV import and export. Each takes the ModelAdmin that serves it."""

from __future__ import annotations

import io
from typing import Any

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _

from registry import selectors, services
from registry.background import latest_shadow
from registry.compat import version_serving_problem
from registry.errors import RegistryError
from registry.forms import BundleUploadForm, VocabularyImportForm
from registry.metrics import comparison
from registry.models import ModelVersion, SignLanguage
from registry.selectors import TASKS


ACTIVATE_PERMISSION = "registry.activate_modelversion"


def can_activate(request: HttpRequest) -> bool:
    """Whether the user may activate and roll back model versions."""
    return request.user.has_perm(ACTIVATE_PERMISSION)


def _context(model_admin: admin.ModelAdmin, request: HttpRequest, title: str,
             **extra: Any) -> dict[str, Any]:
    return {**model_admin.admin_site.each_context(request), "opts": model_admin.model._meta,
            "title": title, **extra}


def _show_problems(request: HttpRequest, error: RegistryError) -> None:
    for problem in error.problems:
        messages.error(request, problem)


def _changelist(model_admin: admin.ModelAdmin) -> str:
    opts = model_admin.model._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")


def upload_bundle(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """The "Add model version" page: a .zip upload, then its progress page at once. A worker
    validates it (smoke forward pass included), stores it and evaluates it
    (registry.background)."""
    if not model_admin.has_add_permission(request):
        raise PermissionDenied
    form = BundleUploadForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        from registry.background import start_registration

        try:
            row = start_registration(form.cleaned_data["bundle"],
                                     form.cleaned_data["language"], request.user,
                                     activate=form.cleaned_data["activate"])
        except RegistryError as exc:
            problems = exc.problems
        else:
            messages.info(request, _("The bundle is being validated and evaluated."))
            return HttpResponseRedirect(
                reverse("admin:registry_modelversion_task", args=[row.pk]))
    return TemplateResponse(request, "admin/registry/modelversion/upload.html", _context(
        model_admin, request, _("Upload a model bundle"), form=form, problems=problems,
        has_file_field=True,
    ))


def version_context(model_admin: admin.ModelAdmin, request: HttpRequest,
                    object_id: str) -> dict[str, Any]:
    """Extra context of a version's page: its metrics beside the active version's."""
    version = ModelVersion.objects.select_related("language").filter(pk=object_id).first()
    if version is None:
        return {}
    active = selectors.active_model(version.language.code, version.task)
    return {
        "version": version,
        "active_version": active,
        "metric_rows": comparison(version.metrics, active.metrics if active else None),
        "evaluation_rows": comparison(version.evaluation,
                                      active.evaluation if active else None),
        "can_activate": can_activate(request),
        "shadow": latest_shadow(version),
        # Why activating it would fail every job of its language (registry.compat), if so.
        "serving_problem": None if version.is_active else version_serving_problem(version),
        "rollback_url": reverse("admin:registry_modelversion_rollback")
        + f"?slot={version.language_id}:{version.task}",
    }


def confirm_activation(model_admin: admin.ModelAdmin, request: HttpRequest,
                       pk: int) -> HttpResponse:
    """GET: what would change (metrics side by side); POST: activate."""
    if not can_activate(request):
        raise PermissionDenied
    version = get_object_or_404(ModelVersion.objects.select_related("language"), pk=pk)
    change_url = reverse("admin:registry_modelversion_change", args=[version.pk])
    if request.method == "POST":
        try:
            event = services.activate_version(version, request.user)
        except RegistryError as exc:
            _show_problems(request, exc)
            return HttpResponseRedirect(change_url)
        before = event.from_version.label if event.from_version else _("no model")
        messages.success(request, _("%(label)s is now the active %(task)s model of "
                                    "%(language)s, replacing %(before)s.") % {
            "label": version.label, "language": version.language, "task": version.task,
            "before": before})
        return HttpResponseRedirect(change_url)
    context = version_context(model_admin, request, str(pk))
    return TemplateResponse(request, "admin/registry/modelversion/confirm_activation.html",
                            _context(model_admin, request, _("Activate %(label)s?")
                                     % {"label": version.label}, change_url=change_url,
                                     **context))


def _rollback_slots(request: HttpRequest) -> list[dict[str, Any]]:
    """The (language, task) pairs named by ?slot=<language id>:<task>, with what would change."""
    slots = []
    for raw in request.GET.getlist("slot") or request.POST.getlist("slot"):
        language_id, _sep, task = raw.partition(":")
        if task not in TASKS or not language_id.isdigit():
            raise Http404("bad slot")
        language = get_object_or_404(SignLanguage, pk=int(language_id))
        current = selectors.active_model(language.code, task)
        target = services.rollback_target(language, task)
        slots.append({"key": raw, "language": language, "task": task, "current": current,
                      "target": target})
    return slots


def confirm_rollback(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """GET: which version each slot would return to; POST: roll each back."""
    if not can_activate(request):
        raise PermissionDenied
    slots = _rollback_slots(request)
    if not slots:
        return HttpResponseRedirect(_changelist(model_admin))
    if request.method == "POST":
        for slot in slots:
            try:
                event = services.roll_back(slot["language"], slot["task"], request.user)
            except RegistryError as exc:
                _show_problems(request, exc)
                continue
            messages.success(request, _("Rolled back the %(task)s model of %(language)s to "
                                        "%(label)s.") % {
                "language": slot["language"], "task": slot["task"],
                "label": event.to_version.label})
        return HttpResponseRedirect(_changelist(model_admin))
    return TemplateResponse(request, "admin/registry/modelversion/confirm_rollback.html",
                            _context(model_admin, request, _("Roll back?"), slots=slots,
                                     changelist_url=_changelist(model_admin)))


def import_vocabulary(model_admin: admin.ModelAdmin, request: HttpRequest,
                      pk: int) -> HttpResponse:
    """Upload a vocabulary CSV for one language."""
    language = get_object_or_404(SignLanguage, pk=pk)
    if not (request.user.has_perm("registry.add_gloss")
            and request.user.has_perm("registry.change_gloss")):
        raise PermissionDenied
    form = VocabularyImportForm(request.POST or None, request.FILES or None)
    problems: list[str] = []
    if request.method == "POST" and form.is_valid():
        try:
            result = services.import_vocabulary_csv(language, form.cleaned_data["csv_file"])
        except RegistryError as exc:
            problems = exc.problems
        else:
            messages.success(request, _(
                "Vocabulary of %(language)s: %(created)d added, %(updated)d updated, "
                "%(unchanged)d unchanged.") % {"language": language, "created": result.created,
                                               "updated": result.updated,
                                               "unchanged": result.unchanged})
            for clip in result.missing_clips:
                messages.warning(request, _("Reference clip not found, left out: %s") % clip)
            return HttpResponseRedirect(
                reverse("admin:registry_signlanguage_change", args=[language.pk]))
    return TemplateResponse(request, "admin/registry/signlanguage/import_vocabulary.html",
                            _context(model_admin, request, _("Import the vocabulary of %s")
                                     % language, form=form, problems=problems,
                                     language=language, has_file_field=True))


def export_vocabulary(model_admin: admin.ModelAdmin, request: HttpRequest,
                      pk: int) -> HttpResponse:
    """Download one language's vocabulary as CSV."""
    language = get_object_or_404(SignLanguage, pk=pk)
    if not request.user.has_perm("registry.view_gloss"):
        raise PermissionDenied
    buffer = io.StringIO()
    services.export_vocabulary_csv(language, buffer)
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="vocabulary-{language.code}.csv"'
    return response
