"""Imports nothing that defines models: safe to import before Django is set up."""

from django.db.models import Q

EVERYONE = Q()
