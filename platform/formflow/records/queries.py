"""Reading records: lists (filter, sort, search, keyset pages, counts), one record, its history.

Every read starts from the policy: the scope filter picks the rows, the field mask the fields. A
hidden field is not in the values, not a filter or sort key (it is "unknown"), not matched by search
and not in a revision's diff. Relation titles come in one query per target form and page, through
that form's scope filter and mask.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, Table, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, defer
from sqlalchemy.sql.expression import ClauseElement, Executable

from formflow.conditions import sql as condition_sql
from formflow.conditions.context import EvaluationContext
from formflow.conditions.tree import parse
from formflow.config import SETTINGS
from formflow.db import utcnow
from formflow.errors import BadRequest, NotFound
from formflow.fields.base import Field, FieldContext
from formflow.forms import storage
from formflow.forms.models import Form
from formflow.forms.validation import CompiledForm
from formflow.i18n import current_locale, gettext
from formflow.permissions import policy
from formflow.permissions.actor import Actor
from formflow.permissions.policy import FieldMask
from formflow.records import cursor
from formflow.records.access import (
    current_version,
    load_record,
    mask_of,
    referenced_ids,
    sibling_form,
    target_form_key,
)
from formflow.records.cursor import SortKey
from formflow.records.models import Comment, Record, Revision
from formflow.records.search import search_condition

_DEFAULTS = {setting.name: setting.default for setting in SETTINGS}
#: whether the engine sorts NULL as the largest value (PostgreSQL) or the smallest (SQLite)
NULLS_LARGEST = {"postgresql": True, "sqlite": False}
#: most sort keys one list may use
MAX_SORT_KEYS = 6
#: SQLite walks the first sort key's expression index (stopping after the page, checking the filter row by
#: row) when the filter matches more rows than this; fewer are fetched through the filter's own index and
#: sorted. Walking reads about page x records / matches index entries, sorting reads the matches: at 1M
#: records and pages of 50 the two cost the same near sqrt(50 x 1M) = 7,000 matches (measured: 15% of
#: 1M matching, walking 1.2 ms, filter index + sort 600 ms, the planner's own choice 2,000 ms).
WALK_SORT_INDEX_FROM = 5000
#: how each engine is told to read a table through one index; PostgreSQL's planner weighs the LIMIT
#: against its statistics itself, SQLite's keeps a filter index and sorts (docs/internals.md, lists)
_INDEX_HINTS = {"sqlite": "INDEXED BY {name}"}
#: columns a list never needs (search machinery, the client's idempotency key)
_UNLISTED = (defer(Record.search_text), defer(Record.search_fields), defer(Record.idempotency_key))


@dataclass(frozen=True)
class QueryLimits:
    """The settings lists obey: PAGE_SIZE, MAX_PAGE_SIZE, EXACT_COUNT_LIMIT, MAX_CONDITION_DEPTH."""

    page_size: int = _DEFAULTS["PAGE_SIZE"]
    max_page_size: int = _DEFAULTS["MAX_PAGE_SIZE"]
    exact_count_limit: int = _DEFAULTS["EXACT_COUNT_LIMIT"]
    max_condition_depth: int = _DEFAULTS["MAX_CONDITION_DEPTH"]

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> QueryLimits:
        """The limits from an app's config."""
        return cls(page_size=int(config["PAGE_SIZE"]), max_page_size=int(config["MAX_PAGE_SIZE"]),
                   exact_count_limit=int(config["EXACT_COUNT_LIMIT"]),
                   max_condition_depth=int(config["MAX_CONDITION_DEPTH"]))


@dataclass
class RecordQuery:
    """What a list asks for; every part optional."""

    #: a condition tree over the version's fields and the system fields
    filter: dict[str, Any] | None = None
    #: sort keys, ``-`` for descending: ``["-amount", "name"]``; the id breaks ties
    sort: list[str] = field(default_factory=list)
    #: field keys to return (default: every readable field)
    fields: list[str] | None = None
    #: full-text query over the searchable fields
    search: str | None = None
    limit: int | None = None
    #: the previous page's ``next_cursor``
    cursor: str | None = None
    #: rows to skip (instead of a cursor)
    offset: int | None = None
    #: count the matches (capped, see Page.total_is_estimate)
    with_total: bool = True


