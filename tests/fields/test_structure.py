"""Subtable rows, attachments and references."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from formflow.fields.base import CoercionError, FieldContext
from formflow.i18n import use_locale

EN = FieldContext(locale="en")
COLUMNS = [
    {"key": "sku", "type": "text", "required": True},
    {"key": "qty", "type": "integer"},
    {"key": "price", "type": "currency"},
]


def test_subtable_coerces_each_cell_by_its_column(make_field):
    field = make_field("subtable", key="items", columns=COLUMNS)
    rows = field.type.coerce(field, [{"sku": " A ", "qty": "2", "price": "9.9"}], EN)
    assert rows == [{"sku": "A", "qty": 2, "price": "9.90"}]


def test_subtable_errors_are_keyed_by_row_and_column(make_field):
    field = make_field("subtable", key="items", columns=COLUMNS)
    raw = [
        {"sku": "A"},
        {"sku": "B", "qty": "x"},
        {"sku": "C", "price": "1.234"},
        {"qty": 1},
        {"sku": "E", "bad": 1},
    ]
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, raw, EN)
    assert sorted((error.field, error.code) for error in caught.value.errors) == [
        ("items.1.qty", "not_number"),
        ("items.2.price", "too_many_places"),
        ("items.3.sku", "required"),
        ("items.4.bad", "unknown_column"),
    ]


def test_subtable_drops_empty_rows(make_field):
    field = make_field("subtable", key="items", columns=COLUMNS)
    assert field.type.coerce(field, [{"sku": "", "qty": ""}, {"sku": "A"}], EN) == [
        {"sku": "A", "qty": None, "price": None}
    ]


def test_subtable_schema_refuses_extra_properties(make_field):
    field = make_field("subtable", key="items", columns=COLUMNS)
    validator = Draft202012Validator(field.type.value_schema(field))
    assert validator.is_valid([{"sku": "A", "qty": None, "price": None}])
    assert not validator.is_valid([{"sku": "A", "other": 1}])
    assert not validator.is_valid([{"qty": 1}])


@pytest.mark.parametrize(
    ("columns", "code"),
    [
        ([], "no_columns"),
        ([{"key": "a", "type": "text"}, {"key": "a", "type": "text"}], "duplicate_column"),
        ([{"key": "a", "type": "nope"}], "unknown_type"),
        ([{"key": "a", "type": "subtable", "columns": [{"key": "b", "type": "text"}]}], "column_type"),
        ([{"key": "a", "type": "auto_number"}], "column_type"),
        (
            [
                {"key": "a", "type": "formula", "expression": "b"},
                {"key": "b", "type": "formula", "expression": "a"},
            ],
            "formula_cycle",
        ),
    ],
)
def test_subtable_definition_problems(make_field, columns, code):
    field = make_field("subtable", key="items", columns=columns)
    assert code in [error.code for error in field.type.check_definition(field, {field.key: field})]


def test_column_definition_problems_carry_the_column_path(make_field):
    field = make_field("subtable", key="items", columns=[{"key": "sku", "type": "text", "pattern": "(a+)+"}])
    [error] = field.type.check_definition(field, {field.key: field})
    assert error.field == "items.sku"


def test_attachment_upload_checks_size_type_and_name(make_field):
    field = make_field("attachment", max_size=1000, accept=["image/*", ".pdf"])
    assert field.type.check_upload(field, "photo.png", "image/png", 500) == []
    assert field.type.check_upload(field, "report.PDF", "application/octet-stream", 10) == []
    codes = [
        error.code for error in field.type.check_upload(field, "run.exe", "application/x-msdownload", 5000)
    ]
    assert codes == ["file_too_large", "file_type"]


def test_attachment_upload_respects_the_instance_limit(make_field):
    field = make_field("attachment")
    with use_locale("en"):
        [error] = field.type.check_upload(field, "a.txt", "text/plain", 2048, max_size=1024)
    assert error.code == "file_too_large" and error.message == "The file is larger than 1 KB"


def test_attachment_counts_files(make_field):
    field = make_field("attachment", max_files=2)
    assert field.type.coerce(field, "1, 2", EN) == [1, 2]
    with pytest.raises(CoercionError):
        field.type.coerce(field, [1, 2, 3], EN)


def test_references_are_checked_through_the_lookup(make_field):
    seen = []

    def lookup(kind, ids):
        seen.append((kind, ids))
        return {9}

    context = FieldContext(locale="en", lookup=lookup)
    field = make_field("relation", target_form="customers", many=True)
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, [3, 9, 3], context)
    assert seen == [("record:customers", [3, 9])]
    assert caught.value.message == "Not found: #9"


def test_user_exists_check_uses_the_user_kind(make_field):
    field = make_field("user")
    context = FieldContext(locale="en", lookup=lambda kind, ids: set() if kind == "user" else set(ids))
    assert field.type.coerce(field, "7", context) == 7


def test_relation_many_is_a_list_kind_and_not_sortable(make_field):
    single = make_field("relation", target_form="customers")
    many = make_field("relation", target_form="customers", many=True)
    assert (single.value_kind, single.type.is_sortable(single)) == ("integer", True)
    assert (many.value_kind, many.type.is_sortable(many)) == ("list", False)


def test_reference_display_uses_titles(make_field):
    field = make_field("relation", target_form="customers", many=True)
    context = FieldContext(locale="en", extra={"titles": {"record:customers": {3: "ACME"}}})
    assert field.type.display(field, [3, 4], context) == "ACME, #4"


@pytest.mark.parametrize(
    ("raw", "stored"), [("Ada@Example.COM", "ada@example.com"), (" x@y.org ", "x@y.org")]
)
def test_email_is_normalized(make_field, raw, stored):
    field = make_field("email")
    assert field.type.coerce(field, raw, EN) == stored


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("example.com", "https://example.com"),
        ("HTTP://Example.com/a%20b", "http://example.com/a%20b"),
        ("localhost:8080/x", "https://localhost:8080/x"),
        ("https://例子.中国/路径", "https://xn--fsqu00a.xn--fiqs8s/%E8%B7%AF%E5%BE%84"),
    ],
)
def test_url_is_normalized(make_field, raw, stored):
    field = make_field("url")
    assert field.type.coerce(field, raw, EN) == stored


@pytest.mark.parametrize(
    "raw",
    [
        "javascript:alert(1)",
        "ftp://example.com",
        "mailto:a@b.c",
        "http://",
        "a b.com",
        "https://user:pw@example.com",
        "http:example.com",
    ],
)
def test_url_refuses_other_schemes_and_junk(make_field, raw):
    field = make_field("url")
    with pytest.raises(CoercionError):
        field.type.coerce(field, raw, EN)
