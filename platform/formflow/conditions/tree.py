"""Condition trees: their JSON Schema, and ``parse`` that checks a tree against a form's fields.

A tree is JSON (docs/internals.md, "Conditions")::

    {"all": [{"field": "amount", "op": "gt", "value": 10000},
             {"not": {"field": "owner", "op": "eq", "value": {"var": "me"}}}]}

``parse`` reports every problem at once (``ValidationFailed``, each error keyed by its JSON path in
the tree, e.g. ``filter.all.2.op``) and returns a ``Condition``: the checked tree with operators and
value kinds resolved, which the Python and SQL evaluators take. Parsing never recurses past
``max_depth`` and stops counting at ``max_nodes``, so hostile input is refused, not crashed on.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from formflow.conditions.context import VARIABLES
from formflow.conditions.kinds import ValueKind
from formflow.conditions.kinds import registry as kinds
from formflow.conditions.operators import Operator
from formflow.conditions.operators import registry as operators
from formflow.errors import FieldError, ValidationFailed
from formflow.fields.base import Field
from formflow.i18n import gettext

#: what a field key looks like (docs/internals.md, "Form definition"); anything else is refused
#: before it gets near SQL
FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
#: nesting deeper than this is refused (a leaf at the top is depth 1)
DEFAULT_MAX_DEPTH = 12
#: trees with more nodes (groups and leaves) than this are refused
DEFAULT_MAX_NODES = 500

#: the record's own columns, which conditions may name like fields, with their value kinds;
#: form fields may not use these keys
SYSTEM_FIELDS: dict[str, str] = {
    "id": "integer",
    "owner": "integer",
    "state": "text",
    "created_at": "datetime",
    "updated_at": "datetime",
    "created_by": "integer",
    "updated_by": "integer",
}

GROUPS = ("all", "any")
LEAF_KEYS = frozenset({"field", "op", "value"})

#: a field as ``parse`` accepts it: a Field, a definition dict, or the name of a value kind
FieldSpec = Field | Mapping[str, Any] | str


@dataclass(frozen=True)
class Leaf:
    """One test: ``field`` ``operator`` ``value`` (the raw JSON operand, resolved per context)."""

    path: str
    field: str
    operator: Operator
    kind: ValueKind
    value: Any
    #: the form field, when the condition was parsed against Field objects or definitions
    source: Field | None = None

    def comparable(self, stored: Any) -> Any:
        """A stored value as the condition compares it: what the field's SQL expression would give
        (``FieldType.sql_literal``: a region is its deepest code), normalised by the value kind."""
        if self.source is not None and stored is not None:
            try:
                stored = self.source.type.sql_literal(self.source, stored)
            except (TypeError, ValueError, ArithmeticError):
                stored = None
        return self.kind.python_value(stored)


@dataclass(frozen=True)
class AllOf:
    """True when every child is (an empty list is true)."""

    path: str
    children: tuple[Node, ...]


@dataclass(frozen=True)
class AnyOf:
    """True when one child is (an empty list is false)."""

    path: str
    children: tuple[Node, ...]


@dataclass(frozen=True)
class Not:
    """True when the child is false."""

    path: str
    child: Node


Node = Leaf | AllOf | AnyOf | Not


@dataclass(frozen=True)
class Condition:
    """A parsed, checked condition tree; what the evaluators take."""

    root: Node
    #: the tree as given
    tree: dict[str, Any]

    def leaves(self) -> Iterator[Leaf]:
        """Every leaf, depth first."""
        stack: list[Node] = [self.root]
        while stack:
            node = stack.pop()
            if isinstance(node, Leaf):
                yield node
            elif isinstance(node, Not):
                stack.append(node.child)
            else:
                stack.extend(reversed(node.children))

    def field_keys(self) -> set[str]:
        """The keys of the fields the condition reads (for permission checks)."""
        return {leaf.field for leaf in self.leaves()}


def resolve_field(spec: FieldSpec) -> tuple[ValueKind | None, Field | None]:
    """The value kind (None if unknown) and the Field of a field given as a Field, a definition dict or
    a value-kind name (no Field then)."""
    field: Field | None = None
    if isinstance(spec, str):
        name = spec
    else:
        try:
            field = spec if isinstance(spec, Field) else Field(dict(spec))
        except (KeyError, TypeError):
            return None, None
        name = field.value_kind
    return (kinds.get(name) if name in kinds else None), field


class _Parser:
    """One parse: walks the tree once, collecting every problem."""

    def __init__(self, fields: Mapping[str, FieldSpec], max_depth: int, max_nodes: int) -> None:
        self.fields = fields
        self.max_depth = max_depth
        self.max_nodes = max_nodes
        self.nodes = 0
        self.errors: list[FieldError] = []

    def error(self, path: str, code: str, message: str) -> None:
        self.errors.append(FieldError(path, code, message))

    def node(self, tree: Any, path: str, depth: int) -> Node | None:
        self.nodes += 1
        if self.nodes > self.max_nodes:
            if self.nodes == self.max_nodes + 1:
                self.error(path, "condition_too_large",
                           gettext("The condition has more than %(count)s parts.", count=self.max_nodes))
            return None
        if depth > self.max_depth:
            self.error(path, "condition_too_deep",
                       gettext("The condition is nested more than %(depth)s levels deep.",
                               depth=self.max_depth))
            return None
        if not isinstance(tree, dict):
            self.error(path, "condition_invalid", gettext(
                "A condition must be an object with one of: all, any, not, field."))
            return None
        groups = [key for key in (*GROUPS, "not") if key in tree]
        if len(groups) == 1 and len(tree) == 1:
            key = groups[0]
            if key == "not":
                child = self.node(tree["not"], f"{path}.not", depth + 1)
                return None if child is None else Not(path, child)
            return self.group(key, tree[key], f"{path}.{key}", depth)
        if groups or "field" not in tree:
            self.error(path, "condition_invalid", gettext(
                "A condition must be an object with exactly one of: all, any, not, field."))
            return None
        return self.leaf(tree, path)

    def group(self, key: str, children: Any, path: str, depth: int) -> Node | None:
        if not isinstance(children, list):
            self.error(path, "condition_invalid", gettext("Expected a list of conditions."))
            return None
        parsed = [self.node(child, f"{path}.{index}", depth + 1) for index, child in enumerate(children)
                  if self.nodes <= self.max_nodes]
        if any(child is None for child in parsed) or self.nodes > self.max_nodes:
            return None
        group_path = path.rsplit(".", 1)[0]
        nodes = tuple(child for child in parsed if child is not None)
        return AllOf(group_path, nodes) if key == "all" else AnyOf(group_path, nodes)

    def leaf(self, tree: dict[str, Any], path: str) -> Leaf | None:
        ok = True
        for key in sorted(set(tree) - LEAF_KEYS, key=str):
            ok = False
            self.error(f"{path}.{key}", "condition_invalid",
                       gettext("Unexpected key %(key)s in a condition.", key=str(key)[:64]))
        field, kind, source = self.field(tree["field"], f"{path}.field")
        operator = self.operator(tree.get("op"), f"{path}.op")
        if field is None or kind is None or operator is None:
            return None
        if kind.name not in operator.kinds:
            self.error(f"{path}.op", "condition_operator_kind", gettext(
                "The operator %(op)s does not apply to the field %(field)s.", op=operator.name, field=field))
            return None
        value = tree.get("value")
        for suffix, message in operator.operand.problems(value, kind):
            ok = False
            self.error(f"{path}.value{suffix}", "condition_value", message)
        return Leaf(path, field, operator, kind, value, source) if ok else None

    def field(self, key: Any, path: str) -> tuple[str | None, ValueKind | None, Field | None]:
        if not isinstance(key, str) or not FIELD_KEY.match(key):
            self.error(path, "condition_field_name", gettext(
                "A field key is a lower-case letter followed by up to 62 letters, digits or underscores."))
            return None, None, None
        spec = SYSTEM_FIELDS.get(key) or self.fields.get(key)
        if spec is None:
            self.error(path, "condition_unknown_field", gettext("Unknown field %(field)s.", field=key))
            return None, None, None
        kind, source = resolve_field(spec)
        if kind is None:
            self.error(path, "condition_unknown_field",
                       gettext("The field %(field)s has an unknown type.", field=key))
        return key, kind, source

    def operator(self, name: Any, path: str) -> Operator | None:
        if isinstance(name, str) and name in operators:
            return operators.get(name)
        self.error(path, "condition_unknown_operator", gettext(
            "Unknown operator; expected one of: %(names)s.", names=", ".join(operators.names())))
        return None


def parse(tree: Any, fields: Mapping[str, FieldSpec], max_depth: int = DEFAULT_MAX_DEPTH, *,
          path: str = "condition", max_nodes: int = DEFAULT_MAX_NODES) -> Condition:
    """Check ``tree`` against ``fields`` (key -> Field, definition dict or value-kind name).

    System fields (``SYSTEM_FIELDS``) are always known. Raises ``ValidationFailed`` listing every
    problem, each keyed by its path below ``path``.
    """
    parser = _Parser(fields, max_depth, max_nodes)
    root = parser.node(tree, path, 1)
    if parser.errors or root is None:
        raise ValidationFailed(parser.errors, title=gettext("The condition is not valid."))
    return Condition(root, tree)


def schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of a condition tree's structure.

    It checks shapes and names only; ``parse`` also checks fields, kinds and depth.
    """
    variable = {"type": "object", "properties": {"var": {"enum": list(VARIABLES)}},
                "required": ["var"], "additionalProperties": False}
    scalar = {"anyOf": [{"type": ["string", "number", "boolean"]}, {"$ref": "#/$defs/variable"}]}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://formflow.dev/schemas/condition.json",
        "title": "Formflow condition",
        "$ref": "#/$defs/node",
        "$defs": {
            "variable": variable,
            "node": {"oneOf": [{"$ref": "#/$defs/all"}, {"$ref": "#/$defs/any"},
                               {"$ref": "#/$defs/not"}, {"$ref": "#/$defs/leaf"}]},
            "all": {"type": "object", "required": ["all"], "additionalProperties": False,
                    "properties": {"all": {"type": "array", "items": {"$ref": "#/$defs/node"},
                                           "maxItems": DEFAULT_MAX_NODES}}},
            "any": {"type": "object", "required": ["any"], "additionalProperties": False,
                    "properties": {"any": {"type": "array", "items": {"$ref": "#/$defs/node"},
                                           "maxItems": DEFAULT_MAX_NODES}}},
            "not": {"type": "object", "required": ["not"], "additionalProperties": False,
                    "properties": {"not": {"$ref": "#/$defs/node"}}},
            "leaf": {
                "type": "object", "required": ["field", "op"], "additionalProperties": False,
                "properties": {
                    "field": {"type": "string", "pattern": FIELD_KEY.pattern},
                    "op": {"enum": operators.names()},
                    # period names (``context.PERIODS``) are strings: ``parse`` checks which
                    "value": {"anyOf": [{"type": "null"}, scalar, {"type": "array", "items": scalar}]},
                },
            },
        },
    }
