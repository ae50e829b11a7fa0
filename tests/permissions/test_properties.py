"""Property: whatever the roles, scopes and field-access grids, no output path ever shows a hidden value
or an out-of-scope record.

hypothesis draws the rep role's grants (scopes, including a condition) on both forms, a field-access
grid per state, an acting user and the query parameters; the records (owners across a department
tree, a pool, two states, revisions, comments, relations) are made once per test. Each example then
asks every output path that exists (records.queries lists with filter, sort and search, counts,
get_record, revisions, comments, relation titles, and the API's list, detail and revisions) and
compares with an independent oracle computed in Python.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import update

from formflow.accounts import tokens
from formflow.accounts.models import User
from formflow.errors import BadRequest, NotFound, ValidationFailed
from formflow.permissions import pools
from formflow.permissions import service as permissions
from formflow.permissions.masking import masked_value
from formflow.records.models import Record
from formflow.records.queries import (
    RecordQuery,
    get_record,
    list_comments,
    list_revisions,
    query_records,
)
from formflow.records.service import add_comment, create_record, update_record

#: lead fields the grids vary (``name`` too: a hidden title must hide relation titles and search)
GRID_FIELDS = ("name", "phone", "email", "amount", "cost", "notes")
SCOPES = ("none", "own", "team", "subordinates", "all", "condition")
LEVELS = ("hidden", "masked", "read", "write")
THRESHOLDS = (50_000, 50_030, 50_060)
RECORDS = 12
#: timestamps are left out of the dumps searched for secrets (digits could repeat by chance)
TIMES = ("created_at", "updated_at", "deleted_at")


@dataclass
class World:
    """What the fixture made: users by index, leads with their facts, customers, API tokens."""

    people: list[Any]
    tokens: list[str]
    leads: list[dict[str, Any]]
    customers: list[dict[str, Any]]
    departments: dict[int, set[int]]


@pytest.fixture
def world(session, admin, leads, customers, make_person, make_department, workspace) -> World:
    boss = make_person("rep")
    sales = make_department("Sales", manager=boss)
    east = make_department("East", parent=sales)
    support = make_department("Support")
    near, far, other = (make_person("rep", sales), make_person("rep", east), make_person("rep", support))
    people = [make_person.reload(person.user_id) for person in (boss, near, far, other)]
    owners = [person.user_id for person in people] + [admin.user_id, None]
    permissions.create_pool(session, admin, leads, "east", {"en": "East"}, member_roles=["rep"])
    made_customers = []
    for index in range(4):
        customer = create_record(session, admin, customers, {"name": f"c{index:03d}cust",
                                                             "phone": f"+861390000{index:04d}"})
        owner = owners[index % 4] if index % 2 else admin.user_id
        session.execute(update(Record).where(Record.id == customer.id).values(owner_id=owner))
        made_customers.append({"id": customer.id, "owner": owner, "name": f"c{index:03d}cust"})
    made = []
    for index in range(RECORDS):
        values = {"name": f"l{index:03d}lead", "phone": f"+861380000{index:04d}",
                  "email": f"e{index:03d}@tok.example", "amount": 50_000 + index * 7,
                  "cost": 7_000_000 + index * 1_001, "notes": f"n{index:03d}notes",
                  "customer": made_customers[index % 4]["id"]}
        lead = create_record(session, admin, leads, values)
        update_record(session, admin, leads, lead.id, {"notes": f"n{index:03d}notes m{index:03d}more"}, 1)
        add_comment(session, admin, leads, lead.id, f"comment on {index}")
        owner = owners[index % len(owners)]
        state = "won" if index % 3 == 0 else None
        if owner is None:
            pools.move_to_pool(session, admin, leads, lead.id, "east", "unassigned")
        else:
            session.execute(update(Record).where(Record.id == lead.id).values(owner_id=owner))
        session.execute(update(Record).where(Record.id == lead.id).values(state=state))
        session.commit()
        values["notes"] = f"n{index:03d}notes m{index:03d}more"
        made.append({"id": lead.id, "owner": owner, "state": state, "values": values,
                     "old_notes": f"n{index:03d}notes"})
    user_tokens = [tokens.create_token(session, session.get(User, person.user_id), workspace, "t")[1]
                   for person in people]
    members = {sales.id: {boss.user_id, near.user_id}, east.id: {far.user_id}, support.id: {other.user_id}}
    return World(people, user_tokens, made, made_customers, members)


def in_scope(scope: str, threshold: int, actor: Any, owner: int | None, amount: int | None) -> bool:
    """The oracle of a record scope, from the facts the fixture set up."""
    if scope == "all":
        return True
    if scope == "own":
        return owner == actor.user_id
    if scope == "team":
        return owner in actor.team_user_ids
    if scope == "subordinates":
        return owner in actor.subordinate_user_ids
    if scope == "condition":
        return amount is not None and amount >= threshold
    return False


grids = st.fixed_dictionaries({key: st.sampled_from(LEVELS) for key in GRID_FIELDS})
overrides = st.dictionaries(st.sampled_from(GRID_FIELDS), st.sampled_from(LEVELS), max_size=3)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(lead_scope=st.sampled_from(SCOPES), threshold=st.sampled_from(THRESHOLDS),
       customer_scope=st.sampled_from(SCOPES[:5]), customer_name=st.sampled_from(LEVELS),
       grid=grids, won=overrides, who=st.integers(0, 3), sort_key=st.sampled_from(GRID_FIELDS),
       filter_key=st.sampled_from(GRID_FIELDS), search_index=st.integers(0, RECORDS - 1),
       probe=st.integers(0, RECORDS - 1))
def test_no_output_path_shows_a_hidden_value_or_an_out_of_scope_record(
        session, client, admin, leads, customers, world, lead_scope, threshold, customer_scope, customer_name,
        grid, won, who, sort_key, filter_key, search_index, probe):
    condition = {"field": "amount", "op": "gte", "value": threshold}
    permissions.set_permissions(session, admin, leads, "rep", {
        "read": {"condition": condition} if lead_scope == "condition" else lead_scope})
    permissions.set_field_access(session, admin, leads, "rep", grid)
    permissions.set_field_access(session, admin, leads, "rep", {key: grid[key] for key in GRID_FIELDS}, "won")
    permissions.set_field_access(session, admin, leads, "rep", won, "won")
    permissions.set_permissions(session, admin, customers, "rep", {"read": customer_scope})
    permissions.set_field_access(session, admin, customers, "rep", {"name": customer_name})
    actor = world.people[who]
    levels = {None: dict(grid), "won": {**grid, **won}}
    queryable = {key for key in GRID_FIELDS
                 if all(level[key] in ("read", "write") for level in levels.values())}

    def lead_visible(lead: dict[str, Any]) -> bool:
        pooled = lead["owner"] is None
        return pooled or in_scope(lead_scope, threshold, actor, lead["owner"], lead["values"]["amount"])

    expected = {lead["id"] for lead in world.leads if lead_visible(lead)}
    by_id = {lead["id"]: lead for lead in world.leads}
    customer_titles = {customer["id"]: customer["name"] for customer in world.customers
                       if in_scope(customer_scope, threshold, actor, customer["owner"], None)
                       and customer_name in ("read", "write")}

    def check_record(item: dict[str, Any]) -> None:
        lead = by_id[item["id"]]
        level = levels[lead["state"]]
        dump = json.dumps({key: value for key, value in item.items() if key not in TIMES})
        for key in GRID_FIELDS:
            value = lead["values"][key]
            if level[key] in ("read", "write"):
                assert item["data"][key] == value
                continue
            assert str(value) not in dump and str(value).removeprefix("+86") not in dump
            if level[key] == "masked":
                assert item["data"][key] == masked_value(leads_fields[key], value)
            else:
                assert key not in item["data"]
        assert (lead["old_notes"] in dump) == (level["notes"] in ("read", "write"))
        titles = item["titles"].get("customer", {})
        customer_id = lead["values"]["customer"]
        assert titles == ({str(customer_id): customer_titles[customer_id]} if customer_id in customer_titles
                          else {})

    from formflow.records.access import current_version

    leads_fields = current_version(session, leads).fields

    # lists, counts and sorts
    page = query_records(session, actor, leads, RecordQuery(limit=100))
    assert {item["id"] for item in page.items} == expected and page.total == len(expected)
    for item in page.items:
        check_record(item)
    if sort_key in queryable:
        sorted_page = query_records(session, actor, leads, RecordQuery(sort=[sort_key], limit=100))
        assert [item["id"] for item in sorted_page.items] == sorted(
            expected, key=lambda record_id: (by_id[record_id]["values"][sort_key], record_id))
    else:
        with pytest.raises(BadRequest):
            query_records(session, actor, leads, RecordQuery(sort=[sort_key]))
    # filters: a hidden field is unknown, never an oracle
    tree = {"field": filter_key, "op": "is_not_empty"}
    if filter_key in queryable:
        assert {item["id"] for item in query_records(session, actor, leads, RecordQuery(filter=tree)).items} \
            == expected
    else:
        with pytest.raises(ValidationFailed):
            query_records(session, actor, leads, RecordQuery(filter=tree))
    # search: a hit only through a field readable in every state
    target = world.leads[search_index]
    hits = {item["id"] for item in query_records(session, actor, leads,
                                                 RecordQuery(search=target["old_notes"])).items}
    assert hits == ({target["id"]} & expected if "notes" in queryable else set())
    name_hits = {item["id"] for item in query_records(session, actor, leads,
                                                      RecordQuery(search=target["values"]["name"])).items}
    assert name_hits == ({target["id"]} & expected if "name" in queryable else set())
    # one record, its history and comments
    for lead in world.leads:
        if lead["id"] in expected:
            check_record(get_record(session, actor, leads, lead["id"]))
            level = levels[lead["state"]]
            for revision in list_revisions(session, actor, leads, lead["id"]):
                readable = {key for key, access in level.items() if access in ("read", "write")}
                assert set(revision["diff"]) <= readable | {"customer", "stage", "owner", "pool", "state"}
            assert list_comments(session, actor, leads, lead["id"])[0]["body"].startswith("comment on")
        else:
            for read in (get_record, list_revisions, list_comments):
                with pytest.raises(NotFound):
                    read(session, actor, leads, lead["id"])
    # the API as the same user
    headers = {"Authorization": f"Bearer {world.tokens[who]}"}
    listed = client.get(f"/api/v1/forms/{leads.id}/records?limit=100", headers=headers).get_json()
    assert {item["id"] for item in listed["items"]} == expected
    for item in listed["items"]:
        check_record(item)
    probed = world.leads[probe]
    detail = client.get(f"/api/v1/forms/{leads.id}/records/{probed['id']}", headers=headers)
    history = client.get(f"/api/v1/forms/{leads.id}/records/{probed['id']}/revisions", headers=headers)
    if probed["id"] in expected:
        check_record(detail.get_json())
        hidden = [probed["values"][key] for key, access in levels[probed["state"]].items()
                  if access not in ("read", "write")]
        dump = json.dumps(history.get_json()["items"])
        assert not any(str(value) in dump for value in hidden)
    else:
        assert (detail.status_code, history.status_code) == (404, 404)
