"""The versioned JSON API; each app contributes a router. OpenAPI at /api/v1/openapi.json."""

from ninja import NinjaAPI

from jobs.api import router as jobs_router

api = NinjaAPI(
    title="slrweb API",
    version="1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    urls_namespace="api-v1",
)
api.add_router("/", jobs_router)
api.add_router("/", "annotation.api.router")
api.add_router("/", "webhooks.api.router")
api.add_router("/", "registry.api.router")