@dataclass
class Page:
    """One page of records (serialized, masked), the cursor of the next page and the match count."""

    items: list[dict[str, Any]]
    next_cursor: str | None
    total: int | None
    #: ``total`` is an estimate (more matches than EXACT_COUNT_LIMIT): a lower bound on SQLite,
    #: the planner's estimate on PostgreSQL
    total_is_estimate: bool = False


def query_records(session: Session, actor: Actor, form: Form, query: RecordQuery,
                  limits: QueryLimits | None = None) -> Page:
    """A page of ``form``'s records the actor may read, as ``query`` asks."""
    limits = limits or QueryLimits()
    policy.require(actor, "read", form)
    version = current_version(session, form)
    mask = mask_of(actor, form, version)
    dialect_name = session.get_bind().dialect.name
    readable = {key: item for key, item in version.fields.items() if mask.can_read(key)}
    columns = condition_sql.record_columns(readable.values(), dialect_name)
    conditions = [policy.scope_filter(actor, form), *_filters(actor, version, mask, readable, columns, query,
                                                       limits, dialect_name)]
    keys = sort_keys(query.sort, readable, columns)
    limit = _page_size(query.limit, limits)
    statement = (select(Record, *(key.expression for key in keys)).options(*_UNLISTED)
                 .where(*conditions).order_by(*(key.ordering() for key in keys)).limit(limit + 1))
    total, estimate = (None, False)
    if query.with_total:
        total, estimate = count(session, conditions, limits.exact_count_limit)
    hint = _INDEX_HINTS.get(dialect_name)
    walked = _walked_index(session, form, readable, keys, query, conditions, total) if hint else None
    if walked is not None:
        statement = statement.with_hint(Record, hint.format(name=walked), dialect_name)
    if query.cursor is not None and query.offset is not None:
        raise BadRequest(gettext("Give a cursor or an offset, not both."), code="bad_pagination")
    ranges = None
    if query.cursor is not None:
        values = cursor.decode(query.cursor, keys)
        statement = statement.where(cursor.after(keys, values, NULLS_LARGEST[dialect_name]))
        ranges = cursor.seek(keys, values, NULLS_LARGEST[dialect_name])
    elif query.offset:
        if not isinstance(query.offset, int) or query.offset < 0:
            raise BadRequest(gettext("The offset must be a whole number of 0 or more."),
                             code="bad_pagination")
        statement = statement.offset(query.offset)
    rows = _page_rows(session, statement, ranges, limit)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursor.encode(keys, list(rows[-1][1:])) if more and rows else None
    selected = _selected(query.fields, {key: item for key, item in version.fields.items()
                                        if mask.can_show(key)})
    records = [row[0] for row in rows]
    titles = relation_titles(session, actor, form, selected, records)
    items = [serialize_record(session, actor, form, record, version=version, mask=mask, fields=selected,
                              titles=titles.get(record.id, {})) for record in records]
    return Page(items=items, next_cursor=next_cursor, total=total, total_is_estimate=estimate)


def _page_rows(session: Session, statement: Select[Any], ranges: cursor.Seek | None, limit: int
               ) -> list[Any]:
    """Up to ``limit + 1`` rows of the page; after a cursor, first from its range on the first sort key
    (an index scan that starts at the cursor), then, when short, from the empty values after them."""
    if ranges is None:
        return list(session.execute(statement).all())
    rows = list(session.execute(statement.where(ranges.bound)).all())
    if len(rows) <= limit and ranges.tail is not None:
        rows += session.execute(statement.where(ranges.tail).limit(limit + 1 - len(rows))).all()
    return rows


