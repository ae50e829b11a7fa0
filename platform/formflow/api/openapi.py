"""The OpenAPI 3.1 document, built from the operations the routes declare (api/operations.py).

Nothing here lists endpoints by hand: every path, parameter, body and response comes from the
declarations next to the views, so the document describes what the code accepts. Each operation also
documents the problem answers (400, 401, 404, 413, 415, 422, 500) that the shared input checks and
error handler can give it.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from formflow.api.operations import ApiDefinition, Operation, Parameter, Response
from formflow.api.problems import MEDIA_TYPE as PROBLEM_MEDIA_TYPE
from formflow.api.problems import PROBLEM_SCHEMA

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
DESCRIPTION = """\
Formflow's REST API. Authenticate with a personal token: `Authorization: Bearer ff_...`
(`formflow token create --email E --workspace SLUG --name N`). A token acts as its user in its
workspace; ids of other workspaces answer 404. Formflow's own pages may also read (GET) with the
browser session by naming the workspace in `X-Formflow-Workspace`; writes always need a token.

Errors are `application/problem+json` (RFC 9457) with a stable `code` and per-field `errors`; titles
and messages follow `?lang=` or `Accept-Language` (`zh-CN`, `en`). Record lists page with an opaque
`cursor` (`links.next`); updates are optimistic: send the record's `version` (or `If-Match`)."""

#: problem answers the shared machinery may give, and when
_STANDARD_PROBLEMS: tuple[tuple[int, str], ...] = (
    (400, "Malformed request: bad JSON, parameter or filter."),
    (401, "No valid bearer token."),
    (403, "The token's user may not do this: their role, record scope or field access refuses it."),
    (404, "Not found, or not in the token's workspace."),
    (500, "Server error; the problem names the logged incident."),
)
_BODY_PROBLEMS: tuple[tuple[int, str], ...] = (
    (413, "The body is larger than the server accepts."),
    (415, "The body is not JSON."),
    (422, "The body broke validation; `errors` lists each field."),
)


def _package_version() -> str:
    try:
        return version("formflow")
    except PackageNotFoundError:  # running from a source tree that is not installed
        return "0"


def build_document(definition: ApiDefinition) -> dict[str, Any]:
    """The OpenAPI 3.1 document of every operation of ``definition``."""
    paths: dict[str, dict[str, Any]] = {}
    for operation in definition.operations:
        paths.setdefault(operation.path, {})[operation.method.lower()] = _operation(definition, operation)
    tags = sorted({tag for operation in definition.operations for tag in operation.tags})
    return {
        "openapi": "3.1.0",
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "info": {"title": "Formflow API", "version": _package_version(), "description": DESCRIPTION,
                 "license": {"name": "AGPL-3.0-or-later", "identifier": "AGPL-3.0-or-later"}},
        "servers": [{"url": definition.prefix}],
        "tags": [{"name": tag} for tag in tags],
        "security": [{"bearerAuth": []}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "schemas": {"Problem": PROBLEM_SCHEMA, **dict(sorted(definition.components.items()))},
            "securitySchemes": {"bearerAuth": {
                "type": "http", "scheme": "bearer", "bearerFormat": "ff_<43 URL-safe characters>",
                "description": "A personal token; only its SHA-256 is stored."}},
        },
    }


def _operation(definition: ApiDefinition, operation: Operation) -> dict[str, Any]:
    parameters = [definition.path_parameters[name] for name in operation.path_names]
    parameters += [parameter for parameter in operation.parameters if parameter.location != "path"]
    document: dict[str, Any] = {
        "operationId": operation.endpoint,
        "summary": operation.summary,
        "tags": list(operation.tags),
        "parameters": [_parameter(parameter) for parameter in parameters] + [_LANG_PARAMETER],
        "responses": _responses(operation),
    }
    if operation.description:
        document["description"] = operation.description
    if operation.public:
        document["security"] = []
    if operation.body is not None:
        document["requestBody"] = {"required": operation.body_required,
                                   "content": {"application/json": {"schema": dict(operation.body)}}}
    return document


def _parameter(parameter: Parameter) -> dict[str, Any]:
    document: dict[str, Any] = {"name": parameter.name, "in": parameter.location,
                                "description": parameter.description,
                                "required": parameter.required or parameter.location == "path"}
    if parameter.is_json:
        document["content"] = {"application/json": {"schema": dict(parameter.schema)}}
    else:
        document["schema"] = dict(parameter.schema)
    return document


_LANG_PARAMETER = {"name": "lang", "in": "query", "required": False,
                   "description": "Language of titles and messages (default: Accept-Language).",
                   "schema": {"type": "string", "enum": ["zh-CN", "en"]}}


def _responses(operation: Operation) -> dict[str, Any]:
    responses: dict[str, Any] = {}
    for status, response in operation.responses.items():
        responses[str(status)] = _response(response, status)
    problems = list(_STANDARD_PROBLEMS)
    if operation.body is not None:
        problems += _BODY_PROBLEMS
    for status, description in problems:
        if operation.public and status == 401:
            continue
        responses.setdefault(str(status), _response(Response(description, PROBLEM_REF), status))
    responses["default"] = _response(Response("Any other error.", PROBLEM_REF), 500)
    return dict(sorted(responses.items()))


def _response(response: Response, status: int) -> dict[str, Any]:
    document: dict[str, Any] = {"description": response.description}
    if response.schema is not None:
        media_type = PROBLEM_MEDIA_TYPE if status >= 400 else "application/json"
        document["content"] = {media_type: {"schema": dict(response.schema)}}
    if response.headers:
        document["headers"] = {name: {"description": description, "schema": dict(schema)}
                               for name, (description, schema) in response.headers.items()}
    return document
