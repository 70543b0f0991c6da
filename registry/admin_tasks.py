"""Admin pages of the registry's worker tasks (registry.background): a task's progress page
and its JSON status, the shadow evaluation of a version, and starting a retrain.

Each page returns at once; the work runs in a Celery worker and the progress page polls the
task's status (registry/static/registry/task_progress.js) until it ends.
"""

from __future__ import annotations

import uuid
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from registry import background, selectors
from registry.admin_views import _context, can_activate
from registry.errors import RegistryError
from registry.metrics import comparison
from registry.models import ModelVersion, RegistryTask, SignLanguage

ADD_PERMISSION = "registry.add_modelversion"


def task_url(row: RegistryTask) -> str:
    return reverse("admin:registry_modelversion_task", args=[row.pk])


def _may_see_tasks(request: HttpRequest) -> bool:
    return request.user.has_perm(ADD_PERMISSION) or can_activate(request)


def _result_links(row: RegistryTask) -> list[tuple[str, str]]:
    """(label, url) of what a finished task leads to."""
    links = []
    if row.kind == RegistryTask.Kind.ENROLL:  # its version is the embedding that was used
        return [(_("The language's glosses"), reverse("admin:registry_gloss_changelist")
                 + f"?language__id__exact={row.language_id}")] if row.language_id else []
    if row.version_id and row.kind == RegistryTask.Kind.SHADOW:
        links.append((_("Shadow evaluation figures"),
                      reverse("admin:registry_modelversion_shadow", args=[row.version_id])))
    elif row.version_id and row.status == RegistryTask.Status.SUCCEEDED:
        links.append((_("The new version"),
                      reverse("admin:registry_modelversion_change", args=[row.version_id])))
        links.append((_("Shadow-evaluate it"),
                      reverse("admin:registry_modelversion_shadow", args=[row.version_id])))
        if row.params.get("activate"):
            links.append((_("Activate it"), reverse("admin:registry_modelversion_activate",
                                                   args=[row.version_id])))
    return links


def task_page(model_admin: admin.ModelAdmin, request: HttpRequest,
              task_id: uuid.UUID) -> HttpResponse:
    """A task's progress bar (polled), then its outcome and where to go next."""
    if not _may_see_tasks(request):
        raise PermissionDenied
    row = get_object_or_404(RegistryTask.objects.select_related("language", "version"),
                            pk=task_id)
    return TemplateResponse(request, "admin/registry/modelversion/task.html", _context(
        model_admin, request, row.get_kind_display(), task=row, links=_result_links(row),
        status_url=reverse("admin:registry_modelversion_task_status", args=[row.pk]),
        problems=row.result.get("problems") or ([row.error] if row.error else []),
    ))


def task_status(model_admin: admin.ModelAdmin, request: HttpRequest,
                task_id: uuid.UUID) -> HttpResponse:
    """The task as JSON, for the progress bar."""
    if not _may_see_tasks(request):
        raise PermissionDenied
    row = get_object_or_404(RegistryTask, pk=task_id)
    return JsonResponse({**background.task_to_dict(row), "finished": row.finished})


class ShadowForm(forms.Form):
    jobs = forms.IntegerField(
        label=gettext_lazy("Recent jobs"), min_value=0, max_value=500, initial=50,
        help_text=gettext_lazy("How many of the language's newest unlabelled jobs both "
                               "versions read (from their cached landmarks)."))


def shadow_page(model_admin: admin.ModelAdmin, request: HttpRequest, pk: int) -> HttpResponse:
    """GET: the latest shadow figures of a version beside the active one; POST: run anew."""
    if not can_activate(request):
        raise PermissionDenied
    version = get_object_or_404(ModelVersion.objects.select_related("language"), pk=pk)
    form = ShadowForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            row = background.start(RegistryTask.Kind.SHADOW, user=request.user,
                                   language=version.language, task=version.task,
                                   version=version, params={"jobs": form.cleaned_data["jobs"]})
        except RegistryError as exc:
            messages.error(request, str(exc))
        else:
            return HttpResponseRedirect(task_url(row))
    shadow = background.latest_shadow(version)
    return TemplateResponse(request, "admin/registry/modelversion/shadow.html", _context(
        model_admin, request, _("Shadow evaluation of %(label)s") % {"label": version.label},
        version=version, form=form, shadow=shadow, **shadow_context(shadow),
        active_version=selectors.active_model(version.language.code, version.task),
        change_url=reverse("admin:registry_modelversion_change", args=[version.pk]),
    ))


def shadow_context(shadow: RegistryTask | None) -> dict[str, Any]:
    """Rows of the side-by-side table and the disagreements of a finished shadow task."""
    if shadow is None:
        return {}
    figures = shadow.result
    corrections = figures.get("corrections", {})
    return {
        "figures": figures,
        "correction_rows": comparison(corrections.get("candidate") or {},
                                      corrections.get("active") or {}),
        "jobs_figures": figures.get("jobs", {}),
        "disagreements": figures.get("disagreements", []),
    }


class RetrainForm(forms.Form):
    language = forms.ModelChoiceField(SignLanguage.objects.all(),
                                      label=gettext_lazy("Sign language"))
    task = forms.ChoiceField(label=gettext_lazy("Task"), choices=[
        ("isolated", gettext_lazy("isolated signs")),
        ("translation", gettext_lazy("translation (fine-tune the active translator)"))])
    epochs = forms.IntegerField(
        label=gettext_lazy("Epochs"), min_value=1, max_value=1000, required=False,
        help_text=gettext_lazy("Empty: the base version's setting (translation: 10)."))
    base_data = forms.BooleanField(
        label=gettext_lazy("Include the base data"), required=False, initial=True,
        help_text=gettext_lazy("Isolated signs: the data the active version was trained on, "
                               "when it is on the worker's machine; else corrections alone."))
    from_scratch = forms.BooleanField(
        label=gettext_lazy("Train from scratch"), required=False, initial=False,
        help_text=gettext_lazy("Isolated signs: train the architecture anew on its full "
                               "schedule instead of fine-tuning the active version (slow; "
                               "needed to add glosses the active version lacks)."))


def retrain_page(model_admin: admin.ModelAdmin, request: HttpRequest) -> HttpResponse:
    """Start a retrain of a language's active model on its accepted corrections."""
    if not request.user.has_perm(ADD_PERMISSION):
        raise PermissionDenied
    form = RetrainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        language = data["language"]
        if selectors.active_model(language.code, data["task"]) is None:
            form.add_error("task", _("%(language)s has no active %(task)s model to start from.")
                           % {"language": language, "task": data["task"]})
        else:
            row = background.start(
                RegistryTask.Kind.RETRAIN, user=request.user, language=language,
                task=data["task"], params={"epochs": data["epochs"],
                                           "base_data": data["base_data"],
                                           "from_scratch": data["from_scratch"]})
            return HttpResponseRedirect(task_url(row))
    return TemplateResponse(request, "admin/registry/modelversion/retrain.html", _context(
        model_admin, request, _("Retrain on accepted corrections"), form=form, problems=[],
        recent=RegistryTask.objects.filter(kind=RegistryTask.Kind.RETRAIN)
        .select_related("language", "version")[:10],
    ))
