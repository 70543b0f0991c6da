"""Create the annotator and admin groups with their permissions (see accounts.roles)."""

from django.contrib.auth.management import create_permissions
from django.db import migrations

from accounts.roles import sync_roles

# Apps whose permissions the roles name and whose models exist by now; permissions of apps that
# come later (annotation) are added by the post_migrate sync in registry.apps.
APPS = ("auth", "accounts", "registry", "jobs")


def create_roles(apps, schema_editor):
    # Permissions are normally created after all migrations (post_migrate); make them now.
    for label in APPS:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps,
                           using=schema_editor.connection.alias)
        app_config.models_module = None
    sync_roles(apps)


def delete_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=("annotator", "admin")).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("registry", "0001_initial"),
        ("jobs", "0001_initial"),
    ]

    operations = [migrations.RunPython(create_roles, delete_roles)]
