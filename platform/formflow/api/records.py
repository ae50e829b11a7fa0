"""Records of a form: list and query, create (idempotent), show, change, delete and restore, history,
comments. Every call goes through ``records.service`` (writes) or ``records.queries`` (reads)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from flask import current_app, g, request

from formflow.api.definition import INT32_MAX, api
from formflow.api.input import parameter_error
from formflow.api.operations import Parameter, Response
from formflow.api.resources import (
    COMMENT,
    COMMENT_LIST,
    CONDITION,
    FIELD_KEY_PATTERN,
    NEW_COMMENT,
    NEW_RECORD,
    PROBLEM,
    RECORD,
    RECORD_CHANGES,
    RECORD_PAGE,
    RECORD_QUERY,
    REVISION_LIST,
    SORT_KEY_PATTERN,
    render_comment,
)
from formflow.errors import FieldError, FormflowError
from formflow.forms.models import Form
from formflow.forms.service import get_form_by_id
from formflow.http import db
from formflow.i18n import gettext
from formflow.records import queries, service
from formflow.records.models import Record
from formflow.records.queries import Page, QueryLimits, RecordQuery

TAGS = ("records",)
ETAG = ("The record's version as an entity tag, for If-Match.", {"type": "string"})
RECORD_PATH = "/forms/<int:form_id>/records/<int:record_id>"
NOT_PUBLISHED = Response("The form has no published version yet (`form_not_published`).", PROBLEM)

LIST_PARAMETERS = (
    Parameter("filter", "query", CONDITION, "A condition tree as JSON (URL-encoded).", is_json=True),
    Parameter("sort", "query",
              {"type": "string", "pattern": f"^{SORT_KEY_PATTERN}(,{SORT_KEY_PATTERN}){{0,5}}$"},
              "Comma-separated field keys, `-` for descending: `-amount,name`. The id breaks ties."),
    Parameter("fields", "query",
              {"type": "string", "pattern": f"^{FIELD_KEY_PATTERN}(,{FIELD_KEY_PATTERN}){{0,499}}$"},
              "Comma-separated field keys to return (default: every readable field)."),
    Parameter("search", "query", {"type": "string", "maxLength": 200}, "Full-text search."),
    Parameter("limit", "query", {"type": "integer", "minimum": 1, "maximum": 500}, "Records per page."),
    Parameter("cursor", "query", {"type": "string", "maxLength": 40_000},
              "`next_cursor` of the previous page."),
    Parameter("offset", "query", {"type": "integer", "minimum": 0, "maximum": INT32_MAX},
              "Records to skip (instead of a cursor)."),
    Parameter("total", "query", {"type": "boolean"}, "Count the matches (default: true)."),
)
IF_MATCH = Parameter("If-Match", "header", {"type": "string", "pattern": '^(W/)?"[0-9]{1,10}"$'},
                     'The record version the change was made to, as its ETag: `"3"`.')
IDEMPOTENCY_KEY = Parameter("Idempotency-Key", "header", {"type": "string", "pattern": "^[!-~]{1,200}$"},
                            "Repeating a create with the same key returns the first record, "
                            "whatever the body.")


def _form(form_id: int) -> Form:
    return get_form_by_id(db(), g.actor, form_id)


def _split(value: str | None) -> list[str] | None:
    return None if value is None else [item for item in value.split(",") if item]


def _limits() -> QueryLimits:
    return QueryLimits.from_config(current_app.config)


def _page(page: Page, next_link: str | None) -> tuple[dict[str, Any], int, dict[str, str]]:
    headers = {"Link": f'<{next_link}>; rel="next"'} if next_link else {}
    body = {"items": page.items, "next_cursor": page.next_cursor, "total": page.total,
            "total_is_estimate": page.total_is_estimate, "links": {"next": next_link}}
    return body, 200, headers


def _record(body: dict[str, Any], status: int = 200) -> tuple[dict[str, Any], int, dict[str, str]]:
    return body, status, {"ETag": f'"{body["version"]}"'}


@api.operation("GET", "/forms/<int:form_id>/records", summary="List records", tags=TAGS,
               params=LIST_PARAMETERS, responses={200: Response(
                   "A page of records; `links.next` (and the Link header) fetch the next one.", RECORD_PAGE,
                   headers={"Link": ('`<url>; rel="next"` when there is a next page.', {"type": "string"})}),
                   409: NOT_PUBLISHED})
def list_records(form_id: int, params: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Filter, sort, search and page a form's records (only what the user may see)."""
    query = RecordQuery(filter=params.get("filter"), sort=_split(params.get("sort")) or [],
                        fields=_split(params.get("fields")), search=params.get("search"),
                        limit=params.get("limit"), cursor=params.get("cursor"), offset=params.get("offset"),
                        with_total=params.get("total", True))
    page = queries.query_records(db(), g.actor, _form(form_id), query, _limits())
    next_link = None
    if page.next_cursor is not None:
        arguments = {key: value for key, value in request.args.items() if key != "offset"}
        next_link = f"{request.path}?{urlencode({**arguments, 'cursor': page.next_cursor})}"
    return _page(page, next_link)


