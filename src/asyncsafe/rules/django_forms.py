"""ASF250-ASF252: Django forms and DRF serializers that query, in async code.

* ``ModelForm.save()`` / ``ModelSerializer.save()`` write the instance (unless ``commit=False``);
* ``is_valid()`` / ``full_clean()`` query when a field needs the database to validate: a
  ``ModelChoiceField`` or DRF related field (the chosen row is looked up), a model field that is
  ``unique`` (a uniqueness query), or a model with ``unique_together``/``constraints``. A form
  without such fields validates in memory and is not reported;
* ``serializer.data`` over a QuerySet iterates it.

Which fields a form or serializer has is read from the project's class statements (declared
fields, ``Meta.model``, ``Meta.fields``/``exclude``/``read_only_fields``) through the model index.
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import libcst as cst

from asyncsafe.django.hierarchy import ancestry
from asyncsafe.django.index import ModelIndex
from asyncsafe.django.orm import QUERYSET_KINDS, OrmTypes
from asyncsafe.django.schema import Model
from asyncsafe.django.summary import ClassSummary, ModuleSummary
from asyncsafe.engine.tree.events import AttributeSite, CallSite, FileContext, Fix
from asyncsafe.engine.tree.providers import FileTypes
from asyncsafe.engine.tree.scopes import Resolver
from asyncsafe.engine.tree.values import Instance, Member, Ref, Value
from asyncsafe.rules.quotes import quote
from asyncsafe.rules.rewrites import FixingChecker, await_allowed, await_method_twin

FORM = "asyncsafe.django.Form"  # Instance(FORM, FormInfo): a form or serializer instance

MODEL_FORMS = ("django.forms.ModelForm", "django.forms.models.ModelForm", "django.forms.models.BaseModelForm")
FORMS = ("django.forms.Form", "django.forms.forms.Form", "django.forms.BaseForm", "django.forms.forms.BaseForm")
MODEL_SERIALIZERS = (
    "rest_framework.serializers.ModelSerializer",
    "rest_framework.serializers.HyperlinkedModelSerializer",
    "adrf.serializers.ModelSerializer",
)
SERIALIZERS = ("rest_framework.serializers.BaseSerializer", "rest_framework.serializers.Serializer")
CHOICE_FIELDS = frozenset({"ModelChoiceField", "ModelMultipleChoiceField"})
DRF_RELATED_FIELDS = frozenset({"PrimaryKeyRelatedField", "SlugRelatedField", "HyperlinkedRelatedField"})
VALIDATING = frozenset({"is_valid", "full_clean"})


@dataclass(frozen=True)
class FormInfo:
    cls: str  # the project class
    kind: str  # "form" | "modelform" | "serializer" | "modelserializer"
    adrf: bool = False  # adrf's async serializer: has asave() and adata
    over_queryset: bool = False  # a serializer given a QuerySet as its instance

    @property
    def is_serializer(self) -> bool:
        return self.kind.endswith("serializer")


class FormTypes(FileTypes):
    """Project form and serializer classes: calling one gives an ``Instance(FORM, FormInfo)``."""

    def call_result(
        self, callee: Value, call: cst.Call | None, resolver: Resolver
    ) -> Value | None:
        if not isinstance(callee, Ref) or self.ctx is None:
            return None
        info = form_class(OrmTypes.of(self.ctx).index, callee.qualname)
        if info is None:
            return None
        if call is not None and info.is_serializer:
            first = next((a.value for a in call.args if a.keyword is None and not a.star), None)
            given = _keyword(call, "instance") or first
            if given is not None and _is_queryset(resolver.resolve(given)):
                info = FormInfo(info.cls, info.kind, info.adrf, over_queryset=True)
        return Instance(FORM, info)

    def annotation(self, qualname: str) -> Value | None:
        info = form_class(OrmTypes.of(self.ctx).index, qualname) if self.ctx else None
        return Instance(FORM, info) if info is not None else None


def form_class(index: ModelIndex, qualname: str) -> FormInfo | None:
    """What kind of form or serializer a project class is (None for anything else)."""
    canonical = index.canonical(qualname)
    if index.class_summary(canonical) is None:
        return None
    names = ancestry(index, canonical).names
    adrf = any(name.startswith("adrf.") for name in names)
    for kind, roots in (
        ("modelform", MODEL_FORMS), ("form", FORMS),
        ("modelserializer", MODEL_SERIALIZERS), ("serializer", SERIALIZERS),
    ):
        if any(name in roots for name in names):
            return FormInfo(canonical, kind, adrf)
    return None


def _is_queryset(value: Value) -> bool:
    return isinstance(value, Instance) and value.type_name in QUERYSET_KINDS


def _keyword(call: cst.Call, name: str) -> cst.BaseExpression | None:
    return next((a.value for a in call.args if a.keyword is not None and a.keyword.value == name), None)


# --- what a form's validation queries ------------------------------------------------------------
class FormFields:
    """Reads a form or serializer class: declared fields, Meta, and its model's fields."""

    def __init__(self, index: ModelIndex, info: FormInfo) -> None:
        self.index = index
        self.info = info
        self.lineage = [
            found for name in ancestry(index, info.cls).names
            if (found := index.class_summary(name)) is not None
        ]

    def validation_queries(self) -> str | None:
        """Why validating this form runs a query, or None when nothing proves one."""
        return next(self._declared_lookups(), None) or self._model_queries()

    def choice_field(self) -> str | None:
        """A field whose rendering iterates a QuerySet of choices, or None."""
        if self.info.is_serializer:
            return None
        declared = next(self._declared_choice_fields(), None)
        if declared is not None:
            return declared[0]
        return next((name for name, _ in self._selected_relations()), None)

    def _declared_lookups(self) -> Iterator[str]:
        for name, field in self._declared_choice_fields():
            yield f"'{name}' ({field}) looks up the chosen row"

    def _declared_choice_fields(self) -> Iterator[tuple[str, str]]:
        wanted = DRF_RELATED_FIELDS if self.info.is_serializer else CHOICE_FIELDS
        for cls, summary in self.lineage:
            for name, value in cls.attributes.items():
                if not isinstance(value, ast.Call):
                    continue
                field = (self.index.resolve_in(summary, value.func) or "").rpartition(".")[2]
                if field in wanted and not _read_only(value):
                    yield name, field

    def _model_queries(self) -> str | None:
        if self.info.kind not in ("modelform", "modelserializer"):
            return None
        relation = next(self._model_relations(), None)
        if relation is not None:
            return relation
        model = self._model()
        if model is None:
            return None
        selected = self._selected()
        for name, call in self._model_field_calls(model):
            if selected(name) and _flag(call, "unique"):
                return f"'{name}' is unique: validation checks it with a query"
        for cls, _ in self._model_lineage(model):
            if cls.meta.get("unique_together") is not None or cls.meta.get("constraints") is not None:
                return f"{model.name}'s unique_together/constraints are checked with queries"
        return None

    def _model_relations(self) -> Iterator[str]:
        field = "a related field" if self.info.is_serializer else "a ModelChoiceField"
        for name, kind in self._selected_relations():
            yield f"'{name}' ({kind}) is {field} that looks up the chosen row"

    def _selected_relations(self) -> Iterator[tuple[str, str]]:
        """The model's forward relations the form has: each becomes a choice field."""
        if self.info.kind not in ("modelform", "modelserializer"):
            return
        model = self._model()
        if model is None:
            return
        selected = self._selected()
        for name, relation in model.relations.items():
            if relation.kind.value in ("foreign key", "one-to-one", "many-to-many") and selected(name):
                yield name, relation.kind.value

    def _meta(self, key: str) -> tuple[ast.expr, ModuleSummary] | None:
        for cls, summary in self.lineage:
            if key in cls.meta:
                return cls.meta[key], summary
        return None

    def _model(self) -> Model | None:
        found = self._meta("model")
        if found is None:
            return None
        node, summary = found
        name = self.index.resolve_in(summary, node)
        return self.index.model(name) if name else None

    def _selected(self) -> Callable[[str], bool]:
        """Whether the form has a model field: Meta.fields ("__all__" or absent: every field),
        minus Meta.exclude and, for serializers, Meta.read_only_fields."""
        fields = self._meta("fields")
        chosen = _strings(fields[0]) if fields is not None else None
        dropped: set[str] = set()
        for key in ("exclude", "read_only_fields") if self.info.is_serializer else ("exclude",):
            found = self._meta(key)
            dropped |= set(_strings(found[0]) or ()) if found is not None else set()
        return lambda name: (chosen is None or name in chosen) and name not in dropped

    def _model_lineage(self, model: Model) -> Iterator[tuple[ClassSummary, ModuleSummary]]:
        pending = [model.qualname]
        seen: set[str] = set()
        while pending:
            name = pending.pop(0)
            if name in seen:
                continue
            seen.add(name)
            found = self.index.class_summary(name)
            if found is not None:
                yield found
            parent = self.index.model(name)
            pending.extend(parent.parents if parent is not None else ())

    def _model_field_calls(self, model: Model) -> Iterator[tuple[str, ast.Call]]:
        for cls, _ in self._model_lineage(model):
            for name, value in cls.attributes.items():
                if isinstance(value, ast.Call) and not _flag(value, "primary_key"):
                    yield name, value


