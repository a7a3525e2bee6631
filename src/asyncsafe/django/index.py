"""The project index of Django models: built lazily, once per process, from module summaries.

How models are found:

* a class is a model when one of its bases is ``django.db.models.Model``, a model of
  ``django.contrib.auth``/``contenttypes`` (``AbstractUser``, ``AbstractBaseUser``, ``User``, ...)
  or, recursively, another project model (abstract or not, in any module of the project);
* names are followed through imports, re-exports (``models/__init__.py``, ``import *``) and
  module-level aliases to the class that defines them (``canonical``);
* relation targets may be classes, ``"self"``, ``"Model"`` (same app), ``"app_label.Model"``
  (app label from ``Meta.app_label``, the app's ``apps.py`` ``label``, or its package name),
  ``settings.AUTH_USER_MODEL`` or ``get_user_model()`` (``AUTH_USER_MODEL = "..."`` in the
  project's settings modules, else ``django.contrib.auth.models.User``);
* reverse accessors (``related_name``, default ``<model>_set``, reverse one-to-one ``<model>``,
  multi-table-inheritance children) come, per target model, from the modules that can point at
  it (a text prefilter: they name the model next to a relation field; the others and
  migrations are never parsed).

Every lookup is memoized. The index holds only plain data and ``ast`` nodes, so it pickles,
and every process-pool worker can also rebuild it cheaply from the same ``Project``.
"""

from __future__ import annotations

import ast

from asyncsafe.django.methods import MethodReader
from asyncsafe.django.prefilter import ProjectText
from asyncsafe.django.schema import (
    BUILTIN_BY_LABEL,
    BUILTIN_MODELS,
    DEFAULT_USER_MODEL,
    EXTERNAL_ALIASES,
    GET_USER_MODEL,
    MANAGER_ROOTS,
    MODEL_ROOTS,
    QUERYSET_ROOTS,
    RELATION_FIELDS,
    REVERSE_OF,
    THIRD_PARTY_MODEL_BASES,
    USER_MODEL_SETTING,
    ManagerSpec,
    MethodKind,
    Model,
    Relation,
    RelationKind,
)
from asyncsafe.django.summary import ClassSummary, Function, ModuleSummary, summarize
from asyncsafe.engine.cache.reads import recorded
from asyncsafe.engine.facts.project import Project

MODEL_INDEX = "django.model-index"
# The text scans over every file: whoever asks them depends on what they extract from all files.
PROJECT_TEXT = "django.project-text"


