"""Record validation against a published form version: coerce, check, compute; every error at once.

``compile_form`` prepares a version once (fields, one schema validator, formula order); ``validate``
runs input through it and raises one ValidationFailed listing every problem, each keyed by its field
(dotted for subtable cells: ``items.2.sku``) with a message in the context's locale.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import jsonschema_rs
from jsonschema import Draft202012Validator, ValidationError, validators

from formflow.errors import FieldError, ValidationFailed
from formflow.fields.base import CoercionError, DependsOnFields, Field, FieldContext, HasColumns
from formflow.fields.patterns import DEFAULT_TIMEOUT, PatternTimeout, pattern_matches
from formflow.forms.definition import N_, fields_of
from formflow.forms.schema import DRAFT, value_schemas
from formflow.i18n import gettext, label, use_locale


@lru_cache(maxsize=8)
def record_validator_class(regex_timeout: float) -> Any:
    """Draft 2020-12 with a time-bounded ``pattern``: a designer's regex can never hang a request."""

    def bounded_pattern(validator: Any, pattern: str, instance: Any,
                        schema: dict[str, Any]) -> Iterable[ValidationError]:
        # jsonschema's own keyword runs ``re``, which has no timeout; ``regex`` has one
        if not validator.is_type(instance, "string"):
            return
        try:
            matched = pattern_matches(pattern, instance, regex_timeout)
        except PatternTimeout as timeout:
            yield ValidationError(f"pattern {pattern!r} timed out", cause=timeout)
            return
        if not matched:
            yield ValidationError(f"{instance!r} does not match {pattern!r}")

    return validators.extend(Draft202012Validator, {"pattern": bounded_pattern})


@dataclass(frozen=True)
class CompiledForm:
    """A form version prepared for validation; built once per version (versions are immutable)."""

    version_id: int | None
    definition: dict[str, Any]
    #: the version's fields by key, in definition order
    fields: dict[str, Field]
    #: checks non-null values; built once, with a format checker; the authority on every error
    validator: Any
    #: the same schema compiled by jsonschema-rs: answers "all valid?" in well under a microsecond,
    #: so the Python validator (about 90 us a record) only runs to explain a record that is not
    fast_validator: Any
    #: the computed fields that derive from other fields, dependencies first
    formula_order: tuple[Field, ...]
    #: the field relations show as the record's title, if any
    title_field: Field | None
    #: parsed ``visible_if`` / ``required_if`` trees by (field key, attribute)
    conditions: dict[tuple[str, str], Any] = field(default_factory=dict)
    #: seconds a ``pattern`` in the schema may run on one value
    regex_timeout: float = DEFAULT_TIMEOUT


