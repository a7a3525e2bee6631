"""QuerySet methods by effect, and what a project's custom QuerySet/manager methods do.

The tables follow Django 6.1's ``query.py`` (``shared/reference/django-async-api.md`` §1).
Custom methods are read from their ``ast`` (see ``MethodReader``).
"""

from __future__ import annotations

import ast
from functools import lru_cache
from typing import TYPE_CHECKING

from asyncsafe.django.schema import MethodKind
from asyncsafe.django.summary import Function, ModuleSummary

if TYPE_CHECKING:
    from asyncsafe.django.index import ModelIndex

LAZY_METHODS = frozenset(
    {
        "all", "filter", "exclude", "complex_filter", "order_by", "reverse", "distinct",
        "select_related", "prefetch_related", "select_for_update", "annotate", "alias",
        "values", "values_list", "dates", "datetimes", "only", "defer", "using", "extra",
        "none", "union", "intersection", "difference", "fetch_mode", "get_queryset",
    }
)
EVALUATING_METHODS = frozenset(
    {
        "get", "create", "get_or_create", "update_or_create", "bulk_create", "bulk_update",
        "count", "in_bulk", "iterator", "latest", "earliest", "first", "last", "aggregate",
        "exists", "contains", "update", "delete", "explain",
    }
)
ITERATING_BUILTINS = frozenset({"list", "tuple", "set", "sorted", "len", "bool", "sum", "any", "all"})


class MethodReader:
    """Reads a custom QuerySet/manager method: does it return a QuerySet, does it evaluate one?

    Syntactic and conservative: a chain counts as a QuerySet only when it starts at ``self``,
    ``super()``, ``self.model.<manager>`` or ``<Model>.<manager>`` and goes through lazy methods
    (or custom methods of the same class that themselves return QuerySets).
    """

    def __init__(self, index: ModelIndex, owner: str, summary: ModuleSummary) -> None:
        self.index = index
        self.owner = owner
        self.summary = summary

    def kind(self, function: Function) -> MethodKind:
        if isinstance(function, ast.AsyncFunctionDef):
            return MethodKind(is_async=True)
        returns = [node.value for node in own_nodes(function) if isinstance(node, ast.Return) and node.value]
        return MethodKind(
            returns_queryset=bool(returns) and all(self.is_queryset(r) for r in returns),
            evaluates=self.first_evaluation(function),
        )

    def is_queryset(self, node: ast.expr) -> bool:
        if isinstance(node, ast.Name) and node.id == "self":
            return self.index.class_kind(self.owner) == "queryset"
        if isinstance(node, ast.Subscript) and isinstance(node.slice, ast.Slice):
            return node.slice.step is None and self.is_queryset(node.value)
        if not isinstance(node, ast.Call):
            return False
        func = node.func
        if isinstance(func, ast.Attribute) and self.is_source(func.value):
            if func.attr in LAZY_METHODS:
                return True
            custom = self.index.method_kind(self.owner, func.attr) if _is_self(func.value) else None
            return custom is not None and custom.returns_queryset
        made = self.index.resolve_in(self.summary, func)
        return made is not None and self.index.class_kind(made) == "queryset"

    def is_source(self, node: ast.expr) -> bool:
        """Something lazy methods can be called on: a QuerySet, a manager, ``super()``."""
        if _is_self(node):
            return self.index.class_kind(self.owner) is not None  # self is a QuerySet/manager
        if self.is_queryset(node):
            return True
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "super":
            return True
        if isinstance(node, ast.Attribute):
            if _is_self(node.value) and node.attr == "queryset":
                return True  # a generic view's queryset attribute
            owner = node.value
            if isinstance(owner, ast.Attribute) and _is_self(owner.value) and owner.attr == "model":
                return node.attr in ("objects", "_default_manager", "_base_manager")
            model_name = self.index.resolve_in(self.summary, owner)
            model = self.index.model(model_name) if model_name else None
            return model is not None and model.manager(node.attr) is not None
        return False

    def first_evaluation(self, function: Function) -> str | None:
        for node in own_nodes(function):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                if node.func.attr in EVALUATING_METHODS and self.is_source(node.func.value):
                    return f"{node.func.attr}()"
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.args:
                if node.func.id in ITERATING_BUILTINS and self.is_queryset(node.args[0]):
                    return f"{node.func.id}()"
            if isinstance(node, (ast.For, ast.comprehension)) and self.is_queryset(node.iter):
                if not getattr(node, "is_async", 0):
                    return "iteration"
        return None


def _is_self(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "self"


@lru_cache(maxsize=256)  # by identity: a function is asked about ~4 times, close together
def own_nodes(function: Function) -> tuple[ast.AST, ...]:
    """Nodes of ``function``'s body in source order, without nested functions, lambdas, classes."""
    found: list[ast.AST] = []
    pending: list[ast.AST] = list(reversed(function.body))
    while pending:
        node = pending.pop()
        found.append(node)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda, ast.ClassDef)):
            continue
        pending.extend(reversed(list(ast.iter_child_nodes(node))))
    return tuple(found)
