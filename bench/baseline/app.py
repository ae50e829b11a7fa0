"""The baseline lead app: POST /leads (validated with JSON Schema) and GET /leads (filter, sort, keyset, FTS).

This is the hand-written comparison point for Formflow's benchmarks: one typed table, hand-picked
indexes, no form versions, permissions, revisions or generic query layer.
"""

from __future__ import annotations

import base64
import json
import re
import warnings
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from flask import Flask, abort, g, jsonify, request
from jsonschema import Draft202012Validator, FormatChecker
from sqlalchemy import ColumnElement, Select, select, text, tuple_
from sqlalchemy.orm import Session, sessionmaker

from bench.baseline.models import STAGES, Lead, create_schema, make_engine

#: mainland China mobile numbers, optionally with +86
PHONE_PATTERN = r"^(\+86)?1[3-9][0-9]{9}$"

LEAD_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "stage"],
    "properties": {
        "name": {"type": "string", "minLength": 1, "maxLength": 200},
        "company": {"type": ["string", "null"], "maxLength": 200},
        "phone": {"type": ["string", "null"], "pattern": PHONE_PATTERN},
        "email": {"type": ["string", "null"], "format": "email", "maxLength": 254},
        "stage": {"enum": list(STAGES)},
        "amount": {"type": ["string", "number", "null"], "pattern": r"^-?[0-9]{1,12}(\.[0-9]{1,2})?$"},
        "city": {"type": ["string", "null"], "maxLength": 100},
        "owner_id": {"type": ["integer", "null"]},
    },
}

VALIDATOR = Draft202012Validator(LEAD_SCHEMA, format_checker=FormatChecker())

#: sort keys GET /leads accepts, newest/largest first
SORTS = {"-amount": Lead.amount, "-created_at": Lead.created_at, "-id": Lead.id}
DEFAULT_LIMIT = 50
MAX_LIMIT = 500


@dataclass(frozen=True)
class LeadQuery:
    """One page request: optional stage filter and FTS query, a sort key, a page size and a keyset cursor."""

    stage: str | None = None
    search: str | None = None
    sort: str = "-amount"
    limit: int = DEFAULT_LIMIT
    after: str | None = None


def validation_errors(payload: Any) -> list[dict[str, str]]:
    """Every problem of a POST body, as ``{"field", "message"}``."""
    return [
        {"field": "/".join(str(part) for part in error.path) or "$", "message": error.message}
        for error in VALIDATOR.iter_errors(payload)
    ]


def create_lead(session: Session, payload: dict[str, Any]) -> Lead:
    """Insert one validated lead and commit."""
    lead = Lead(**payload)
    if lead.amount is not None:
        lead.amount = Decimal(str(lead.amount))
    if lead.phone and not lead.phone.startswith("+"):
        lead.phone = "+86" + lead.phone
    session.add(lead)
    session.commit()
    return lead


def fts_phrase(term: str) -> str:
    """An FTS5 query matching ``term`` as one phrase (quotes doubled, so input cannot inject syntax)."""
    return '"' + term.replace('"', '""') + '"'


def encode_cursor(values: list[Any]) -> str:
    """An opaque keyset cursor."""
    return base64.urlsafe_b64encode(json.dumps(values).encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> list[Any]:
    """The values of a cursor from ``encode_cursor``."""
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def build_query(query: LeadQuery) -> Select[tuple[Lead]]:
    """The SELECT for one page: filter, FTS match, keyset condition, ORDER BY sort key then id, LIMIT."""
    column = SORTS[query.sort]
    statement = select(Lead)
    if query.stage is not None:
        statement = statement.where(Lead.stage == query.stage)
    if query.search:
        statement = statement.where(
            Lead.id.in_(
                select(text("rowid"))
                .select_from(text("leads_fts"))
                .where(text("leads_fts MATCH :phrase").bindparams(phrase=fts_phrase(query.search)))
            )
        )
    if query.after:
        statement = statement.where(_after(column, decode_cursor(query.after)))
    if column is Lead.id:
        return statement.order_by(Lead.id.desc()).limit(query.limit + 1)
    return statement.order_by(column.desc(), Lead.id.desc()).limit(query.limit + 1)


def _after(column: Any, values: list[Any]) -> ColumnElement[bool]:
    if column is Lead.id:
        return Lead.id < values[-1]
    return tuple_(column, Lead.id) < tuple_(*values)


def list_leads(session: Session, query: LeadQuery) -> tuple[list[Lead], str | None]:
    """One page of leads and the cursor of the next page (None on the last page)."""
    rows = list(session.scalars(build_query(query)))
    next_cursor = None
    if len(rows) > query.limit:
        rows = rows[: query.limit]
        last = rows[-1]
        key = SORTS[query.sort].key
        value = getattr(last, key)
        if isinstance(value, Decimal):
            value = float(value)
        elif hasattr(value, "isoformat"):
            value = value.isoformat(sep=" ")
        next_cursor = encode_cursor([last.id] if key == "id" else [value, last.id])
    return rows, next_cursor


def parse_query(args: Any) -> LeadQuery:
    """A LeadQuery from GET /leads parameters; 400 on bad input."""
    stage = args.get("stage") or None
    sort = args.get("sort", "-amount")
    if (stage is not None and stage not in STAGES) or sort not in SORTS:
        abort(400)
    try:
        limit = int(args.get("limit", DEFAULT_LIMIT))
    except ValueError:
        abort(400)
    if not 1 <= limit <= MAX_LIMIT:
        abort(400)
    after = args.get("after") or None
    if after is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,200}", after):
        abort(400)
    return LeadQuery(
        stage=stage, search=(args.get("q") or "").strip() or None, sort=sort, limit=limit, after=after
    )


def create_app(database_url: str) -> Flask:
    """The baseline app on ``database_url`` (SQLite); creates the schema when missing."""
    # SQLite has no DECIMAL: SQLAlchemy warns once that NUMERIC values come back through float.
    warnings.filterwarnings("ignore", message=".*does \\*not\\* support Decimal objects natively.*")
    app = Flask("bench.baseline")
    engine = make_engine(database_url)
    create_schema(engine)
    sessions = sessionmaker(bind=engine, expire_on_commit=False)
    app.extensions["baseline.engine"] = engine
    app.extensions["baseline.sessionmaker"] = sessions

    def db() -> Session:
        if "db" not in g:
            g.db = sessions()
        return g.db

    @app.teardown_appcontext
    def _close(_exc: BaseException | None) -> None:
        session = g.pop("db", None)
        if session is not None:
            session.close()

    @app.post("/leads")
    def post_lead() -> Any:
        payload = request.get_json(silent=True)
        errors = validation_errors(payload)
        if errors:
            return jsonify({"title": "Invalid lead", "errors": errors}), 422
        return jsonify(create_lead(db(), payload).to_dict()), 201

    @app.get("/leads")
    def get_leads() -> Any:
        rows, next_cursor = list_leads(db(), parse_query(request.args))
        return jsonify({"items": [lead.to_dict() for lead in rows], "next": next_cursor})

    @app.get("/health")
    def health() -> Any:
        return {"ok": True}

    return app
