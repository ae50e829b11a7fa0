"""Formulas: the safe expression language, evaluation semantics, dependencies and cycles."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from formflow.errors import ValidationFailed
from formflow.fields.base import Field, FieldContext
from formflow.fields.computed import compute, formula_cycles, formula_order
from formflow.fields.expressions import FormulaSyntaxError, parse

NOW = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # 2026-11-24 in Shanghai
CONTEXT = FieldContext(locale="en", now=NOW)

FIELDS = {
    definition["key"]: Field(definition)
    for definition in [
        {"key": "amount", "type": "currency"},
        {"key": "discount", "type": "percent"},
        {"key": "qty", "type": "integer"},
        {"key": "name", "type": "text"},
        {"key": "signed", "type": "date"},
        {"key": "closed", "type": "date"},
        {"key": "met_at", "type": "datetime"},
        {"key": "vip", "type": "boolean"},
        {"key": "stage", "type": "select", "options": [{"value": "won"}, {"value": "lost"}]},
        {
            "key": "items",
            "type": "subtable",
            "columns": [
                {"key": "sku", "type": "text"},
                {"key": "price", "type": "currency"},
                {"key": "qty", "type": "integer"},
            ],
        },
    ]
}
DATA = {
    "amount": "100.10",
    "discount": 10,
    "qty": 3,
    "name": "Acme",
    "signed": "2026-11-01",
    "closed": "2026-11-21",
    "met_at": "2026-11-23T17:00:00Z",
    "vip": True,
    "stage": "won",
    "items": [{"sku": "a", "price": "0.10", "qty": 1}, {"sku": "b", "price": "0.20", "qty": None}],
}


def formula(expression: str, result_type: str = "number", **config) -> Field:
    return Field(
        {"key": "result", "type": "formula", "expression": expression, "result_type": result_type, **config}
    )


def run(expression: str, result_type: str = "number", data: dict | None = None, **config):
    field = formula(expression, result_type, **config)
    return field.type.evaluate(field, DATA if data is None else data, CONTEXT, fields=FIELDS)


@pytest.mark.parametrize(
    ("expression", "result_type", "expected"),
    [
        ("amount * (1 - discount / 100)", "number", 90.09),
        ("SUM(items.price)", "number", 0.3),
        ("SUM(items.price) == 0.3", "boolean", True),
        ("0.1 + 0.2 == 0.3", "boolean", True),
        ("ROUND(10 / 3, 2)", "number", 3.33),
        ("ROUND(2.5)", "number", 3),
        ("ABS(-4) + MIN(3, 1, 2) + MAX(items.qty)", "number", 6),
        ("IF(vip, 'VIP', 'normal')", "text", "VIP"),
        ("IF(qty > 5, 'big', 'small')", "text", "small"),
        ("CONCAT(name, '-', qty)", "text", "Acme-3"),
        ("LEN(name) + LEN(items)", "number", 6),
        ("DAYS(closed, signed)", "number", 20),
        ("DAYS(TODAY(), signed)", "number", 23),
        ("TODAY()", "date", "2026-11-24"),
        ("signed + 7", "date", "2026-11-08"),
        ("closed - signed", "number", 20),
        ("DAYS(met_at, signed)", "number", 23),
        ("stage == 'won' and not (qty < 1 or amount > 1000)", "boolean", True),
        ("1 < qty < 5", "boolean", True),
        ("qty % 2", "number", 1),
        ("'a' + 'b'", "text", "ab"),
    ],
)
def test_formula_values(expression, result_type, expected):
    assert run(expression, result_type) == expected


@pytest.mark.parametrize(
    "expression",
    [
        "amount / 0",
        "missing_amount * 2",
        "name * 2",
        "name - 1",
        "ROUND(1, 'x')",
        "signed + name",
        "qty > name",
    ],
)
def test_evaluation_failures_give_null(expression):
    data = {**DATA, "missing_amount": None}
    fields = {**FIELDS, "missing_amount": Field({"key": "missing_amount", "type": "number"})}
    field = formula(expression)
    assert field.type.evaluate(field, data, CONTEXT, fields=fields) is None


def test_comparison_with_a_missing_value_is_false():
    assert run("IF(qty > 1, 'yes', 'no')", "text", data={**DATA, "qty": None}) == "no"


def test_if_evaluates_only_the_branch_it_takes():
    assert run("IF(qty == 0, 0, amount / qty)", data={**DATA, "qty": 0}) == 0


def test_concat_treats_missing_values_as_empty():
    assert run("CONCAT(name, '/', qty)", "text", data={"name": "Acme"}) == "Acme/"


def test_number_result_rounds_to_decimals():
    assert run("10 / 3", decimals=1) == 3.3


def test_result_of_the_wrong_type_is_null():
    assert run("name", "number") is None
    assert run("qty", "date") is None


@pytest.mark.parametrize(
    "expression",
    [
        "name.upper()",
        "amount.__class__",
        "().__class__.__bases__",
        "__import__('os')",
        "_secret",
        "open('/etc/passwd')",
        "eval('1')",
        "[1, 2]",
        "{'a': 1}",
        "amount[0]",
        "lambda: 1",
        "(x for x in items)",
        "9 ** 9 ** 9",
        "IF(vip, a=1, b=2)",
        "SUM(*items)",
        "amount if vip else 0",
        "f'{name}'",
        "name.__len__",
        "SUM(items.__class__)",
        "SUM(items.price.real)",
        "x := 1",
        "ROUND(1, 2, 3)",
        "1 +",
        "None",
    ],
)
def test_unsafe_or_unknown_constructs_do_not_parse(expression):
    with pytest.raises(FormulaSyntaxError):
        parse(expression)


def test_attribute_access_is_refused_outside_aggregates():
    with pytest.raises(FormulaSyntaxError) as caught:
        parse("items.price + 1")
    assert "Attribute access is not allowed" in str(caught.value)


def test_dependencies_name_fields_and_subtables_not_functions():
    field = formula("ROUND(amount * qty) + SUM(items.price) + DAYS(TODAY(), signed)")
    assert field.type.dependencies(field) == {"amount", "qty", "items", "signed"}


def test_check_definition_reports_unknown_fields():
    field = formula("amount + nope + SUM(items.nothing)")
    errors = field.type.check_definition(field, {**FIELDS, "result": field})
    assert [error.code for error in errors] == ["formula_unknown_field", "formula_unknown_field"]
    assert "nope" in errors[0].message and "items.nothing" in errors[1].message


def test_check_definition_reports_syntax_errors():
    field = formula("amount +* 2")
    [error] = field.type.check_definition(field, {**FIELDS, "result": field})
    assert error.code == "formula_syntax"


def test_check_definition_refuses_columns_of_a_non_subtable():
    field = formula("SUM(name.length)")
    [error] = field.type.check_definition(field, {**FIELDS, "result": field})
    assert error.code == "formula_not_subtable"


def chain(**expressions: str) -> dict[str, Field]:
    fields = dict(FIELDS)
    for key, expression in expressions.items():
        fields[key] = Field({"key": key, "type": "formula", "expression": expression})
    return fields


def test_formula_order_puts_each_formula_after_its_inputs():
    fields = chain(total="net + tax", tax="net * 0.1", net="amount * qty")
    assert formula_order(fields) == ["net", "tax", "total"]


def test_formula_order_names_the_cycle():
    fields = chain(a="b + 1", b="c + 1", c="a + 1", d="amount")
    with pytest.raises(ValidationFailed) as caught:
        formula_order(fields)
    assert sorted(error.field for error in caught.value.errors) == ["a", "b", "c"]
    assert all(error.code == "formula_cycle" for error in caught.value.errors)
    assert "a → b → c → a" in caught.value.errors[0].message


def test_a_formula_reading_itself_is_a_cycle():
    assert formula_cycles(chain(a="a + 1")) == [["a", "a"]]


def test_compute_fills_every_formula_in_order():
    fields = chain(total="net + 1", net="amount * qty")
    assert compute(fields, DATA, CONTEXT)["total"] == 301.3


def test_subtable_formula_columns_are_computed_per_row(make_field, context):
    field = make_field(
        "subtable",
        columns=[
            {"key": "qty", "type": "integer"},
            {"key": "price", "type": "currency"},
            {"key": "line", "type": "formula", "expression": "qty * price"},
        ],
    )
    rows = field.type.coerce(field, [{"qty": "2", "price": "1.25"}, {"qty": 1}], context)
    assert [row["line"] for row in rows] == [2.5, None]
