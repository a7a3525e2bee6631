import os

from django.core.asgi import get_asgi_application
from whitenoise import WhiteNoise

from edge.wrappers import LegacyHeaders, TimingHeaders, add_request_id, count_requests

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "site_app.settings")

django_app = get_asgi_application()
application = TimingHeaders(django_app)
application = LegacyHeaders(application)  # expect: ASF706
application = WhiteNoise(TimingHeaders(application), root="static")  # expect: ASF706
application = count_requests(application)
application = add_request_id(application)  # expect: ASF706
