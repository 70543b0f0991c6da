"""The site's URLs plus a page and an API operation that have no rule (for the matrix's own test)."""

from django.http import HttpResponse
from django.urls import path
from ninja import NinjaAPI

from slrweb.urls import urlpatterns as site_urlpatterns

extra_api = NinjaAPI(urls_namespace="extra-api", docs_url=None, openapi_url=None)


@extra_api.get("/ping")
def ping(request):  # noqa: ANN001, ANN201
    return {"ok": True}


urlpatterns = [
    *site_urlpatterns,
    path("brand-new/", lambda request: HttpResponse("new"), name="brand-new"),
    path("extra-api/", extra_api.urls),
]
