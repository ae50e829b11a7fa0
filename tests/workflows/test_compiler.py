"""Compiled workflows: one machine per version, shared safely by threads; guard reasons in words."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy.orm import Session
from workflow_helpers import LEAD_FIELDS, LEAD_WORKFLOW

from formflow.conditions.context import EvaluationContext
from formflow.fields.base import Field
from formflow.i18n import use_locale
from formflow.workflows.compiler import TransitionRun, compile_workflow, compiled, mermaid
from formflow.workflows.models import WorkflowVersion

FIELDS = {item["key"]: Field(item) for item in LEAD_FIELDS}


def run(state: str, roles: set[str], **values: Any) -> TransitionRun:
    now = datetime(2026, 11, 24, 8, 0, tzinfo=UTC)
    return TransitionRun(
        state=state,
        roles=frozenset(roles),
        values=values,
        context=EvaluationContext(now=now),
        actor_user_id=7,
        timezone="Asia/Shanghai",
        now=now,
    )


@pytest.fixture(scope="module")
def workflow():
    return compile_workflow(LEAD_WORKFLOW, FIELDS, 1)


def test_compiled_version_is_cached_by_id(session: Session, lead_workflow: WorkflowVersion) -> None:
    assert compiled(session, lead_workflow.id) is compiled(session, lead_workflow.id)


def test_machine_has_no_automatic_transitions(workflow) -> None:
    assert set(workflow.machine.events) == {"contact", "qualify", "convert", "disqualify"}


def test_firing_moves_the_run_not_the_machine(workflow) -> None:
    attempt = run("new", {"member"}, phone="+8613812345678")
    assert workflow.fire(workflow.transitions["contact"], attempt) is True
    assert attempt.state == "contacting"
    assert workflow.machine.models == []


def test_actions_write_to_the_run(workflow) -> None:
    attempt = run("qualified", {"admin", "member"}, amount=5)
    assert workflow.fire(workflow.transitions["convert"], attempt) is True
    assert attempt.changes == {"converted_on": "2026-11-24"}


def test_refusal_leaves_the_state_and_says_why(workflow) -> None:
    attempt = run("qualified", {"member"}, amount=5)
    assert workflow.fire(workflow.transitions["convert"], attempt) is False
    assert (attempt.state, attempt.refusals) == ("qualified", ["Only administrators may Convert."])


def test_one_machine_serves_many_threads_at_once(workflow) -> None:
    cases = [
        ("new", {"member"}, {"phone": "+8613812345678"}, "contact", "contacting"),
        ("new", {"member"}, {}, "contact", "new"),
        ("contacting", {"member"}, {"amount": 3}, "qualify", "qualified"),
        ("qualified", {"member"}, {}, "convert", "qualified"),
        ("qualified", {"admin"}, {}, "convert", "converted"),
    ]
    failures: list[object] = []
    barrier = threading.Barrier(8)

    def hammer(offset: int) -> None:
        barrier.wait()
        for index in range(400):
            state, roles, values, key, expected = cases[(index + offset) % len(cases)]
            attempt = run(state, roles, **values)
            workflow.fire(workflow.transitions[key], attempt)
            if attempt.state != expected:
                failures.append((state, key, attempt.state))

    threads = [threading.Thread(target=hammer, args=(offset,)) for offset in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert workflow.machine.models == []


def test_mermaid_diagram_lists_states_and_transitions(workflow) -> None:
    with use_locale("en"):
        diagram = mermaid(workflow)
    assert "    new --> contacting : Start contacting\n" in diagram
    assert "    contacting --> invalid : Disqualify\n" in diagram
    assert "    converted --> [*]\n" in diagram
    assert "converted --> invalid" not in diagram


GUARDS = [
    ({"field": "phone", "op": "is_not_empty"}, {}, "Fill in Phone first"),
    (
        {"field": "amount", "op": "gt", "value": 100},
        {"amount": 5},
        "Expected amount must be greater than 100",
    ),
    ({"field": "amount", "op": "gt", "value": 100}, {}, "Fill in Expected amount first"),
    (
        {"field": "amount", "op": "between", "value": [1, 9]},
        {"amount": 50},
        "Expected amount must be between 1 and 9",
    ),
    ({"field": "source", "op": "eq", "value": "fair"}, {"source": "web"}, "Source must be Trade fair"),
    (
        {"field": "source", "op": "in", "value": ["web", "fair"]},
        {"source": "x"},
        "Source must be one of Website, Trade fair",
    ),
    ({"field": "notes", "op": "is_empty"}, {"notes": "x"}, "Notes must be empty"),
    ({"field": "owner", "op": "eq", "value": {"var": "me"}}, {"owner": 3}, "Owner must be you"),
    (
        {"any": [{"field": "phone", "op": "is_not_empty"}, {"field": "notes", "op": "is_not_empty"}]},
        {},
        "Fill in Phone first or Fill in Notes first",
    ),
    (
        {"not": {"field": "source", "op": "eq", "value": "web"}},
        {"source": "web"},
        "The condition on Source is not met",
    ),
]


@pytest.mark.parametrize(("guard", "values", "reason"), GUARDS)
def test_guard_reason_names_field_and_operator(guard: dict, values: dict, reason: str) -> None:
    definition = {
        "initial": "a",
        "states": [{"key": "a", "label": {"en": "A"}}, {"key": "b", "label": {"en": "B"}}],
        "transitions": [{"key": "go", "label": {"en": "Go"}, "from": ["a"], "to": "b", "guard": guard}],
    }
    workflow = compile_workflow(definition, FIELDS)
    with use_locale("en"):
        attempt = run("a", {"member"}, **values)
        assert workflow.fire(workflow.transitions["go"], attempt) is False
    assert attempt.refusals == [reason]


def test_guard_message_replaces_the_derived_reason() -> None:
    definition = {
        "initial": "a",
        "states": [{"key": "a", "label": {"en": "A"}}, {"key": "b", "label": {"en": "B"}}],
        "transitions": [
            {
                "key": "go",
                "label": {"en": "Go"},
                "from": ["a"],
                "to": "b",
                "guard": {"field": "phone", "op": "is_not_empty"},
                "guard_message": {"en": "Call the lead first", "zh-CN": "请先致电"},
            }
        ],
    }
    workflow = compile_workflow(definition, FIELDS)
    with use_locale("zh_CN"):
        attempt = run("a", {"member"})
        workflow.fire(workflow.transitions["go"], attempt)
    assert attempt.refusals == ["请先致电"]
