SECRET_KEY = "not-a-secret"
INSTALLED_APPS = ["django.contrib.contenttypes", "django.contrib.auth", "django.contrib.sessions", "shop"]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "audit.middleware.RequestStampMiddleware",
    "audit.middleware.LedgerMiddleware",  # expect: ASF702
    "audit.middleware.TraceMiddleware",
    "audit.middleware.stopwatch",
    "audit.middleware.wallclock",  # expect: ASF702
    "audit.middleware.BareAsyncMiddleware",  # expect: ASF702
    "thirdparty.middleware.Unknown",
]

DATABASES = {
    "default": {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": "db.sqlite3",
    }
}
ROOT_URLCONF = "shop.urls"
