"""Registered bundles through STORAGES (issue 11, item 6): ModelVersion.bundle_path keeps its
relative name, which now names a folder in the "default" storage instead of one under MEDIA_ROOT.

On the file system storage (the default, rooted at MEDIA_ROOT) the names already resolve to the
same folders: nothing moves. With another storage (SLRWEB_STORAGE=s3), a bundle folder found
under MEDIA_ROOT that the storage lacks is uploaded to it under the same name. Reversing leaves
the stored copies (the local folders were never touched).
"""

from pathlib import Path

from django.conf import settings
from django.db import migrations

from mlcore.bundle import MANIFEST


def to_storage(apps, schema_editor):  # noqa: ANN001, ANN201
    from registry import bundle_store

    ModelVersion = apps.get_model("registry", "ModelVersion")
    names = ModelVersion.objects.values_list("bundle_path", flat=True).distinct()
    for name in names:
        folder = Path(settings.MEDIA_ROOT) / name
        if not bundle_store.in_bundle_store(name) or not (folder / MANIFEST).is_file():
            continue  # not a folder the registry wrote, or no local copy to upload
        if not bundle_store.is_stored(name):
            bundle_store.store_bundle(folder, name)


class Migration(migrations.Migration):

    dependencies = [
        ("registry", "0003_background_tasks"),
    ]

    operations = [
        migrations.RunPython(to_storage, migrations.RunPython.noop),
    ]
