from django.urls import path
from django.views.i18n import JavaScriptCatalog

from frontend import views

app_name = "frontend"
urlpatterns = [
    path("", views.home, name="home"),
    path("history/", views.history, name="history"),
    path("live/", views.live, name="live"),
    path("jobs/<uuid:job_id>/", views.job_detail, name="job"),
    path("jobs/<uuid:job_id>/delete/", views.delete_job, name="delete_job"),
    path("preferences/language/", views.set_language, name="set_language"),
    # The page scripts' strings go through gettext() too (packages: this app's locale folder).
    path("jsi18n/", JavaScriptCatalog.as_view(packages=["frontend"]), name="jsi18n"),
]
