"""Every vector in vectors.json through the Python evaluator and through SQL on the real database."""

from __future__ import annotations

from typing import Any

import jsonschema
import pytest
from condition_helpers import RecordStore, context_of, definition, vector_fields, vectors, vectors_file

from formflow.conditions.context import PERIODS
from formflow.conditions.kinds import registry as kinds
from formflow.conditions.operators import registry as operators
from formflow.conditions.python import evaluate
from formflow.conditions.tree import SYSTEM_FIELDS, parse, schema
from formflow.fields.base import Field

#: record ids the SQL test gives vectors whose data sets no id
FIRST_RECORD_ID = 100_000

VECTORS = vectors()
IDS = [vector["description"] for vector in VECTORS]


def _leaves(tree: dict[str, Any]) -> list[dict[str, Any]]:
    if "field" in tree:
        return [tree]
    if "not" in tree:
        return _leaves(tree["not"])
    return [leaf for child in next(iter(tree.values())) for leaf in _leaves(child)]


def test_vector_descriptions_are_unique() -> None:
    assert len(set(IDS)) == len(IDS)


def test_vectors_have_the_documented_shape() -> None:
    for vector in VECTORS:
        assert set(vector) == {"description", "data", "condition", "context", "expected"}, vector
        assert set(vector["context"]) == {"user", "team", "timezone", "now"}, vector
        assert isinstance(vector["expected"], bool), vector


def test_vectors_cover_every_operator() -> None:
    used = {leaf["op"] for vector in VECTORS for leaf in _leaves(vector["condition"])}
    assert used == set(operators.names())


def test_vectors_cover_every_period() -> None:
    used = {leaf["value"] for vector in VECTORS for leaf in _leaves(vector["condition"])
            if leaf["op"] == "date_is"}
    assert used == set(PERIODS)


def test_vectors_cover_every_field_and_kind() -> None:
    used = {leaf["field"] for vector in VECTORS for leaf in _leaves(vector["condition"])}
    declared = {field["key"] for field in vectors_file()["fields"]}
    assert declared <= used
    kinds_used = {field.value_kind for key, field in vector_fields().items() if key in used}
    kinds_used |= {SYSTEM_FIELDS[key] for key in used & set(SYSTEM_FIELDS)}
    assert kinds_used >= set(kinds.names()) - {"object"}


def test_vectors_expect_both_outcomes_for_each_operator() -> None:
    outcomes: dict[str, set[bool]] = {}
    for vector in VECTORS:
        if "field" in vector["condition"]:
            outcomes.setdefault(vector["condition"]["op"], set()).add(vector["expected"])
    assert all(seen == {True, False} for seen in outcomes.values()), outcomes


@pytest.mark.parametrize("field", vectors_file()["fields"], ids=lambda field: field["key"])
def test_declared_kind_is_the_field_types_kind(field: dict[str, Any]) -> None:
    assert Field(definition(field)).value_kind == field["kind"]


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_vector_condition_matches_the_json_schema(vector: dict[str, Any]) -> None:
    jsonschema.Draft202012Validator(schema()).validate(vector["condition"])


@pytest.mark.parametrize("vector", VECTORS, ids=IDS)
def test_python_evaluator(vector: dict[str, Any]) -> None:
    condition = parse(vector["condition"], vector_fields())
    assert evaluate(condition, vector["data"], context_of(vector)) is vector["expected"]


@pytest.fixture(scope="module")
def vector_records(store: RecordStore) -> list[int]:
    """Every vector's record, stored once; the record id of each vector, in file order."""
    ids = [store.insert(vector["data"], record_id=FIRST_RECORD_ID + index)
           for index, vector in enumerate(VECTORS)]
    store.session.commit()
    return ids


@pytest.mark.parametrize("index", range(len(VECTORS)), ids=IDS)
def test_sql_evaluator(index: int, store: RecordStore, vector_records: list[int]) -> None:
    vector = VECTORS[index]
    condition = parse(vector["condition"], store.fields)
    record_id = vector_records[index]
    matched = store.matching(condition, context_of(vector), [record_id])
    assert (record_id in matched) is vector["expected"]
