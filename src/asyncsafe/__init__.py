"""asyncsafe: find blocking sync calls inside async code in Django projects."""

from asyncsafe._dist import distribution_version

# A source tree that is not installed has no version.
__version__ = distribution_version("asyncsafe") or "0.0.0+unknown"

__all__ = ["__version__"]
