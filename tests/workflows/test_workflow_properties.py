"""Property: whatever the definition and whatever calls users make, a record's state changes only by a
transition that leaves that state, whose roles the actor holds and whose guard holds for the record."""

from __future__ import annotations

import itertools
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy.orm import Session

from formflow.apps.models import App
from formflow.conditions import python as conditions_python
from formflow.conditions import tree
from formflow.conditions.context import EvaluationContext
from formflow.errors import FormflowError
from formflow.fields.base import Field
from formflow.forms import service as forms
from formflow.permissions.actor import Actor
from formflow.records.models import Record
from formflow.records.service import create_record, update_record
from formflow.records.transitions import transition_record
from formflow.workflows import service as workflows

FIELDS = [
    {"key": "amount", "type": "number", "label": {"en": "Amount"}},
    {"key": "phone", "type": "text", "label": {"en": "Phone"}},
    {
        "key": "source",
        "type": "select",
        "label": {"en": "Source"},
        "options": [{"value": "web", "label": {"en": "Web"}}, {"value": "fair", "label": {"en": "Fair"}}],
    },
]
FIELD_OBJECTS = {item["key"]: Field(item) for item in FIELDS}
GUARDS = [
    None,
    {"field": "amount", "op": "gt", "value": 10},
    {"field": "phone", "op": "is_not_empty"},
    {"field": "source", "op": "eq", "value": "web"},
    {"any": [{"field": "amount", "op": "lte", "value": 5}, {"field": "source", "op": "eq", "value": "fair"}]},
    {"not": {"field": "phone", "op": "is_empty"}},
]
ROLE_SETS = [[], ["admin"], ["member"], ["owner"], ["admin", "owner"]]
_forms = itertools.count()


@st.composite
def definitions(draw: st.DrawFn) -> dict[str, Any]:
    """A valid workflow: every state reachable from s0 by construction, plus random extra transitions."""
    count = draw(st.integers(2, 5))
    states = [{"key": f"s{index}", "label": {"en": f"S{index}"}} for index in range(count)]
    edges = [(draw(st.integers(0, index - 1)), index) for index in range(1, count)]
    edges += draw(st.lists(st.tuples(st.integers(0, count - 1), st.integers(0, count - 1)), max_size=6))
    transitions = []
    for number, (source, target) in enumerate(edges):
        transitions.append(
            {
                "key": f"t{number}",
                "label": {"en": f"T{number}"},
                "from": [f"s{source}"],
                "to": f"s{target}",
                "roles": draw(st.sampled_from(ROLE_SETS)),
                "guard": draw(st.sampled_from(GUARDS)),
                "editable_fields": ["amount", "phone", "source"],
            }
        )
    return {"initial": "s0", "states": states, "transitions": transitions}


CHANGES = st.fixed_dictionaries(
    {},
    optional={
        "amount": st.sampled_from([None, 0, 5, 11, 100]),
        "phone": st.sampled_from([None, "", "13812345678"]),
        "source": st.sampled_from([None, "web", "fair"]),
    },
)
KINDS = st.sampled_from(["transition", "transition", "transition", "update", "update_state"])
ACTORS = st.sampled_from(["admin", "member", "other"])


def roles_of(actor: Actor, record: Record) -> set[str]:
    roles = {"admin", "member"} if actor.role == "admin" else {actor.role}
    return roles | ({"owner"} if record.owner_id == actor.user_id else set())


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(definition=definitions(), data=st.data())
def test_no_call_changes_a_state_without_roles_and_guard(
    session: Session,
    admin: Actor,
    member: Actor,
    other_member: Actor,
    crm: App,
    definition: dict[str, Any],
    data: st.DataObject,
) -> None:
    form = forms.create_form(session, admin, crm, f"f{next(_forms)}", {"en": "F"}, {"fields": FIELDS})
    forms.publish(session, admin, form, confirm=True)
    workflows.save_draft(session, admin, form, definition)
    workflows.publish(session, admin, form)
    actors = {"admin": admin, "member": member, "other": other_member}
    record = create_record(session, member, form, {})
    by_key = {item["key"]: item for item in definition["transitions"]}
    keys = st.sampled_from([*by_key, "t99"])
    for _call in range(data.draw(st.integers(1, 8), label="calls")):
        kind, who, key, changes = data.draw(st.tuples(KINDS, ACTORS, keys, CHANGES), label="call")
        actor = actors[who]
        before = (record.state, record.version)
        try:
            if kind == "transition":
                transition_record(
                    session, actor, form, record.id, key, expected_version=record.version, changes=changes
                )
            elif kind == "update":
                update_record(session, actor, form, record.id, changes, record.version)
            else:
                update_record(session, actor, form, record.id, {**changes, "state": "s1"}, record.version)
        except FormflowError as error:
            event(f"refused {error.status}")
            assert error.status in (403, 404, 409, 422), error
            session.expire_all()
            record = session.get(Record, record.id)
            assert (record.state, record.version) == before
            continue
        session.expire_all()
        record = session.get(Record, record.id)
        if record.state == before[0]:
            continue
        event("state changed")
        assert kind == "transition", (kind, before, record.state)
        transition = by_key[key]
        assert before[0] in transition["from"] and record.state == transition["to"]
        assert not transition["roles"] or set(transition["roles"]) & roles_of(actor, record)
        if transition["guard"] is not None:
            condition = tree.parse(transition["guard"], FIELD_OBJECTS)
            values = conditions_python.record_values(record)
            assert conditions_python.evaluate(condition, values, EvaluationContext(user_id=actor.user_id))
