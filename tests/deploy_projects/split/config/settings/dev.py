from .base import *  # noqa: F403

DEBUG = True
# Dev runs under manage.py runserver (WSGI): persistent connections are fine here.
DATABASES["default"]["CONN_MAX_AGE"] = 60