@api.operation("POST", "/forms/<int:form_id>/records/query", summary="List records (query in the body)",
               tags=TAGS, body=RECORD_QUERY,
               responses={200: Response("A page of records; send `next_cursor` as `cursor` for the next.",
                                        RECORD_PAGE), 409: NOT_PUBLISHED})
def query_records(form_id: int, body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Like the list, for filters too long for a URL; reads only."""
    query = RecordQuery(filter=body.get("filter"), sort=body.get("sort") or [], fields=body.get("fields"),
                        search=body.get("search"), limit=body.get("limit"), cursor=body.get("cursor"),
                        offset=body.get("offset"), with_total=body.get("total", True))
    return _page(queries.query_records(db(), g.actor, _form(form_id), query, _limits()), None)


@api.operation("POST", "/forms/<int:form_id>/records", summary="Create a record", tags=TAGS,
               params=(IDEMPOTENCY_KEY,), body=NEW_RECORD,
               responses={201: Response("The new record (or, for a repeated Idempotency-Key, the first).",
                                        RECORD, headers={"ETag": ETAG, "Location": ("The record's URL.",
                                                                                    {"type": "string"})}),
                          409: Response("Unpublished form, or a unique value is taken.", PROBLEM)})
def create_record(form_id: int, params: dict[str, Any], body: dict[str, Any]
                  ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Validate and store a new record owned by the token's user."""
    form = _form(form_id)
    record = service.create_record(db(), g.actor, form, body["data"],
                                   idempotency_key=params.get("Idempotency-Key"))
    rendered, status, headers = _record(_serialize(form, record), 201)
    return rendered, status, {**headers, "Location": f"{api.prefix}/forms/{form.id}/records/{record.id}"}


def _serialize(form: Form, record: Record) -> dict[str, Any]:
    return queries.serialize_record(db(), g.actor, form, record)


@api.operation("GET", RECORD_PATH, summary="Show a record", tags=TAGS,
               responses={200: Response("The record.", RECORD, headers={"ETag": ETAG})})
def get_record(form_id: int, record_id: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    """One live record the user may see."""
    return _record(queries.get_record(db(), g.actor, _form(form_id), record_id))


def _expected_version(params: dict[str, Any], body: dict[str, Any]) -> int:
    """The version a change was made to: ``version`` in the body or If-Match (both must agree)."""
    from_header = _if_match(params)
    from_body = body.get("version")
    if from_header is not None and from_body is not None and from_header != from_body:
        raise parameter_error("If-Match", "mismatch", gettext("If-Match and version disagree."))
    expected = from_body if from_body is not None else from_header
    if expected is None:
        message = gettext("Send the record's version (in the body or as If-Match).")
        raise FormflowError(gettext("Precondition required"), status=428, code="precondition_required",
                            detail=message, errors=[FieldError("version", "required", message)])
    return expected


def _if_match(params: dict[str, Any]) -> int | None:
    value = params.get("If-Match")
    return None if value is None else int(value.removeprefix("W/").strip('"'))


@api.operation("PATCH", RECORD_PATH, summary="Change a record", tags=TAGS, params=(IF_MATCH,),
               body=RECORD_CHANGES,
               description="Optimistic: send `version` (or If-Match). If the record changed since, 409 "
                           "`stale_version` carries the `current` record; nothing is written.",
               responses={200: Response("The changed record.", RECORD, headers={"ETag": ETAG}),
                          409: Response("Stale version (`current` holds the record), or a unique value "
                                        "is taken.", PROBLEM),
                          428: Response("Neither `version` nor If-Match was sent.", PROBLEM)})
def update_record(form_id: int, record_id: int, params: dict[str, Any], body: dict[str, Any]
                  ) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Change the fields in ``data``; the whole record is validated again."""
    form = _form(form_id)
    record = service.update_record(db(), g.actor, form, record_id, body["data"],
                                   _expected_version(params, body))
    return _record(_serialize(form, record))


@api.operation("DELETE", RECORD_PATH, summary="Move a record to the trash", tags=TAGS, params=(IF_MATCH,),
               responses={200: Response("The deleted record (`deleted_at` set); restore brings it back.",
                                        RECORD),
                          409: Response("If-Match names an older version (`stale_version`).", PROBLEM)})
def delete_record(form_id: int, record_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """Soft-delete; with If-Match, only if the record is still at that version."""
    form = _form(form_id)
    record = service.delete_record(db(), g.actor, form, record_id, expected_version=_if_match(params))
    return _serialize(form, record)


@api.operation("POST", RECORD_PATH + "/restore", summary="Restore a deleted record", tags=TAGS,
               responses={200: Response("The restored record.", RECORD, headers={"ETag": ETAG}),
                          409: Response("A unique value was taken while the record was in the trash.",
                                        PROBLEM)})
def restore_record(form_id: int, record_id: int) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Bring a record back from the trash."""
    form = _form(form_id)
    return _record(_serialize(form, service.restore_record(db(), g.actor, form, record_id)))


@api.operation("GET", RECORD_PATH + "/revisions", summary="A record's history", tags=TAGS,
               params=(Parameter("limit", "query", {"type": "integer", "minimum": 1, "maximum": 1000},
                                 "Revisions to return (default 100)."),
                       Parameter("before", "query", {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
                                 "Only revisions older than this revision id (paging back).")),
               responses={200: Response("Revisions, newest first; diffs show only readable fields.",
                                        REVISION_LIST)})
def list_revisions(form_id: int, record_id: int, params: dict[str, Any]) -> dict[str, Any]:
    """Who changed what when (also for records in the trash)."""
    items = queries.list_revisions(db(), g.actor, _form(form_id), record_id, limit=params.get("limit", 100),
                                   before=params.get("before"))
    return {"items": items}


@api.operation("GET", RECORD_PATH + "/comments", summary="A record's comments", tags=TAGS,
               responses={200: Response("Comments, oldest first.", COMMENT_LIST)})
def list_comments(form_id: int, record_id: int) -> dict[str, Any]:
    """The record's comment timeline."""
    return {"items": queries.list_comments(db(), g.actor, _form(form_id), record_id)}


@api.operation("POST", RECORD_PATH + "/comments", summary="Comment on a record", tags=TAGS, body=NEW_COMMENT,
               responses={201: Response("The new comment.", COMMENT)})
def add_comment(form_id: int, record_id: int, body: dict[str, Any]) -> tuple[dict[str, Any], int]:
    """Add a comment to a live record."""
    comment = service.add_comment(db(), g.actor, _form(form_id), record_id, body["body"])
    return render_comment(comment), 201

