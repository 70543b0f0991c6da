from django.contrib import admin

from jobs.models import Job, Video


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "language", "status", "progress", "created")
    list_filter = ("status", "language", "created")
    search_fields = ("id", "owner__username", "video__original_name", "video__sha256")
    readonly_fields = ("stages", "result", "error", "heartbeat", "attempts", "landmarks_file")
    raw_id_fields = ("video",)


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ("original_name", "sha256", "size", "created")
    search_fields = ("original_name", "sha256")
