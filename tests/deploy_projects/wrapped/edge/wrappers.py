class LegacyHeaders:
    """WSGI middleware: takes environ and start_response."""

    def __init__(self, app):
        self.app = app

    def __call__(self, environ, start_response):
        return self.app(environ, start_response)


class TimingHeaders:
    """ASGI middleware: async __call__(scope, receive, send)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        await self.app(scope, receive, send)
