SECRET_KEY = "not-a-secret"
INSTALLED_APPS = ["daphne", "django.contrib.contenttypes", "django.contrib.auth", "channels", "chat"]
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
]
ASGI_APPLICATION = "chatsite.asgi.channel_app"  # expect: ASF705
DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "db.sqlite3",
        "CONN_MAX_AGE": 0,
    }
}
