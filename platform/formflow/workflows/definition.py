"""The workflow definition: its JSON Schema and ``workflow_problems``, which reports every problem at once.

A definition (docs/internals.md, "Workflows") is JSON::

    {"initial": "new",
     "states": [{"key": "new", "label": {"zh-CN": "新线索", "en": "New"}, "color": "#1677ff",
                 "terminal": false, "required_fields": [], "field_access": {"member": {"amount": "read"}}}],
     "transitions": [{"key": "contact", "label": {"en": "Contact"}, "from": ["new"], "to": "contacting",
                      "roles": ["member"], "guard": {"field": "phone", "op": "is_not_empty"},
                      "required_fields": [], "editable_fields": ["notes"], "comment_required": false,
                      "actions": [{"type": "set_field", "field": "stage", "value": "open"}]}]}

The shape is checked by the JSON Schema; the meaning (states that exist, are reachable, terminal
states without ways out, guards over the form's fields, known roles and actions) by the checks
below. Both run on every call and every problem comes back in one ``ValidationFailed``, each error
keyed by its JSON path (``transitions.2.guard.all.0.field``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from formflow.conditions import tree
from formflow.errors import FieldError, ValidationFailed
from formflow.fields.base import LABELS_SCHEMA, Field
from formflow.i18n import gettext
from formflow.workflows.actions import registry as actions

#: state and transition keys: like field keys, stable ids clients and revisions use
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
#: a colour as the admin picks it
COLOR_PATTERN = r"^#[0-9a-fA-F]{6}$"
#: roles a workflow may name: the membership roles, plus ``owner`` (the record's owner)
KNOWN_ROLES: tuple[str, ...] = ("admin", "member", "owner")
#: what a role may do with a field in a state
ACCESS_LEVELS = ("write", "read", "hidden")
#: a transition's ``from`` that means every non-terminal state except its target
ANY_STATE = "*"
#: limits that keep a definition (and its diagram) usable
MAX_STATES = 100
MAX_TRANSITIONS = 500
#: deepest guard tree
MAX_GUARD_DEPTH = 12

_KEY = {"type": "string", "pattern": KEY_PATTERN.pattern}
_LABEL = {**LABELS_SCHEMA, "minProperties": 1}
_FIELD_LIST = {"type": "array", "maxItems": 500, "items": {"type": "string"}}

#: an approval's configuration (issue 3, "Approvals"): stored shape only; the validator refuses any
#: transition that asks for one until approvals are implemented
APPROVAL_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "mode": {"enum": ["any", "all", "sequential", "vote"]},
        "threshold": {"type": "number", "exclusiveMinimum": 0, "maximum": 1},
        "steps": {"type": "array", "maxItems": 20, "items": {
            "type": "object",
            "properties": {
                "key": _KEY, "label": _LABEL, "condition": {"type": ["object", "null"]},
                "mode": {"enum": ["any", "all", "vote"]},
                "approvers": {"type": "array", "maxItems": 50, "items": {
                    "type": "object",
                    "properties": {"kind": {"enum": ["role", "user", "user_field", "manager"]},
                                   "role": {"type": "string"}, "user": {"type": "integer"},
                                   "field": {"type": "string"}},
                    "required": ["kind"], "additionalProperties": False}},
                "editable_fields": _FIELD_LIST,
                "timeout_hours": {"type": "number", "exclusiveMinimum": 0}},
            "additionalProperties": False}},
    },
    "additionalProperties": False,
}

STATE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["key", "label"],
    "properties": {
        "key": _KEY, "label": _LABEL,
        "color": {"type": "string", "pattern": COLOR_PATTERN},
        "terminal": {"type": "boolean"},
        "required_fields": _FIELD_LIST,
        "field_access": {"type": "object", "maxProperties": 50, "additionalProperties": {
            "type": "object", "maxProperties": 500,
            "additionalProperties": {"enum": list(ACCESS_LEVELS)}}},
    },
    "additionalProperties": False,
}

TRANSITION_SCHEMA: dict[str, Any] = {
    "type": "object",
    "required": ["key", "label", "from", "to"],
    "properties": {
        "key": _KEY, "label": _LABEL,
        "from": {"oneOf": [{"const": ANY_STATE},
                           {"type": "array", "minItems": 1, "maxItems": MAX_STATES, "items": _KEY}]},
        "to": _KEY,
        "roles": {"type": "array", "maxItems": 50, "items": {"type": "string"}},
        "guard": {"type": ["object", "null"]},
        "guard_message": {**LABELS_SCHEMA, "minProperties": 1},
        "required_fields": _FIELD_LIST,
        "editable_fields": _FIELD_LIST,
        "comment_required": {"type": "boolean"},
        "approval": {**APPROVAL_SCHEMA, "type": ["object", "null"]},
        "actions": {"type": "array", "maxItems": 20, "items": {
            "type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}}},
    },
    "additionalProperties": False,
}


def definition_schema() -> dict[str, Any]:
    """The JSON Schema (2020-12) of a workflow definition's shape."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "Formflow workflow",
        "type": "object",
        "required": ["initial", "states", "transitions"],
        "properties": {
            "initial": _KEY,
            "states": {"type": "array", "minItems": 1, "maxItems": MAX_STATES, "items": STATE_SCHEMA},
            "transitions": {"type": "array", "maxItems": MAX_TRANSITIONS, "items": TRANSITION_SCHEMA},
        },
        "additionalProperties": False,
    }


