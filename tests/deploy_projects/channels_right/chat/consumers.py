from channels.generic.websocket import AsyncJsonWebsocketConsumer

from chat.models import Room


class RoomConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.room = await Room.objects.aget(name=self.scope["url_route"]["kwargs"]["name"])
        await self.accept()
