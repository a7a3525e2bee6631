"""The class pre-scan: what a class's attributes hold, before any of its methods is walked.

Only statements are read (class-level assignments and annotations, and ``self.x = ...`` /
``self.x: T = ...`` in the class's own methods, through ``if``/``try``/``with``/``for`` blocks),
never a method's expressions, so this stays far cheaper than the walk itself. Values resolve in
a throw-away scope that holds the method's annotated parameters and the local names assigned
before, so ``self.client = client`` with ``client: redis.Redis`` is understood.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst

from asyncsafe.engine.tree.declarations import ClassFacts
from asyncsafe.engine.tree.scopes import Resolver, Scope, ScopeKind
from asyncsafe.engine.tree.traverse import FastVisitor
from asyncsafe.engine.tree.values import UNKNOWN, Instance, Ref, Value

STATICMETHOD = Ref("builtins.staticmethod")


def scan_class(node: cst.ClassDef, qualname: str, resolver: Resolver) -> ClassFacts:
    facts = ClassFacts(
        qualname, bases=[resolver.resolve(arg.value) for arg in node.bases if arg.keyword is None]
    )
    # Registered first: a method may read an attribute that an earlier method assigned.
    resolver.declarations.classes[qualname] = facts
    resolver.scopes.append(Scope(ScopeKind.CLASS, qualname=qualname))
    try:
        for statement in _block(node.body):
            if isinstance(statement, cst.FunctionDef):
                _scan_method(statement, facts, resolver)
            elif isinstance(statement, cst.SimpleStatementLine):
                for small in statement.body:
                    _scan_class_level(small, facts, resolver)
    finally:
        resolver.scopes.pop()
    return facts


def _scan_class_level(node: cst.BaseSmallStatement, facts: ClassFacts, resolver: Resolver) -> None:
    if isinstance(node, cst.AnnAssign) and isinstance(node.target, cst.Name):
        name = node.target.value
        declared = resolver.annotation(node.annotation.annotation)
        if declared is not UNKNOWN:
            facts.declared[name] = declared
        elif node.value is not None:
            facts.assigned.setdefault(name, []).append(_typed(resolver, node.value))
        resolver.bind(name, facts.declared.get(name, UNKNOWN))
    elif isinstance(node, cst.Assign):
        value = _typed(resolver, node.value)
        for target in node.targets:
            if isinstance(target.target, cst.Name):
                facts.assigned.setdefault(target.target.value, []).append(value)
                resolver.bind(target.target.value, value)


def _scan_method(node: cst.FunctionDef, facts: ClassFacts, resolver: Resolver) -> None:
    positional = [*node.params.posonly_params, *node.params.params]
    if not positional:
        return
    receiver = positional[0].name.value
    assigns, values = _assignments(node.body, receiver)
    if not assigns:
        return  # most methods: nothing to learn, and their annotations need not be resolved
    if any(resolver.resolve(d.decorator) == STATICMETHOD for d in node.decorators):
        return
    scope = Scope(ScopeKind.FUNCTION, qualname=f"{facts.qualname}.{node.name.value}.<locals>")
    resolver.scopes.append(scope)
    try:
        used = _names_used(values)
        for param in (*positional[1:], *node.params.kwonly_params):
            annotation = param.annotation.annotation if param.annotation else None
            if param.name.value in used:  # resolving annotations is not free: only what is read
                resolver.bind(param.name.value, resolver.annotation(annotation))
        resolver.bind(receiver, Instance(facts.qualname, "self"))
        _scan_body(node.body, receiver, facts, resolver)
    finally:
        resolver.scopes.pop()


def _scan_body(
    body: cst.BaseSuite, receiver: str, facts: ClassFacts, resolver: Resolver
) -> None:
    for statement in _block(body):
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                _scan_assignment(small, receiver, facts, resolver)
        elif isinstance(statement, cst.With):
            for item in statement.items:
                if item.asname is not None and isinstance(item.asname.name, cst.Name):
                    entered = resolver.entered(resolver.resolve(item.item))
                    resolver.bind(item.asname.name.value, entered)
            _scan_body(statement.body, receiver, facts, resolver)
        elif isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            continue  # nested code runs elsewhere, and its ``self`` is not this one
        else:
            for block in _nested_blocks(statement):
                _scan_body(block, receiver, facts, resolver)


class _NameCollector(FastVisitor):
    def __init__(self) -> None:
        super().__init__()
        self.names: set[str] = set()

    def visit_Name(self, node: cst.Name) -> None:
        self.names.add(node.value)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
        return False


def _names_used(values: list[cst.BaseExpression]) -> set[str]:
    """The names read by the assigned values (only these parameters' annotations matter)."""
    collector = _NameCollector()
    for value in values:
        collector.walk(value)
    return collector.names


def _assignments(body: cst.BaseSuite, receiver: str) -> tuple[bool, list[cst.BaseExpression]]:
    """Whether ``body`` assigns ``receiver.<attribute>`` anywhere (nested defs aside), and the
    values of all its assignments and ``with`` items (what those attributes can come from)."""
    assigns = False
    values: list[cst.BaseExpression] = []
    for statement in _block(body):
        if isinstance(statement, cst.SimpleStatementLine):
            for small in statement.body:
                targets: list[cst.BaseExpression] = []
                if isinstance(small, cst.Assign):
                    targets = [t.target for t in small.targets]
                elif isinstance(small, (cst.AnnAssign, cst.AugAssign)):
                    targets = [small.target]
                if isinstance(small, (cst.Assign, cst.AnnAssign)) and small.value is not None:
                    values.append(small.value)
                assigns = assigns or any(_attribute_of(t, receiver) for t in _flattened(targets))
        elif not isinstance(statement, (cst.FunctionDef, cst.ClassDef)):
            if isinstance(statement, cst.With):
                values.extend(item.item for item in statement.items)
            for block in _nested_blocks(statement):
                found, more = _assignments(block, receiver)
                assigns, values = assigns or found, values + more
    return assigns, values


def _flattened(targets: list[cst.BaseExpression]) -> list[cst.BaseExpression]:
    flat: list[cst.BaseExpression] = []
    for target in targets:
        if isinstance(target, (cst.Tuple, cst.List)):
            flat.extend(_flattened([e.value for e in target.elements]))
        else:
            flat.append(target)
    return flat


def _scan_assignment(
    node: cst.BaseSmallStatement, receiver: str, facts: ClassFacts, resolver: Resolver
) -> None:
    if isinstance(node, cst.Assign):
        value = _typed(resolver, node.value)
        for target in node.targets:
            _assign(target.target, value, receiver, facts, resolver)
    elif isinstance(node, cst.AnnAssign):
        declared = resolver.annotation(node.annotation.annotation)
        attribute = _attribute_of(node.target, receiver)
        if declared is not UNKNOWN and attribute is not None:
            facts.declared[attribute] = declared
        elif declared is not UNKNOWN or node.value is not None:
            value = declared if declared is not UNKNOWN else _typed(resolver, node.value)  # type: ignore[arg-type]
            _assign(node.target, value, receiver, facts, resolver)
    elif isinstance(node, cst.AugAssign):
        _assign(node.target, UNKNOWN, receiver, facts, resolver)


def _assign(
    target: cst.BaseExpression, value: Value, receiver: str, facts: ClassFacts, resolver: Resolver
) -> None:
    attribute = _attribute_of(target, receiver)
    if attribute is not None:
        facts.assigned.setdefault(attribute, []).append(value)
    elif isinstance(target, cst.Name):
        resolver.bind(target.value, value)
    elif isinstance(target, (cst.Tuple, cst.List)):
        for element in target.elements:
            _assign(element.value, UNKNOWN, receiver, facts, resolver)


def _attribute_of(target: cst.BaseExpression, receiver: str) -> str | None:
    """``x`` for the target ``self.x`` (with ``self`` the method's receiver)."""
    if (
        isinstance(target, cst.Attribute)
        and isinstance(target.value, cst.Name)
        and target.value.value == receiver
    ):
        return target.attr.value
    return None


def _typed(resolver: Resolver, node: cst.BaseExpression) -> Value:
    """The value, with a name imported from another project module looked up there."""
    value = resolver.resolve(node)
    if isinstance(value, Ref):
        return resolver.declarations.typed(value) or value
    return value


def _block(body: cst.BaseSuite) -> Sequence[cst.BaseStatement]:
    if isinstance(body, cst.IndentedBlock):
        return body.body
    return [cst.SimpleStatementLine(body=body.body)] if isinstance(body, cst.SimpleStatementSuite) else []


def _nested_blocks(statement: cst.BaseStatement) -> list[cst.BaseSuite]:
    """The statement blocks of an ``if``/``try``/``for``/``while``/``match``, in source order."""
    blocks: list[cst.BaseSuite] = []
    for child in statement.children:
        if isinstance(child, cst.BaseSuite):
            blocks.append(child)
        elif isinstance(child, (cst.If, cst.Else, cst.ExceptHandler, cst.ExceptStarHandler,
                                cst.Finally, cst.MatchCase)):
            blocks.extend(_nested_blocks(child))  # type: ignore[arg-type]
    return blocks
