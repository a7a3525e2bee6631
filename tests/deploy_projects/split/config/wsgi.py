import os

from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()  # expect: ASF703
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")
