"""Roles: plain users (no group), annotators and admins, as Django groups with permissions.

The rules below say which permissions each role's group holds. `sync_roles` applies them; it
runs from the data migration accounts/0002_roles and again after every `migrate` (connected in
registry.apps), so permissions of apps added later (annotation) reach the groups too. It only
adds permissions: one an admin grants a group by hand in the admin stays.

Annotators correct model output; they do NOT get jobs.view_job, which would show them every
user's private jobs (jobs.access): the jobs queued for review reach them another way.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

ANNOTATOR = "annotator"
ADMIN = "admin"
ROLES = (ANNOTATOR, ADMIN)
ALL = "*"

# (app label, models or ALL, actions or ALL). An action is the codename's first word:
# view_gloss -> "view", activate_modelversion -> "activate".
RoleRule = tuple[str, tuple[str, ...] | str, tuple[str, ...] | str]
ROLE_RULES: dict[str, list[RoleRule]] = {
    ANNOTATOR: [
        ("registry", ("signlanguage", "gloss", "modelversion"), ("view",)),
        ("annotation", ALL, ("view", "add", "change")),
    ],
    ADMIN: [
        ("registry", ALL, ALL),
        ("annotation", ALL, ALL),
        ("jobs", ALL, ALL),
        ("accounts", ALL, ALL),
        ("auth", ("user", "group"), ("view",)),
        # Webhooks and their delivery log: look, and remove an abusive one.
        ("webhooks", ALL, ("view", "delete")),
        # Login lockouts (django-axes): see them, and lift one by deleting its attempt row.
        ("axes", ("accessattempt",), ("view", "delete")),
    ],
}
# Never granted, whatever the rules above select: the activation log is append-only.
EXCLUDED_RULES: list[RoleRule] = [
    ("registry", ("activationevent",), ("add", "change", "delete")),
]


def role_permissions_query(role: str) -> Q:
    """A filter on auth.Permission selecting the permissions of `role`."""
    return _rules_query(ROLE_RULES[role]) & ~_rules_query(EXCLUDED_RULES)


def _rules_query(rules: list[RoleRule]) -> Q:
    query = Q(pk__in=[])
    for app_label, models, actions in rules:
        rule = Q(content_type__app_label=app_label)
        if models != ALL:
            rule &= Q(content_type__model__in=list(models))
        if actions != ALL:
            action_q = Q(pk__in=[])
            for action in actions:
                action_q |= Q(codename__startswith=f"{action}_")
            rule &= action_q
        query |= rule
    return query


def sync_roles(apps: Any = None) -> None:
    """Create the role groups and add the permissions their rules select (idempotent).

    `apps` is a migration's historical registry; None means the live models.
    """
    if apps is None:
        from django.apps import apps
    group_model = apps.get_model("auth", "Group")
    permission_model = apps.get_model("auth", "Permission")
    for role in ROLES:
        group, _ = group_model.objects.get_or_create(name=role)
        group.permissions.add(*permission_model.objects.filter(role_permissions_query(role)))


def has_role(user: Any, role: str) -> bool:
    """Whether an active, logged-in user belongs to the role's group (superusers: every role)."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return False
    if user.is_superuser:
        return True
    return user.groups.filter(name=role).exists()


def is_admin(user: Any) -> bool:
    """Admins manage languages, vocabularies and model versions, and see every job."""
    return has_role(user, ADMIN)


def is_annotator(user: Any) -> bool:
    """Whether the user may annotate; admins may do everything annotators may."""
    return has_role(user, ANNOTATOR) or is_admin(user)


def assign_role(user: Any, role: str) -> None:
    """Put a user in a role's group; admins also become staff, to log in to the Django admin."""
    from django.contrib.auth.models import Group

    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; expected one of {ROLES}")
    sync_roles()
    user.groups.add(Group.objects.get(name=role))
    if role == ADMIN and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])


def revoke_role(user: Any, role: str) -> None:
    """Take a user out of a role's group (staff status is left to the admin who revokes)."""
    from django.contrib.auth.models import Group

    group = Group.objects.filter(name=role).first()
    if group is not None:
        user.groups.remove(group)
