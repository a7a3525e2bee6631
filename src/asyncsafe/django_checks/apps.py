from __future__ import annotations

from django.apps import AppConfig


class AsyncsafeChecksConfig(AppConfig):  # type: ignore[misc]  # Django ships no type stubs
    name = "asyncsafe.django_checks"
    label = "asyncsafe_checks"
    verbose_name = "asyncsafe deployment checks"

    def ready(self) -> None:
        from django.core.checks import register

        from asyncsafe.django_checks.checks import deployment_checks

        register(deployment_checks, "asyncsafe", deploy=True)
