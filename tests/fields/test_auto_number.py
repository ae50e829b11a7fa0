"""Auto-numbers: format checks, reset periods, rendering in the workspace timezone."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from formflow.fields.base import Field

NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)  # 2026-12-01 01:00 in Shanghai


def numbered(format_: str) -> Field:
    return Field({"key": "code", "type": "auto_number", "format": format_})


@pytest.mark.parametrize(
    ("format_", "seq", "rendered"),
    [
        ("LEAD-{YYYY}-{seq:6}", 42, "LEAD-2026-000042"),
        ("{YY}{MM}{DD}-{seq:3}", 7, "261201-007"),
        ("NO.{seq}", 1234, "NO.1234"),
        ("{seq:2}", 123, "123"),
    ],
)
def test_render(format_, seq, rendered):
    field = numbered(format_)
    assert field.type.render(field, seq, NOW, "Asia/Shanghai") == rendered


@pytest.mark.parametrize(
    ("format_", "period"),
    [
        ("LEAD-{seq:6}", ""),
        ("LEAD-{YYYY}-{seq:6}", "2026"),
        ("{YY}-{seq:4}", "2026"),
        ("{YYYY}{MM}-{seq:4}", "202612"),
        ("{MM}-{seq:4}", "202612"),
        ("{YYYY}{MM}{DD}{seq:3}", "20261201"),
    ],
)
def test_period_follows_the_date_parts(format_, period):
    field = numbered(format_)
    assert field.type.period(field, NOW, "Asia/Shanghai") == period


def test_period_and_render_use_the_workspace_timezone():
    field = numbered("{YYYY}{MM}-{seq:2}")
    assert field.type.period(field, NOW, "UTC") == "202611"
    assert field.type.render(field, 1, NOW, "UTC") == "202611-01"


@pytest.mark.parametrize("format_", ["LEAD-{YYYY}", "{seq}-{seq}", "{HH}-{seq}", "{seq:abc}", "A}{seq}"])
def test_bad_formats_are_definition_problems(format_):
    field = numbered(format_)
    [error] = field.type.check_definition(field, {field.key: field})
    assert error.code == "auto_number_format"
