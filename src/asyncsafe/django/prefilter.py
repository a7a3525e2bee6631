"""Text-only prefilters over the project's sources: what must never be parsed.

The model index asks these before it parses a module with ``ast``: a regex pass over every
source, once per process, tells which names can be classes at all, which classes can be models,
QuerySets or managers (their bases name a Django base, directly or through project classes),
which modules can hold a relation to a given model, the ``AUTH_USER_MODEL`` setting and
``AppConfig.label`` values. A prefilter may let through what parsing then rejects; it never
rejects what parsing would accept (a miss costs recall, never precision).
"""

from __future__ import annotations

import hashlib
import re

from asyncsafe.engine.cache.reads import ScanKind
from asyncsafe.engine.facts.project import Project

# Every pattern here runs over every file of the project before anything is parsed, so each one
# is linear in the text: a repetition that may cross lines is bounded (the bases: an unclosed
# `class X(` in a docstring once scanned to the end of the file from every such line), and
# whitespace inside a statement is `[ \t]`. bench/adversarial.py feeds them a megabyte of the
# worst text; tests/test_regex_bounds.py checks they find what the unbounded forms found.
# A class's bases as written, across lines: at most 1,000 characters (the longest in the 10,000
# modules of the pinned corpora has 392). The lookahead takes the run atomically (what
# `{0,1000}+` says from Python 3.11 on): a run that ends without `)` is not retried shorter.
def _bases(group: int) -> str:
    """The pattern of ``(bases)``, the bases being capture group ``group``."""
    return rf"\((?=([^)]{{0,1000}}))\{group}\)"


# Names that may denote a class: top-level classes, managers made at module level
# (`BookManager = M.from_queryset(QS)`) and plain aliases (`BaseView = generic.View`).
TOP_LEVEL_CLASS = re.compile(
    rf"^(?:class[ \t]+(\w+)[ \t]*(?:{_bases(2)})?"
    r"|(\w+)[ \t]*=[ \t]*([\w.]+\.from_queryset\(|[A-Za-z_][\w.]*)[ \t]*(?:#.*)?$)",
    re.MULTILINE,
)
# A model, QuerySet or manager class names one of these in its bases, or a class that does.
DJANGO_BASE_WORDS = (
    "Model", "QuerySet", "Manager", "AbstractUser", "AbstractBaseUser", "PermissionsMixin",
    "from_queryset", "_Node", "Page",  # treebeard's MP_Node/NS_Node/AL_Node, wagtail's Page
)
# What a relation field points at, as written: `ForeignKey(Author`, `ForeignKey("app.Author"`,
# `ForeignKey(to=settings.AUTH_USER_MODEL` (the last dotted part is kept).
RELATION_TARGET = re.compile(
    r"(?:ForeignKey|OneToOneField|ManyToManyField)\s{0,200}\(\s{0,200}(?:to[ \t]*=[ \t]*)?[\"']?([\w.]+)"
)
CLASS_BASES = re.compile(rf"^class[ \t]+\w+[ \t]*{_bases(1)}", re.MULTILINE)
IDENTIFIER = re.compile(r"[A-Za-z_]\w*")
APP_LABEL = re.compile(r"^[ \t]+label[ \t]*=[ \t]*[\"'](\w+)[\"']", re.MULTILINE)
# The setting as settings modules write it (a module-level string assignment).
USER_MODEL_ASSIGNMENT = re.compile(
    r"^AUTH_USER_MODEL[ \t]*(?::[ \t]*str[ \t]*)?=[ \t]*[\"']([\w.]+)[\"']", re.MULTILINE
)


def scan_signature(text: str) -> str:
    """Everything the scans below extract from one file: while it is unchanged, so are they."""
    digest = hashlib.blake2b(digest_size=16)
    for pattern in (TOP_LEVEL_CLASS, RELATION_TARGET, CLASS_BASES, USER_MODEL_ASSIGNMENT):
        digest.update(repr(pattern.findall(text)).encode())
    return digest.hexdigest()


class ProjectText:
    """The project's sources, read as text (``Project.source`` caches each file once)."""

    def __init__(self, project: Project, owner: str | None = None) -> None:
        self.project = project
        self.owner = owner  # what the scans are kept under: every question depends on them all
        self._class_names: dict[str, list[str]] | None = None
        self._bases: dict[str, list[str]] = {}  # class name -> its bases as written
        self._django_names: frozenset[str] | None = None
        self._words: dict[str, frozenset[str]] | None = None

    def _asked(self) -> None:
        if self.owner is not None:
            self.project.recorder.use(self.owner)

    def classes_named(self, name: str) -> list[str]:
        """Every top-level project class called ``name`` (one regex pass over the sources)."""
        self._asked()
        if self._class_names is None:
            self._class_names = {}
            for module in self.project.modules:
                source = self.project.scan_source(module, ScanKind.DJANGO_CLASSES, self.owner)
                for match in TOP_LEVEL_CLASS.finditer(source.text if source else ""):
                    found = match.group(1) or match.group(3)
                    self._class_names.setdefault(found, []).append(f"{module}.{found}")
                    self._bases.setdefault(found, []).append(match.group(2) or match.group(4) or "")
        return self._class_names.get(name, [])

    def may_be_class(self, qualname: str) -> bool:
        """Some project module defines a top-level class (or class alias) of this name."""
        return bool(self.classes_named(qualname.rsplit(".", 1)[-1]))

    def may_be_django_class(self, qualname: str) -> bool:
        """A project class of this name names a Django base (``Model``, ``QuerySet``,
        ``Manager``, ...) in its bases, directly or through other project classes."""
        self._asked()
        if self._django_names is None:
            self.classes_named("")
            words = {name: set(IDENTIFIER.findall(" ".join(texts))) for name, texts in self._bases.items()}
            found = {
                name
                for name, texts in self._bases.items()
                if any(word in text for text in texts for word in DJANGO_BASE_WORDS)
            }
            grown = True
            while grown:
                more = {name for name, named in words.items() if name not in found and named & found}
                found |= more
                grown = bool(more)
            self._django_names = frozenset(found)
        return qualname.rsplit(".", 1)[-1] in self._django_names

    def modules_naming(self, word: str) -> list[str]:
        """Modules whose relation fields point at ``word`` or whose classes derive from it.
        Migrations name every relation field but declare no model classes: never listed."""
        self._asked()
        if self._words is None:
            self._words = {}
            for module in self.project.modules:
                source = self.project.scan_source(module, ScanKind.DJANGO_CLASSES, self.owner)
                if "migrations" in module.split(".") or source is None:
                    continue
                text = source.text
                named = {target.rsplit(".", 1)[-1] for target in RELATION_TARGET.findall(text)}
                for bases in CLASS_BASES.findall(text):
                    named.update(IDENTIFIER.findall(bases))
                if named:
                    self._words[module] = frozenset(named)
        return [module for module, words in self._words.items() if word in words]

    def user_model_settings(self) -> set[str]:
        """Every ``AUTH_USER_MODEL = "app.Model"`` value assigned in the project."""
        self._asked()
        values: set[str] = set()
        for module in self.project.modules:
            source = self.project.scan_source(module, ScanKind.DJANGO_CLASSES, self.owner)
            if source is not None and "AUTH_USER_MODEL" in source.text:
                values.update(USER_MODEL_ASSIGNMENT.findall(source.text))
        return values

    def app_label(self, package: str) -> str | None:
        """``label = "..."`` of the AppConfig in ``<package>/apps.py``, if it sets one."""
        source = self.project.source(f"{package}.apps") if package else None
        labels = APP_LABEL.findall(source.text) if source else []
        return labels[-1] if labels else None
