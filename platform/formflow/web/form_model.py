"""What a record form page shows: fields as widget views, and what the browser's logic needs.

``condition_fields`` describes fields to the JavaScript condition evaluator (static/js/conditions.js)
exactly as the Python evaluator sees them: value kind, system column or not, and the part names of
values stored as objects (region), so live visibility in the browser agrees with the server.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

from formflow.conditions.tree import SYSTEM_FIELDS
from formflow.errors import FieldError, ValidationFailed
from formflow.fields.base import CoercionError, Field, FieldContext, HasColumns
from formflow.forms.validation import CompiledForm
from formflow.i18n import label
from formflow.permissions.policy import FieldMask


def condition_field(field: Field) -> dict[str, Any]:
    """One field as conditions.js reads it: ``{"kind", "parts"?}``."""
    spec: dict[str, Any] = {"kind": field.value_kind}
    parts = field.type.client_hints(field).get("parts")
    if parts:
        spec["parts"] = list(parts)
    return spec


def condition_fields(fields: Iterable[Field]) -> dict[str, dict[str, Any]]:
    """Every field of a form plus the system columns, by key, for conditions.js."""
    specs = {key: {"kind": kind, "system": True} for key, kind in SYSTEM_FIELDS.items()}
    specs.update({field.key: condition_field(field) for field in fields})
    return specs


# --- the form page's view of a form version -----------------------------------------------------

#: the row index in a subtable's template row, which the browser replaces when it adds a row
ROW_PLACEHOLDER = "__row__"


@dataclass
class FieldView:
    """One field (or subtable cell) as a widget macro renders it."""

    field: Field
    #: the input's name: the field key, or ``items.2.sku`` for a cell
    name: str
    #: the input's id, unique in the page
    id: str
    widget: str
    label: str
    help: str
    placeholder: str
    #: FieldType.client_hints: input type, inputmode, limits, options...
    hints: dict[str, Any]
    #: what the input shows (and posts back): text, a list of texts, rows of cells
    value: Any
    #: the value as the server reads it (coerced leniently; None when it does not coerce yet)
    stored: Any
    #: the stored value as people read it (read-only fields, computed values)
    display: str
    errors: list[str] = dataclass_field(default_factory=list)
    required: bool = False
    visible: bool = True
    writable: bool = True
    #: options of choice widgets: ``[{"value", "label", "color"}]`` in the page's language
    options: list[dict[str, Any]] = dataclass_field(default_factory=list)
    #: titles of the ids the value holds (records, users, files): ``{"12": "ACME"}``
    titles: dict[str, str] = dataclass_field(default_factory=dict)
    #: subtable rows, each a list of cell views in column order
    rows: list[list[FieldView]] = dataclass_field(default_factory=list)
    #: a subtable's blank row with ``ROW_PLACEHOLDER`` as its index, for the browser to copy
    template_row: list[FieldView] = dataclass_field(default_factory=list)

    @property
    def described_by(self) -> str:
        """The ids of the help and error texts that describe the input."""
        ids = ([f"{self.id}-help"] if self.help else []) + ([f"{self.id}-error"] if self.errors else [])
        return " ".join(ids)


@dataclass
class SectionView:
    """A section of the layout: a heading and rows of fields (one to three per row)."""

    key: str
    label: str
    rows: list[list[FieldView]]


@dataclass
class FormView:
    """Everything a record form page renders."""

    sections: list[SectionView]
    fields: dict[str, FieldView]
    #: every error, in field order: the summary at the top links to each
    errors: list[FieldError]
    #: what the browser needs for live logic: conditions, field kinds, the evaluation context
    client: dict[str, Any]

    @property
    def has_uploads(self) -> bool:
        """The form has a file widget (the page then posts multipart)."""
        return any(view.hints.get("input_type") == "file" for view in self.fields.values())


#: ``(field, ids) -> {id: title}``: titles of the ids a reference field holds
TitleSource = Callable[[Field, list[Any]], dict[Any, str]]


def _html_id(name: str) -> str:
    return "ff-" + name.replace(".", "-").replace("_", "-")


def _error_map(errors: Iterable[FieldError]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for error in errors:
        found.setdefault(error.field, []).append(error.message)
    return found


def lenient_values(fields: dict[str, Field], raw: dict[str, Any], context: FieldContext) -> dict[str, Any]:
    """What the server would store for ``raw`` as far as it coerces: a value that does not is None;
    formulas computed over the rest (for visibility and previews, never for saving)."""
    from formflow.fields.computed import compute

    values: dict[str, Any] = {}
    for key, field in fields.items():
        if field.type.computed or key not in raw:
            continue
        try:
            values[key] = field.type.coerce(field, raw[key], context)
        except CoercionError:
            values[key] = None
    try:
        return compute(fields, values, context)
    except (ValidationFailed, ArithmeticError, TypeError, ValueError):
        return values


class FormViewBuilder:
    """Builds the FormView of a version for an actor's mask, the shown input and the errors."""

    def __init__(self, version: CompiledForm, mask: FieldMask, context: FieldContext,
                 titles: TitleSource | None = None, system_values: dict[str, Any] | None = None) -> None:
        self.version = version
        self.mask = mask
        self.context = context
        self.titles = titles
        self.system_values = system_values or {}
        self.readable = {key: field for key, field in version.fields.items() if mask.can_read(key)}

    def is_writable(self, field: Field) -> bool:
        """The actor may type into the field here."""
        return self.mask.can_write(field.key) and not field.type.computed and not field.get("read_only")

    def build(self, raw: dict[str, Any], errors: Iterable[FieldError] = ()) -> FormView:
        """The view of input ``raw`` (what each widget shows, by key) with ``errors``."""
        from formflow.conditions import python
        from formflow.forms.validation import evaluation_context

        errors = list(errors)
        by_path = _error_map(errors)
        stored = lenient_values(self.readable, raw, self.context)
        values = {**self.system_values, **stored}
        evaluation = evaluation_context(self.context)

        def holds(key: str, attribute: str, default: bool) -> bool:
            condition = self.version.conditions.get((key, attribute))
            return default if condition is None else bool(python.evaluate(condition, values, evaluation))

        views: dict[str, FieldView] = {}
        for key, field in self.readable.items():
            view = self.field_view(field, key, raw.get(key), stored.get(key), by_path,
                                   self.is_writable(field))
            view.visible = holds(key, "visible_if", True)
            for cell in (cell for row in view.rows for cell in row):
                cell.visible = view.visible
            view.required = view.required or holds(key, "required_if", False)
            views[key] = view
        keys = list(views)
        shown = [error for error in errors if error.field.split(".", 1)[0] not in views]
        ordered = sorted((error for error in errors if error not in shown),
                         key=lambda error: keys.index(error.field.split(".", 1)[0]))
        return FormView(sections=self.sections(views), fields=views, errors=shown + ordered,
                        client=self.client_config())

    def field_view(self, field: Field, name: str, value: Any, stored: Any, by_path: dict[str, list[str]],
                   writable: bool) -> FieldView:
        """The view of one field, or of one cell when ``name`` is ``items.2.sku``."""
        from formflow.web.widgets import widget_for

        locale = self.context.locale
        hints = field.type.client_hints(field)
        if value is None:
            value = widget_for(field).shown(field, None, self.context)
        view = FieldView(
            field=field, name=name, id=_html_id(name), widget=field.type.widget,
            label=label(field.label, locale) or field.key, help=label(field.get("help"), locale),
            placeholder=label(field.get("placeholder"), locale), hints=hints, value=value, stored=stored,
            display="" if stored is None else field.type.display(field, stored, self.context),
            errors=by_path.get(name, []), required=field.required and writable, writable=writable,
            options=[{"value": option["value"], "color": option.get("color"),
                      "label": label(option.get("label"), locale) or option["value"]}
                     for option in hints.get("options") or []])
        if self.titles is not None and stored is not None:
            ids = stored if isinstance(stored, list) else [stored]
            if not isinstance(field.type, HasColumns):
                view.titles = {str(item): title for item, title in self.titles(field, ids).items()}
        if isinstance(field.type, HasColumns):
            self.add_rows(view, by_path, writable)
        return view

    def add_rows(self, view: FieldView, by_path: dict[str, list[str]], writable: bool) -> None:
        """A subtable's rows of cell views (at least ``min_rows``, and one to type into)."""
        field = view.field
        columns = field.type.columns(field)  # type: ignore[attr-defined]
        rows = list(view.value) if isinstance(view.value, list) else []
        computed = view.stored if isinstance(view.stored, list) and len(view.stored) == len(rows) else []
        wanted = max(int(view.hints.get("min_rows") or 0), 1 if writable else 0)
        rows += [{} for _ in range(wanted - len(rows))]

        def cells(index: int | str, row: dict[str, Any], results: dict[str, Any]) -> list[FieldView]:
            return [self.field_view(column, f"{field.key}.{index}.{key}", row.get(key),
                                    results.get(key) if column.type.computed else None, by_path,
                                    writable and not column.type.computed and not column.get("read_only"))
                    for key, column in columns.items()]

        view.rows = [cells(index, row, computed[index] if index < len(computed) else {})
                     for index, row in enumerate(rows)]
        view.template_row = cells(ROW_PLACEHOLDER, {}, {})

    def sections(self, views: dict[str, FieldView]) -> list[SectionView]:
        """The layout's sections with the fields the actor may read; unplaced fields go last."""
        locale = self.context.locale
        placed: set[str] = set()
        sections = []
        for section in (self.version.definition.get("layout") or {}).get("sections") or []:
            rows = []
            for row in section.get("rows") or []:
                cells = [views[key] for key in row if key in views and key not in placed]
                placed.update(view.field.key for view in cells)
                if cells:
                    rows.append(cells)
            if rows:
                title = label(section.get("label"), locale)
                sections.append(SectionView(section.get("key", ""), title, rows))
        rest = [[view] for key, view in views.items() if key not in placed]
        if rest:
            sections.append(SectionView("", "", rest))
        return sections

    def client_config(self) -> dict[str, Any]:
        """The JSON the page's scripts read: conditions, field kinds and the evaluation context."""
        conditions: dict[str, dict[str, Any]] = {}
        for key, field in self.readable.items():
            for attribute in ("visible_if", "required_if"):
                if field.get(attribute) is not None:
                    conditions.setdefault(key, {})[attribute] = field.get(attribute)
        return {
            "conditions": conditions,
            "fields": condition_fields(self.readable.values()),
            "system_values": self.system_values,
            "context": {"user": self.context.actor_user_id,
                        "team": list(self.context.extra.get("team_user_ids", ())),
                        "timezone": self.context.timezone},
            "formulas": [key for key, field in self.readable.items() if field.type.computed],
            "required": [key for key, field in self.readable.items() if field.required],
        }
