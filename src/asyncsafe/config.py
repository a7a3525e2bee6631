"""``[tool.asyncsafe]`` in pyproject.toml: load, validate (one clear line per error), select codes."""

from __future__ import annotations

import fnmatch
import os
import re
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any

from asyncsafe._dist import distribution_version

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

KNOWN_DJANGO_VERSIONS = ("3.2", "4.0", "4.1", "4.2", "5.0", "5.1", "5.2", "6.0", "6.1")
NEWEST_DJANGO = KNOWN_DJANGO_VERSIONS[-1]

DEFAULT_EXCLUDE = (
    ".git", ".hg", ".svn", ".bzr", ".venv", "venv", ".env", "env", ".tox", ".nox",
    "node_modules", "__pycache__", "build", "dist", "site-packages", "_build", "buck-out",
    ".eggs", "*.egg-info", ".mypy_cache", ".pytest_cache", ".ruff_cache", ".asyncsafe_cache",
    ".direnv", "__pypackages__",
)


class ConfigError(Exception):
    """A bad configuration: the message is the whole one-line report."""


def _codes(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of rule codes or prefixes (strings), got {value!r}")
    return tuple(validate_selector(v, where) for v in value)


def _globs(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ConfigError(f"{where}: expected a list of glob patterns (strings), got {value!r}")
    return tuple(value)


def _per_file(value: Any, where: str) -> dict[str, tuple[str, ...]]:
    if not isinstance(value, dict):
        raise ConfigError(f"{where}: expected a table of glob = [codes], got {value!r}")
    return {glob: _codes(codes, f"{where}.{glob!r}") for glob, codes in value.items()}


def _django_version(value: Any, where: str) -> str:
    known = ", ".join(KNOWN_DJANGO_VERSIONS)
    if isinstance(value, float):  # 5.10 would read as 5.1: TOML floats drop trailing zeros
        raise ConfigError(
            f"{where}: write the Django version as a string (\"X.Y\", one of {known}): "
            f"the number {value!r} loses digits (5.10 is read as 5.1)"
        )
    if not isinstance(value, str) or value.strip() not in KNOWN_DJANGO_VERSIONS:
        raise ConfigError(f"{where}: expected a Django version as \"X.Y\" (one of {known}), got {value!r}")
    return value.strip()


TARGET_VERSIONS = ("py310", "py311", "py312", "py313", "py314")


def _target_version(value: Any, where: str) -> str:
    """``py312`` -> ``3.12`` (the Python grammar files are parsed with)."""
    if not isinstance(value, str) or value.strip().lower() not in TARGET_VERSIONS:
        known = ", ".join(f'"{v}"' for v in TARGET_VERSIONS)
        raise ConfigError(f"{where}: expected a Python version, one of {known}, got {value!r}")
    digits = value.strip().lower()[2:]
    return f"{digits[0]}.{digits[1:]}"


def _folders(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: expected a list of folders (non-empty strings), got {value!r}")
    return tuple(v.strip() for v in value)


NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.(?:[A-Za-z0-9_*?!\[\]-]+))*")


def _name_pattern(value: Any, where: str) -> str:
    """An fnmatch pattern over canonical dotted names that starts with a module name."""
    if not isinstance(value, str):
        raise ConfigError(f"{where}: expected a name pattern (string), got {value!r}")
    text = value.strip()
    if not NAME_PATTERN.fullmatch(text) or text.count("[") != text.count("]"):
        raise ConfigError(
            f"{where}: {value!r} is not a pattern of dotted names: it must start with a module "
            "name and use only names, dots and fnmatch wildcards (e.g. \"mycompany.billing.*\", "
            "\"legacy_client.Client.fetch\")"
        )
    return text


def _blocking_calls(value: Any, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict):
        raise ConfigError(
            f"{where}: expected a table of \"name pattern\" = \"suggestion\", got {value!r}"
        )
    entries = []
    for pattern, suggestion in value.items():
        if not isinstance(suggestion, str) or not suggestion.strip() or "\n" in suggestion:
            raise ConfigError(
                f"{where}: the suggestion for {pattern!r} must be a non-empty one-line string "
                f"(what to use instead), got {suggestion!r}"
            )
        entries.append((_name_pattern(pattern, where), suggestion.strip()))
    return tuple(entries)


def _safe_calls(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(f"{where}: expected a list of name patterns (strings), got {value!r}")
    return tuple(_name_pattern(pattern, where) for pattern in value)


def _model_bases(value: Any, where: str) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise ConfigError(
            f"{where}: expected a list of class names (e.g. \"django_lifecycle.LifecycleModel\"), "
            f"got {value!r}"
        )
    return tuple(_name_pattern(pattern, where) for pattern in value)


def _python(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip() or "\n" in value:
        raise ConfigError(
            f"{where}: expected the path of the project's Python interpreter "
            f"(e.g. \".venv/bin/python\"), got {value!r}"
        )
    return value.strip()


# What the cache backend does, by `cache-backend` value: True = I/O (ASF230 becomes a default
# rule), False = none (ASF230 never reports). Unset: ASF230 stays opt-in.
CACHE_BACKENDS = {
    "redis": True, "memcached": True, "database": True, "file": True,
    "locmem": False, "dummy": False,
}
CACHE_CODE = "ASF230"


def _cache_backend(value: Any, where: str) -> str:
    if not isinstance(value, str) or value not in CACHE_BACKENDS:
        known = ", ".join(f'"{name}"' for name in CACHE_BACKENDS)
        raise ConfigError(f"{where}: expected one of {known}, got {value!r}")
    return value


MODULE_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")


def _settings_module(value: Any, where: str) -> str:
    if not isinstance(value, str) or not MODULE_NAME.fullmatch(value.strip()):
        raise ConfigError(f"{where}: expected a dotted module name (e.g. \"config.settings.production\"), got {value!r}")
    return value.strip()


MAX_DEPTH_LIMIT = 50


def _max_depth(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_DEPTH_LIMIT:
        raise ConfigError(
            f"{where}: expected the longest helper chain to follow, an integer from 1 to "
            f"{MAX_DEPTH_LIMIT}, got {value!r}"
        )
    return value


def _cache_dir(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"{where}: expected a directory path (string), got {value!r}")
    return value


_SIZE_UNITS = {"": 1, "B": 1, "KB": 1_000, "MB": 1_000_000, "GB": 1_000_000_000}
_SIZE = re.compile(r"\s*(\d+)\s*([KMG]?B)?\s*", re.IGNORECASE)


def _file_size(value: Any, where: str) -> int:
    """Bytes, as an integer or a string with a unit ("5MB", "500 KB")."""
    match = _SIZE.fullmatch(value) if isinstance(value, str) else None
    if match is not None:
        value = int(match[1]) * _SIZE_UNITS[(match[2] or "").upper()]
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"{where}: expected a positive size in bytes (e.g. 5000000 or \"5MB\"), got {value!r}")
    return value


# key -> (Settings attribute, converter). Later families add their keys here.
OPTIONS: dict[str, tuple[str, Callable[[Any, str], Any]]] = {
    "select": ("select", _codes),
    "extend-select": ("extend_select", _codes),
    "ignore": ("ignore", _codes),
    "exclude": ("exclude", _globs),
    "extend-exclude": ("extend_exclude", _globs),
    "per-file-ignores": ("per_file_ignores", _per_file),
    "django-version": ("django_version", _django_version),
    "blocking-calls": ("blocking_calls", _blocking_calls),
    "safe-calls": ("safe_calls", _safe_calls),
    "cache-backend": ("cache_backend", _cache_backend),
    "max-depth": ("max_depth", _max_depth),
    "model-bases": ("model_bases", _model_bases),
    "python": ("python", _python),
    "settings-module": ("settings_module", _settings_module),
    "cache-dir": ("cache_dir", _cache_dir),
    "max-file-size": ("max_file_size", _file_size),
    "target-version": ("target_version", _target_version),
    "src": ("src", _folders),
}
# Keys about the configuration file itself, not settings (see ``load_settings``).
FILE_KEYS = ("extend",)


def known_codes() -> dict[str, bool]:
    """Every registered code -> enabled by default."""
    from asyncsafe.rules.codes import CODES

    return dict(CODES)


def validate_selector(selector: str, where: str) -> str:
    selector = selector.strip().upper()
    if not selector:  # "" would be a prefix of every code: almost surely a mistake
        raise ConfigError(f"{where}: an empty rule code selects nothing (expected e.g. \"ASF\", \"ASF301\")")
    if selector == "ALL" or any(code.startswith(selector) for code in known_codes()):
        return selector
    raise ConfigError(
        f"{where}: unknown rule code or prefix {selector!r} (expected e.g. \"ASF\", \"ASF3\", "
        "\"ASF301\"; run 'asyncsafe rules' for the list)"
    )


def installed_django_version() -> str:
    found = ".".join((distribution_version("django") or "").split(".")[:2])
    return found if found in KNOWN_DJANGO_VERSIONS else NEWEST_DJANGO


# ``Settings.django`` when nothing says which Django the project uses: older than every async
# twin, so no version-dependent rewrite is offered; messages name both spellings.
UNKNOWN_DJANGO = (0, 0)


@dataclass(frozen=True)
class Settings:
    select: tuple[str, ...] | None = None
    extend_select: tuple[str, ...] = ()
    ignore: tuple[str, ...] = ()
    exclude: tuple[str, ...] = DEFAULT_EXCLUDE
    extend_exclude: tuple[str, ...] = ()
    per_file_ignores: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    django_version: str | None = field(default_factory=installed_django_version)  # None: unknown
    cache_backend: str | None = None
    max_depth: int = 8  # calls followed from an async body into project sync helpers (ASF6xx)
    settings_module: str | None = None  # the Django settings the deployment runs with (ASF7xx)
    # (code, enabled) the deployed settings decide (CACHES -> ASF230, SESSION_ENGINE -> ASF210);
    # filled by the run from asyncsafe.deploy, below what cache-backend says.
    deployment_defaults: tuple[tuple[str, bool], ...] = ()
    max_file_size: int = 10_000_000  # bytes; a larger file is reported and skipped, never read whole
    root: str = "."
    config_path: str | None = None
    blocking_calls: tuple[tuple[str, str], ...] = ()  # (name pattern, suggestion)
    safe_calls: tuple[str, ...] = ()  # name patterns declared non-blocking
    model_bases: tuple[str, ...] = ()  # third-party classes whose subclasses are Django models
    python: str | None = None  # the project's interpreter: where third-party source is read (ASF8xx)
    cache_dir: str | None = None  # relative to the root; unset: $ASYNCSAFE_CACHE_DIR or the default
    project_root: str | None = None  # None: ``root``
    target_version: str | None = None  # "3.12": the grammar files are parsed with; None: newest
    src: tuple[str, ...] = ()  # import roots as configured (relative to ``root``)
    src_roots: tuple[str, ...] = ()  # import roots resolved (absolute); empty: the project root
    # Where each resolved value came from, for --show-settings.
    sources: Mapping[str, str] = field(default_factory=dict, compare=False)

    @property
    def django(self) -> tuple[int, int]:
        if self.django_version is None:
            return UNKNOWN_DJANGO
        major, minor = self.django_version.split(".")
        return int(major), int(minor)

    @property
    def django_known(self) -> bool:
        return self.django_version is not None

    @property
    def base(self) -> str:
        """The project root: where the cache lives and module names are computed from."""
        return self.project_root or self.root

    def enabled_codes(self) -> frozenset[str]:
        defaults = dict(self.deployment_defaults)
        if self.cache_backend is not None:
            defaults[CACHE_CODE] = CACHE_BACKENDS[self.cache_backend]
        return _enabled_codes(self.select, self.extend_select, self.ignore, tuple(sorted(defaults.items())))

    def is_enabled(self, code: str) -> bool:
        return code in self.enabled_codes()

    def ignored_in(self, path: str) -> tuple[str, ...]:
        relative = _relative(path, self.root)
        return tuple(
            code
            for pattern, codes in self.per_file_ignores.items()
            if PathMatcher((pattern,)).matches(relative)
            for code in codes
        )

    def is_excluded(self, path: str, user_only: bool = False) -> bool:
        """Excluded by a pattern; ``user_only`` skips the defaults (for files named explicitly)."""
        matcher = self._user_excludes if user_only else self._excludes
        return matcher.matches(_relative(path, self.root))

    def excludes(self) -> PathMatcher:
        return self._excludes

    @cached_property
    def _excludes(self) -> PathMatcher:
        return PathMatcher((*self.exclude, *self.extend_exclude))

    @cached_property
    def _user_excludes(self) -> PathMatcher:
        defaults = self.exclude == DEFAULT_EXCLUDE
        return PathMatcher(self.extend_exclude if defaults else (*self.exclude, *self.extend_exclude))

    def is_safe_call(self, name: str) -> bool:
        """Whether the configuration declares this canonical name (``pkg.func`` or
        ``Type.method``) non-blocking: no catalog or transitive finding may come from it."""
        return bool(self.safe_calls) and _compiled(self.safe_calls).fullmatch(name) is not None

    def is_model_base(self, name: str) -> bool:
        """Whether ``model-bases`` names this canonical class name (a third-party model base)."""
        return bool(self.model_bases) and _compiled(self.model_bases).fullmatch(name) is not None

    def fingerprint(self) -> str:
        """What changes the result of checking one file's content."""
        configured = f"{self.blocking_calls}|{self.safe_calls}|{self.model_bases}|{self.python}"
        project = f"{self.target_version}|{self.src_roots}|{self.settings_module or ''}"
        return f"{sorted(self.enabled_codes())}|{self.django_version}|{configured}|{self.max_depth}|{project}"


@lru_cache(maxsize=16)
def _compiled(patterns: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


_ENABLED_CACHE: dict[tuple[object, ...], frozenset[str]] = {}


def _enabled_codes(
    select: tuple[str, ...] | None,
    extend: tuple[str, ...],
    ignore: tuple[str, ...],
    defaults: tuple[tuple[str, bool], ...] = (),
) -> frozenset[str]:
    key = (select, extend, ignore, defaults)
    if key not in _ENABLED_CACHE:
        _ENABLED_CACHE[key] = frozenset(_resolve_selection(select, extend, ignore, dict(defaults)))
    return _ENABLED_CACHE[key]


def _resolve_selection(
    select: tuple[str, ...] | None,
    extend: tuple[str, ...],
    ignore: tuple[str, ...],
    defaults: Mapping[str, bool],
) -> Iterable[str]:
    """ruff-style: the most specific matching selector wins; ignore wins ties.

    Opt-in codes are enabled only by their exact code or ``ALL``. ``defaults`` overrides what a
    setting decides: True makes an opt-in code a default one, False turns a code off for good.
    """
    selectors = (*(select if select is not None else ("ASF",)), *extend)
    for code, default in known_codes().items():
        default = defaults.get(code, default)
        if code in defaults and not defaults[code]:
            continue
        chosen = _specificity(code, selectors, exact_only=not default)
        dropped = _specificity(code, ignore, exact_only=False)
        if chosen > dropped:
            yield code


def _specificity(code: str, selectors: Iterable[str], exact_only: bool) -> int:
    best = 0
    for selector in selectors:
        if selector == "ALL":
            best = max(best, 1)
        elif selector == code or (not exact_only and code.startswith(selector)):
            best = max(best, len(selector) + 1)
    return best


def selector_matches(code: str, selector: str) -> bool:
    return selector == "ALL" or code.startswith(selector)


def _relative(path: str, root: str) -> str:
    """``path`` relative to ``root`` with ``/`` separators (as given when outside the root)."""
    absolute, base = os.path.abspath(path), os.path.abspath(root)
    if absolute == base:
        return "."
    prefix = base.rstrip(os.sep) + os.sep
    inside = absolute[len(prefix):] if absolute.startswith(prefix) else path
    return inside.replace(os.sep, "/")


class PathMatcher:
    """Glob patterns, compiled once. A pattern without ``/`` matches any path component (so
    ``build`` skips every build directory); one with ``/`` matches the path relative to the
    config root, or any leading part of it (so ``src/legacy`` skips everything below)."""

    def __init__(self, patterns: Iterable[str]) -> None:
        names = [p.rstrip("/") for p in patterns if "/" not in p.rstrip("/")]
        paths = [p.rstrip("/").removeprefix("./") for p in patterns if "/" in p.rstrip("/")]
        self._name = _compile(names)
        self._path = _compile(paths)
        self.has_path_patterns = bool(paths)

    def matches_name(self, name: str) -> bool:
        """Only the last component: enough while walking, where parents were already tested."""
        return bool(self._name and self._name.match(name))

    def matches(self, relative: str) -> bool:
        parts = relative.split("/")
        if self._name and any(self._name.match(part) for part in parts):
            return True
        return bool(
            self._path
            and any(self._path.match("/".join(parts[: i + 1])) for i in range(len(parts)))
        )


def _compile(patterns: list[str]) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{fnmatch.translate(p)})" for p in patterns))


CONFIG_NAMES = (".asyncsafe.toml", "asyncsafe.toml", "pyproject.toml")  # nearest first, then this order
MAX_EXTEND = 10  # `extend` chains followed


def find_config(paths: Iterable[str], strict: bool = True) -> Path | None:
    """The configuration of the checked paths: the nearest file of ``CONFIG_NAMES`` above the
    directory they share, never above the project root (see ``find_config_from``)."""
    from asyncsafe.projectinfo.root import common_start, find_project_root

    start = common_start(list(paths))
    return find_config_from(start, find_project_root(start), strict)


@lru_cache(maxsize=1024)
def find_config_from(directory: Path, root: Path, strict: bool = True) -> Path | None:
    """The nearest ``.asyncsafe.toml``, ``asyncsafe.toml`` or pyproject.toml with a
    ``[tool.asyncsafe]`` table in ``directory`` or above it, up to ``root`` (someone else's
    pyproject.toml above the project is never read). A pyproject.toml that does not mention
    asyncsafe is not even parsed, so an invalid one is never fatal."""
    from asyncsafe.projectinfo.root import listing

    for name in CONFIG_NAMES:
        candidate = directory / name
        if name in listing(directory) and candidate.is_file():
            if name != "pyproject.toml" or _configures(candidate, strict):
                return candidate
    if directory == root or directory.parent == directory:
        return None
    return find_config_from(directory.parent, root, strict)  # cached: folders share their parents


def _configures(pyproject: Path, strict: bool) -> bool:
    """Whether a pyproject.toml holds a ``[tool.asyncsafe]`` table. ``strict``: a malformed
    ``tool`` (not a table) is an error rather than "no configuration here"."""
    try:
        ours = b"asyncsafe" in pyproject.read_bytes()
    except OSError:
        return False
    if not ours and not strict:
        return False  # not even parsed: an invalid file of someone else's is never fatal
    try:
        data = _read_toml(pyproject)
    except ConfigError:
        if ours:
            raise
        return False
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        if strict:
            raise ConfigError(_bad_tool(pyproject, tool))
        return False
    return "asyncsafe" in tool


def _bad_tool(path: Path, tool: object) -> str:
    return f"{path}: error: 'tool' must be a table (e.g. [tool.asyncsafe]), got {tool!r}"


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: error: invalid TOML: {exc}") from exc
    except RecursionError as exc:  # tomllib parses nested arrays and tables recursively
        raise ConfigError(f"{path}: error: invalid TOML: arrays or tables nested too deeply") from exc
    except OSError as exc:
        raise ConfigError(f"{path}: error: cannot read: {exc.strerror}") from exc


def config_table(path: Path) -> dict[str, Any]:
    """The asyncsafe options a file holds: ``[tool.asyncsafe]`` of a pyproject.toml, the top
    level of an asyncsafe.toml."""
    data = _read_toml(path)
    if path.name != "pyproject.toml" and not isinstance(data.get("tool"), dict):
        return data  # a dedicated asyncsafe.toml holds the options at top level
    tool = data.get("tool", {})
    if not isinstance(tool, dict):
        raise ConfigError(_bad_tool(path, tool))
    table = tool.get("asyncsafe", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: error: [tool.asyncsafe] must be a table of settings, got {table!r}")
    return table


def _extended_table(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The file's options over those of the file its ``extend`` names (relative to it)."""
    table = dict(config_table(path))
    base = table.pop("extend", None)
    if base is None:
        return table
    where = f"{path}: error: [tool.asyncsafe] extend"
    if not isinstance(base, str) or not base.strip():
        raise ConfigError(f"{where}: expected the path of another configuration file, got {base!r}")
    target = Path(os.path.normpath(path.parent / base))
    if target in seen or len(seen) >= MAX_EXTEND:
        raise ConfigError(f"{where}: {base!r} extends in a cycle (or more than {MAX_EXTEND} deep)")
    if not target.is_file():
        raise ConfigError(f"{where}: {base!r} does not exist ({target})")
    return {**_extended_table(target, (*seen, path)), **table}


def load_settings(config_path: Path | None, explicit: bool = False) -> Settings:
    """Settings from ``[tool.asyncsafe]`` (or the whole file when it is not a pyproject),
    following ``extend``. Without a file: the defaults, rooted in the current directory (the
    caller sets the project root)."""
    if config_path is None:
        return Settings(root=os.getcwd())
    if explicit and not config_path.is_file():
        raise ConfigError(f"{config_path}: error: config file does not exist")
    values = {}
    table = _extended_table(config_path)
    for key, raw in table.items():
        if key not in OPTIONS:
            expected = ", ".join(sorted((*OPTIONS, *FILE_KEYS)))
            raise ConfigError(
                f"{config_path}: error: [tool.asyncsafe] unknown key {key!r} (expected one of: {expected})"
            )
        attribute, convert = OPTIONS[key]
        values[attribute] = convert(raw, f"{config_path}: error: [tool.asyncsafe] {key}")
    given = {key: f"{key} in {config_path}" for key in table}
    return replace(
        Settings(root=str(config_path.parent), config_path=str(config_path), sources=given), **values
    )