def _walked_index(session: Session, form: Form, readable: Mapping[str, Field], keys: list[SortKey],
                  query: RecordQuery, conditions: list[ColumnElement[bool]], total: int | None) -> str | None:
    """The expression index to read the page through in sort order, or None to leave it to the planner.

    That is the first sort key's index (``forms.storage``: its expression is the key's, its predicate
    the scope filter's live-records terms) when there is no search and the filter matches more than
    ``WALK_SORT_INDEX_FROM`` rows (``total`` when counted, else a capped count now).
    """
    item = readable.get(keys[0].name.removeprefix("-"))
    if item is None or not item.indexed or query.search:
        return None
    name = storage.index_name(form.id, item.key, item.unique)
    if name not in storage.existing_indexes(session.connection(), form.id):
        return None
    if total is None:
        total, _ = count(session, conditions, WALK_SORT_INDEX_FROM)
    return name if total > WALK_SORT_INDEX_FROM else None


@compiles(Table, "sqlite")
def _compile_table_sqlite(element: Table, compiler: Any, **kw: Any) -> str:
    """A table with its ``INDEXED BY`` hint: SQLAlchemy's SQLite compiler drops table hints."""
    rendered = compiler.visit_table(element, **kw)
    hints = kw.get("fromhints")
    if rendered and hints and element in hints and not kw.get("iscrud"):
        rendered += " " + hints[element]
    return rendered


def _filters(actor: Actor, version: CompiledForm, mask: FieldMask, readable: dict[str, Field],
             columns: dict[str, Any], query: RecordQuery, limits: QueryLimits, dialect_name: str
             ) -> list[ColumnElement[bool]]:
    conditions = []
    if query.filter:
        condition = parse(query.filter, readable, limits.max_condition_depth, path="filter")
        context = EvaluationContext(user_id=actor.user_id, team_user_ids=actor.team_user_ids,
                                    timezone=actor.timezone, now=utcnow())
        conditions.append(condition_sql.compile(condition, columns, context))
    if query.search:
        searchable = [key for key, item in version.fields.items() if item.searchable]
        visible = [key for key in searchable if mask.can_read(key)]
        hidden = len(visible) < len(searchable)
        conditions.append(search_condition(dialect_name, query.search, visible if hidden else None))
    return conditions


def sort_keys(sort: Iterable[str], readable: Mapping[str, Field], columns: Mapping[str, Any]
              ) -> list[SortKey]:
    """The ORDER BY of ``sort`` (``["-amount", "name"]``), ending with the id as tiebreaker.

    A key that is unknown, hidden or not sortable is a 400 naming it. The tiebreaker takes the last
    key's direction, so ``(value, id)`` indexes serve the order read forwards or backwards.
    """
    sort = list(sort or [])
    if len(sort) > MAX_SORT_KEYS:
        raise BadRequest(gettext("Sort by at most %(count)s keys.", count=MAX_SORT_KEYS), code="bad_sort")
    keys: list[SortKey] = []
    for name in sort:
        key = name.removeprefix("-") if isinstance(name, str) else None
        spec = columns.get(key) if key is not None else None
        kind = cursor.value_kind(spec[0].type) if spec is not None else None
        item = readable.get(key) if key is not None else None
        if (kind is None or (item is not None and not item.type.is_sortable(item))
                or any(known.name.removeprefix("-") == key for known in keys)):
            shown = str(name)[:64]
            raise BadRequest(gettext("Cannot sort by '%(key)s'.", key=shown), code="bad_sort",
                             extra={"key": shown})
        keys.append(SortKey(name, spec[0], name.startswith("-"), kind))
    if not any(known.name.removeprefix("-") == "id" for known in keys):
        descending = keys[-1].descending if keys else False
        keys.append(SortKey("-id" if descending else "id", Record.id, descending, "integer"))
    return keys


def _page_size(limit: int | None, limits: QueryLimits) -> int:
    if limit is None:
        return limits.page_size
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= limits.max_page_size:
        raise BadRequest(gettext("The limit must be between 1 and %(max)s.", max=limits.max_page_size),
                         code="bad_limit", extra={"key": "limit"})
    return limit


def _selected(keys: list[str] | None, readable: Mapping[str, Field]) -> list[str]:
    if keys is None:
        return list(readable)
    for key in keys:
        if key not in readable:
            raise BadRequest(gettext("Unknown field '%(key)s'.", key=str(key)[:64]), code="bad_fields",
                             extra={"key": str(key)[:64]})
    return list(dict.fromkeys(keys))


