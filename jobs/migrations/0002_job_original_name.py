"""The uploader's file name moves from the shared Video to each Job (issue 11, item 3).

The old Video row kept the FIRST uploader's name, so only the earliest job of each video gets
it; later jobs (possibly other users uploading the same bytes) get none rather than a stranger's.
Content types the client sent are dropped: the probe sets them again (jobs.services).
"""

from django.db import migrations, models


def names_to_first_jobs(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    Video = apps.get_model("jobs", "Video")
    for video in Video.objects.exclude(original_name="").iterator():
        first = Job.objects.filter(video=video).order_by("created").first()
        if first is not None:
            Job.objects.filter(pk=first.pk).update(original_name=video.original_name[:255])
    probed = {"video/mp4", "video/webm", "video/x-matroska", "video/x-msvideo", "video/mpeg"}
    Video.objects.exclude(content_type__in=probed).update(content_type="")


def names_back_to_videos(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    Video = apps.get_model("jobs", "Video")
    # Oldest last, so each video ends with its first uploader's name, as before.
    for job in Job.objects.exclude(original_name="").order_by("-created").iterator():
        Video.objects.filter(pk=job.video_id).update(original_name=job.original_name)


class Migration(migrations.Migration):
    dependencies = [("jobs", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="job",
            name="original_name",
            field=models.CharField(blank=True, max_length=255, verbose_name="original name"),
        ),
        migrations.RunPython(names_to_first_jobs, names_back_to_videos),
        migrations.RemoveField(model_name="video", name="original_name"),
    ]