class ModelIndex:
    """Which classes of the project are Django models, and what they hold. Use ``for_project``."""

    def __init__(self, project: Project) -> None:
        self.project = project
        self._summaries: dict[str, ModuleSummary | None] = {}
        self._located: dict[str, tuple[str, str] | None] = {}
        self._is_model: dict[str, bool] = {}
        self._canonical: dict[str, str] = {}
        self._models: dict[str, Model | None] = {}
        self._kinds: dict[str, str | None] = {}
        self._managers: dict[str, ManagerSpec | None] = {}
        self._methods: dict[tuple[str, str], MethodKind | None] = {}
        self._labels: dict[str, str] = {}
        self._targets: dict[tuple[str, str], str | None] = {}
        self.text = ProjectText(project, owner=PROJECT_TEXT)
        self._reverse: dict[str, dict[str, Relation]] = {}
        self._user_model: tuple[str | None] | None = None

    @staticmethod
    def for_project(project: Project) -> ModelIndex:
        return project.facts(MODEL_INDEX, ModelIndex)

    # --- modules and names -------------------------------------------------------------------
    def module_of(self, qualname: str) -> tuple[str, str] | None:
        """``Project.module_of``, memoized: every resolved name asks it."""
        if qualname not in self._located:
            self._located[qualname] = self.project.module_of(qualname)
        return self._located[qualname]

    def in_project(self, qualname: str) -> bool:
        return self.module_of(qualname) is not None

    @recorded
    def summary(self, module: str) -> ModuleSummary | None:
        if module not in self._summaries:
            source = self.project.source(module)
            path = self.project.modules.get(module, "")
            self._summaries[module] = (
                summarize(module, path.endswith("__init__.py"), source.text) if source else None
            )
        return self._summaries[module]

    @recorded
    def canonical(self, qualname: str) -> str:
        """The defining name of what ``qualname`` refers to (re-exports and aliases followed).

        Only class names are followed: a project name that is no class anywhere stays as it is.
        """
        if self.in_project(qualname) and not self.text.may_be_class(qualname):
            return qualname
        if qualname not in self._canonical:
            self._canonical[qualname] = qualname  # guards import cycles
            self._canonical[qualname] = self._follow(qualname, depth=0)
        return self._canonical[qualname]

    def _follow(self, qualname: str, depth: int) -> str:
        qualname = EXTERNAL_ALIASES.get(qualname, qualname)
        located = self.module_of(qualname)
        if located is None or depth > 10:
            return qualname
        module, rest = located
        summary = self.summary(module)
        if summary is None:
            return qualname
        head, _, tail = rest.partition(".")
        suffix = f".{tail}" if tail else ""
        if head in summary.classes:
            return qualname
        if head in summary.imports:
            return self._follow(summary.imports[head] + suffix, depth + 1)
        target = summary.resolve(summary.assigns[head]) if head in summary.assigns else None
        if target is not None and target != qualname:
            return self._follow(target + suffix, depth + 1)
        for star in summary.star_imports:
            starred = self.summary(star)
            if starred is not None and (
                head in starred.classes or head in starred.imports or head in starred.assigns
            ):
                return self._follow(f"{star}.{head}{suffix}", depth + 1)
        return qualname

    def class_summary(self, qualname: str) -> tuple[ClassSummary, ModuleSummary] | None:
        located = self.module_of(qualname)
        if located is None:
            return None
        summary = self.summary(located[0])
        cls = summary.classes.get(located[1]) if summary else None
        return (cls, summary) if cls is not None and summary is not None else None

    def resolve_in(self, summary: ModuleSummary, node: ast.expr) -> str | None:
        """The canonical name an expression of ``summary``'s module refers to."""
        found = summary.resolve(node)
        return self.canonical(found) if found else None

    def project_bases(self, qualname: str) -> list[str]:
        """Canonical names of a class and its ancestors, nearest first (external ones included)."""
        order: list[str] = []
        pending = [qualname]
        while pending:
            current = pending.pop(0)
            if current in order or len(order) > 50:
                continue
            order.append(current)
            found = self.class_summary(current)
            if found is not None:
                cls, summary = found
                pending.extend(b for b in (self.resolve_in(summary, base) for base in cls.bases) if b)
        return order

    # --- models --------------------------------------------------------------------------------
    @recorded
    def model(self, qualname: str) -> Model | None:
        """The model a (canonical) class name denotes, or None if it is not a Django model."""
        if qualname in BUILTIN_MODELS:
            return BUILTIN_MODELS[qualname]
        if qualname not in self._models:
            self._models[qualname] = None  # guards inheritance cycles
            found = self.class_summary(qualname)
            self._models[qualname] = self._build_model(*found) if found else None
        return self._models[qualname]

    @recorded
    def is_model(self, qualname: str) -> bool:
        """Whether a (possibly re-exported) name denotes a model. The resolver asks this of every
        name it meets, so it is memoized and prefiltered by the project's class names."""
        if qualname not in self._is_model:
            self._is_model[qualname] = (qualname in BUILTIN_MODELS) or (
                self.text.may_be_django_class(qualname)
                and self.model(self.canonical(qualname)) is not None
            )
        return self._is_model[qualname]

    def _build_model(self, cls: ClassSummary, summary: ModuleSummary) -> Model | None:
        bases = [b for b in (self.resolve_in(summary, base) for base in cls.bases) if b]
        parents = [m for m in (self.model(b) for b in bases) if m is not None]
        if not parents and not any(b in MODEL_ROOTS or b in THIRD_PARTY_MODEL_BASES for b in bases):
            return None
        model = Model(
            cls.qualname,
            cls.meta_string("app_label") or self.app_label(cls.module),
            abstract=cls.meta_flag("abstract"),
            parents=tuple(p.qualname for p in parents),
            concrete_parents=tuple(p.qualname for p in parents if not p.abstract),
        )
        for parent in reversed(parents):  # the first base wins, as in Python's MRO
            model.fields |= parent.fields
            model.primary_keys |= parent.primary_keys
            model.relations.update(parent.relations)
            if parent.abstract:  # abstract fields are copied into each concrete child's table
                model.declared |= parent.declared
            for name, spec in parent.managers.items():
                model.managers.setdefault(name, spec)
        own_managers: dict[str, ManagerSpec] = {}
        for name, value in cls.attributes.items():
            self._read_attribute(model, own_managers, name, value, summary)
        model.managers = {**own_managers, **{k: v for k, v in model.managers.items() if k not in own_managers}}
        return model

    def _read_attribute(
        self,
        model: Model,
        managers: dict[str, ManagerSpec],
        name: str,
        value: ast.expr,
        summary: ModuleSummary,
    ) -> None:
        if not isinstance(value, ast.Call):
            return
        callee = self.resolve_in(summary, value.func)
        kind = RELATION_FIELDS.get(callee or "")
        if kind is not None:
            model.relations[name] = _relation(name, kind, value, summary)
            model.declared |= {name}
        elif callee is not None and callee.rsplit(".", 1)[-1].endswith("Field"):
            model.fields |= {name}
            if _keyword_is_true(value, "primary_key"):
                model.primary_keys |= {name}
        else:
            spec = self.manager_from_call(value, summary)
            if spec is not None:
                managers[name] = spec

    @recorded
    def app_label(self, module: str) -> str:
        """The app label of models defined in ``module`` (AppConfig.label, else the package name)."""
        package = _app_package(module)
        if package not in self._labels:
            custom = self.text.app_label(package)
            self._labels[package] = custom or package.rsplit(".", 1)[-1] or module
        return self._labels[package]

    @recorded
    def target(self, holder: Model, relation: Relation) -> str | None:
        """The canonical model a relation of ``holder`` points at (None if unknown)."""
        spec = relation.target
        if spec is None:
            return None
        key = (holder.qualname, spec)
        if key not in self._targets:
            self._targets[key] = self._resolve_target(holder, spec)
        return self._targets[key]

    def _resolve_target(self, holder: Model, spec: str) -> str | None:
        kind, _, value = spec.partition(":")
        if kind == "self":
            return holder.qualname
        if kind == "user":
            return self.user_model()
        if kind == "class":
            return value if self.model(value) is not None else None
        if kind == "label":
            app, _, name = value.partition(".")
            return self.model_by_label(app, name)
        if kind == "name":
            return self.model_by_label(holder.app_label, value)
        return None

    def model_by_label(self, app_label: str, name: str) -> str | None:
        """``"app_label.Model"`` -> canonical name (None when missing or ambiguous)."""
        found = {
            q
            for q in self.text.classes_named(name)
            if (m := self.model(q)) is not None and m.app_label == app_label
        }
        if len(found) == 1:
            return found.pop()
        return BUILTIN_BY_LABEL.get((app_label, name)) if not found else None

    @recorded
    def user_model(self) -> str | None:
        """settings.AUTH_USER_MODEL as a model name: the project's setting, else auth's User.

        None when settings modules disagree or the setting names no known model.
        """
        if self._user_model is None:
            self._user_model = (self._find_user_model(),)
        return self._user_model[0]

    def _find_user_model(self) -> str | None:
        values = self.text.user_model_settings()
        if not values:
            return DEFAULT_USER_MODEL
        if len(values) > 1:
            return None
        app, _, name = values.pop().partition(".")
        return self.model_by_label(app, name)

    # --- reverse accessors -------------------------------------------------------------------
    def relation(self, model: Model, name: str) -> Relation | None:
        """The forward or reverse relation ``name`` on instances of ``model``.

        Columns, private names and what the class itself defines are answered without the
        project-wide reverse scan.
        """
        if name in model.relations:
            return model.relations[name]
        if name in model.fields or name.endswith("_id") or name.startswith("_"):
            return None
        if self.defines(model.qualname, name):
            return None
        for owner in (model.qualname, *self._concrete_ancestors(model)):
            found = self.reverse_accessors(owner).get(name)
            if found is not None:
                return found
        return None

    def _concrete_ancestors(self, model: Model) -> list[str]:
        found: list[str] = []
        pending = list(model.concrete_parents)
        while pending:
            current = pending.pop(0)
            parent = self.model(current)
            if parent is not None and current not in found:
                found.append(current)
                pending.extend(parent.concrete_parents)
        return found

    @recorded
    def reverse_accessors(self, target: str) -> dict[str, Relation]:
        """Accessors that other models' relations (and multi-table children) add to ``target``.

        Scans only the modules that can hold such a relation: they name the target's class
        (or ``AUTH_USER_MODEL`` for the user model, or an abstract model that points at the
        target) next to a relation field, or derive from it in a models module.
        """
        if target not in self._reverse:
            self._reverse[target] = self._scan_reverse(target)
        return self._reverse[target]

    def _scan_reverse(self, target: str) -> dict[str, Relation]:
        found: dict[str, Relation] = {}
        words = [target.rsplit(".", 1)[-1]]
        if target == self.user_model():
            words += ["AUTH_USER_MODEL", "get_user_model"]
        scanned: set[str] = set()
        swapped = DEFAULT_USER_MODEL if self.user_model() != DEFAULT_USER_MODEL else None
        candidates = [m for q, m in BUILTIN_MODELS.items() if q != swapped]
        located = self.module_of(target)
        candidates += self._models_in(located[0]) if located else []  # "self" relations
        while words or candidates:
            for module in self.text.modules_naming(words.pop()) if words else ():
                if module not in scanned:
                    scanned.add(module)
                    candidates.extend(self._models_in(module))
            while candidates:
                model = candidates.pop()
                if model.abstract:
                    if self._points_at(model, target):
                        words.append(model.name)  # its concrete children inherit the relation
                    continue
                for reached, relation in self._reverse_accessors(model):
                    if reached == target:
                        found.setdefault(relation.name, relation)
        return found

    def _points_at(self, model: Model, target: str) -> bool:
        return any(self.target(model, model.relations[name]) == target for name in model.declared)

    def _models_in(self, module: str) -> list[Model]:
        summary = self.summary(module)
        classes = summary.classes.values() if summary else ()
        return [m for m in (self.model(cls.qualname) for cls in classes) if m is not None]

    def _reverse_accessors(self, model: Model) -> list[tuple[str, Relation]]:
        """(target model, accessor on it) for each relation ``model`` declares or inherits."""
        found: list[tuple[str, Relation]] = []
        for relation in (model.relations[name] for name in model.declared):
            reverse_kind = REVERSE_OF.get(relation.kind)
            target = self.target(model, relation)
            if reverse_kind is None or target is None:
                continue
            if (
                relation.kind is RelationKind.MANY_TO_MANY
                and target == model.qualname
                and relation.symmetrical
            ):
                continue  # a symmetrical self-relation has no reverse accessor
            name = self._reverse_name(model, relation)
            if name is not None:
                reverse = Relation(name, reverse_kind, f"class:{model.qualname}", field=relation.name)
                found.append((target, reverse))
        for parent in model.concrete_parents:  # multi-table inheritance: parent.child
            child = Relation(model.name.lower(), RelationKind.REVERSE_ONE_TO_ONE, f"class:{model.qualname}")
            found.append((parent, child))
        return found

    def _reverse_name(self, model: Model, relation: Relation) -> str | None:
        name = relation.related_name
        if name is not None:
            name = name.replace("%(class)s", model.name.lower()).replace(
                "%(app_label)s", model.app_label.lower()
            )
            return None if name.endswith("+") else name
        if relation.kind is RelationKind.ONE_TO_ONE:
            return model.name.lower()
        return f"{model.name.lower()}_set"

    # --- managers, querysets and their custom methods ----------------------------------------
    @recorded
    def class_kind(self, qualname: str) -> str | None:
        """"queryset" for QuerySet classes, "manager" for Manager classes, else None."""
        if qualname in QUERYSET_ROOTS:
            return "queryset"
        if qualname in MANAGER_ROOTS:
            return "manager"
        if qualname not in self._kinds:
            self._kinds[qualname] = None
            self._kinds[qualname] = self._find_kind(qualname)
        return self._kinds[qualname]

    def _find_kind(self, qualname: str) -> str | None:
        if self.in_project(qualname) and not self.text.may_be_django_class(qualname):
            return None
        found = self.class_summary(qualname)
        if found is None:
            return "manager" if self._assigned_manager(qualname) else None
        cls, summary = found
        for base in cls.bases:
            if isinstance(base, ast.Call) and self.manager_from_call(base, summary, made=True):
                return "manager"
            resolved = self.resolve_in(summary, base)
            kind = self.class_kind(resolved) if resolved else None
            if kind is not None:
                return kind
        return None

    @recorded
    def manager_spec(self, qualname: str) -> ManagerSpec | None:
        """What a manager class (or ``X = Manager.from_queryset(QS)`` alias) proxies."""
        if qualname not in self._managers:
            self._managers[qualname] = None
            self._managers[qualname] = self._find_manager_spec(qualname)
        return self._managers[qualname]

    def _find_manager_spec(self, qualname: str) -> ManagerSpec | None:
        if qualname in MANAGER_ROOTS:
            return ManagerSpec(qualname)
        assigned = self._assigned_manager(qualname)
        if assigned is not None:
            return assigned
        found = self.class_summary(qualname)
        if found is None or self.class_kind(qualname) != "manager":
            return None
        cls, summary = found
        for base in cls.bases:
            made = self.manager_from_call(base, summary, made=True) if isinstance(base, ast.Call) else None
            resolved = self.resolve_in(summary, base)
            inherited = made or (self.manager_spec(resolved) if resolved else None)
            if inherited is not None and inherited.queryset_class:
                return ManagerSpec(qualname, inherited.queryset_class)
        return ManagerSpec(qualname)

    def _assigned_manager(self, qualname: str) -> ManagerSpec | None:
        """``BookManager = models.Manager.from_queryset(BookQuerySet)`` at module level."""
        located = self.module_of(qualname)
        summary = self.summary(located[0]) if located else None
        value = summary.assigns.get(located[1]) if summary and located else None
        if isinstance(value, ast.Call) and summary is not None:
            return self.manager_from_call(value, summary, made=True)
        return None

    def manager_from_call(
        self, call: ast.Call, summary: ModuleSummary, made: bool = False
    ) -> ManagerSpec | None:
        """The manager an expression creates: ``QS.as_manager()``, ``M.from_queryset(QS)()``,
        ``BookManager()``. With ``made``, ``M.from_queryset(QS)`` itself (a manager class)."""
        func = call.func
        if isinstance(func, ast.Attribute) and func.attr in ("as_manager", "from_queryset"):
            owner = self.resolve_in(summary, func.value)
            queryset_arg = call.args[0] if func.attr == "from_queryset" and call.args else None
            if func.attr == "as_manager" and not made and owner and self.class_kind(owner) == "queryset":
                return ManagerSpec(None, owner)
            if queryset_arg is not None and made and owner and self.class_kind(owner) == "manager":
                queryset = self.resolve_in(summary, queryset_arg)
                if queryset and self.class_kind(queryset) == "queryset":
                    return ManagerSpec(owner, queryset)
            return None
        if made:
            return None
        if isinstance(func, ast.Call):
            return self.manager_from_call(func, summary, made=True)
        resolved = self.resolve_in(summary, func)
        return self.manager_spec(resolved) if resolved else None

    def find_method(self, qualname: str, name: str) -> tuple[Function, ClassSummary, ModuleSummary] | None:
        """``name`` defined by project class ``qualname`` or its project ancestors."""
        for owner in self.project_bases(qualname):
            found = self.class_summary(owner)
            if found is not None and name in found[0].methods:
                return found[0].methods[name], found[0], found[1]
        return None

    @recorded
    def method_kind(self, qualname: str, name: str) -> MethodKind | None:
        """What custom method ``name`` of QuerySet/manager class ``qualname`` does (None: not one)."""
        key = (qualname, name)
        if key not in self._methods:
            self._methods[key] = None  # guards recursion between methods
            found = self.find_method(qualname, name)
            if found is not None:
                self._methods[key] = MethodReader(self, qualname, found[2]).kind(found[0])
        return self._methods[key]

    def defines(self, qualname: str, name: str) -> bool:
        """``name`` is a method or a non-field class attribute of a project class (or ancestor)."""
        return self.find_method(qualname, name) is not None or (
            self.class_attribute(qualname, name) is not None
        )

    def class_attribute(self, qualname: str, name: str) -> tuple[ast.expr, ModuleSummary] | None:
        """A class-level assignment of ``name`` in ``qualname`` or its project ancestors."""
        for owner in self.project_bases(qualname):
            found = self.class_summary(owner)
            if found is not None and name in found[0].attributes:
                return found[0].attributes[name], found[1]
        return None


