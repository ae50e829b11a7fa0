"""Property-based conformance of the whole API with schemathesis, driven by its own OpenAPI document.

Every operation gets generated requests (valid and invalid) with a real bearer token; path ids point at
a real published form, record and app, so the handlers run past their lookups. Every answer must not
be a server error and must match the documented status, media type and schema.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.config import SchemathesisConfig
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from api_helpers import LEADS_DEFINITION, ApiClient

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def seeded(api: ApiClient) -> dict[str, object]:
    """A published form with records, and the ids generated paths should point at."""
    api.post("/apps", json={"key": "crm", "name": "CRM"})
    form = api.post("/apps/crm/forms", json={"key": "leads", "name": "Leads",
                                             "definition": LEADS_DEFINITION}).get_json()["id"]
    api.post(f"/forms/{form}/publish", json={})
    records = [api.post(f"/forms/{form}/records", json={"data": {"name": f"Lead {n}", "amount": n}})
               .get_json()["id"] for n in range(3)]
    api.post(f"/forms/{form}/records/{records[0]}/comments", json={"body": "First call."})
    return {"app_key": "crm", "form_id": form, "record_id": records[1], "number": 1,
            "headers": {"Authorization": f"Bearer {api.token}"}}


def _document() -> dict:
    """The document ``GET /api/v1/openapi.json`` serves, built the same way without an app."""
    from importlib import import_module

    from formflow.api import ROUTE_MODULES
    from formflow.api.definition import api
    from formflow.api.openapi import build_document

    for name in ROUTE_MODULES:
        import_module(f"formflow.api.{name}")
    return build_document(api)


#: the coverage phase enumerates boundary values of every schema keyword; for bodies holding a form
#: definition (one schema per field type), a workflow definition or a recursive condition tree that
#: is hundreds to thousands of requests, so those operations get fuzzing only (tests/api/test_bad_*
#: cover their hostile input explicitly)
FUZZING_ONLY = ["create_form", "save_draft", "query_records", "save_workflow_draft"]
CONFIG = SchemathesisConfig.from_dict({"operations": [
    {"include-operation-id": FUZZING_ONLY, "phases": {"coverage": {"enabled": False}}},
]})
schema = schemathesis.openapi.from_dict(_document(), config=CONFIG)


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                                 HealthCheck.filter_too_much, HealthCheck.data_too_large])
def test_api_conforms_to_its_openapi_document(case, app, seeded):
    for name in ("app_key", "form_id", "record_id", "number"):
        if name in (case.path_parameters or {}):
            case.path_parameters[name] = seeded[name]
    response = case.call(app=app, headers=seeded["headers"])
    case.validate_response(response, checks=CHECKS)
