"""Dates and datetimes: input formats, workspace timezone, UTC storage, display back in the workspace zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from formflow.fields.base import CoercionError, FieldContext

SHANGHAI = FieldContext(locale="en", timezone="Asia/Shanghai")
NEW_YORK = FieldContext(locale="en", timezone="America/New_York")


@pytest.mark.parametrize(
    ("raw", "stored"),
    [
        ("2026-11-23", "2026-11-23"),
        ("2026/1/5", "2026-01-05"),
        ("2026.01.05", "2026-01-05"),
        ("2026年11月3日", "2026-11-03"),
        ("20240229", "2024-02-29"),
        (date(2025, 12, 31), "2025-12-31"),
    ],
)
def test_date_reads_common_formats(make_field, raw, stored):
    field = make_field("date")
    assert field.type.coerce(field, raw, SHANGHAI) == stored


@pytest.mark.parametrize("raw", ["2026-02-30", "2025-02-29", "2026-13-01", "23/11/2026", "soon"])
def test_date_refuses_impossible_dates(make_field, raw):
    field = make_field("date")
    with pytest.raises(CoercionError) as caught:
        field.type.coerce(field, raw, SHANGHAI)
    assert caught.value.message == "Enter a date like 2026-11-23"


def test_date_of_a_moment_is_the_day_in_the_workspace(make_field):
    field = make_field("date")
    moment = datetime(2026, 11, 23, 20, 0, tzinfo=UTC)  # already the 24th in Shanghai
    assert field.type.coerce(field, moment, SHANGHAI) == "2026-11-24"
    assert field.type.coerce(field, moment, NEW_YORK) == "2026-11-23"


def test_date_bounds(make_field):
    field = make_field("date", min="2026-01-01", max="2026-12-31")
    with pytest.raises(CoercionError):
        field.type.coerce(field, "2025-12-31", SHANGHAI)
    assert field.type.coerce(field, "2026-06-01", SHANGHAI) == "2026-06-01"


@pytest.mark.parametrize(
    ("raw", "context", "stored"),
    [
        ("2026-11-23T16:00", SHANGHAI, "2026-11-23T08:00:00Z"),
        ("2026-11-23 16:00", NEW_YORK, "2026-11-23T21:00:00Z"),
        ("2026-07-01 16:00", NEW_YORK, "2026-07-01T20:00:00Z"),
        ("2026-11-23T16:00:00+08:00", NEW_YORK, "2026-11-23T08:00:00Z"),
        ("2026-11-23T08:00:00Z", SHANGHAI, "2026-11-23T08:00:00Z"),
        ("2026-11-23T08:00:00.987654Z", SHANGHAI, "2026-11-23T08:00:00Z"),
        ("2026-11-24", SHANGHAI, "2026-11-23T16:00:00Z"),
    ],
)
def test_datetime_without_offset_is_read_in_the_workspace_timezone(make_field, raw, context, stored):
    field = make_field("datetime")
    assert field.type.coerce(field, raw, context) == stored


def test_aware_and_naive_datetime_objects(make_field):
    field = make_field("datetime")
    aware = datetime(2026, 11, 23, 16, 0, tzinfo=timezone(timedelta(hours=8)))
    assert field.type.coerce(field, aware, NEW_YORK) == "2026-11-23T08:00:00Z"
    assert field.type.coerce(field, datetime(2026, 11, 23, 16, 0), SHANGHAI) == "2026-11-23T08:00:00Z"


@pytest.mark.parametrize(
    ("context", "shown"), [(SHANGHAI, "2026-11-23 16:00"), (NEW_YORK, "2026-11-23 03:00")]
)
def test_datetime_displays_in_the_workspace_timezone(make_field, context, shown):
    field = make_field("datetime")
    assert field.type.display(field, "2026-11-23T08:00:00Z", context) == shown


@pytest.mark.parametrize("raw", ["2026-11-23T24:30", "2026-11-23 7pm", "yesterday", "2026-11-23T10:00+25:00"])
def test_datetime_refuses_what_is_not_a_moment(make_field, raw):
    field = make_field("datetime")
    with pytest.raises(CoercionError):
        field.type.coerce(field, raw, SHANGHAI)


def test_stored_datetimes_sort_as_text_in_time_order(make_field):
    field = make_field("datetime")
    raws = ["2026-11-23T09:00+08:00", "2026-11-23T01:30Z", "2026-11-22T23:00-05:00", "2025-01-01 00:00"]
    stored = [field.type.coerce(field, raw, SHANGHAI) for raw in raws]
    assert sorted(stored) == [
        value
        for _, value in sorted(
            (datetime.fromisoformat(value.replace("Z", "+00:00")), value) for value in stored
        )
    ]
