"""Full-text search: English and Chinese, every term required, kept current on write, inside the scope
and blind to fields the actor may not read."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.records.conftest import field

from formflow.records import search
from formflow.records.queries import RecordQuery, query_records
from formflow.records.service import delete_record, update_record

PEOPLE = [field("name", searchable=True), field("company", searchable=True),
          field("email", "email", searchable=True), field("notes", "textarea", searchable=True),
          field("amount", "number")]


@pytest.fixture
def people(session, member, make_form, make_record):
    form = make_form(PEOPLE, key="people")
    rows = [
        {"name": "Ada Lovelace", "company": "Analytical Engines Ltd", "email": "ada@example.com",
         "amount": 3},
        {"name": "Grace Hopper", "company": "ACME Computing", "email": "grace@navy.example.org", "amount": 2},
        {"name": "王小明", "company": "深圳市腾讯科技有限公司", "notes": "客户关系很好", "amount": 1},
        {"name": "李雷", "company": "北京字节跳动科技", "notes": "需要跟进报价"},
    ]
    for row in rows:
        make_record(form, **row)
    return form


def found(session, actor, form, text, **query) -> list[str]:
    page = query_records(session, actor, form, RecordQuery(search=text, sort=["id"], **query))
    return [item["data"]["name"] for item in page.items]


@pytest.mark.parametrize("text, expected", [
    ("ada", ["Ada Lovelace"]),
    ("LOVELACE", ["Ada Lovelace"]),
    ("acme", ["Grace Hopper"]),
    ("ＡＣＭＥ", ["Grace Hopper"]),  # full-width letters fold to ASCII
    ("grace hopper", ["Grace Hopper"]),
    ("grace engines", []),  # every term must match
    ("example", ["Ada Lovelace", "Grace Hopper"]),  # parts of e-mail addresses
    ("navy", ["Grace Hopper"]),
    ("nobody", []),
])
def test_english_words_are_found(session, member, people, text, expected):
    assert found(session, member, people, text) == expected


@pytest.mark.parametrize("text, expected", [
    ("腾讯科技", ["王小明"]),  # 3+ characters inside a longer run
    ("科技", ["王小明", "李雷"]),  # 2 characters
    ("报价", ["李雷"]),
    ("腾", ["王小明"]),  # 1 character
    ("王小明", ["王小明"]),
    ("腾科", []),  # characters that are not adjacent
    ("深圳 客户", ["王小明"]),  # terms from different fields
    ("字节 跟进", ["李雷"]),
])
def test_chinese_words_are_found(session, member, people, text, expected):
    assert found(session, member, people, text) == expected


def test_search_combines_with_filters_and_sorts(session, member, people):
    page = query_records(session, member, people, RecordQuery(
        search="科技", filter={"field": "amount", "op": "eq", "value": 1}, sort=["-amount"]))

    assert [item["data"]["name"] for item in page.items] == ["王小明"]


def test_search_follows_updates_and_deletes(session, member, people):
    [ada] = query_records(session, member, people, RecordQuery(search="lovelace")).items
    update_record(session, member, people, ada["id"], {"company": "Babbage & Co"}, ada["version"])

    assert found(session, member, people, "babbage") == ["Ada Lovelace"]
    assert found(session, member, people, "analytical") == []
    delete_record(session, member, people, ada["id"])
    assert found(session, member, people, "babbage") == []


def test_search_stays_inside_the_scope(session, member, other_member, people, make_record, own_records_only):
    make_record(people, actor=other_member, name="Ada Clone", company="Mine")
    own_records_only(other_member)

    assert found(session, other_member, people, "ada") == ["Ada Clone"]


def test_search_never_matches_a_hidden_field(session, member, other_member, people, hide_fields):
    hide_fields(member, hidden=("notes",))

    assert found(session, member, people, "客户关系") == []
    assert found(session, member, people, "王小明 报价") == []
    assert found(session, other_member, people, "客户关系") == ["王小明"]


def test_search_still_matches_readable_fields_when_others_are_hidden(session, member, people, hide_fields):
    hide_fields(member, hidden=("notes",))

    assert found(session, member, people, "腾讯") == ["王小明"]
    assert found(session, member, people, "ada example") == ["Ada Lovelace"]


@pytest.mark.parametrize("text", ['"', "'", "%", "_", "\\", "*", "a:b", "(x", "NOT", "OR AND", "ad*", "-ada",
                                  "'; DROP TABLE records; --", "ada@", "@@", ":*", "&|!"])
def test_query_syntax_characters_are_plain_text(session, member, people, text):
    query_records(session, member, people, RecordQuery(search=text))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=40))
def test_any_query_text_runs(session, member, people, text):
    query_records(session, member, people, RecordQuery(search=text, with_total=False))


@pytest.mark.parametrize("text, expected", [
    ("顾客管理", ["顾客", "客管", "管理"]),
    ("a顾客b管", ["顾客"]),
    ("客", []),
    ("abc", []),
])
def test_cjk_bigrams(text, expected):
    assert search.cjk_bigrams(text) == expected


def test_search_text_keeps_fields_bigrams_and_word_parts_apart_on_postgresql():
    texts = {"name": "顾客管理", "email": "ada@example.com"}

    assert search.search_text(texts, "postgresql").split("\n") == [
        "顾客管理", "ada@example.com", "顾客 客管 管理", "ada example com"]


def test_search_text_on_sqlite_holds_only_the_field_lines():
    texts = {"name": "顾客管理", "email": "ada@example.com"}

    assert search.search_text(texts, "sqlite").split("\n") == ["顾客管理", "ada@example.com"]