def compile_form(definition: dict[str, Any], version_id: int | None = None,
                 regex_timeout: float = DEFAULT_TIMEOUT) -> CompiledForm:
    """Prepare a checked ``definition`` for ``validate``."""
    from formflow.conditions import tree
    from formflow.fields.computed import formula_order

    fields = fields_of(definition)
    conditions = {(key, attribute): tree.parse(item.get(attribute), fields, path=f"{key}.{attribute}")
                  for key, item in fields.items() for attribute in CONDITION_ATTRIBUTES
                  if item.get(attribute) is not None}
    schema = {"$schema": DRAFT, "type": "object", "properties": value_schemas(fields),
              "additionalProperties": False}
    validator_class = record_validator_class(regex_timeout)
    validator = validator_class(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    fast_validator = jsonschema_rs.Draft202012Validator(schema, validate_formats=True)
    order = tuple(fields[key] for key in formula_order(fields))
    return CompiledForm(version_id=version_id, definition=definition, fields=fields, validator=validator,
                        fast_validator=fast_validator,
                        formula_order=order, title_field=_title_field(definition, fields),
                        conditions=conditions, regex_timeout=regex_timeout)


#: field attributes holding condition trees over the record
CONDITION_ATTRIBUTES = ("visible_if", "required_if")


def _title_field(definition: dict[str, Any], fields: dict[str, Field]) -> Field | None:
    """The declared title field, else the first text field."""
    key = definition.get("title_field")
    if key in fields:
        return fields[key]
    return next((item for item in fields.values()
                 if item.value_kind == "text" and not item.type.computed), None)


def is_empty(value: Any) -> bool:
    """None, blank text, an empty list or object: what "required" refuses."""
    return value is None or (isinstance(value, str) and not value.strip()) or value == [] or value == {}


def validate(compiled: CompiledForm, data: dict[str, Any], context: FieldContext, *,
             partial_keys: Iterable[str] | None = None) -> dict[str, Any]:
    """The record data to store, from input; raises one ValidationFailed with every problem.

    ``data`` is the whole record. On create (``partial_keys`` None) every key is input, and absent
    fields get their defaults. On update the caller passes the stored data merged with the changes
    and names the changed keys in ``partial_keys``: only those are coerced and checked as input; the
    other stored values are kept as they are (including those of fields a later version removed).
    Requiredness and visibility are checked on the whole record either way; formulas are recomputed.
    """
    with use_locale(context.locale):
        return _Validation(compiled, context).run(data, partial_keys)


class _Validation:
    """One run of ``validate``: collects errors, then raises once."""

    def __init__(self, compiled: CompiledForm, context: FieldContext) -> None:
        self.compiled = compiled
        self.context = context
        self.errors: list[FieldError] = []
        self.failed: set[str] = set()

    def fail(self, key: str, code: str, message: str) -> None:
        self.errors.append(FieldError(key, code, message))
        self.failed.add(key.split(".", 1)[0])

    def run(self, data: dict[str, Any], partial_keys: Iterable[str] | None) -> dict[str, Any]:
        if not isinstance(data, dict):
            raise ValidationFailed([FieldError("data", "not_an_object",
                                               gettext("The record must be an object"))])
        fields = self.compiled.fields
        input_keys = list(data) if partial_keys is None else [key for key in partial_keys if key in data]
        clean = {key: value for key, value in data.items() if key not in input_keys}
        for key in input_keys:
            self.take_input(key, data[key], clean)
        if partial_keys is None:
            self.apply_defaults(clean)
        visible = self.visible_keys(clean)
        for key in input_keys:
            if key in fields and key not in visible and not is_empty(data[key]) and key not in self.failed:
                self.fail(key, "hidden_field", gettext("%(label)s is hidden and cannot be set",
                                                       label=self.label(key)))
                clean.pop(key, None)
        self.check_schema({key: clean[key] for key in input_keys
                           if key in fields and key not in self.failed and clean.get(key) is not None})
        self.check_required(clean, visible)
        if self.errors:
            raise ValidationFailed(self.errors)
        self.compute(clean)
        return clean

    def label(self, key: str) -> str:
        item = self.compiled.fields.get(key)
        return label(item.label) or key if item is not None else key

    def take_input(self, key: str, raw: Any, clean: dict[str, Any]) -> None:
        """Coerce one input value into ``clean``, or record why it cannot be."""
        item = self.compiled.fields.get(key)
        if item is None:
            self.fail(key, "unknown_field", gettext("'%(key)s' is not a field of this form", key=key))
            return
        if item.type.computed:
            if not is_empty(raw):
                self.fail(key, "computed_field", gettext("%(label)s is computed and cannot be set",
                                                         label=self.label(key)))
            return
        try:
            value = item.type.coerce(item, raw, self.context)
        except CoercionError as error:
            # the type's messages are made to stand beside the field (inline) or under its key (API)
            for problem in error.field_errors(key):
                self.fail(problem.field, problem.code, problem.message)
            return
        clean[key] = value

    def apply_defaults(self, clean: dict[str, Any]) -> None:
        for key, item in self.compiled.fields.items():
            default = item.get("default")
            if key in clean or default is None or item.type.computed:
                continue
            try:
                clean[key] = item.type.coerce(item, default, self.context)
            except CoercionError as error:
                self.fail(key, error.code, error.message)

    def visible_keys(self, clean: dict[str, Any]) -> set[str]:
        """The fields whose ``visible_if`` holds on this record (or that have none)."""
        conditions = self.compiled.conditions  # most fields have none: skip the evaluator for them
        return {key for key in self.compiled.fields if (key, "visible_if") not in conditions
                or self.holds(key, "visible_if", clean, default=True)}

    def holds(self, key: str, attribute: str, clean: dict[str, Any], default: bool) -> bool:
        """Whether the field's condition ``attribute`` holds on the record; ``default`` without one.

        Conditions may name system columns (owner, state...): the caller passes their values in
        ``context.extra["system_values"]`` (conditions.python.record_values of the stored record).
        """
        from formflow.conditions import python

        condition = self.compiled.conditions.get((key, attribute))
        if condition is None:
            return default
        values = {**self.context.extra.get("system_values", {}), **clean}
        return bool(python.evaluate(condition, values, evaluation_context(self.context)))

    def check_schema(self, values: dict[str, Any]) -> None:
        if self.compiled.fast_validator.is_valid(values):
            return
        for error in self.compiled.validator.iter_errors(values):
            key, message = self.schema_message(error, [str(part) for part in error.absolute_path])
            self.errors.append(FieldError(key, _code(error), message))
        self.failed.update(error.field.split(".", 1)[0] for error in self.errors)

    def schema_message(self, error: ValidationError, path: list[str]) -> tuple[str, str]:
        """The dotted key and the localized message of a jsonschema error; never jsonschema's text."""
        extra = _extra_key(error)
        if extra is not None:
            path = [*path, extra]
        text = self.path_label(path) if path else gettext("The record")
        explain = _MESSAGES.get(str(error.validator), _invalid)
        return ".".join(path), explain(error, text)

    def path_label(self, path: list[str]) -> str:
        """The label of the field a path ends in: the column's label inside subtable rows."""
        item = self.compiled.fields.get(path[0])
        if item is None:
            return path[0]
        for part in path[1:]:
            if isinstance(item.type, HasColumns) and part in item.type.columns(item):
                item = item.type.columns(item)[part]
        return label(item.label) or item.key

    def check_required(self, clean: dict[str, Any], visible: set[str]) -> None:
        for key, item in self.compiled.fields.items():
            if key in self.failed or key not in visible or item.type.computed or not is_empty(clean.get(key)):
                continue
            if item.required or self.holds(key, "required_if", clean, default=False):
                self.fail(key, "required", gettext("%(label)s is required", label=self.label(key)))

    def compute(self, clean: dict[str, Any]) -> None:
        """Store each formula's result, in dependency order (a formula may use another's result)."""
        for item in self.compiled.formula_order:
            if isinstance(item.type, DependsOnFields):
                clean[item.key] = item.type.evaluate(item, clean, self.context,  # type: ignore[call-arg]
                                                     fields=self.compiled.fields)


def evaluation_context(context: FieldContext) -> Any:
    """The condition evaluator's context for a field context (actor, team, timezone, now)."""
    from formflow.conditions.context import EvaluationContext

    now = {"now": context.now} if context.now is not None else {}
    return EvaluationContext(user_id=context.actor_user_id,
                             team_user_ids=tuple(context.extra.get("team_user_ids", ())),
                             timezone=context.timezone, **now)


def _extra_key(error: ValidationError) -> str | None:
    """The offending key of a 'required' or 'additionalProperties' error, to append to the path."""
    if not isinstance(error.instance, dict):
        return None
    if error.validator == "required":
        return next((str(name) for name in error.validator_value if name not in error.instance), None)
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        known = set(error.schema.get("properties", {}))
        return next((str(name) for name in error.instance if name not in known), None)
    return None


def _code(error: ValidationError) -> str:
    if error.validator == "pattern" and isinstance(error.cause, PatternTimeout):
        return "pattern_timeout"
    return _CODES.get(str(error.validator), "invalid")


_CODES = {
    "type": "wrong_type", "format": "invalid_format", "pattern": "pattern_mismatch", "maxLength": "too_long",
    "minLength": "too_short", "minimum": "too_small", "exclusiveMinimum": "too_small", "maximum": "too_large",
    "exclusiveMaximum": "too_large", "multipleOf": "not_a_multiple", "enum": "not_a_choice",
    "const": "not_a_choice", "minItems": "too_few_items", "maxItems": "too_many_items",
    "uniqueItems": "duplicate_items", "required": "required", "additionalProperties": "unknown_field",
    "unevaluatedProperties": "unknown_field",
}


def _invalid(error: ValidationError, text: str) -> str:
    return gettext("%(label)s is not valid", label=text)


def _pattern(error: ValidationError, text: str) -> str:
    if isinstance(error.cause, PatternTimeout):
        return gettext("%(label)s could not be checked in time", label=text)
    return gettext("%(label)s is not valid", label=text)


def _limit(message: str) -> Callable[[ValidationError, str], str]:
    def explain(error: ValidationError, text: str) -> str:
        return gettext(message, label=text, limit=error.validator_value)

    return explain


def _fixed(message: str) -> Callable[[ValidationError, str], str]:
    def explain(error: ValidationError, text: str) -> str:
        return gettext(message, label=text)

    return explain


#: jsonschema keyword -> localized message; the fallback says the value is not valid
_MESSAGES: dict[str, Callable[[ValidationError, str], str]] = {
    "type": _fixed(N_("%(label)s has the wrong kind of value")),
    "format": _invalid,
    "pattern": _pattern,
    "maxLength": _limit(N_("%(label)s must be at most %(limit)s characters")),
    "minLength": _limit(N_("%(label)s must be at least %(limit)s characters")),
    "minimum": _limit(N_("%(label)s must be at least %(limit)s")),
    "exclusiveMinimum": _limit(N_("%(label)s must be greater than %(limit)s")),
    "maximum": _limit(N_("%(label)s must be at most %(limit)s")),
    "exclusiveMaximum": _limit(N_("%(label)s must be less than %(limit)s")),
    "multipleOf": _limit(N_("%(label)s must be a multiple of %(limit)s")),
    "enum": _fixed(N_("%(label)s is not one of the allowed choices")),
    "const": _fixed(N_("%(label)s is not one of the allowed choices")),
    "minItems": _limit(N_("%(label)s needs at least %(limit)s items")),
    "maxItems": _limit(N_("%(label)s allows at most %(limit)s items")),
    "uniqueItems": _fixed(N_("%(label)s lists the same item twice")),
    "required": _fixed(N_("%(label)s is required")),
    "additionalProperties": _fixed(N_("%(label)s is not a field of this form")),
    "unevaluatedProperties": _fixed(N_("%(label)s is not a field of this form")),
}
