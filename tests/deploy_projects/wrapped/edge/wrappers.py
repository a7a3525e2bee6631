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


def add_request_id(app):
    """A WSGI middleware factory."""

    def wrapped(environ, start_response):
        environ["HTTP_X_REQUEST_ID"] = "1"
        return app(environ, start_response)

    return wrapped


def count_requests(app):
    """An ASGI middleware factory: async inner callable of scope, receive, send."""

    async def wrapped(scope, receive, send):
        await app(scope, receive, send)

    return wrapped
