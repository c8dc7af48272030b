"""ASGI entry point: Django for HTTP, Channels for websockets, the process listener on lifespan."""

import os

from channels.routing import ProtocolTypeRouter, URLRouter
from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
# Django is set up before anything imports models (the consumers do).
django_asgi_app = get_asgi_application()

from config.origins import CorsOriginValidator  # noqa: E402
from personalization.lifespan import lifespan_app  # noqa: E402
from personalization.routing import websocket_urlpatterns  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        "websocket": CorsOriginValidator(URLRouter(websocket_urlpatterns)),
        "lifespan": lifespan_app,
    }
)
