from django.urls import path
from django.views.i18n import JavaScriptCatalog

from annotation import views

app_name = "annotation"
urlpatterns = [
    path("", views.queue, name="queue"),
    path("jobs/<uuid:job_id>/", views.workspace, name="workspace"),
    path("jobs/<uuid:job_id>/share/", views.share, name="share"),
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["annotation"]), name="jsi18n"),
]
