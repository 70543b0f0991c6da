"""ASGI entry point: HTTP through Django, WebSockets through Channels.

Fail closed: without DJANGO_SETTINGS_MODULE the production settings load, which refuse to start
without a secret key and allowed hosts. `make run` (slrweb.devserver) and the tests name theirs.
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "slrweb.settings.prod")

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from django.core.asgi import get_asgi_application  # noqa: E402

django_asgi_app = get_asgi_application()

from accounts.ws_auth import OriginCheckMiddleware, TokenAuthMiddlewareStack  # noqa: E402
from jobs.routing import websocket_urlpatterns as job_sockets  # noqa: E402
from jobs.uploads import BodyLimitASGIMiddleware  # noqa: E402
from recognition.routing import websocket_urlpatterns as live_sockets  # noqa: E402

application = ProtocolTypeRouter(
    {
        # Refuses a body above its route's upload limit before Django spools it to disk.
        "http": BodyLimitASGIMiddleware(django_asgi_app),
        "websocket": OriginCheckMiddleware(
            TokenAuthMiddlewareStack(URLRouter(job_sockets + live_sockets))
        ),
    }
)
