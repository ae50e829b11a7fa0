"""Widgets on the server side: how each reads its value from a posted form and shows a stored value.

One entry per widget name (``FieldType.widget``), matching the macro file
``templates/widgets/<name>.html``; a new widget registers here and adds its template, nothing else
branches on it. Posted values are the raw input coercion expects (``FieldType.coerce``); ``shown``
turns a stored value back into such input, so a form re-renders a record and posts it back
unchanged.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from werkzeug.datastructures import MultiDict

from formflow.fields.base import Field, FieldContext, HasColumns, is_blank
from formflow.registry import Registry

#: ``items.3.sku`` -> row 3, column sku (under the subtable's own name)
_CELL = re.compile(r"^(\d{1,4})\.([a-z][a-z0-9_]{0,62})$")
#: what separates ids typed into one input
_ID_SEPARATORS = re.compile(r"[\s,，]+")


class Widget:
    """A widget that posts one text value under the field's name (text, number, select...)."""

    #: registry key: the ``widget`` of the field types that use it
    name: ClassVar[str]

    def read(self, field: Field, form: MultiDict[str, str], name: str) -> Any:
        """The raw input posted under ``name``; None when nothing was."""
        return form.get(name)

    def is_blank(self, raw: Any) -> bool:
        """Whether ``raw`` is what the widget posts when left alone."""
        return is_blank(raw) or raw == [] or raw == {}

    def shown(self, field: Field, stored: Any, context: FieldContext) -> Any:
        """A stored value as the widget's input shows it (and posts it back)."""
        if stored is None:
            return ""
        return stored if isinstance(stored, str) else str(stored)


widgets: Registry[Widget] = Registry("widget")


def widget_for(field: Field) -> Widget:
    """The widget entry of a field's type."""
    return widgets.get(field.type.widget)


for _name in ("text", "textarea", "number", "currency", "email", "phone", "url", "date", "select", "rating"):
    widgets.register(type(f"{_name.title()}Widget", (Widget,), {"name": _name, "__doc__": Widget.__doc__}))


@widgets.register
class CheckboxWidget(Widget):
    """A yes/no box: a hidden "false" before the box's "true", so an unticked box posts false."""

    name = "checkbox"

    def read(self, field: Field, form: MultiDict[str, str], name: str) -> Any:
        values = form.getlist(name)
        return values[-1] if values else None

    def is_blank(self, raw: Any) -> bool:
        return raw in (None, "", "false", False)

    def shown(self, field: Field, stored: Any, context: FieldContext) -> Any:
        return "true" if stored is True else ("false" if stored is False else "")


class ManyValuesWidget(Widget):
    """Widgets posting several values under one name (ticked options, chosen ids)."""

    def read(self, field: Field, form: MultiDict[str, str], name: str) -> Any:
        values = [value for value in form.getlist(name) if not is_blank(value)]
        return values or None

    def shown(self, field: Field, stored: Any, context: FieldContext) -> Any:
        if stored is None:
            return []
        return [str(item) for item in (stored if isinstance(stored, list) else [stored])]


@widgets.register
class MultiselectWidget(ManyValuesWidget):
    """Ticked options of a multiselect."""

    name = "multiselect"


@widgets.register
class AttachmentWidget(ManyValuesWidget):
    """Ids of uploaded files (the upload itself goes to the upload endpoint, or with the form)."""

    name = "attachment"


@widgets.register
class RelationWidget(ManyValuesWidget):
    """Ids of linked records: one id, or several when the field takes many."""

    name = "relation"

    def read(self, field: Field, form: MultiDict[str, str], name: str) -> Any:
        # the picker keeps the chosen ids in one text input ("12, 15"); without JavaScript people type them
        values = [item for value in form.getlist(name) for item in _ID_SEPARATORS.split(value) if item]
        if not values or field.type.client_hints(field).get("multiple"):
            return values or None
        return values[-1]

    def shown(self, field: Field, stored: Any, context: FieldContext) -> Any:
        return ", ".join(super().shown(field, stored, context))


@widgets.register
class UserWidget(RelationWidget):
    """A member of the workspace, by user id."""

    name = "user"


@widgets.register
class DatetimeWidget(Widget):
    """A date and time in the workspace timezone (``datetime-local``: no offset, read in that zone)."""

    name = "datetime"

    def shown(self, field: Field, stored: Any, context: FieldContext) -> Any:
        from formflow.fields.temporal import from_utc_text, zone

        if not isinstance(stored, str):
            return super().shown(field, stored, context)
        try:
            local = from_utc_text(stored).astimezone(zone(context.timezone))
        except ValueError:
            return stored
        # seconds only when there are some, so an edit posts back exactly what is stored
        return local.strftime("%Y-%m-%dT%H:%M:%S" if local.second else "%Y-%m-%dT%H:%M")


@widgets.register
class RegionWidget(Widget):
    """Province, city, district: posted as the deepest code (pickers) or as names (typed)."""

    name = "region"

    def shown(self, field: Field, stored: Any, context: FieldContext) -> Any:
        from formflow.fields.region import PARTS, divisions

        if not isinstance(stored, dict):
            return super().shown(field, stored, context)
        names = divisions().names
        # placeholder levels ("市辖区") stay in, so the names read back to the same codes
        return " ".join(names.get(str(stored[part]), str(stored[part])) for part in PARTS if stored.get(part))


class ComputedWidget(Widget):
    """A value the server computes: shown, never posted."""

    def read(self, field: Field, form: MultiDict[str, str], name: str) -> Any:
        return None

    def shown(self, field: Field, stored: Any, context: FieldContext) -> Any:
        return "" if stored is None else field.type.display(field, stored, context)


@widgets.register
class FormulaWidget(ComputedWidget):
    """A formula's result, previewed as the user types."""

    name = "formula"


@widgets.register
class AutoNumberWidget(ComputedWidget):
    """A sequence number, assigned when the record is saved."""

    name = "auto_number"


@widgets.register
class SubtableWidget(Widget):
    """Rows of cells posted as ``<key>.<row>.<column>``; rows left blank are dropped."""

    name = "subtable"

    def columns(self, field: Field) -> dict[str, Field]:
        """The subtable's columns by key."""
        assert isinstance(field.type, HasColumns)
        return field.type.columns(field)

    def read(self, field: Field, form: MultiDict[str, str], name: str) -> Any:
        columns = self.columns(field)
        indexes = sorted({int(match.group(1)) for key in form if key.startswith(name + ".")
                          for match in [_CELL.match(key[len(name) + 1:])]
                          if match is not None and match.group(2) in columns})
        rows = []
        for index in indexes:
            row = {key: widget_for(column).read(column, form, f"{name}.{index}.{key}")
                   for key, column in columns.items() if not column.type.computed}
            if not all(widget_for(columns[key]).is_blank(value) for key, value in row.items()):
                rows.append(row)
        return rows or None

    def is_blank(self, raw: Any) -> bool:
        return not raw

    def shown(self, field: Field, stored: Any, context: FieldContext) -> Any:
        if not isinstance(stored, list):
            return []
        columns = self.columns(field)
        return [{key: widget_for(column).shown(column, row.get(key), context)
                 for key, column in columns.items()} for row in stored if isinstance(row, dict)]
