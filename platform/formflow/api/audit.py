"""GET /api/v1/audit: the workspace's audit log (admins only), newest first."""

from __future__ import annotations

from typing import Any

from flask import g

from formflow.api.definition import INT64_MAX, api
from formflow.api.operations import Parameter, Response
from formflow.api.resources import DATETIME, ID, NULLABLE_ID, PROBLEM
from formflow.http import db
from formflow.permissions import audit

AUDIT_ENTRY = api.component("AuditEntry", {
    "type": "object",
    "description": "A refused or suspicious request: a write to fields the user may not write, "
                   "mass-assignment of system fields, an id of another workspace, a refused action, "
                   "a revoked token.",
    "required": ["id", "kind", "user", "form", "record", "fields", "detail", "created_at"],
    "properties": {
        "id": ID, "kind": {"type": "string", "enum": list(audit.KINDS)}, "user": NULLABLE_ID,
        "form": NULLABLE_ID, "record": NULLABLE_ID,
        "fields": {"type": "array", "items": {"type": "string"}, "description": "The field keys concerned."},
        "detail": {"type": "object"}, "created_at": DATETIME,
    },
})
AUDIT_PAGE = api.component("AuditPage", {
    "type": "object", "required": ["items", "next_before"],
    "properties": {"items": {"type": "array", "items": AUDIT_ENTRY},
                   "next_before": {**NULLABLE_ID, "description": "`before` of the next (older) page."}},
})
PARAMETERS = (
    Parameter("kind", "query", {"type": "string", "enum": list(audit.KINDS)}, "Only entries of this kind."),
    Parameter("before", "query", {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
              "Entries older than this id (the previous page's `next_before`)."),
    Parameter("limit", "query", {"type": "integer", "minimum": 1, "maximum": audit.MAX_PAGE},
              "Entries per page (default 100)."),
)


@api.operation("GET", "/audit", summary="The workspace's audit log", tags=("audit",), params=PARAMETERS,
               responses={200: Response("Entries, newest first.", AUDIT_PAGE),
                          403: Response("Only workspace admins read the audit log.", PROBLEM)})
def list_audit(params: dict[str, Any]) -> dict[str, Any]:
    """Refused writes, mass-assignment, cross-workspace ids, refused actions and revoked tokens."""
    limit = params.get("limit", 100)
    entries = audit.list_entries(db(), g.actor, kind=params.get("kind"), before=params.get("before"),
                                 limit=limit)
    return {"items": [audit.render(entry) for entry in entries],
            "next_before": entries[-1].id if len(entries) == limit else None}