def _relation(name: str, kind: RelationKind, call: ast.Call, summary: ModuleSummary) -> Relation:
    target_node = call.args[0] if call.args else _keyword(call, "to")
    symmetrical = _keyword(call, "symmetrical")
    related_name = _keyword(call, "related_name")
    return Relation(
        name,
        kind,
        None if kind is RelationKind.GENERIC_FOREIGN_KEY else _target_spec(target_node, summary),
        related_name.value
        if isinstance(related_name, ast.Constant) and isinstance(related_name.value, str)
        else None,
        not (isinstance(symmetrical, ast.Constant) and symmetrical.value is False),
    )


def _target_spec(node: ast.expr | None, summary: ModuleSummary) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        text = node.value
        if text == "self":
            return "self"
        return f"label:{text}" if "." in text else f"name:{text}"
    if isinstance(node, ast.Call) and summary.resolve(node.func) == GET_USER_MODEL:
        return "user"
    resolved = summary.resolve(node) if node is not None else None
    if resolved == USER_MODEL_SETTING:
        return "user"
    return f"class:{resolved}" if resolved else None


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _keyword_is_true(call: ast.Call, name: str) -> bool:
    value = _keyword(call, name)
    return isinstance(value, ast.Constant) and value.value is True


def _app_package(module: str) -> str:
    """``shop.models`` / ``shop.models.book`` -> ``shop``; ``shop.other`` -> ``shop``."""
    parts = module.split(".")
    if "models" in parts:
        return ".".join(parts[: len(parts) - 1 - parts[::-1].index("models")])
    return ".".join(parts[:-1])
