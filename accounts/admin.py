from django.contrib import admin

from accounts.models import ApiToken


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "created")
    search_fields = ("user__username", "name")
    readonly_fields = ("key", "created")