_VALIDATOR = Draft202012Validator(definition_schema())


def N_(message: str) -> str:  # noqa: N802  (the name babel extracts by default)
    """Mark ``message`` for the catalog; it is translated where it is shown."""
    return message


_SHAPE_MESSAGES = {
    "required": N_("%(name)s is missing"),
    "additionalProperties": N_("Unknown attribute %(name)s"),
    "type": N_("%(name)s has the wrong type"),
    "pattern": N_("%(name)s is not a valid key or colour"),
    "enum": N_("%(name)s must be one of: %(limit)s"),
    "const": N_("%(name)s must be one of: %(limit)s"),
    "minItems": N_("%(name)s needs at least %(limit)s entries"),
    "maxItems": N_("%(name)s allows at most %(limit)s entries"),
    "maxProperties": N_("%(name)s allows at most %(limit)s entries"),
    "minProperties": N_("%(name)s needs at least %(limit)s entries"),
    "maxLength": N_("%(name)s must be at most %(limit)s characters"),
}


def _path(parts: Iterable[Any]) -> str:
    return ".".join(str(part) for part in parts) or "definition"


def _shape_errors(definition: Any) -> list[FieldError]:
    errors = []
    for error in sorted(_VALIDATOR.iter_errors(definition), key=lambda item: list(map(str, item.path))):
        errors.extend(_shape_error(error))
    return errors


def _shape_error(error: ValidationError) -> list[FieldError]:
    path = list(error.absolute_path)
    keyword = str(error.validator)
    if keyword == "oneOf" and error.context:
        # ``from`` is "*" or a list; ``approval`` null or an object: report the closest branch
        from jsonschema.exceptions import best_match

        best = best_match(error.context)
        if best is not None:
            return _shape_error(best)
    if keyword == "required" and isinstance(error.instance, dict):
        message = _SHAPE_MESSAGES["required"]
        return [FieldError(_path([*path, name]), "missing", gettext(message, name=name))
                for name in error.validator_value if name not in error.instance]
    if keyword == "additionalProperties" and isinstance(error.instance, dict):
        known = set(error.schema.get("properties", {}))
        message = _SHAPE_MESSAGES["additionalProperties"]
        return [FieldError(_path([*path, name]), "unknown_attribute", gettext(message, name=str(name)[:64]))
                for name in error.instance if name not in known]
    name = str(path[-1]) if path else "definition"
    limit = error.validator_value
    if isinstance(limit, list):
        limit = ", ".join(map(str, limit))
    message = _SHAPE_MESSAGES.get(keyword, N_("%(name)s is not valid"))
    return [FieldError(_path(path), "invalid", gettext(message, name=name, limit=limit))]


