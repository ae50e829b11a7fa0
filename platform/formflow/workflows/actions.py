"""Workflow actions: what a transition does besides changing the state (one registry entry each).

An action is configured in a transition's ``actions`` list (``{"type": "set_field", ...}``), checked
when the definition is saved (``problems``) and run by the compiled machine as an ``after`` callback
(``apply``) on the transition's run, before the record service validates and writes the result. So an
action can only propose field values; the record service still coerces and validates them, and a
failure rolls the whole transition back. Automation adds actions (notify, webhook) the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from formflow.errors import FieldError
from formflow.fields.base import CoercionError, Field, FieldContext
from formflow.i18n import gettext
from formflow.registry import Registry

if TYPE_CHECKING:
    from formflow.workflows.compiler import TransitionRun


class WorkflowAction:
    """Base class of workflow actions."""

    #: registry key, as definitions name it
    name: str = ""

    def problems(self, config: Mapping[str, Any], fields: Mapping[str, Field], path: str) -> list[FieldError]:
        """What is wrong with ``config`` for a form with ``fields``; ``path`` prefixes error paths."""
        return []

    def apply(self, config: Mapping[str, Any], run: TransitionRun) -> None:
        """Do the action on a transition run (called after the state changed on the run)."""
        raise NotImplementedError


registry: Registry[WorkflowAction] = Registry("workflow action")


def _now_value(run: TransitionRun) -> str:
    return run.now.isoformat().replace("+00:00", "Z")


def _today_value(run: TransitionRun) -> str:
    from zoneinfo import ZoneInfo

    return run.now.astimezone(ZoneInfo(run.timezone)).date().isoformat()


#: variables a ``set_field`` value may name: ``{"var": "now"}``
VARIABLES = {
    "me": lambda run: run.actor_user_id,
    "now": _now_value,
    "today": _today_value,
}


@registry.register
class SetFieldAction(WorkflowAction):
    """Set a field to a fixed value (or ``{"var": "me" | "now" | "today"}``) as the transition runs."""

    name = "set_field"
    #: attributes of the configuration besides ``type``
    attributes = frozenset({"type", "field", "value"})

    def problems(self, config: Mapping[str, Any], fields: Mapping[str, Field], path: str) -> list[FieldError]:
        errors = [FieldError(f"{path}.{name}", "unknown_attribute",
                             gettext("Unknown attribute %(name)s", name=str(name)[:64]))
                  for name in config if name not in self.attributes]
        key = config.get("field")
        field = fields.get(key) if isinstance(key, str) else None
        if field is None:
            return [*errors, FieldError(f"{path}.field", "unknown_field",
                                        gettext("Unknown field %(field)s.", field=str(key)[:64]))]
        if field.type.computed:
            return [*errors, FieldError(f"{path}.field", "computed_field", gettext(
                "%(field)s is computed: it cannot be edited in a transition.", field=key))]
        value = config.get("value")
        if isinstance(value, dict) and set(value) == {"var"}:
            if value["var"] not in VARIABLES:
                errors.append(FieldError(f"{path}.value", "unknown_variable", gettext(
                    "Unknown variable %(name)s; expected one of: %(names)s.", name=str(value["var"])[:64],
                    names=", ".join(VARIABLES))))
        elif value is not None:
            try:
                field.type.coerce(field, value, FieldContext(now=datetime.now().astimezone()))
            except CoercionError as error:
                errors.extend(FieldError(f"{path}.value", item.code, item.message)
                              for item in error.field_errors(key))
        return errors

    def apply(self, config: Mapping[str, Any], run: TransitionRun) -> None:
        value = config.get("value")
        if isinstance(value, dict) and set(value) == {"var"}:
            value = VARIABLES[value["var"]](run)
        run.changes[config["field"]] = value