def _strings(node: ast.expr) -> list[str] | None:
    if isinstance(node, ast.Constant) and node.value == "__all__":
        return None
    if isinstance(node, (ast.List, ast.Tuple)):
        return [e.value for e in node.elts if isinstance(e, ast.Constant) and isinstance(e.value, str)]
    return None


def _flag(call: ast.Call, keyword: str) -> bool:
    return any(
        k.arg == keyword and isinstance(k.value, ast.Constant) and k.value.value is True
        for k in call.keywords
    )


def _read_only(call: ast.Call) -> bool:
    return _flag(call, "read_only")


# --- the checker -------------------------------------------------------------------------------
class FormChecker(FixingChecker):
    codes = frozenset({"ASF250", "ASF251", "ASF252"})

    def on_call(self, site: CallSite) -> None:
        callee = site.callee
        if not (isinstance(callee, Member) and callee.receiver.type_name == FORM):
            return
        info = callee.receiver.info
        if not isinstance(info, FormInfo):
            return
        if callee.name == "save":
            self._save(site, info)
        elif callee.name in VALIDATING:
            reason = FormFields(OrmTypes.of(self.ctx).index, info).validation_queries()
            if reason is not None:
                self._validate(site, callee.name, reason)

    def _save(self, site: CallSite, info: FormInfo) -> None:
        if info.kind not in ("modelform", "modelserializer") or _commit_false(site.node):
            return
        receiver = quote(site.node.func.value) if isinstance(site.node.func, cst.Attribute) else "form"
        fix = None
        if info.adrf:
            use = f"'await {receiver}.asave()'"
            fix = self._asave_fix(site)
        else:
            use = f"'await sync_to_async({receiver}.save)()'"
        what = "creates or updates the model instance" if info.is_serializer else "saves the model instance and its many-to-many data"
        self.ctx.report(site.node, "ASF250", f"{receiver}.save() {what} with blocking queries on the event loop; use {use}", use, fix=fix)

    def _asave_fix(self, site: CallSite) -> Fix | None:
        function = site.function
        if site.awaited or function is None or not function.is_async:
            return None
        if not await_allowed(self.parents, function, site.node):
            return None
        return await_method_twin(site.node, "asave", self.parents.of(function, site.node))

    def _validate(self, site: CallSite, name: str, reason: str) -> None:
        receiver = quote(site.node.func.value) if isinstance(site.node.func, cst.Attribute) else "form"
        use = f"'await sync_to_async({receiver}.{name})()'"
        self.ctx.report(
            site.node, "ASF251",
            f"{receiver}.{name}() runs validation queries on the event loop ({reason}); use {use}", use,
        )

    def on_attribute(self, site: AttributeSite) -> None:
        receiver = site.receiver
        if site.node.attr.value != "data" or site.is_callee:
            return
        if not (isinstance(receiver, Instance) and receiver.type_name == FORM):
            return
        info = receiver.info
        if not isinstance(info, FormInfo) or not info.is_serializer or not info.over_queryset:
            return
        text = quote(site.node.value)
        use = f"'await {text}.adata'" if info.adrf else f"'await sync_to_async(lambda: {text}.data)()'"
        self.ctx.report(
            site.node, "ASF252",
            f"{text}.data serializes a QuerySet: it iterates it with blocking queries on the event loop; use {use}", use,
        )


def _commit_false(call: cst.Call) -> bool:
    commit = _keyword(call, "commit")
    positional = [a.value for a in call.args if a.keyword is None and not a.star]
    value = commit if commit is not None else (positional[0] if positional else None)
    return isinstance(value, cst.Name) and value.value == "False"


def form_in_context(ctx: FileContext, value: Instance) -> str | None:
    """For templates: the field of a form whose rendering iterates a QuerySet of choices."""
    if value.type_name != FORM or not isinstance(value.info, FormInfo):
        return None
    return FormFields(OrmTypes.of(ctx).index, value.info).choice_field()
