"""A Channels consumer: the scope's user is resolved by AuthMiddleware; the ORM is not."""

import json

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncWebsocketConsumer

from .models import Book


class BookFeed(AsyncWebsocketConsumer):
    async def connect(self):
        self.user = self.scope["user"]
        await self.accept()

    async def receive(self, text_data=None, bytes_data=None):
        query = json.loads(text_data)["q"]
        titles = [b.title for b in Book.objects.filter(title__icontains=query)]  # blocks
        await self.send(json.dumps({"titles": titles}))

    async def receive_right(self, text_data=None):
        query = json.loads(text_data)["q"]
        titles = await self.search(query)
        count = await Book.objects.filter(title__icontains=query).acount()
        await self.send(json.dumps({"titles": titles, "count": count}))

    @database_sync_to_async
    def search(self, query):
        return [b.title for b in Book.objects.filter(title__icontains=query)]
