from django.contrib import admin

from jobs.models import Job, Video


@admin.register(Job)
class JobAdmin(admin.ModelAdmin):
    list_display = ("id", "owner", "language", "status", "progress", "created")
    list_filter = ("status", "language", "created")
    search_fields = ("id", "owner__username", "original_name", "video__sha256")
    readonly_fields = ("stages", "result", "error", "heartbeat", "attempts", "landmarks_file")
    raw_id_fields = ("video",)


@admin.register(Video)
class VideoAdmin(admin.ModelAdmin):
    list_display = ("sha256", "content_type", "size", "created")
    search_fields = ("sha256",)
