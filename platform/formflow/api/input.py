"""Reading API input safely: JSON bodies, query parameters, and request-shape validation.

Everything here fails with a problem (400, 413, 415 or 422) before any service runs, so bad input
never reaches the database: malformed or over-deep JSON, NaN, duplicate or mistyped parameters, unknown
body fields. What a value *means* (an unknown field key, an operator a field does not support) is the
services' business and comes back from them as 400/422 too.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from formflow.errors import BadRequest, FieldError, FormflowError, ValidationFailed
from formflow.i18n import gettext

#: deepest nesting of arrays and objects a request may send; forms and condition trees stay far below
MAX_JSON_DEPTH = 64
#: JSON media types the API reads
JSON_MEDIA_TYPES = ("application/json", "application/merge-patch+json")


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def parse_json(text: str | bytes, where: str = "body") -> Any:
    """Decode strict JSON (no NaN/Infinity, bounded depth); BadRequest names line, column and cause."""
    try:
        value = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        raise BadRequest(gettext("Malformed JSON"), code="invalid_json",
                         detail=gettext("Line %(line)s, column %(column)s: %(cause)s.", line=error.lineno,
                                        column=error.colno, cause=error.msg),
                         errors=[FieldError(where, "invalid_json", error.msg)]) from None
    except RecursionError:
        raise _too_deep(where) from None
    except (ValueError, UnicodeDecodeError) as error:
        # NaN/Infinity, integers past Python's digit limit, undecodable bytes
        raise BadRequest(gettext("Malformed JSON"), code="invalid_json", detail=str(error),
                         errors=[FieldError(where, "invalid_json", str(error))]) from None
    if _depth(value) > MAX_JSON_DEPTH:
        raise _too_deep(where)
    return value


def _too_deep(where: str) -> FormflowError:
    message = gettext("JSON may nest at most %(depth)s levels.", depth=MAX_JSON_DEPTH)
    return BadRequest(gettext("Malformed JSON"), code="too_deep", detail=message,
                      errors=[FieldError(where, "too_deep", message)])


def _depth(value: Any) -> int:
    """Nesting depth of decoded JSON, without recursion (the input may be pathological)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children: Iterable[Any] = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if level > MAX_JSON_DEPTH:
            return level
        stack.extend((child, level + 1) for child in children)
    return deepest


def is_json_media_type(mimetype: str) -> bool:
    """Whether a Content-Type names JSON (``application/json``, ``application/*+json``)."""
    if mimetype in JSON_MEDIA_TYPES:
        return True
    return mimetype.startswith("application/") and mimetype.endswith("+json")


def read_json_body(mimetype: str, data: bytes, required: bool) -> Any:
    """The decoded request body; 415 for a body that is not JSON, 400 for an absent required one."""
    if not data.strip():
        if required:
            message = gettext("This request needs a JSON body.")
            raise BadRequest(gettext("Missing body"), code="missing_body", detail=message,
                             errors=[FieldError("body", "required", message)])
        return None
    if not is_json_media_type(mimetype):
        raise FormflowError(gettext("Unsupported media type"), status=415, code="unsupported_media_type",
                            detail=gettext("Send the body as application/json."))
    return parse_json(data)


def schema_errors(validator: Draft202012Validator, instance: Any, prefix: str = "") -> list[FieldError]:
    """Every way ``instance`` breaks the validator's schema, as localized field errors."""
    found: list[FieldError] = []
    for error in sorted(validator.iter_errors(instance), key=lambda error: list(error.absolute_path)):
        found.extend(_field_errors(error, prefix))
    return found


def validate_body(validator: Draft202012Validator, body: Any) -> None:
    """Raise one ValidationFailed (422) listing every schema error of ``body``."""
    errors = schema_errors(validator, body)
    if errors:
        detail = gettext("The request body has %(count)s problem(s).", count=len(errors))
        raise ValidationFailed(errors, title=gettext("Validation failed"), detail=detail)


def _path(parts: Iterable[Any], prefix: str = "") -> str:
    joined = ".".join(str(part) for part in parts)
    if prefix:
        return f"{prefix}.{joined}" if joined else prefix
    return joined or "body"


