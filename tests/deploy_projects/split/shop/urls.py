from django.urls import path

from shop.views import ping

urlpatterns = [path("ping", ping)]
