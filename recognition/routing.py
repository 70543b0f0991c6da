from django.urls import path

from recognition.consumers import LiveConsumer

websocket_urlpatterns = [
    path("ws/live/<str:language>/", LiveConsumer.as_asgi()),
]