def count(session: Session, conditions: list[ColumnElement[bool]], exact_limit: int) -> tuple[int, bool]:
    """(matches, is_estimate): exact up to ``exact_limit``, else an estimate; never a full COUNT."""
    capped = select(Record.id).where(*conditions).limit(exact_limit + 1).subquery()
    found = session.scalar(select(func.count()).select_from(capped)) or 0
    if found <= exact_limit:
        return found, False
    estimate = _ESTIMATORS.get(session.get_bind().dialect.name)
    planned = estimate(session, select(Record.id).where(*conditions)) if estimate else 0
    return max(found, planned), True


class Explain(Executable, ClauseElement):
    """``EXPLAIN (FORMAT JSON) <select>``: the plan, with the select's parameters bound as usual."""

    inherit_cache = False

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement


@compiles(Explain, "postgresql")
def _compile_explain(element: Explain, compiler: Any, **kw: Any) -> str:
    return "EXPLAIN (FORMAT JSON) " + compiler.process(element.statement, **kw)


def _postgresql_estimate(session: Session, statement: Select[Any]) -> int:
    """The planner's row estimate for ``statement`` (EXPLAIN, no execution)."""
    plan = session.execute(Explain(statement)).scalar()
    return int(plan[0]["Plan"]["Plan Rows"])


#: row estimators beyond the exact limit; SQLite has none (its answer is a lower bound)
_ESTIMATORS = {"postgresql": _postgresql_estimate}


def relation_titles(session: Session, actor: Actor, form: Form, keys: Iterable[str], records: list[Record]
                    ) -> dict[int, dict[str, dict[str, str]]]:
    """``{record id: {field key: {str(target id): title}}}`` for the relation fields among ``keys``.

    One query per target form (whatever the number of records and of relation fields pointing at
    it), filtered by the target's scope and reading only title fields the actor may read there:
    targets out of scope, or whose title field is hidden, get no title.
    """
    version = current_version(session, form)
    relations = {key: (target, version.fields[key]) for key in keys if key in version.fields
                 for target in [target_form_key(version.fields[key])] if target is not None}
    wanted: dict[str, set[int]] = defaultdict(set)
    for key, (target, _item) in relations.items():
        for record in records:
            wanted[target].update(referenced_ids(record.data.get(key)))
    found = {target: _titles_of(session, actor, form, target, ids,
                                [item for item_target, item in relations.values() if item_target == target])
             for target, ids in wanted.items() if ids}
    result: dict[int, dict[str, dict[str, str]]] = {}
    for record in records:
        titles = {}
        for key, (target, item) in relations.items():
            shown = found.get(target, {}).get(item.get("display_field"), {})
            mapping = {str(linked): shown[linked] for linked in referenced_ids(record.data.get(key))
                       if linked in shown}
            if mapping:
                titles[key] = mapping
        result[record.id] = titles
    return result


def _titles_of(session: Session, actor: Actor, form: Form, target_key: str, ids: set[int],
               relation_fields: list[Field]) -> dict[str | None, dict[int, str]]:
    """``{display_field or None: {id: title}}`` for the relation fields pointing at one target form."""
    target = sibling_form(session, form, target_key)
    if target is None or target.current_version_id is None or target.workspace_id != actor.workspace_id:
        return {}
    target_version = current_version(session, target)
    target_mask = mask_of(actor, target, target_version)
    shown: dict[str | None, Field] = {}
    for item in relation_fields:
        chosen = item.get("display_field")
        title = (target_version.fields.get(chosen) if chosen else None) or target_version.title_field
        if title is not None and target_mask.can_read(title.key):
            shown[chosen] = title
    if not shown:
        return {}
    titles = list({title.key: title for title in shown.values()}.values())
    rows = session.execute(select(Record.id, *(Record.data[title.key] for title in titles)).where(
        policy.scope_filter(actor, target), Record.id.in_(sorted(ids)))).all()
    context = FieldContext(timezone=actor.timezone, locale=current_locale(), actor_user_id=actor.user_id)
    by_key = {title.key: {row[0]: title.type.display(title, row[1 + index], context) for row in rows
                          if row[1 + index] is not None} for index, title in enumerate(titles)}
    return {chosen: by_key[title.key] for chosen, title in shown.items()}


