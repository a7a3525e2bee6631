"""Django knowledge that needs more than a table: the project's models and the ORM's types.

* ``summary``: what one module declares (imports, classes, class bodies), read with stdlib ``ast``.
* ``prefilter``: text-only questions over all sources (class names and bases, relation targets,
  settings) that decide which modules the index never needs to parse;
* ``schema``: what is known about one model (fields, relations, managers) and the
  ``django.contrib`` models project models derive from;
* ``index``: the project index of Django models built from those summaries, lazily and once per
  process: which classes are models, their fields, relations (both directions) and managers;
* ``methods``: QuerySet methods by effect, and what custom QuerySet/manager methods do;
* ``orm``: the ORM's values (QuerySet, Manager, related manager, model instance) and the
  ``TypeProvider`` that gives them to the resolver; ``orm.OrmTypes.of(ctx)`` is the API for rules.
"""
