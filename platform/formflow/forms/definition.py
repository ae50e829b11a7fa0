"""The form definition: its JSON Schema and ``check_definition``, which reports every problem at once.

A definition is ``{"fields": [...], "layout": {...}, "title_field": "..."}`` (docs/internals.md). The
common field attributes are declared here; each field type adds its own through ``config_schema()``
and its semantic checks through ``check_definition()``, so nothing here knows a type by name.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

from jsonschema import Draft202012Validator, ValidationError

from formflow.conditions.tree import SYSTEM_FIELDS
from formflow.errors import FieldError, FormflowError, ValidationFailed
from formflow.fields import registry
from formflow.fields.base import LABELS_SCHEMA, CoercionError, Field, FieldContext, FieldType
from formflow.i18n import gettext

#: field keys: stable ids that name JSON keys, SQL view columns and index names
KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,62}$")
#: keys conditions, views and records use for system columns: a field may not take them
RESERVED_KEYS = frozenset({*SYSTEM_FIELDS, "owner_id", "deleted_at", "version", "form", "form_version",
                           "data"})
#: most fields a form may define unless the MAX_SCHEMA_FIELDS setting says otherwise
DEFAULT_MAX_FIELDS = 500
#: deepest nesting of JSON containers in a definition (subtables nest fields, conditions nest groups)
MAX_NESTING = 32
#: largest definition, serialized, in characters
MAX_DEFINITION_CHARS = 2_000_000
#: deepest condition tree in visible_if / required_if unless the MAX_CONDITION_DEPTH setting says otherwise
DEFAULT_CONDITION_DEPTH = 12

def N_(message: str) -> str:  # noqa: N802  (the name babel extracts by default)
    """Mark ``message`` for the catalog where it is translated later, with ``gettext(variable)``."""
    return message


_TEXTS_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"zh-CN": {"type": "string", "maxLength": 2000},
                   "en": {"type": "string", "maxLength": 2000}},
    "additionalProperties": False,
}
_CONDITION_SCHEMA: dict[str, Any] = {"type": ["object", "null"]}

#: attributes every field may have, whatever its type
COMMON_PROPERTIES: dict[str, Any] = {
    "key": {"type": "string", "pattern": KEY_PATTERN.pattern},
    "type": {"type": "string"},
    "label": {**LABELS_SCHEMA, "minProperties": 1},
    "help": _TEXTS_SCHEMA,
    "placeholder": LABELS_SCHEMA,
    "required": {"type": "boolean"},
    "indexed": {"type": "boolean"},
    "unique": {"type": "boolean"},
    "searchable": {"type": "boolean"},
    "read_only": {"type": "boolean"},
    "default": {},
    "visible_if": _CONDITION_SCHEMA,
    "required_if": _CONDITION_SCHEMA,
}

LAYOUT_SCHEMA: dict[str, Any] = {
    "type": ["object", "null"],
    "properties": {
        "sections": {
            "type": "array",
            "maxItems": 200,
            "items": {
                "type": "object",
                "properties": {
                    "key": {"type": "string", "pattern": KEY_PATTERN.pattern},
                    "label": LABELS_SCHEMA,
                    "collapsed": {"type": "boolean"},
                    "rows": {"type": "array", "maxItems": 1000,
                             "items": {"type": "array", "maxItems": 6, "items": {"type": "string"}}},
                },
                "required": ["key", "rows"],
                "additionalProperties": False,
            },
        },
    },
    "additionalProperties": False,
}


def _top_schema(max_fields: int) -> dict[str, Any]:
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": {
            "fields": {"type": "array", "maxItems": max_fields, "items": {"type": "object"}},
            "layout": LAYOUT_SCHEMA,
            "title_field": {"type": ["string", "null"]},
        },
        "required": ["fields"],
        "additionalProperties": False,
    }


def config_properties(field_type: FieldType) -> dict[str, Any]:
    """The type-specific attribute schemas of ``field_type`` (``config_schema()`` as a properties map)."""
    config = field_type.config_schema()
    if config.get("type") == "object" and isinstance(config.get("properties"), dict):
        return dict(config["properties"])
    return dict(config)


def field_schema(field_type: FieldType) -> dict[str, Any]:
    """JSON Schema of one field definition of ``field_type``: common plus type-specific attributes."""
    config = field_type.config_schema()
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {**COMMON_PROPERTIES, **config_properties(field_type),
                       "type": {"const": field_type.name}},
        "required": ["key", "type", "label"],
        "additionalProperties": False,
    }
    if config.get("type") == "object" and config.get("required"):
        schema["required"] = [*schema["required"], *config["required"]]
    return schema


def definition_schema(max_fields: int = DEFAULT_MAX_FIELDS) -> dict[str, Any]:
    """The JSON Schema of a whole form definition, one ``$defs`` entry per registered field type."""
    schema = _top_schema(max_fields)
    names = registry.names()
    schema["$defs"] = {name: field_schema(registry.get(name)) for name in names}
    schema["properties"]["fields"]["items"] = {
        "type": "object",
        "required": ["key", "type", "label"],
        "properties": {"type": {"enum": names}},
        "allOf": [{"if": {"properties": {"type": {"const": name}}}, "then": {"$ref": f"#/$defs/{name}"}}
                  for name in names],
    }
    return schema


def check_definition(definition: Any, max_fields: int = DEFAULT_MAX_FIELDS,
                     max_condition_depth: int = DEFAULT_CONDITION_DEPTH) -> None:
    """Raise ValidationFailed listing every problem of ``definition``; return quietly when there is none."""
    errors = definition_problems(definition, max_fields, max_condition_depth)
    if errors:
        raise ValidationFailed(errors, title=gettext("The form definition has problems"))


def definition_problems(definition: Any, max_fields: int = DEFAULT_MAX_FIELDS,
                        max_condition_depth: int = DEFAULT_CONDITION_DEPTH) -> list[FieldError]:
    """Every problem of ``definition`` as field errors (keyed by field key, or ``fields[3]``)."""
    size_error = _size_problem(definition)
    if size_error is not None:
        return [size_error]
    errors = [_top_error(error, max_fields)
              for error in Draft202012Validator(_top_schema(max_fields)).iter_errors(definition)]
    if not isinstance(definition, dict) or not isinstance(definition.get("fields"), list):
        return errors
    fields, field_errors = _fields(definition["fields"][:max_fields])
    errors += field_errors
    for field in fields.values():
        errors += field.type.check_definition(field, fields)
        errors += _default_problems(field)
        errors += _index_problems(field)
        errors += _condition_problems(field, fields, max_condition_depth)
    errors += _formula_problems(fields)
    if not any(error.field.startswith("layout") for error in errors):
        errors += _layout_problems(definition.get("layout"), fields, definition["fields"])
    title_field = definition.get("title_field")
    if isinstance(title_field, str) and title_field not in _all_keys(definition["fields"]):
        errors.append(FieldError("title_field", "unknown_field", gettext(
            "The title field '%(key)s' is not a field of this form", key=title_field)))
    return errors


def _size_problem(definition: Any) -> FieldError | None:
    """Refuse huge or deeply nested definitions before anything walks them."""
    if _nesting(definition) > MAX_NESTING:
        return FieldError("definition", "too_deep", gettext(
            "The definition is nested more than %(count)s levels deep", count=MAX_NESTING))
    try:
        size = len(json.dumps(definition, ensure_ascii=False))
    except (TypeError, ValueError):
        return FieldError("definition", "not_json", gettext("The definition is not JSON"))
    if size > MAX_DEFINITION_CHARS:
        return FieldError("definition", "too_large", gettext(
            "The definition is larger than %(count)s characters", count=MAX_DEFINITION_CHARS))
    return None


def _nesting(value: Any) -> int:
    """Deepest container nesting of a JSON value, without recursion (so it cannot overflow the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > MAX_NESTING:
                return deepest
            children = item.values() if isinstance(item, dict) else item
            stack.extend((child, depth + 1) for child in children)
    return deepest


def _top_error(error: ValidationError, max_fields: int) -> FieldError:
    path = list(error.absolute_path)
    if error.validator == "maxItems" and path == ["fields"]:
        return FieldError("fields", "too_many_fields",
                          gettext("A form has at most %(count)s fields", count=max_fields))
    if len(path) >= 2 and path[0] == "fields":
        return FieldError(f"fields[{path[1]}]", "not_a_field", gettext("A field must be an object"))
    if path and path[0] == "layout":
        where = ".".join(str(part) for part in path)
        return FieldError("layout", "bad_layout", _attribute_message(
            error, ".".join(filter(None, [where, _extra_names(error) or _missing_names(error)]))))
    name = str(path[0]) if path else _extra_names(error) or _missing_names(error) or "definition"
    return FieldError(name, _attribute_code(error), _attribute_message(error, name))


def _fields(definitions: list[Any]) -> tuple[dict[str, Field], list[FieldError]]:
    """The well-formed fields by key, and the problems of the others."""
    fields: dict[str, Field] = {}
    errors: list[FieldError] = []
    seen: set[str] = set()
    for index, definition in enumerate(definitions):
        if not isinstance(definition, dict):
            continue  # reported by the top-level schema
        key = definition.get("key")
        if not isinstance(key, str) or not KEY_PATTERN.match(key):
            errors.append(FieldError(f"fields[{index}]", "invalid_key", gettext(
                "A field key starts with a lowercase letter and has at most 63 lowercase letters, "
                "digits and _")))
            continue
        if key in RESERVED_KEYS:
            errors.append(FieldError(key, "reserved_key", gettext(
                "The key '%(key)s' is reserved for a system column", key=key)))
            continue
        if key in seen:
            errors.append(FieldError(key, "duplicate_key", gettext(
                "The key '%(key)s' is used by more than one field", key=key)))
            continue
        seen.add(key)
        type_name = definition.get("type")
        if not isinstance(type_name, str) or type_name not in registry:
            errors.append(FieldError(key, "unknown_type", gettext(
                "'%(type)s' is not a field type", type=str(type_name))))
            continue
        schema_errors = [_attribute_error(key, error)
                         for error in _field_validator(type_name).iter_errors(definition)]
        if schema_errors:
            errors += schema_errors
            continue
        fields[key] = Field(definition)
    return fields, errors


_validators: dict[str, Draft202012Validator] = {}


def _field_validator(type_name: str) -> Draft202012Validator:
    """The definition validator of a type, built once (types register at import, before any use)."""
    validator = _validators.get(type_name)
    if validator is None:
        validator = _validators[type_name] = Draft202012Validator(
            field_schema(registry.get(type_name)), format_checker=Draft202012Validator.FORMAT_CHECKER)
    return validator


def _attribute_error(key: str, error: ValidationError) -> FieldError:
    path = [str(part) for part in error.absolute_path]
    name = ".".join(path) or _extra_names(error) or _missing_names(error) or key
    return FieldError(key, _attribute_code(error), _attribute_message(error, name))


def _attribute_code(error: ValidationError) -> str:
    return {"additionalProperties": "unknown_attribute", "required": "missing_attribute",
            "type": "wrong_type"}.get(str(error.validator), "invalid_attribute")


def _attribute_message(error: ValidationError, name: str) -> str:
    message = _ATTRIBUTE_MESSAGES.get(str(error.validator), N_("The attribute '%(name)s' is not valid"))
    limit = error.validator_value
    if error.validator in ("enum", "const"):
        limit = ", ".join(str(value) for value in (limit if isinstance(limit, list) else [limit]))
    return gettext(message, name=name, limit=limit)


#: jsonschema keyword -> message about a definition attribute; the fallback says it is not valid
_ATTRIBUTE_MESSAGES = {
    "additionalProperties": N_("Unknown attribute '%(name)s'"),
    "required": N_("The attribute '%(name)s' is missing"),
    "type": N_("The attribute '%(name)s' has the wrong type"),
    "minItems": N_("The attribute '%(name)s' needs at least %(limit)s entries"),
    "maxItems": N_("The attribute '%(name)s' allows at most %(limit)s entries"),
    "minimum": N_("The attribute '%(name)s' must be at least %(limit)s"),
    "maximum": N_("The attribute '%(name)s' must be at most %(limit)s"),
    "minLength": N_("The attribute '%(name)s' must be at least %(limit)s characters"),
    "maxLength": N_("The attribute '%(name)s' must be at most %(limit)s characters"),
    "enum": N_("The attribute '%(name)s' must be one of: %(limit)s"),
    "const": N_("The attribute '%(name)s' must be one of: %(limit)s"),
}


def _extra_names(error: ValidationError) -> str:
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return ""
    known = set(error.schema.get("properties", {}))
    return ", ".join(sorted(str(name) for name in error.instance if name not in known))


def _missing_names(error: ValidationError) -> str:
    if error.validator != "required" or not isinstance(error.instance, dict):
        return ""
    return ", ".join(str(name) for name in error.validator_value if name not in error.instance)


def _default_problems(field: Field) -> list[FieldError]:
    """A default must be a value the field accepts."""
    default = field.get("default")
    if default is None:
        return []
    if field.type.computed:
        return [FieldError(field.key, "bad_default", gettext("A computed field cannot have a default"))]
    try:
        field.type.coerce(field, default, FieldContext(locale="en"))
    except CoercionError as error:
        return [FieldError(field.key, "bad_default",
                           gettext("The default value is not valid: %(reason)s", reason=error.message))]
    return []


def _index_problems(field: Field) -> list[FieldError]:
    """Only types whose values order as scalars can be indexed or unique."""
    if field.indexed and not field.type.sortable:
        return [FieldError(field.key, "not_indexable",
                           gettext("Fields of this type cannot be indexed or unique"))]
    return []


def _condition_problems(field: Field, fields: dict[str, Field], max_depth: int) -> list[FieldError]:
    """visible_if / required_if must be valid condition trees over this form's fields."""
    from formflow.conditions import tree

    errors = []
    for attribute in ("visible_if", "required_if"):
        condition = field.get(attribute)
        if condition is None:
            continue
        try:
            tree.parse(condition, fields, max_depth, path=attribute)
        except FormflowError as error:
            reasons = "; ".join(problem.message for problem in error.errors) or error.detail or error.title
            errors.append(FieldError(field.key, "bad_condition", gettext(
                "The condition '%(attribute)s' is not valid: %(reason)s",
                attribute=attribute, reason=reasons)))
    return errors


def _formula_problems(fields: dict[str, Field]) -> list[FieldError]:
    """Formulas must not depend on themselves, through any chain of fields."""
    from formflow.fields.computed import formula_order

    try:
        formula_order(fields)
    except FormflowError as error:
        return list(error.errors) or [FieldError("fields", error.code, error.title)]
    return []


def _layout_problems(layout: Any, fields: dict[str, Field], definitions: list[Any]) -> list[FieldError]:
    """The layout may only place fields of the form, each once; sections have distinct keys."""
    if not isinstance(layout, dict):
        return []
    known = _all_keys(definitions)
    errors: list[FieldError] = []
    placed: set[str] = set()
    section_keys: set[str] = set()
    for section in layout.get("sections", []):
        if section["key"] in section_keys:
            errors.append(FieldError("layout", "duplicate_section", gettext(
                "The layout has two sections with the key '%(key)s'", key=section["key"])))
        section_keys.add(section["key"])
        for key in _cells(section):
            if key not in known:
                errors.append(FieldError("layout", "unknown_field", gettext(
                    "The layout places '%(key)s', which is not a field of this form", key=key)))
            elif key in placed:
                errors.append(FieldError("layout", "placed_twice", gettext(
                    "The layout places '%(key)s' twice", key=key)))
            placed.add(key)
    return errors


def _cells(section: dict[str, Any]) -> Iterator[str]:
    for row in section.get("rows", []):
        yield from row


def _all_keys(definitions: list[Any]) -> set[str]:
    return {item["key"] for item in definitions
            if isinstance(item, dict) and isinstance(item.get("key"), str)}


def fields_of(definition: dict[str, Any]) -> dict[str, Field]:
    """The fields of a checked definition, by key, in definition order."""
    return {item["key"]: Field(item) for item in definition.get("fields", [])}