def serialize_record(session: Session, actor: Actor, form: Form, record: Record, *,
                     version: CompiledForm | None = None, mask: FieldMask | None = None,
                     fields: list[str] | None = None, titles: dict[str, dict[str, str]] | None = None
                     ) -> dict[str, Any]:
    """The record JSON of docs/internals.md, with only the fields the actor may read."""
    version = version or current_version(session, form)
    mask = (mask or mask_of(actor, form, version)).for_state(record.state)
    keys = [key for key in (fields if fields is not None else version.fields) if mask.can_read(key)]
    if titles is None:
        titles = relation_titles(session, actor, form, keys, [record]).get(record.id, {})
    return {
        "id": record.id, "form": form.key, "form_version": record.form_version_id,
        "version": record.version, "state": record.state, "owner": record.owner_id,
        "data": {**{key: record.data[key] for key in keys if key in record.data},
                 **mask.masked_values(version.fields, record.data, fields)},
        "titles": titles, "created_at": _iso(record.created_at), "updated_at": _iso(record.updated_at),
        "created_by": record.created_by_id, "updated_by": record.updated_by_id,
        "deleted_at": _iso(record.deleted_at),
    }


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat().replace("+00:00", "Z")


def get_record(session: Session, actor: Actor, form: Form, record_id: int) -> dict[str, Any]:
    """One record the actor may read, serialized; NotFound otherwise (also when out of scope)."""
    policy.require(actor, "read", form)
    return serialize_record(session, actor, form, load_record(session, actor, form, record_id))


def _visible_record(session: Session, actor: Actor, form: Form, record_id: int) -> Record:
    """A record in the actor's scope, live or in the trash."""
    record = session.scalar(select(Record).where(
        Record.id == record_id, policy.scope_filter(actor, form) | policy.trash_filter(actor, form)))
    if record is None:
        raise NotFound(gettext("Record not found."))
    return record


#: revision diff keys that are system columns, not fields: every reader of the record sees them
#: (workflow transitions and migrations write them, records/transitions.py)
SYSTEM_DIFF_KEYS = frozenset({"state", "workflow_version", "owner", "pool"})


def list_revisions(session: Session, actor: Actor, form: Form, record_id: int, *, limit: int = 100,
                   before: int | None = None) -> list[dict[str, Any]]:
    """A record's history, newest first, with diffs reduced to the fields the actor may read.

    An update that only touched hidden fields is left out altogether. ``before`` (a revision id)
    pages back.
    """
    policy.require(actor, "read", form)
    record = _visible_record(session, actor, form, record_id)
    mask = mask_of(actor, form, current_version(session, form)).for_state(record.state)
    statement = select(Revision).where(Revision.record_id == record.id).order_by(Revision.id.desc())
    if before is not None:
        statement = statement.where(Revision.id < before)
    result = []
    for revision in session.scalars(statement.limit(max(1, min(limit, 1000)))):
        diff = {key: change for key, change in (revision.diff or {}).items()
                if mask.can_read(key) or key in SYSTEM_DIFF_KEYS}
        if revision.diff and not diff:
            continue
        result.append({"id": revision.id, "action": revision.action,
                       "record_version": revision.record_version, "diff": diff, "actor": revision.actor_id,
                       "created_at": _iso(revision.created_at)})
    return result


def list_comments(session: Session, actor: Actor, form: Form, record_id: int) -> list[dict[str, Any]]:
    """A record's comments, oldest first."""
    policy.require(actor, "read", form)
    record = _visible_record(session, actor, form, record_id)
    comments = session.scalars(select(Comment).where(Comment.record_id == record.id,
                                                     Comment.deleted_at.is_(None)).order_by(Comment.id))
    return [{"id": comment.id, "author": comment.author_id, "body": comment.body,
             "created_at": _iso(comment.created_at)} for comment in comments]

