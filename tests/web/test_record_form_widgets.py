"""Every field type has a widget the record form can render and read (templates/widgets/, web.widgets)."""

from __future__ import annotations

from pathlib import Path

import pytest
from werkzeug.datastructures import MultiDict

from formflow.fields import registry
from formflow.fields.base import Field, FieldContext
from formflow.web.widgets import widget_for, widgets

TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "widgets"
TYPES = registry.names()


def sample(name: str) -> Field:
    """A field of type ``name`` with the type's sample definition."""
    field_type = registry.get(name)
    return Field({"key": "sample", "type": name, "label": {"en": "Sample"}, **field_type.examples.config})


@pytest.mark.parametrize("name", TYPES)
def test_every_field_type_has_a_widget_template(name: str) -> None:
    template = TEMPLATES / f"{registry.get(name).widget}.html"
    assert template.is_file()
    assert "{% macro render(view)" in template.read_text(encoding="utf-8")


@pytest.mark.parametrize("name", TYPES)
def test_every_field_type_has_a_registered_widget(name: str) -> None:
    assert registry.get(name).widget in widgets


def test_every_widget_template_is_a_registered_widget() -> None:
    names = {path.stem for path in TEMPLATES.glob("*.html") if not path.stem.startswith("_")}
    assert names == set(widgets.names())


@pytest.mark.parametrize("name", [name for name in TYPES if not registry.get(name).computed])
def test_a_shown_value_reads_back_to_the_same_stored_value(name: str) -> None:
    """Each valid example, stored, shown in its widget and posted back, coerces to itself."""
    field = sample(name)
    context = FieldContext(timezone="Asia/Shanghai", locale="en")
    for raw in registry.get(name).examples.valid:
        stored = field.type.coerce(field, raw, context)
        if stored is None:
            continue
        shown = widget_for(field).shown(field, stored, context)
        posted = MultiDict()
        if isinstance(shown, list) and shown and isinstance(shown[0], dict):  # subtable rows
            for index, row in enumerate(shown):
                for key, value in row.items():
                    posted.add(f"sample.{index}.{key}", value)
        elif isinstance(shown, list):
            for value in shown:
                posted.add("sample", value)
        else:
            posted.add("sample", shown)
        read = widget_for(field).read(field, posted, "sample")
        assert field.type.coerce(field, read, context) == stored, (raw, shown)
