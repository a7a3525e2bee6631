SECRET_KEY = "not-a-secret"
INSTALLED_APPS = ["django.contrib.contenttypes", "shop"]
# Served over WSGI (Procfile): a sync-only middleware and persistent connections cost nothing extra.
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "whitenoise.middleware.WhiteNoiseMiddleware"]
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3", "CONN_MAX_AGE": 600}}
