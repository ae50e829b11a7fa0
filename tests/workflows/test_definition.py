"""The workflow validator: every problem at once, each keyed by its JSON path."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from workflow_helpers import LEAD_FIELDS, LEAD_WORKFLOW

from formflow.errors import ValidationFailed
from formflow.fields.base import Field
from formflow.i18n import use_locale
from formflow.workflows.definition import check_workflow, workflow_problems

FIELDS = {item["key"]: Field(item) for item in LEAD_FIELDS}


def problems(definition: Any) -> set[tuple[str, str]]:
    return {(error.field, error.code) for error in workflow_problems(definition, FIELDS)}


def changed(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    definition = copy.deepcopy(LEAD_WORKFLOW)
    change(definition)
    return definition


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def change(definition: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        target: Any = definition
        for part in parents:
            target = target[int(part)] if isinstance(target, list) else target[part]
        if isinstance(target, list):
            target[int(last)] = value
        else:
            target[last] = value

    return change


def _append(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return lambda definition: definition[path].append(value)


def test_the_lead_lifecycle_is_valid() -> None:
    assert problems(LEAD_WORKFLOW) == set()


BAD_INPUT = [
    ("not an object", lambda d: d.clear() or d.update({"states": "x"}), ("initial", "missing")),
    ("no states", _set("states", []), ("states", "invalid")),
    ("unknown attribute", _set("colour", "red"), ("colour", "unknown_attribute")),
    ("bad state key", _set("states.1.key", "Contacting"), ("states.1.key", "invalid")),
    ("bad colour", _set("states.0.color", "blue"), ("states.0.color", "invalid")),
    (
        "duplicate state",
        _append("states", {"key": "new", "label": {"en": "Again"}}),
        ("states.5.key", "duplicate_key"),
    ),
    (
        "duplicate transition",
        _append("transitions", {"key": "contact", "label": {"en": "x"}, "from": ["new"], "to": "invalid"}),
        ("transitions.4.key", "duplicate_key"),
    ),
    ("unknown initial state", _set("initial", "start"), ("initial", "unknown_state")),
    ("terminal initial state", _set("initial", "converted"), ("initial", "initial_terminal")),
    ("unknown target", _set("transitions.0.to", "calling"), ("transitions.0.to", "unknown_state")),
    ("unknown source", _set("transitions.0.from", ["old"]), ("transitions.0.from.0", "unknown_state")),
    (
        "from a terminal state",
        _set("transitions.1.from", ["contacting", "invalid"]),
        ("transitions.1.from.1", "terminal_outgoing"),
    ),
    (
        "unreachable state",
        _append("states", {"key": "lost", "label": {"en": "Lost"}}),
        ("states.5.key", "unreachable_state"),
    ),
    (
        "unknown role",
        _set("transitions.0.roles", ["sales_director"]),
        ("transitions.0.roles.0", "unknown_role"),
    ),
    (
        "unknown role in field access",
        _set("states.2.field_access", {"boss": {"amount": "read"}}),
        ("states.2.field_access.boss", "unknown_role"),
    ),
    (
        "unknown field in field access",
        _set("states.2.field_access", {"member": {"budget": "read"}}),
        ("states.2.field_access.member.budget", "unknown_field"),
    ),
    (
        "bad access level",
        _set("states.2.field_access", {"member": {"amount": "edit"}}),
        ("states.2.field_access.member.amount", "invalid"),
    ),
    (
        "guard on an unknown field",
        _set("transitions.1.guard", {"field": "budget", "op": "gt", "value": 1}),
        ("transitions.1.guard.field", "condition_unknown_field"),
    ),
    (
        "guard operator for another kind",
        _set("transitions.1.guard", {"field": "amount", "op": "starts_with", "value": "1"}),
        ("transitions.1.guard.op", "condition_operator_kind"),
    ),
    (
        "required field unknown",
        _set("transitions.3.required_fields", ["why"]),
        ("transitions.3.required_fields.0", "unknown_field"),
    ),
    (
        "state required field unknown",
        _set("states.3.required_fields", ["budget"]),
        ("states.3.required_fields.0", "unknown_field"),
    ),
    (
        "editable field unknown",
        _set("transitions.0.editable_fields", ["mobile"]),
        ("transitions.0.editable_fields.0", "unknown_field"),
    ),
    (
        "comment_required not boolean",
        _set("transitions.2.comment_required", "yes"),
        ("transitions.2.comment_required", "invalid"),
    ),
    (
        "approval",
        _set("transitions.2.approval", {"mode": "any", "steps": []}),
        ("transitions.2.approval", "approvals_unavailable"),
    ),
    (
        "malformed approval",
        _set("transitions.2.approval", {"mode": "sometimes"}),
        ("transitions.2.approval.mode", "invalid"),
    ),
    (
        "unknown action",
        _set("transitions.2.actions", [{"type": "send_fax"}]),
        ("transitions.2.actions.0.type", "unknown_action"),
    ),
    (
        "action on an unknown field",
        _set("transitions.2.actions", [{"type": "set_field", "field": "x"}]),
        ("transitions.2.actions.0.field", "unknown_field"),
    ),
    (
        "action with a bad value",
        _set(
            "transitions.2.actions", [{"type": "set_field", "field": "converted_on", "value": "tomorrow-ish"}]
        ),
        ("transitions.2.actions.0.value", "not_date"),
    ),
    (
        "action with an unknown variable",
        _set(
            "transitions.2.actions",
            [{"type": "set_field", "field": "converted_on", "value": {"var": "yesterday"}}],
        ),
        ("transitions.2.actions.0.value", "unknown_variable"),
    ),
    ("from neither a list nor *", _set("transitions.0.from", "new"), ("transitions.0.from", "invalid")),
    # found by schemathesis: an object as the initial state crashed the reachability check
    ("initial state is an object", _set("initial", {}), ("initial", "invalid")),
]


@pytest.mark.parametrize(
    ("change", "expected"), [case[1:] for case in BAD_INPUT], ids=[case[0] for case in BAD_INPUT]
)
def test_bad_definition_is_reported(
    change: Callable[[dict[str, Any]], None], expected: tuple[str, str]
) -> None:
    assert expected in problems(changed(change))


def test_every_problem_is_reported_at_once() -> None:
    def break_everything(definition: dict[str, Any]) -> None:
        definition["initial"] = "start"
        definition["transitions"][0]["roles"] = ["boss"]
        definition["transitions"][1]["guard"] = {"field": "budget", "op": "is_empty"}
        definition["transitions"][2]["approval"] = {"mode": "all"}

    found = problems(changed(break_everything))
    assert {
        ("initial", "unknown_state"),
        ("transitions.0.roles.0", "unknown_role"),
        ("transitions.1.guard.field", "condition_unknown_field"),
        ("transitions.2.approval", "approvals_unavailable"),
    } <= found


def test_approval_is_refused_with_a_clear_message() -> None:
    definition = changed(_set("transitions.2.approval", {"mode": "any"}))
    with pytest.raises(ValidationFailed) as failure:
        check_workflow(definition, FIELDS)
    [error] = [error for error in failure.value.errors if error.code == "approvals_unavailable"]
    assert error.message.startswith("Approvals are not available yet")


def test_any_state_source_leaves_out_terminal_states() -> None:
    assert problems(changed(_set("transitions.3.from", "*"))) == set()


def test_messages_follow_the_locale() -> None:
    with use_locale("en"):
        [error] = workflow_problems(changed(_set("initial", "start")), FIELDS)
    assert error.message == "Unknown state start."