def _field_errors(error: ValidationError, prefix: str) -> list[FieldError]:
    path = list(error.absolute_path)
    keyword = str(error.validator)
    if keyword == "required" and isinstance(error.instance, Mapping):
        return [FieldError(_path([*path, key], prefix), "required", gettext("This field is required."))
                for key in error.validator_value if key not in error.instance]
    if keyword == "additionalProperties" and isinstance(error.instance, Mapping):
        known = set(error.schema.get("properties", {}))
        return [FieldError(_path([*path, key], prefix), "unknown_field", gettext("Unknown field."))
                for key in error.instance if key not in known]
    if keyword in ("oneOf", "anyOf") and error.context:
        # report the alternative that came closest, not a list of every branch's complaints
        best = best_match(error.context)
        if best is not None:
            return _field_errors(best, prefix)
    return [FieldError(_path(path, prefix), _CODES.get(keyword, "invalid"), _message(error))]


_CODES = {"type": "wrong_type", "enum": "not_allowed", "const": "not_allowed", "pattern": "invalid_format",
          "minLength": "too_short", "maxLength": "too_long", "minItems": "too_few", "maxItems": "too_many",
          "minimum": "too_small", "maximum": "too_large", "exclusiveMinimum": "too_small",
          "exclusiveMaximum": "too_large", "minProperties": "too_few", "maxProperties": "too_many",
          "uniqueItems": "duplicate", "format": "invalid_format"}

_TYPE_NAMES = {"string": "a string", "integer": "an integer", "number": "a number",
               "boolean": "true or false", "object": "an object", "array": "a list", "null": "null"}


def _message(error: ValidationError) -> str:
    keyword = str(error.validator)
    limit = error.validator_value
    if keyword == "type":
        wanted = limit if isinstance(limit, list) else [limit]
        names = [gettext(_TYPE_NAMES.get(name, name)) for name in wanted if name != "null"]
        return gettext("Expected %(type)s.", type=gettext(" or ").join(names or ["null"]))
    if keyword in ("enum", "const"):
        return gettext("Not one of the allowed values.")
    if keyword in ("pattern", "format"):
        return gettext("Does not have the expected format.")
    if keyword == "minLength":
        return gettext("Use at least %(limit)s characters.", limit=limit)
    if keyword == "maxLength":
        return gettext("Use at most %(limit)s characters.", limit=limit)
    if keyword in ("minItems", "minProperties"):
        return gettext("Give at least %(limit)s entries.", limit=limit)
    if keyword in ("maxItems", "maxProperties"):
        return gettext("Give at most %(limit)s entries.", limit=limit)
    if keyword in ("minimum", "exclusiveMinimum"):
        return gettext("Must be at least %(limit)s.", limit=limit)
    if keyword in ("maximum", "exclusiveMaximum"):
        return gettext("Must be at most %(limit)s.", limit=limit)
    if keyword == "uniqueItems":
        return gettext("Entries must not repeat.")
    return gettext("Invalid value.")


def parameter_error(name: str, code: str, message: str) -> BadRequest:
    """A 400 naming one bad query or header parameter."""
    return BadRequest(gettext("Invalid parameter"), code="invalid_parameter",
                      detail=gettext("Parameter '%(name)s': %(problem)s", name=name, problem=message),
                      errors=[FieldError(name, code, message)])


def coerce_parameter(name: str, raw: str, schema: Mapping[str, Any], is_json: bool) -> Any:
    """A query or header string as the schema's type (integer, boolean, string), or decoded JSON."""
    if is_json:
        return parse_json(raw, where=name)
    kind = schema.get("type", "string")
    if kind == "integer":
        text = raw.strip()
        if not text.lstrip("-").isdigit() or len(text) > 20:
            raise parameter_error(name, "wrong_type", gettext("Expected an integer."))
        return int(text)
    if kind == "boolean":
        lowered = raw.strip().lower()
        if lowered not in ("true", "false", "1", "0"):
            raise parameter_error(name, "wrong_type", gettext("Expected true or false."))
        return lowered in ("true", "1")
    return raw


def check_parameter(name: str, value: Any, validator: Draft202012Validator) -> None:
    """Raise a 400 naming ``name`` when ``value`` breaks its schema (range, pattern, length)."""
    for error in validator.iter_errors(value):
        raise parameter_error(name, _CODES.get(str(error.validator), "invalid"), _message(error))
