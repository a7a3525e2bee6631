from .base import *  # noqa: F403

DEBUG = False
DATABASES["default"]["CONN_MAX_AGE"] = 600  # expect: ASF701
DATABASES["replica"] = {"ENGINE": "django.db.backends.sqlite3", "NAME": "replica.sqlite3", "CONN_MAX_AGE": 0}
MIDDLEWARE.insert(1, "whitenoise.middleware.WhiteNoiseMiddleware")  # expect: ASF702
