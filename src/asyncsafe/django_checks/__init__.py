"""An optional Django app: add ``"asyncsafe.django_checks"`` to INSTALLED_APPS and
``python manage.py check --deploy`` reports asyncsafe's deployment rules (ASF7xx) as
``asyncsafe.W001`` ... with Django's check framework.

The checks read the project statically, exactly as ``asyncsafe check`` does: they import nothing
of the project beyond what ``manage.py check`` has already imported (the settings).
"""
