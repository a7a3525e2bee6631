"""asyncsafe: find blocking sync calls inside async code in Django projects."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("asyncsafe")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0.0.0+unknown"

__all__ = ["__version__"]
