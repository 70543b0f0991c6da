"""accounts.roles: the annotator and admin groups and their permissions."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group

from accounts.roles import ADMIN, ANNOTATOR, assign_role, is_admin, is_annotator, revoke_role

pytestmark = pytest.mark.django_db


def make_user(name: str, role: str | None = None):
    user = get_user_model().objects.create_user(name, password="pw")
    if role:
        assign_role(user, role)
    return get_user_model().objects.get(pk=user.pk)  # fresh: no permission cache


def test_migrations_create_both_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {ANNOTATOR, ADMIN}


def test_plain_users_have_no_role_and_no_permission():
    user = make_user("plain")
    assert not is_annotator(user) and not is_admin(user)
    assert user.get_all_permissions() == set()
    assert not is_admin(None)


def test_annotators_read_the_registry_but_cannot_switch_models_or_see_all_jobs():
    user = make_user("anna", ANNOTATOR)
    assert is_annotator(user) and not is_admin(user)
    assert not user.is_staff
    assert user.has_perm("registry.view_gloss")
    assert user.has_perm("registry.view_modelversion")
    assert not user.has_perm("registry.change_gloss")
    assert not user.has_perm("registry.activate_modelversion")
    assert not user.has_perm("jobs.view_job")  # would expose every user's private jobs


def test_admins_manage_the_registry_and_see_jobs_but_never_edit_the_log():
    user = make_user("ada", ADMIN)
    assert is_admin(user) and is_annotator(user)
    assert user.is_staff
    for perm in ("registry.activate_modelversion", "registry.add_modelversion",
                 "registry.change_gloss", "registry.add_signlanguage",
                 "registry.view_activationevent", "jobs.view_job", "auth.view_user"):
        assert user.has_perm(perm), perm
    for perm in ("registry.change_activationevent", "registry.delete_activationevent",
                 "registry.add_activationevent", "auth.change_user"):
        assert not user.has_perm(perm), perm


def test_superusers_count_as_every_role_and_inactive_users_as_none():
    root = get_user_model().objects.create_superuser("root", password="pw")
    assert is_admin(root) and is_annotator(root)
    user = make_user("gone", ADMIN)
    user.is_active = False
    assert not is_admin(user)


def test_revoking_a_role():
    user = make_user("anna", ANNOTATOR)
    revoke_role(user, ANNOTATOR)
    assert not is_annotator(user)
    with pytest.raises(ValueError):
        assign_role(user, "owner")


def test_annotators_get_the_annotation_permissions_of_apps_migrated_later():
    from django.contrib.auth.models import Permission

    perms = Permission.objects.filter(content_type__app_label="annotation")
    if not perms.exists():
        pytest.skip("the annotation app has no models yet")
    user = make_user("anna", ANNOTATOR)
    for perm in perms:
        action = perm.codename.split("_", 1)[0]
        assert user.has_perm(f"annotation.{perm.codename}") == (
            action in ("view", "add", "change")), perm.codename
