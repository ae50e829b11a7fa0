"""GET /api/v1/openapi.json: the OpenAPI 3.1 document, built once per app from the declared operations."""

from __future__ import annotations

from typing import Any

from flask import current_app

from formflow.api.definition import api
from formflow.api.openapi import build_document
from formflow.api.operations import Response

DOCUMENT_KEY = "formflow.api.openapi"


@api.operation("GET", "/openapi.json", summary="This API's OpenAPI 3.1 document", tags=("meta",),
               public=True, responses={200: Response("The OpenAPI document.", {"type": "object"})})
def openapi_document() -> dict[str, Any]:
    """The OpenAPI document (public: it describes, it reveals no data)."""
    if DOCUMENT_KEY not in current_app.extensions:
        current_app.extensions[DOCUMENT_KEY] = build_document(api)
    return current_app.extensions[DOCUMENT_KEY]
