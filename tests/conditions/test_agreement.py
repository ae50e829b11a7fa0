"""Python and SQL agree on random trees and records; bad trees are refused with their path; SQL is safe."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from condition_helpers import RecordStore
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.dialects import mysql, postgresql, sqlite
from sqlalchemy.exc import CompileError

from formflow.conditions.context import PERIODS, EvaluationContext
from formflow.conditions.operators import (
    DaysOperand,
    ListOperand,
    NoOperand,
    PairOperand,
    PeriodOperand,
)
from formflow.conditions.operators import registry as operators
from formflow.conditions.python import evaluate
from formflow.conditions.sql import compile
from formflow.conditions.tree import SYSTEM_FIELDS, parse
from formflow.errors import ValidationFailed
from formflow.fields.keys import RESERVED
from formflow.fields.sql import dialect as json_access
from formflow.i18n import use_locale
from formflow.records.models import Record

NOW = datetime(2026, 11, 25, 4, tzinfo=UTC)
USERS = [6, 7, 8, 9, 10, 11]
TEXTS = ["", " ", "a", "A", "ab", "Acme", "acme corp", "100%", "a_b", "x!y", "É", "é", "CAFÉ", "科技",
         "O'Brien"]
SUBSTRINGS = ["", "a", "A", "ac", "%", "_", "!", "é", "É", "cme", "科", "'", "corp", "x!"]
STAGES = ["new", "contacting", "won", "lost", "New"]
TAGS = ["a", "b", "c", "vip", "new", "%", "VIP"]
REGIONS = [{}, {"province": "44"}, {"province": "44", "city": "4403"},
           {"province": "44", "city": "4403", "district": "440305"},
           {"province": "11", "city": "1101", "district": "110101"}]
CODES = ["44", "4403", "440305", "11", "110101", "4"]


def _decimal(cents: int) -> str:
    return str(Decimal(cents).scaleb(-2))


def _instant(seconds: int) -> str:
    return (NOW + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


DAYS = 24 * 3600
#: one stored (non-empty) value of each field
STORED: dict[str, st.SearchStrategy[Any]] = {
    "name": st.sampled_from(TEXTS),
    "stage": st.sampled_from(STAGES),
    "amount": st.integers(-500, 500).map(_decimal),
    "score": st.one_of(st.integers(-5, 5), st.integers(-50, 50).map(lambda tenths: tenths / 10)),
    "qty": st.integers(-3, 3),
    "active": st.booleans(),
    "due": st.integers(-120, 120).map(lambda days: (date(2026, 11, 25) + timedelta(days=days)).isoformat()),
    "meeting": st.integers(-120 * DAYS, 120 * DAYS).map(_instant),
    "tags": st.lists(st.sampled_from(TAGS), unique=True, max_size=3),
    "assignee": st.sampled_from(USERS),
    "contacts": st.lists(st.integers(1, 6), unique=True, max_size=3),
    "region": st.sampled_from(REGIONS),
    "owner": st.sampled_from(USERS),
    "created_by": st.sampled_from(USERS),
    "state": st.sampled_from(["open", "pending", "closed", ""]),
    "created_at": st.integers(-120 * DAYS, 120 * DAYS).map(_instant),
}
#: one operand of each field (an element, for lists)
OPERANDS: dict[str, st.SearchStrategy[Any]] = {
    **STORED,
    "tags": st.sampled_from(TAGS),
    "contacts": st.integers(0, 7),
    "region": st.sampled_from(CODES),
    "state": st.sampled_from(["open", "pending", "closed"]),
}
#: text operands of contains / starts_with
SUBSTRING_OPERANDS = {"contains", "starts_with"}


#: keys every record has a value for (NOT NULL columns)
ALWAYS_STORED = frozenset({"created_at"})


@st.composite
def records(draw: st.DrawFn) -> dict[str, Any]:
    """A record: each field stored, null, or missing."""
    data = {}
    for key, values in STORED.items():
        choices = ["value"] if key in ALWAYS_STORED else ["value", "value", "null", "gone"]
        choice = draw(st.sampled_from(choices))
        if choice != "gone":
            data[key] = draw(values) if choice == "value" else None
    return data


def _kind(store: RecordStore, key: str) -> str:
    return SYSTEM_FIELDS.get(key) or store.fields[key].value_kind


@st.composite
def leaves(draw: st.DrawFn, store: RecordStore) -> dict[str, Any]:
    """A valid leaf on a random field with a random operator for its kind."""
    key = draw(st.sampled_from(sorted(STORED)))
    kind = _kind(store, key)
    operator = draw(st.sampled_from([op for op in operators if kind in op.kinds]))
    leaf: dict[str, Any] = {"field": key, "op": operator.name}
    shape = operator.operand
    scalar = OPERANDS[key]
    if operator.name in SUBSTRING_OPERANDS and kind == "text":
        scalar = st.sampled_from(SUBSTRINGS)
    user_ids = kind in ("integer", "list") and key in ("assignee", "owner", "created_by", "contacts")
    if user_ids:
        scalar = st.one_of(scalar, st.just({"var": "me"}))
    if isinstance(shape, NoOperand):
        return leaf
    if isinstance(shape, PairOperand):
        leaf["value"] = draw(st.lists(OPERANDS[key], min_size=2, max_size=2))
    elif isinstance(shape, ListOperand):
        items = st.lists(scalar, max_size=3)
        leaf["value"] = draw(st.one_of(items, st.just({"var": "my_team"})) if user_ids else items)
    elif isinstance(shape, PeriodOperand):
        leaf["value"] = draw(st.sampled_from(list(PERIODS)))
    elif isinstance(shape, DaysOperand):
        leaf["value"] = draw(st.integers(0, 40))
    else:
        leaf["value"] = draw(scalar)
    return leaf


def trees(store: RecordStore, depth: int) -> st.SearchStrategy[dict[str, Any]]:
    """Random trees up to ``depth`` levels of groups above the leaves."""
    if depth == 0:
        return leaves(store)
    below = trees(store, depth - 1)
    return st.one_of(
        leaves(store),
        st.lists(below, max_size=3).map(lambda children: {"all": children}),
        st.lists(below, max_size=3).map(lambda children: {"any": children}),
        below.map(lambda child: {"not": child}),
    )


contexts = st.builds(
    EvaluationContext,
    user_id=st.sampled_from([7, 8, None]),
    team_user_ids=st.sampled_from([(), (7, 8), (8, 9, 10)]),
    timezone=st.sampled_from(["Asia/Shanghai", "UTC", "America/New_York"]),
    now=st.integers(-10 * DAYS, 10 * DAYS).map(lambda seconds: NOW + timedelta(seconds=seconds)),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_python_and_sql_agree_on_random_trees_and_records(store: RecordStore, data: st.DataObject) -> None:
    tree = data.draw(trees(store, 3), label="tree")
    rows = data.draw(st.lists(records(), min_size=1, max_size=6), label="records")
    context = data.draw(contexts, label="context")
    condition = parse(tree, store.fields)
    try:
        ids = [store.insert(row) for row in rows]
        expected = {record_id for record_id, row in zip(ids, rows, strict=True)
                    if evaluate(condition, row, context)}
        assert store.matching(condition, context, ids) == expected
    finally:
        store.session.rollback()


# --- parse errors --------------------------------------------------------------------------------

LEAF = {"field": "name", "op": "eq", "value": "x"}

ROOT, FIELD, OP, VALUE = "condition", "condition.field", "condition.op", "condition.value"
INVALID, FIELD_NAME = "condition_invalid", "condition_field_name"
UNKNOWN_OPERATOR, WRONG_KIND = "condition_unknown_operator", "condition_operator_kind"
BAD_VALUE = "condition_value"
BAD_TREES = [
    ("not an object", 5, ROOT, INVALID),
    ("a list at the top", [LEAF], ROOT, INVALID),
    ("all is not a list", {"all": LEAF}, "condition.all", INVALID),
    ("two groups in one node", {"all": [], "any": []}, ROOT, INVALID),
    ("a group beside a leaf", {"all": [], "field": "name", "op": "is_empty"}, ROOT, INVALID),
    ("an unknown node", {"every": []}, ROOT, INVALID),
    ("not of a list", {"not": [LEAF]}, "condition.not", INVALID),
    ("an extra key in a leaf", {**LEAF, "extra": 1}, "condition.extra", INVALID),
    ("an unknown operator", {**LEAF, "op": "like"}, OP, UNKNOWN_OPERATOR),
    ("a missing operator", {"field": "name", "value": "x"}, OP, UNKNOWN_OPERATOR),
    ("an operator that is not a string", {**LEAF, "op": ["eq"]}, OP, UNKNOWN_OPERATOR),
    ("an unknown field", {**LEAF, "field": "nope"}, "condition.field", "condition_unknown_field"),
    ("SQL in a field key", {**LEAF, "field": "name; DROP TABLE records"}, FIELD, FIELD_NAME),
    ("a JSON path as field key", {**LEAF, "field": "data->>'name'"}, FIELD, FIELD_NAME),
    ("a quoted field key", {**LEAF, "field": 'name"'}, FIELD, FIELD_NAME),
    ("a dotted field key", {**LEAF, "field": "region.city"}, FIELD, FIELD_NAME),
    ("an upper-case field key", {**LEAF, "field": "Name"}, FIELD, FIELD_NAME),
    ("an empty field key", {**LEAF, "field": ""}, FIELD, FIELD_NAME),
    ("a number as field key", {**LEAF, "field": 5}, FIELD, FIELD_NAME),
    ("a too long field key", {**LEAF, "field": "a" * 64}, FIELD, FIELD_NAME),
    ("contains on a decimal", {"field": "amount", "op": "contains", "value": 1}, OP, WRONG_KIND),
    ("gt on text", {"field": "name", "op": "gt", "value": "a"}, OP, WRONG_KIND),
    ("date_is on a number", {"field": "score", "op": "date_is", "value": "today"}, OP, WRONG_KIND),
    ("between on a boolean", {"field": "active", "op": "between", "value": [False, True]}, OP, WRONG_KIND),
    ("eq on a list", {"field": "tags", "op": "eq", "value": "a"}, OP, WRONG_KIND),
    ("starts_with on a list", {"field": "tags", "op": "starts_with", "value": "a"}, OP, WRONG_KIND),
    ("between with one value", {"field": "score", "op": "between", "value": [1]}, VALUE, BAD_VALUE),
    ("between with a scalar", {"field": "score", "op": "between", "value": 1}, VALUE, BAD_VALUE),
    ("between with a bad end", {"field": "score", "op": "between", "value": [1, "x"]}, f"{VALUE}.1",
     BAD_VALUE),
    ("in with a scalar", {"field": "stage", "op": "in", "value": "new"}, VALUE, BAD_VALUE),
    ("in with a bad item", {"field": "qty", "op": "in", "value": [1, "a"]}, f"{VALUE}.1", BAD_VALUE),
    ("in with too many values", {"field": "qty", "op": "in", "value": list(range(1001))}, VALUE, BAD_VALUE),
    ("within_last_days negative", {"field": "due", "op": "within_last_days", "value": -1}, VALUE, BAD_VALUE),
    ("within_last_days fraction", {"field": "due", "op": "within_last_days", "value": 1.5}, VALUE, BAD_VALUE),
    ("within_next_days boolean", {"field": "due", "op": "within_next_days", "value": True}, VALUE, BAD_VALUE),
    ("within_next_days string", {"field": "due", "op": "within_next_days", "value": "7"}, VALUE, BAD_VALUE),
    ("within_next_days huge", {"field": "due", "op": "within_next_days", "value": 10**9}, VALUE, BAD_VALUE),
    ("date_is unknown period", {"field": "due", "op": "date_is", "value": "someday"}, VALUE, BAD_VALUE),
    ("date_is a date", {"field": "due", "op": "date_is", "value": "2026-11-25"}, VALUE, BAD_VALUE),
    ("an impossible date", {"field": "due", "op": "eq", "value": "2026-02-30"}, VALUE, BAD_VALUE),
    ("a date with time", {"field": "due", "op": "eq", "value": "2026-11-25T00:00:00Z"}, VALUE, BAD_VALUE),
    ("a datetime with fractions", {"field": "meeting", "op": "gt", "value": "2026-11-25T04:00:00.5Z"},
     VALUE, BAD_VALUE),
    ("a datetime that is a date", {"field": "meeting", "op": "gt", "value": "2026-11-25"}, VALUE, BAD_VALUE),
    ("text eq a number", {"field": "name", "op": "eq", "value": 5}, VALUE, BAD_VALUE),
    ("eq without a value", {"field": "name", "op": "eq"}, VALUE, BAD_VALUE),
    ("is_empty with a value", {"field": "name", "op": "is_empty", "value": "x"}, VALUE, BAD_VALUE),
    ("boolean eq a string", {"field": "active", "op": "eq", "value": "true"}, VALUE, BAD_VALUE),
    ("number eq a boolean", {"field": "score", "op": "eq", "value": True}, VALUE, BAD_VALUE),
    ("integer eq a fraction", {"field": "qty", "op": "eq", "value": 1.5}, VALUE, BAD_VALUE),
    ("decimal eq a word", {"field": "amount", "op": "eq", "value": "ten"}, VALUE, BAD_VALUE),
    ("decimal eq an exponent", {"field": "amount", "op": "eq", "value": "1e400"}, VALUE, BAD_VALUE),
    ("decimal beyond NUMERIC(38)", {"field": "amount", "op": "gt", "value": 10**30}, VALUE, BAD_VALUE),
    ("integer beyond 64 bits", {"field": "qty", "op": "eq", "value": 2**63}, VALUE, BAD_VALUE),
    ("list element beyond 64 bits", {"field": "contacts", "op": "contains", "value": -(2**63) - 1}, VALUE,
     BAD_VALUE),
    ("a text operand too long for LIKE", {"field": "name", "op": "contains", "value": "%" * 2001}, VALUE,
     BAD_VALUE),
    ("an unknown variable", {"field": "owner", "op": "eq", "value": {"var": "you"}}, VALUE, BAD_VALUE),
    ("my_team as a scalar", {"field": "owner", "op": "eq", "value": {"var": "my_team"}}, VALUE, BAD_VALUE),
    ("me as a list", {"field": "owner", "op": "in", "value": {"var": "me"}}, VALUE, BAD_VALUE),
    ("me on a text field", {"field": "name", "op": "eq", "value": {"var": "me"}}, VALUE, BAD_VALUE),
    ("list contains an object", {"field": "tags", "op": "contains", "value": {"a": 1}}, VALUE, BAD_VALUE),
    ("a nested bad operator", {"all": [LEAF, {"any": [LEAF, {"not": {**LEAF, "op": "zz"}}]}]},
     "condition.all.1.any.1.not.op", UNKNOWN_OPERATOR),
]


@pytest.mark.parametrize(("tree", "path", "code"), [case[1:] for case in BAD_TREES],
                         ids=[case[0] for case in BAD_TREES])
def test_parse_refuses_bad_tree_naming_its_path(store: RecordStore, tree: Any, path: str, code: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse(tree, store.fields)
    assert (path, code) in [(error.field, error.code) for error in caught.value.errors]


def test_parse_paths_start_with_the_given_prefix(store: RecordStore) -> None:
    tree = {"all": [LEAF, LEAF, {**LEAF, "op": "zz"}]}
    with pytest.raises(ValidationFailed) as caught:
        parse(tree, store.fields, path="filter")
    assert [error.field for error in caught.value.errors] == ["filter.all.2.op"]


def test_parse_reports_every_problem_at_once(store: RecordStore) -> None:
    tree = {"any": [{**LEAF, "field": "nope"}, {**LEAF, "op": "zz"},
                    {"field": "qty", "op": "in", "value": [1, "a", "b"]}]}
    with pytest.raises(ValidationFailed) as caught:
        parse(tree, store.fields)
    assert [error.field for error in caught.value.errors] == [
        "condition.any.0.field", "condition.any.1.op", "condition.any.2.value.1", "condition.any.2.value.2"]


def test_parse_error_is_a_validation_failure_with_a_readable_message(store: RecordStore) -> None:
    with use_locale("en"), pytest.raises(ValidationFailed) as caught:
        parse({**LEAF, "field": "nope"}, store.fields)
    assert caught.value.status == 422
    assert caught.value.errors[0].message == "Unknown field nope."


def _nested(depth: int) -> dict[str, Any]:
    tree: dict[str, Any] = LEAF
    for _ in range(depth - 1):
        tree = {"not": tree}
    return tree


def test_parse_accepts_the_maximum_depth(store: RecordStore) -> None:
    assert parse(_nested(12), store.fields).field_keys() == {"name"}


def test_parse_refuses_one_level_too_deep(store: RecordStore) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse(_nested(13), store.fields)
    assert [error.code for error in caught.value.errors] == ["condition_too_deep"]


def test_parse_honours_a_smaller_max_depth(store: RecordStore) -> None:
    with pytest.raises(ValidationFailed):
        parse({"all": [{"any": [LEAF]}]}, store.fields, max_depth=2)


def test_parse_refuses_absurd_depth_without_recursing(store: RecordStore) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse(_nested(100_000), store.fields)
    assert caught.value.errors[0].code == "condition_too_deep"


def test_parse_accepts_the_maximum_node_count(store: RecordStore) -> None:
    parse({"all": [LEAF] * 499}, store.fields)


def test_parse_refuses_one_node_too_many(store: RecordStore) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse({"all": [LEAF] * 500}, store.fields)
    assert [error.code for error in caught.value.errors] == ["condition_too_large"]


def test_parse_refuses_a_huge_tree(store: RecordStore) -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse({"any": [{"all": [LEAF] * 1000}] * 1000}, store.fields)
    assert [error.code for error in caught.value.errors] == ["condition_too_large"]


def test_parse_accepts_field_definitions_and_kind_names() -> None:
    fields = {"name": {"key": "name", "type": "text"}, "amount": "decimal"}
    condition = parse({"all": [LEAF, {"field": "amount", "op": "gt", "value": 1}]}, fields)
    assert condition.field_keys() == {"name", "amount"}


def test_parse_refuses_a_field_of_unknown_type() -> None:
    with pytest.raises(ValidationFailed) as caught:
        parse(LEAF, {"name": {"key": "name", "type": "hologram"}})
    assert caught.value.errors[0].code == "condition_unknown_field"


def test_system_fields_are_reserved_field_keys() -> None:
    assert set(SYSTEM_FIELDS) <= RESERVED


def test_longest_text_operand_runs_on_the_database(store: RecordStore) -> None:
    condition = parse({"field": "name", "op": "contains", "value": "é%" * 1000}, store.fields)
    record_id = store.insert({"name": "x" + "é%" * 1000})
    try:
        assert store.matching(condition, EvaluationContext(now=NOW), [record_id]) == {record_id}
    finally:
        store.session.rollback()


def test_largest_integer_operand_runs_on_the_database(store: RecordStore) -> None:
    condition = parse({"field": "contacts", "op": "in", "value": [2**63 - 1, -(2**63)]}, store.fields)
    record_id = store.insert({"contacts": [1]})
    try:
        assert store.matching(condition, EvaluationContext(now=NOW), [record_id]) == set()
    finally:
        store.session.rollback()


OBJECTS = [(None, True), ({}, True), ({"a": 1}, False), ({"a": None}, False)]


@pytest.mark.parametrize(("stored", "empty"), OBJECTS, ids=["null", "{}", "a key", "null key"])
def test_object_kind_emptiness_agrees_in_python_and_sql(store: RecordStore, stored: Any, empty: bool) -> None:
    dialect_name = store.session.get_bind().dialect.name
    columns = {"place": (json_access(dialect_name).json(Record.data, ("place",)), "object")}
    context = EvaluationContext(now=NOW)
    for op, expected in (("is_empty", empty), ("is_not_empty", not empty)):
        condition = parse({"field": "place", "op": op}, {"place": "object"})
        record_id = store.insert({"place": stored})
        try:
            assert evaluate(condition, {"place": stored}, context) is expected
            matched = store.session.scalars(select(Record.id).where(
                Record.id == record_id, compile(condition, columns, context))).all()
            assert (matched == [record_id]) is expected
        finally:
            store.session.rollback()


def test_system_fields_need_no_definition() -> None:
    condition = parse({"field": "created_at", "op": "date_is", "value": "today"}, {})
    assert condition.field_keys() == {"created_at"}


# --- SQL safety ----------------------------------------------------------------------------------

HOSTILE = "ZZ'; DROP TABLE records; --\"%_!\\"
HOSTILE_LEAVES = [
    {"field": "name", "op": "eq", "value": HOSTILE},
    {"field": "name", "op": "ne", "value": HOSTILE},
    {"field": "name", "op": "in", "value": [HOSTILE, "x"]},
    {"field": "name", "op": "not_in", "value": [HOSTILE]},
    {"field": "name", "op": "contains", "value": HOSTILE},
    {"field": "name", "op": "starts_with", "value": HOSTILE},
    {"field": "tags", "op": "contains", "value": HOSTILE},
    {"field": "tags", "op": "in", "value": [HOSTILE]},
    {"field": "state", "op": "eq", "value": HOSTILE},
]


@pytest.mark.parametrize("dialect", [sqlite.dialect(), postgresql.dialect()], ids=["sqlite", "postgresql"])
@pytest.mark.parametrize("leaf", HOSTILE_LEAVES, ids=lambda leaf: f"{leaf['field']}-{leaf['op']}")
def test_values_are_bound_parameters(store: RecordStore, leaf: dict[str, Any], dialect: Any) -> None:
    clause = compile(parse(leaf, store.fields), store.columns, EvaluationContext(now=NOW))
    compiled = select(Record.id).where(clause).compile(dialect=dialect)
    assert "drop" not in str(compiled).lower()
    assert any("drop table" in str(value).lower() for value in compiled.params.values())


def test_hostile_value_is_matched_literally(store: RecordStore) -> None:
    try:
        hostile_id = store.insert({"name": f"before {HOSTILE} after"})
        other_id = store.insert({"name": "ZZ"})
        condition = parse({"field": "name", "op": "contains", "value": HOSTILE}, store.fields)
        assert store.matching(condition, EvaluationContext(now=NOW), [hostile_id, other_id]) == {hostile_id}
    finally:
        store.session.rollback()


def test_compile_parses_a_raw_tree_against_the_columns(store: RecordStore) -> None:
    with pytest.raises(ValidationFailed) as caught:
        compile({"field": "name) OR (1=1", "op": "eq", "value": "x"}, store.columns,
                EvaluationContext(now=NOW))
    assert caught.value.errors[0].field == "condition.field"


def test_compile_refuses_an_unsupported_database(store: RecordStore) -> None:
    clause = compile({"field": "tags", "op": "contains", "value": "a"}, store.columns,
                     EvaluationContext(now=NOW))
    with pytest.raises(CompileError):
        select(Record.id).where(clause).compile(dialect=mysql.dialect())


def test_compile_names_a_field_without_column(store: RecordStore) -> None:
    condition = parse(LEAF, store.fields)
    with pytest.raises(KeyError, match="name"):
        compile(condition, {}, EvaluationContext(now=NOW))
