from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "registry"
    verbose_name = _("Model registry")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        post_migrate.connect(sync_roles_after_migrate, sender=self,
                             dispatch_uid="registry.sync_roles")


def sync_roles_after_migrate(sender: AppConfig, using: str = "default", **kwargs: object) -> None:
    """Give the role groups the permissions of every app, including apps migrated later.

    Django creates each app's permissions in its own post_migrate call, in INSTALLED_APPS
    order; ours may run before later apps' calls, so create them all first (idempotent).
    """
    from django.apps import apps
    from django.contrib.auth.management import create_permissions

    from accounts.roles import sync_roles

    for app_config in apps.get_app_configs():
        create_permissions(app_config, verbosity=0, using=using)
    sync_roles()
