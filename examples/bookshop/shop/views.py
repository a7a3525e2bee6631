"""Async views: each mistake sits next to the correct async version."""

import asyncio
import time

import httpx
import requests
from asgiref.sync import sync_to_async
from django.contrib.auth import alogin, login
from django.http import JsonResponse
from django.shortcuts import aget_object_or_404, get_object_or_404

from .models import Author, Book
from .services import fetch_cover, load_bestseller, price_with_tax


async def book_detail_wrong(request, pk):
    book = Book.objects.get(pk=pk)  # blocks: sync ORM query on the event loop
    time.sleep(0.2)  # blocks: sleeps the whole worker
    cover = requests.get(book.cover_url, timeout=5)  # blocks: sync HTTP
    return JsonResponse({"title": book.title, "author": book.author.name, "cover": cover.status_code})


async def book_detail_right(request, pk):
    book = await Book.objects.select_related("author").aget(pk=pk)
    await asyncio.sleep(0.2)
    async with httpx.AsyncClient() as client:
        cover = await client.get(book.cover_url, timeout=5)
    return JsonResponse({"title": book.title, "author": book.author.name, "cover": cover.status_code})


async def author_books_wrong(request, pk):
    author = get_object_or_404(Author, pk=pk)
    titles = [b.title for b in author.books.all()]
    return JsonResponse({"count": len(titles), "titles": titles, "user": request.user.username})


async def author_books_right(request, pk):
    author = await aget_object_or_404(Author, pk=pk)
    titles = [b.title async for b in author.books.all()]
    user = await request.auser()
    return JsonResponse({"count": len(titles), "titles": titles, "user": user.username})


async def login_wrong(request, user):
    login(request, user)
    return JsonResponse({"ok": True})


async def login_right(request, user):
    await alogin(request, user)
    return JsonResponse({"ok": True})


async def cover_wrong(request, pk):
    book = await Book.objects.aget(pk=pk)
    return JsonResponse({"size": len(fetch_cover(book.cover_url)), "price": price_with_tax(10)})


async def cover_right(request, pk):
    book = await Book.objects.aget(pk=pk)
    data = await sync_to_async(fetch_cover)(book.cover_url)
    return JsonResponse({"size": len(data), "price": price_with_tax(10)})


async def bestseller_wrong(request):
    return JsonResponse({"title": load_bestseller().title})


async def bestseller_right(request):
    book = await sync_to_async(load_bestseller)()
    return JsonResponse({"title": book.title})