@dataclass
class _Checker:
    """One semantic check of a definition whose shape may be broken: skips what it cannot read."""

    definition: dict[str, Any]
    fields: Mapping[str, Field]
    roles: tuple[str, ...]

    def __post_init__(self) -> None:
        self.errors: list[FieldError] = []
        self.states: dict[str, dict[str, Any]] = {}

    def error(self, path: str, code: str, message: str) -> None:
        self.errors.append(FieldError(path, code, message))

    def run(self) -> list[FieldError]:
        self.check_states()
        transitions = self.check_transitions()
        self.check_initial()
        self.check_reachable(transitions)
        return self.errors

    def items(self, name: str) -> list[tuple[int, dict[str, Any]]]:
        found = self.definition.get(name)
        if not isinstance(found, list):
            return []
        return [(index, item) for index, item in enumerate(found) if isinstance(item, dict)]

    def check_states(self) -> None:
        for index, state in self.items("states"):
            key = state.get("key")
            if not isinstance(key, str) or not KEY_PATTERN.match(key):
                continue
            if key in self.states:
                self.error(f"states.{index}.key", "duplicate_key",
                           gettext("The state %(key)s is defined twice.", key=key))
                continue
            self.states[key] = state
            self.check_field_list(state.get("required_fields"), f"states.{index}.required_fields")
            access = state.get("field_access")
            if isinstance(access, dict):
                for role, levels in access.items():
                    self.check_role(role, f"states.{index}.field_access.{role}")
                    for key in levels if isinstance(levels, dict) else ():
                        self.check_field(key, f"states.{index}.field_access.{role}.{key}")

    def check_transitions(self) -> list[tuple[list[str], str]]:
        """Checks each transition; returns the (sources, target) of those that name known states."""
        seen: set[str] = set()
        edges: list[tuple[list[str], str]] = []
        for index, transition in self.items("transitions"):
            path = f"transitions.{index}"
            key = transition.get("key")
            if isinstance(key, str) and KEY_PATTERN.match(key):
                if key in seen:
                    self.error(f"{path}.key", "duplicate_key",
                               gettext("The transition %(key)s is defined twice.", key=key))
                seen.add(key)
            target = transition.get("to")
            if isinstance(target, str) and KEY_PATTERN.match(target) and target not in self.states:
                self.error(f"{path}.to", "unknown_state", gettext("Unknown state %(key)s.", key=target))
                target = None
            sources = self.check_sources(transition.get("from"), target, f"{path}.from")
            if isinstance(target, str) and target in self.states:
                edges.append((sources, target))
            for role_index, role in enumerate(transition.get("roles") or []):
                self.check_role(role, f"{path}.roles.{role_index}")
            self.check_guard(transition.get("guard"), f"{path}.guard")
            self.check_field_list(transition.get("required_fields"), f"{path}.required_fields")
            self.check_field_list(transition.get("editable_fields"), f"{path}.editable_fields", writable=True)
            if transition.get("approval") is not None:
                self.error(f"{path}.approval", "approvals_unavailable", gettext(
                    "Approvals are not available yet: remove the approval from this transition."))
            self.check_actions(transition.get("actions"), f"{path}.actions")
        return edges

    def check_sources(self, sources: Any, target: str | None, path: str) -> list[str]:
        if sources == ANY_STATE:
            return [key for key, state in self.states.items() if not state.get("terminal") and key != target]
        if not isinstance(sources, list):
            return []
        known = []
        for index, source in enumerate(sources):
            if not isinstance(source, str) or not KEY_PATTERN.match(source):
                continue
            if source not in self.states:
                self.error(f"{path}.{index}", "unknown_state", gettext("Unknown state %(key)s.", key=source))
            elif self.states[source].get("terminal"):
                self.error(f"{path}.{index}", "terminal_outgoing", gettext(
                    "The state %(key)s is terminal: no transition may leave it.", key=source))
            else:
                known.append(source)
        return known

    def check_initial(self) -> None:
        initial = self.definition.get("initial")
        if not isinstance(initial, str) or not KEY_PATTERN.match(initial):
            return
        if initial not in self.states:
            self.error("initial", "unknown_state", gettext("Unknown state %(key)s.", key=initial))
        elif self.states[initial].get("terminal") and len(self.states) > 1:
            self.error("initial", "initial_terminal", gettext(
                "The initial state %(key)s is terminal: records could never leave it.", key=initial))

    def check_reachable(self, edges: list[tuple[list[str], str]]) -> None:
        initial = self.definition.get("initial")
        if not isinstance(initial, str) or initial not in self.states:
            return  # the schema check reports a missing or malformed initial state
        reached = {initial}
        frontier = [initial]
        outgoing: dict[str, list[str]] = {}
        for sources, target in edges:
            for source in sources:
                outgoing.setdefault(source, []).append(target)
        while frontier:
            for target in outgoing.get(frontier.pop(), []):
                if target not in reached:
                    reached.add(target)
                    frontier.append(target)
        for index, (key, _state) in enumerate(self.states.items()):
            if key not in reached:
                self.error(f"states.{self._state_index(key, index)}.key", "unreachable_state", gettext(
                    "No transition leads from the initial state to %(key)s.", key=key))

    def _state_index(self, key: str, fallback: int) -> int:
        for index, state in self.items("states"):
            if state.get("key") == key:
                return index
        return fallback

    def check_role(self, role: Any, path: str) -> None:
        if role not in self.roles:
            self.error(path, "unknown_role", gettext(
                "Unknown role %(role)s; expected one of: %(roles)s.", role=str(role)[:64],
                roles=", ".join(self.roles)))

    def check_field_list(self, keys: Any, path: str, *, writable: bool = False) -> None:
        if not isinstance(keys, list):
            return
        for index, key in enumerate(keys):
            self.check_field(key, f"{path}.{index}", writable=writable)

    def check_field(self, key: Any, path: str, *, writable: bool = False) -> None:
        if not isinstance(key, str) or key not in self.fields:
            self.error(path, "unknown_field", gettext("Unknown field %(field)s.", field=str(key)[:64]))
        elif writable and self.fields[key].type.computed:
            self.error(path, "computed_field", gettext(
                "%(field)s is computed: it cannot be edited in a transition.", field=key))

    def check_guard(self, guard: Any, path: str) -> None:
        if guard is None:
            return
        try:
            tree.parse(guard, self.fields, MAX_GUARD_DEPTH, path=path)
        except ValidationFailed as failure:
            self.errors.extend(failure.errors)

    def check_actions(self, items: Any, path: str) -> None:
        if not isinstance(items, list):
            return
        for index, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            name = item.get("type")
            if name not in actions:
                self.error(f"{path}.{index}.type", "unknown_action", gettext(
                    "Unknown action %(name)s; expected one of: %(names)s.", name=str(name)[:64],
                    names=", ".join(actions.names())))
                continue
            self.errors.extend(actions.get(name).problems(item, self.fields, f"{path}.{index}"))


def workflow_problems(definition: Any, fields: Mapping[str, Field],
                      roles: tuple[str, ...] = KNOWN_ROLES) -> list[FieldError]:
    """Every problem of ``definition`` for a form with ``fields`` (key -> Field); empty when valid."""
    errors = _shape_errors(definition)
    if isinstance(definition, dict):
        errors += _Checker(definition, fields, roles).run()
    return errors


def check_workflow(definition: Any, fields: Mapping[str, Field],
                   roles: tuple[str, ...] = KNOWN_ROLES) -> None:
    """Raise one ``ValidationFailed`` listing every problem of ``definition``."""
    errors = workflow_problems(definition, fields, roles)
    if errors:
        raise ValidationFailed(errors, title=gettext("The workflow definition has problems"))


def sources_of(transition: Mapping[str, Any], states: Mapping[str, Mapping[str, Any]]) -> list[str]:
    """The states a (checked) transition leaves from, with ``"*"`` expanded."""
    sources = transition["from"]
    if sources == ANY_STATE:
        return [key for key, state in states.items() if not state.get("terminal") and key != transition["to"]]
    return list(sources)
