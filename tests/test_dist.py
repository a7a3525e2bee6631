"""Versions read from ``*.dist-info`` names agree with ``importlib.metadata``."""

from __future__ import annotations

from importlib.metadata import version

from asyncsafe._dist import dist_info_version, distribution_version


def test_installed_versions_match_importlib_metadata() -> None:
    for name in ("django", "Django", "libcst", "asgiref", "flake8"):
        assert dist_info_version(name) == version(name)  # the fast path alone, no fallback
        assert distribution_version(name) == version(name)


def test_a_missing_distribution_is_none() -> None:
    assert distribution_version("surely-not-installed-asyncsafe-probe") is None


def test_a_missing_distribution_costs_no_importlib_metadata() -> None:
    # The warm path asks for Django's version on every run; without Django installed, the answer
    # must not import importlib.metadata (tens of milliseconds).
    import subprocess
    import sys

    probe = (
        "import sys; from asyncsafe._dist import distribution_version as v; "
        "assert v('surely-not-installed-asyncsafe-probe') is None; "
        "print('importlib.metadata' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
