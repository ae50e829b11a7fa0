"""What a record form page shows: fields as widget views, and what the browser's logic needs.

``condition_fields`` describes fields to the JavaScript condition evaluator (static/js/conditions.js)
exactly as the Python evaluator sees them: value kind, system column or not, and the part names of
values stored as objects (region), so live visibility in the browser agrees with the server.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from formflow.conditions.tree import SYSTEM_FIELDS
from formflow.fields.base import Field


def condition_field(field: Field) -> dict[str, Any]:
    """One field as conditions.js reads it: ``{"kind", "parts"?}``."""
    spec: dict[str, Any] = {"kind": field.value_kind}
    parts = field.type.client_hints(field).get("parts")
    if parts:
        spec["parts"] = list(parts)
    return spec


def condition_fields(fields: Iterable[Field]) -> dict[str, dict[str, Any]]:
    """Every field of a form plus the system columns, by key, for conditions.js."""
    specs = {key: {"kind": kind, "system": True} for key, kind in SYSTEM_FIELDS.items()}
    specs.update({field.key: condition_field(field) for field in fields})
    return specs
