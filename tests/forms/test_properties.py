"""Property tests of validate: random valid values pass; a random invalid one is reported on its field."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from formflow.errors import ValidationFailed
from formflow.fields import registry
from formflow.fields.base import FieldContext, FieldType
from formflow.forms.definition import check_definition
from formflow.forms.validation import CompiledForm, compile_form, validate

#: types whose sample inputs can be used alone (computed types are refused as input by design)
INPUT_TYPES: list[FieldType] = [item for item in registry if not item.computed]
OPTIONS = [{"value": value, "label": {"en": value.title()}} for value in ("new", "won", "lost")]

#: one field per input type, configured like its conformance examples
EXAMPLE_FORM = {"fields": [{"key": f"f_{item.name}", "type": item.name, "label": {"en": item.name.title()},
                            **item.examples.config} for item in INPUT_TYPES]}

#: fields whose values hypothesis generates from scratch
GENERATED_FORM = {"fields": [
    {"key": "name", "type": "text", "label": {"en": "Name"}, "max_length": 30},
    {"key": "amount", "type": "number", "label": {"en": "Amount"}, "min": -1000, "max": 1000},
    {"key": "count", "type": "integer", "label": {"en": "Count"}, "min": 0, "max": 10_000},
    {"key": "price", "type": "currency", "label": {"en": "Price"}},
    {"key": "stage", "type": "select", "label": {"en": "Stage"}, "options": OPTIONS},
    {"key": "tags", "type": "multiselect", "label": {"en": "Tags"}, "options": OPTIONS},
    {"key": "day", "type": "date", "label": {"en": "Day"}},
    {"key": "won", "type": "boolean", "label": {"en": "Won"}},
    {"key": "score", "type": "rating", "label": {"en": "Score"}, "max": 5},
    {"key": "email", "type": "email", "label": {"en": "Email"}},
    {"key": "phone", "type": "phone", "label": {"en": "Phone"}},
]}

WORDS = st.text(alphabet=st.characters(categories=("L", "N")), min_size=1, max_size=30)
VALID: dict[str, st.SearchStrategy[Any]] = {
    "name": WORDS,
    "amount": st.integers(-1000, 1000) | st.decimals(-1000, 1000, places=2).map(str),
    "count": st.integers(0, 10_000) | st.integers(0, 10_000).map(str),
    "price": st.decimals(-(10**9), 10**9, places=2).map(str),
    "stage": st.sampled_from(["new", "won", "lost"]),
    "tags": st.lists(st.sampled_from(["new", "won", "lost"]), min_size=1, max_size=3, unique=True),
    "day": st.dates(date(1900, 1, 1), date(2199, 12, 31)).map(date.isoformat),
    "won": st.booleans(),
    "score": st.integers(1, 5),
    "email": st.from_regex(r"[a-z][a-z0-9]{0,9}@[a-z]{1,10}\.(com|org|cn)", fullmatch=True),
    "phone": st.tuples(st.sampled_from(["138", "139", "186", "159", "137"]),
                       st.integers(0, 10**8 - 1)).map(lambda parts: f"{parts[0]}{parts[1]:08d}"),
}
INVALID: dict[str, st.SearchStrategy[Any]] = {
    "name": st.text(alphabet="abc", min_size=31, max_size=60),
    "amount": st.integers(1001, 10**9) | st.integers(-(10**9), -1001) | st.sampled_from(["abc", "1..2"]),
    "count": st.integers(10_001, 10**9) | st.integers(-(10**9), -1) | st.just(1.5),
    "price": st.decimals(0, 1000, places=3).filter(lambda value: value != value.quantize(Decimal("0.01")))
    .map(str),
    "stage": WORDS.filter(lambda value: value.lower() not in ("new", "won", "lost")),
    "tags": st.lists(st.sampled_from(["new", "nope"]), min_size=2, max_size=2, unique=True),
    "day": st.sampled_from(["2026-02-30", "2026-13-01", "someday"]),
    "won": st.sampled_from(["maybe", 2, [True]]),
    "score": st.integers(6, 100) | st.integers(-100, 0),
    "email": WORDS,
    "phone": st.integers(0, 99_999).map(str),
}


@pytest.fixture(scope="module")
def example_form() -> CompiledForm:
    check_definition(EXAMPLE_FORM)
    return compile_form(EXAMPLE_FORM)


@pytest.fixture(scope="module")
def generated_form() -> CompiledForm:
    check_definition(GENERATED_FORM)
    return compile_form(GENERATED_FORM)


def error_fields(compiled: CompiledForm, data: dict[str, Any]) -> set[str]:
    """The top-level keys ``validate`` reports errors on (empty when it accepts ``data``)."""
    try:
        validate(compiled, data, FieldContext(locale="en"))
    except ValidationFailed as failure:
        return {error.field.split(".", 1)[0] for error in failure.errors}
    return set()


PROPERTY_SETTINGS = settings(max_examples=80, deadline=None,
                             suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPERTY_SETTINGS
@given(data=st.data())
def test_sample_valid_inputs_of_every_type_validate(example_form: CompiledForm, data: st.DataObject) -> None:
    record = {f"f_{item.name}": data.draw(st.sampled_from(item.examples.valid), label=item.name)
              for item in INPUT_TYPES if data.draw(st.booleans(), label=f"include {item.name}")}
    assert error_fields(example_form, record) == set()


@PROPERTY_SETTINGS
@given(data=st.data())
def test_a_sample_invalid_input_is_reported_on_its_field_only(example_form: CompiledForm,
                                                              data: st.DataObject) -> None:
    bad = data.draw(st.sampled_from(INPUT_TYPES), label="bad type")
    record = {f"f_{item.name}": data.draw(st.sampled_from(item.examples.valid), label=item.name)
              for item in INPUT_TYPES}
    record[f"f_{bad.name}"] = data.draw(st.sampled_from(bad.examples.invalid), label="invalid")
    assert error_fields(example_form, record) == {f"f_{bad.name}"}


@PROPERTY_SETTINGS
@given(record=st.fixed_dictionaries({}, optional=VALID))
def test_generated_valid_values_validate(generated_form: CompiledForm, record: dict[str, Any]) -> None:
    clean = validate(generated_form, record, FieldContext(locale="en"))
    assert set(clean) == set(record)
    stored = {key: value for key, value in clean.items() if value is not None}
    assert generated_form.validator.is_valid(stored)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_generated_invalid_value_is_reported_on_its_field(generated_form: CompiledForm,
                                                          data: st.DataObject) -> None:
    key = data.draw(st.sampled_from(sorted(INVALID)), label="bad field")
    record = data.draw(st.fixed_dictionaries({}, optional=VALID), label="valid rest")
    record[key] = data.draw(INVALID[key], label="invalid value")
    assert error_fields(generated_form, record) == {key}


@PROPERTY_SETTINGS
@given(data=st.data())
def test_every_invalid_value_is_reported_at_once(generated_form: CompiledForm, data: st.DataObject) -> None:
    keys = data.draw(st.sets(st.sampled_from(sorted(INVALID)), min_size=1), label="bad fields")
    record = {key: data.draw(INVALID[key], label=key) for key in keys}
    assert error_fields(generated_form, record) == keys


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: (st.lists(children, max_size=3)
                      | st.dictionaries(st.text(max_size=5), children, max_size=3)),
    max_leaves=8)


@PROPERTY_SETTINGS
@given(data=st.data())
def test_fast_schema_check_never_accepts_what_the_python_validator_refuses(example_form: CompiledForm,
                                                                         data: st.DataObject) -> None:
    # validate() skips the Python validator when jsonschema-rs says "valid": that is only sound if
    # jsonschema-rs is at least as strict on every value a record can hold
    record: dict[str, Any] = {}
    for item in INPUT_TYPES:
        key = f"f_{item.name}"
        coerced = [item.coerce(example_form.fields[key], value, FieldContext(locale="en"))
                   for value in item.examples.valid]
        record[key] = data.draw(st.sampled_from([value for value in coerced if value is not None])
                                | JSON_VALUES, label=key)
    if example_form.fast_validator.is_valid(record):
        assert example_form.validator.is_valid(record)
