"""Sync helpers the async views call. Some only compute; some hide blocking I/O."""

import requests
from django.core.mail import send_mail

from .models import Book


def price_with_tax(price: float) -> float:
    return round(price * 1.2, 2)


def fetch_cover(url: str) -> bytes:
    return requests.get(url, timeout=5).content


def notify_author(book: Book) -> None:
    send_mail("New review", f"{book.title} got a review", "shop@example.com", ["author@example.com"])


def load_bestseller() -> Book:
    return Book.objects.order_by("-created").first()
