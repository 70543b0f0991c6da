"""Files through STORAGES (issue 11, item 6): Job.landmarks_file becomes a relative name.

Rows from before held the absolute path of a landmark cache entry. Those under the cache
folder (SLRWEB_LANDMARK_CACHE, else MEDIA_ROOT/landmarks: the file system "landmarks" storage's
root) become names relative to it; any other absolute path is left as it was (jobs.files reads
it as missing and never deletes it).
"""

from pathlib import Path

from django.conf import settings
from django.db import migrations, models


def _cache_root() -> Path:
    return Path(settings.SLRWEB_LANDMARK_CACHE or Path(settings.MEDIA_ROOT) / "landmarks")


def relative_name(value: str, root: Path) -> str | None:
    """`value` relative to `root` (POSIX separators), or None when it is not under it."""
    path = Path(value)
    if not path.is_absolute():
        return None
    for base in (root.absolute(), root.resolve()):
        try:
            return path.relative_to(base).as_posix()
        except ValueError:
            continue
    return None


def to_relative(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    root = _cache_root()
    for job in Job.objects.exclude(landmarks_file="").only("pk", "landmarks_file").iterator():
        name = relative_name(job.landmarks_file, root)
        if name is not None:
            Job.objects.filter(pk=job.pk).update(landmarks_file=name)


def to_absolute(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    root = _cache_root().absolute()
    for job in Job.objects.exclude(landmarks_file="").only("pk", "landmarks_file").iterator():
        if not Path(job.landmarks_file).is_absolute():
            Job.objects.filter(pk=job.pk).update(landmarks_file=str(root / job.landmarks_file))


class Migration(migrations.Migration):
    dependencies = [("jobs", "0002_job_original_name")]

    operations = [
        migrations.AlterField(
            model_name="job",
            name="landmarks_file",
            field=models.CharField(
                blank=True, help_text="name in the landmarks storage (jobs.files)", max_length=255
            ),
        ),
        migrations.AlterField(
            model_name="video",
            name="file",
            field=models.CharField(
                help_text="name in the default storage (jobs.files)", max_length=255,
                verbose_name="file",
            ),
        ),
        migrations.RunPython(to_relative, to_absolute),
    ]
