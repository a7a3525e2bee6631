import os

from channels.auth import AuthMiddlewareStack
from channels.routing import ProtocolTypeRouter, URLRouter
from channels.security.websocket import AllowedHostsOriginValidator
from django.core.asgi import get_asgi_application

import chat.signals
from chat.routing import websocket_urlpatterns  # expect: ASF704
from chat import consumers  # expect: ASF704
from presence.consumers import PresenceConsumer  # expect: ASF704
from presence import lazy

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "chatsite.settings")

app = ProtocolTypeRouter(
    {
        "http": get_asgi_application(),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)
