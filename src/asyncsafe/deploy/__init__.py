"""The deployment, read statically: entry points (asgi.py, wsgi.py, Procfile, Dockerfile,
gunicorn/uwsgi configuration), the settings module and its imports, the middleware stack.

Everything here uses the standard library's ``ast`` on the project's files and never imports
project code. A value the reader cannot evaluate with certainty is ``Unknown``: the rules built
on it (``asyncsafe.rules.deploy``) stay silent rather than guess.
"""
