"""A form's page: its records as a read-only list (search, newest first, keyset pages).

Reads go through ``records.queries.query_records`` (scope filter and field mask included); this
module only turns the page it returns into rows of display text for the template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Blueprint, current_app, render_template, request
from flask_babel import format_datetime
from flask_login import login_required

from formflow.fields.base import Field, FieldContext
from formflow.forms.service import compiled
from formflow.http import db
from formflow.i18n import current_locale, label
from formflow.permissions.actor import Actor
from formflow.permissions.policy import FieldMask
from formflow.records.access import mask_of, reference_kind
from formflow.records.queries import QueryLimits, RecordQuery, query_records
from formflow.web import navigation
from formflow.web.context import app_context

blueprint = Blueprint("records", __name__)

#: most field columns the list shows (the rest are on the record's own page)
MAX_COLUMNS = 6
#: longest search text accepted from the address bar
MAX_SEARCH_LENGTH = 200


@dataclass(frozen=True)
class Column:
    """A column of the list: a field's key and its label in the current language."""

    key: str
    title: str


@dataclass(frozen=True)
class Row:
    """A record as the list shows it: display text per column key, and when it last changed."""

    id: int
    cells: dict[str, str]
    updated_at: str


def _columns(fields: dict[str, Field], mask: FieldMask) -> tuple[list[Column], dict[str, Field]]:
    """The first readable fields, as columns and by key."""
    readable = [(key, item) for key, item in fields.items() if mask.can_read(key)]
    chosen = dict(readable[:MAX_COLUMNS])
    return [Column(key, label(item.label) or key) for key, item in chosen.items()], chosen


def _row(item: dict[str, Any], fields: dict[str, Field], actor: Actor) -> Row:
    titles = {kind: item["titles"][key] for key, field in fields.items()
              if key in item["titles"] and (kind := reference_kind(field)) is not None}
    context = FieldContext(timezone=actor.timezone, locale=current_locale(), actor_user_id=actor.user_id,
                           extra={"titles": titles})
    cells = {key: field.type.display(field, item["data"].get(key), context) for key, field in fields.items()}
    updated = item.get("updated_at")
    moment = datetime.fromisoformat(updated) if updated else None
    return Row(id=item["id"], cells=cells, updated_at=format_datetime(moment, "short") if moment else "")


@blueprint.route("/w/<slug>/apps/<app_key>/forms/<form_key>/")
@login_required
def index(slug: str, app_key: str, form_key: str) -> str:
    """The records of a form the user may read, newest first, with search and "next page"."""
    place = app_context(slug, app_key)
    session = db()
    form = navigation.form_for_actor(session, place.actor, place.app.app, form_key)
    search = request.args.get("q", "").strip()[:MAX_SEARCH_LENGTH]
    cursor = request.args.get("cursor") or None
    page = query_records(session, place.actor, form,
                         RecordQuery(sort=["-id"], search=search or None, cursor=cursor),
                         QueryLimits.from_config(current_app.config))
    version = compiled(session, form.current_version_id)
    columns, fields = _columns(version.fields, mask_of(place.actor, form, version))
    rows = [_row(item, fields, place.actor) for item in page.items]
    return render_template("records/list.html", workspace=place.workspace, app=place.app, form=form,
                           form_title=label(form.name) or form.key, columns=columns, rows=rows, page=page,
                           search=search, cursor=cursor)
