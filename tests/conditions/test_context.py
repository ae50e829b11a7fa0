"""Relative date ranges, variables and the evaluation context."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formflow.conditions.context import PERIODS, EvaluationContext
from formflow.conditions.python import evaluate, record_values
from formflow.conditions.tree import parse, schema

TIMEZONES = ["Asia/Shanghai", "UTC", "America/New_York", "Europe/London", "Australia/Lord_Howe"]
moments = st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2090, 12, 31),
                       timezones=st.just(UTC))
contexts = st.builds(EvaluationContext, timezone=st.sampled_from(TIMEZONES), now=moments)
UNITS = ["week", "month", "quarter", "year"]


@settings(max_examples=200, deadline=None)
@given(context=contexts, unit=st.sampled_from(UNITS))
def test_last_this_and_next_periods_are_adjacent(context: EvaluationContext, unit: str) -> None:
    last, this, following = (context.period(f"{prefix}_{unit}") for prefix in ("last", "this", "next"))
    assert last.last + timedelta(days=1) == this.first
    assert this.last + timedelta(days=1) == following.first


@settings(max_examples=200, deadline=None)
@given(context=contexts, unit=st.sampled_from(UNITS))
def test_this_period_contains_today(context: EvaluationContext, unit: str) -> None:
    assert context.period(f"this_{unit}").contains_date(context.today())


@settings(max_examples=200, deadline=None)
@given(context=contexts)
def test_weeks_run_monday_to_sunday(context: EvaluationContext) -> None:
    week = context.period("this_week")
    assert (week.first.weekday(), week.last.weekday()) == (0, 6)


@settings(max_examples=200, deadline=None)
@given(context=contexts)
def test_quarters_start_in_january_april_july_october(context: EvaluationContext) -> None:
    quarter = context.period("this_quarter")
    assert (quarter.first.day, quarter.first.month in (1, 4, 7, 10)) == (1, True)
    assert quarter.last.month - quarter.first.month == 2


@settings(max_examples=200, deadline=None)
@given(context=contexts)
def test_today_is_the_local_date_of_now(context: EvaluationContext) -> None:
    assert context.today() == context.now.astimezone(ZoneInfo(context.timezone)).date()
    assert context.period("today").contains_instant(context.now)


@settings(max_examples=200, deadline=None)
@given(context=contexts, days=st.integers(0, 400))
def test_within_spans_count_today_plus_n_days(context: EvaluationContext, days: int) -> None:
    past, future = context.last_days(days), context.next_days(days)
    assert (past.last, future.first) == (context.today(), context.today())
    assert (past.last - past.first).days == days == (future.last - future.first).days


@settings(max_examples=200, deadline=None)
@given(context=contexts, name=st.sampled_from(list(PERIODS)))
def test_utc_bounds_start_at_local_midnight(context: EvaluationContext, name: str) -> None:
    span = context.period(name)
    start, end = span.utc_bounds()
    local_start = start.astimezone(ZoneInfo(context.timezone))
    assert local_start.date() == span.first
    assert (end - timedelta(seconds=1)).astimezone(ZoneInfo(context.timezone)).date() == span.last


def test_a_dst_day_is_25_hours_long_in_new_york() -> None:
    context = EvaluationContext(timezone="America/New_York", now=datetime(2026, 11, 1, 16, tzinfo=UTC))
    start, end = context.period("today").utc_bounds()
    assert end - start == timedelta(hours=25)


def test_context_refuses_a_naive_now() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        EvaluationContext(now=datetime(2026, 11, 25, 12))


def test_context_refuses_an_unknown_timezone() -> None:
    with pytest.raises(ZoneInfoNotFoundError):
        EvaluationContext(timezone="Mars/Olympus_Mons")


def test_context_defaults_to_shanghai_and_the_current_time() -> None:
    context = EvaluationContext()
    assert context.timezone == "Asia/Shanghai"
    assert abs(context.now - datetime.now(UTC)) < timedelta(minutes=1)


def test_variables_resolve_to_the_user_and_the_team() -> None:
    context = EvaluationContext(user_id=7, team_user_ids=[7, 8])
    assert (context.variable("me"), context.variable("my_team")) == (7, [7, 8])


def test_record_values_adds_system_fields_in_stored_form() -> None:
    record = SimpleNamespace(id=3, data={"name": "Acme"}, owner_id=7, state="open",
                             created_at=datetime(2026, 11, 24, 16, tzinfo=UTC),
                             updated_at=datetime(2026, 11, 25, 1, 2, 3, 456000, tzinfo=UTC),
                             created_by_id=7, updated_by_id=None)
    assert record_values(record) == {
        "name": "Acme", "id": 3, "owner": 7, "state": "open", "created_at": "2026-11-24T16:00:00Z",
        "updated_at": "2026-11-25T01:02:03.456000Z", "created_by": 7, "updated_by": None}


def test_record_values_evaluate_against_system_fields() -> None:
    record = SimpleNamespace(id=3, data={}, owner_id=7, state=None,
                             created_at=datetime(2026, 11, 24, 16, 0, 0, 1, tzinfo=UTC),
                             updated_at=datetime(2026, 11, 24, 16, tzinfo=UTC), created_by_id=None,
                             updated_by_id=None)
    condition = parse({"all": [{"field": "created_at", "op": "date_is", "value": "today"},
                               {"field": "created_at", "op": "gt", "value": "2026-11-24T16:00:00Z"}]}, {})
    context = EvaluationContext(now=datetime(2026, 11, 25, 4, tzinfo=UTC))
    assert evaluate(condition, record_values(record), context) is True


def test_schema_is_a_valid_json_schema() -> None:
    jsonschema.Draft202012Validator.check_schema(schema())


@pytest.mark.parametrize("tree", [
    {"all": [], "any": []},
    {"field": "name", "op": "like", "value": "x"},
    {"field": "Name; drop", "op": "eq", "value": "x"},
    {"not": [{"field": "name", "op": "is_empty"}]},
    {"field": "name", "op": "eq", "value": {"var": "you"}},
], ids=["two groups", "unknown operator", "bad key", "not of a list", "unknown variable"])
def test_schema_refuses_malformed_trees(tree: dict) -> None:
    assert not jsonschema.Draft202012Validator(schema()).is_valid(tree)


def test_period_names_are_the_documented_ones() -> None:
    assert set(PERIODS) == {"today", "yesterday", "tomorrow"} | {
        f"{prefix}_{unit}" for prefix in ("last", "this", "next") for unit in UNITS}


def test_month_shifts_cross_year_boundaries() -> None:
    context = EvaluationContext(timezone="UTC", now=datetime(2026, 1, 31, tzinfo=UTC))
    assert context.period("next_month").first == date(2026, 2, 1)
    assert context.period("last_month").last == date(2025, 12, 31)
