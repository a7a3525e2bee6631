from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.contrib.auth import get_user_model

User = get_user_model()


class PresenceConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        await self.accept()
