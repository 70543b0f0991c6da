"""Rules of the Django admin: the site's own pages, and five pages per registered model.

ADMIN_MODELS declares, per model, what the admin role may do in the admin (v: view, a: add,
c: change, d: delete). Plain users and annotators are not staff: they get the admin's login page.
The `staff` requester (is_staff, no role) gets in but is refused every model page (403). A model
registered in the admin without an entry here has routes without rules: the matrix fails.
"""

from __future__ import annotations

from typing import Any

from tests.security.harness import LOGIN, E, Rule
from tests.security.world import World

L = LOGIN

ADMIN_MODELS: dict[str, str] = {
    "auth.user": "v",  # admins see accounts; only superusers change them
    "auth.group": "v",
    "axes.accessattempt": "vd",  # deleting an attempt lifts a lockout
    "axes.accesslog": "",  # not kept (AXES_DISABLE_ACCESS_LOG)
    "axes.accessfailurelog": "",
    "accounts.apitoken": "vcd",  # never added here: nobody could be shown the key
    "registry.signlanguage": "vacd",
    "registry.gloss": "vacd",
    "registry.modelversion": "va",  # immutable once registered; switched by actions
    "registry.activationevent": "v",  # append-only audit log
    "jobs.job": "vacd",
    "jobs.video": "vacd",
    "annotation.annotation": "vcd",  # made by opening a job, not in the admin
    "annotation.reviewrequest": "vcd",  # only the owner consents
    "annotation.correction": "v",  # the edit history is append-only
    "annotation.review": "vd",
    "webhooks.webhook": "vd",  # the owner registers through the API; admins may remove
    "webhooks.delivery": "vd",  # a delivery log
}


def _object_params(label: str) -> Any:
    def params(world: World) -> dict[str, Any]:
        return {"object_id": world.objects[label].pk}
    return params


def _model_rules(label: str, may: str) -> dict[str, Rule]:
    app, model = label.split(".")
    see = 200 if "v" in may or "c" in may else 403
    obj = _object_params(label)

    def change_url(world: World) -> str:
        return f"/admin/{app}/{model}/{world.objects[label].pk}/change/"

    return {
        f"admin:{app}_{model}_changelist": E(L, L, L, L, see, staff=403),
        f"admin:{app}_{model}_add": E(L, L, L, L, 200 if "a" in may else 403, staff=403),
        f"admin:{app}_{model}_change": E(L, L, L, L, see, params=obj, staff=403),
        f"admin:{app}_{model}_delete": E(L, L, L, L, 200 if "d" in may else 403, params=obj,
                                         staff=403),
        f"admin:{app}_{model}_history": E(L, L, L, L, see, params=obj, staff=403),
        # The bare object URL only redirects to the change page (which checks permissions).
        f"/admin/{app}/{model}/<path:object_id>/": E(L, L, L, L, change_url, params=obj,
                                                     staff=change_url),
    }


def _site_rules() -> dict[str, Rule]:
    # Staff without a role passes the admin's door and sees an empty index, nothing more.
    return {
        "admin:index": E(L, L, L, L, 200, staff=200),
        "admin:login": E(200, 200, 200, 200, "/admin/", staff="/admin/"),
        "admin:logout": E("/admin/", "/admin/", "/admin/", "/admin/", 405, staff=405),  # POST
        "admin:password_change": E(L, L, L, L, 200, staff=200),
        "admin:password_change_done": E(L, L, L, L, 200, staff=200),
        # Without app_label/model_name/field_name: refused before anything is looked up.
        "admin:autocomplete": E(L, L, L, L, 403, staff=403),
        "admin:jsi18n": E(L, L, L, L, 200, staff=200),
        "admin:view_on_site": E(L, L, L, L, 404, staff=404, path=lambda w: "/admin/r/1/1/"),
        "admin:app_list": E(L, L, L, L, 200, staff=404, params=lambda w: {"app_label": "jobs"}),
        "/admin/(?P<url>.*)$": E(L, L, L, L, 404, staff=404,
                                 path=lambda w: "/admin/nothing/here/"),
        # The admin's own views added by ModelAdmin.get_urls.
        "admin:auth_user_password_change": E(  # admins may not set other people's passwords
            L, L, L, L, 403, staff=403, params=lambda w: {"id": w.users["owner"].pk}),
        "admin:registry_signlanguage_import_vocabulary": E(
            L, L, L, L, 200, staff=403, params=lambda w: {"pk": w.language.pk}),
        "admin:registry_signlanguage_export_vocabulary": E(
            L, L, L, L, 200, staff=403, params=lambda w: {"pk": w.language.pk}),
        "admin:registry_modelversion_activate": E(
            L, L, L, L, 200, staff=403, params=lambda w: {"pk": w.model_version.pk}),
        # A POST action; a GET goes back to the list.
        "admin:registry_modelversion_rollback": E(L, L, L, L, "/admin/registry/modelversion/",
                                                  staff=403),
        # Worker tasks of the registry: shadow evaluation, retrain, a task's progress.
        "admin:registry_modelversion_shadow": E(
            L, L, L, L, 200, staff=403, params=lambda w: {"pk": w.model_version.pk}),
        "admin:registry_modelversion_retrain": E(L, L, L, L, 200, staff=403),
        "admin:registry_modelversion_task": E(L, L, L, L, 200, staff=403, params=registry_task),
        "admin:registry_modelversion_task_status": E(L, L, L, L, 200, staff=403,
                                                     params=registry_task),
    }


def registry_task(world: World) -> dict[str, Any]:
    """A finished shadow evaluation of the world's version (made on first use)."""
    import uuid

    from registry.models import RegistryTask

    row = RegistryTask.objects.filter(version=world.model_version).first() or \
        RegistryTask.objects.create(
            id=uuid.uuid4(), kind="shadow", version=world.model_version, status="succeeded",
            language=world.language, task="isolated", percent=100, result={"jobs": {}})
    return {"task_id": row.pk, "version_id": world.model_version.pk}


def admin_rules() -> dict[str, Rule]:
    rules = _site_rules()
    for label, may in ADMIN_MODELS.items():
        rules.update(_model_rules(label, may))
    return rules
