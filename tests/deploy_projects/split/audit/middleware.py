"""Middleware of every kind: which Django runs async under ASGI, and which it adapts."""

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.utils.decorators import sync_and_async_middleware
from django.utils.deprecation import MiddlewareMixin


class RequestStampMiddleware(MiddlewareMixin):
    """Only process_* hooks: MiddlewareMixin makes it async-capable."""

    def process_request(self, request):
        request.stamp = 1


class LedgerMiddleware:
    """A plain class with a sync __call__ and no async_capable flag: sync-only."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)


class TraceMiddleware:
    sync_capable = False
    async_capable = True

    def __init__(self, get_response):
        self.get_response = get_response
        markcoroutinefunction(self)

    async def __call__(self, request):
        return await self.get_response(request)


class BareAsyncMiddleware:
    """An async __call__, but Django reads only async_capable (False by default)."""

    def __init__(self, get_response):
        self.get_response = get_response

    async def __call__(self, request):
        return await self.get_response(request)


@sync_and_async_middleware
def stopwatch(get_response):
    if iscoroutinefunction(get_response):
        async def middleware(request):
            return await get_response(request)
    else:
        def middleware(request):
            return get_response(request)
    return middleware


def wallclock(get_response):
    def middleware(request):
        return get_response(request)
    return middleware
