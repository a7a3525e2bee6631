"""Redis cache, signed-cookie sessions: cache calls wait on the network, session reads do not."""

SECRET_KEY = "not-a-secret"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.sessions", "blog"]
MIDDLEWARE = ["django.contrib.sessions.middleware.SessionMiddleware"]
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://cache:6379"}}
SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"
