"""The OpenAPI document: valid 3.1, and exactly the /api/v1 routes the app serves."""

from __future__ import annotations

import json
import re

import pytest
from openapi_spec_validator import validate

IGNORED_METHODS = {"HEAD", "OPTIONS"}


@pytest.fixture
def document(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.get_json()


def _served(app) -> set[tuple[str, str]]:
    served = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/api/v1/"):
            continue
        path = re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", rule.rule.removeprefix("/api/v1"))
        served |= {(method, path) for method in rule.methods - IGNORED_METHODS}
    return served


def _documented(document: dict) -> set[tuple[str, str]]:
    return {(method.upper(), path) for path, item in document["paths"].items() for method in item}


def test_document_is_valid_openapi_3_1(document):
    assert document["openapi"].startswith("3.1")
    validate(document)


def test_every_served_route_is_documented(app, document):
    assert _served(app) - _documented(document) == set()


def test_every_documented_operation_is_served(app, document):
    assert _documented(document) - _served(app) == set()


def test_operation_ids_are_unique(document):
    ids = [operation["operationId"] for item in document["paths"].values() for operation in item.values()]
    assert len(ids) == len(set(ids))


def test_every_reference_names_a_component(document):
    names = set(document["components"]["schemas"])
    references = set(re.findall(r'"#/components/schemas/([^"]+)"', json.dumps(document)))
    assert references <= names


def test_every_operation_documents_its_problems(document):
    for path, item in document["paths"].items():
        for method, operation in item.items():
            responses = operation["responses"]
            assert {"400", "404", "500", "default"} <= set(responses), (method, path)
            if operation.get("security") != []:
                assert "401" in responses, (method, path)
            if "requestBody" in operation:
                assert {"413", "415", "422"} <= set(responses), (method, path)


def test_problem_responses_use_the_problem_media_type(document):
    problem = document["paths"]["/apps"]["post"]["responses"]["422"]["content"]
    assert problem == {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


def test_path_parameters_match_the_path_template(document):
    for path, item in document["paths"].items():
        names = set(re.findall(r"{([a-z_]+)}", path))
        for operation in item.values():
            parameters = operation["parameters"]
            declared = {parameter["name"] for parameter in parameters if parameter["in"] == "path"}
            assert declared == names, path


def test_request_bodies_refuse_unknown_fields(document):
    components = document["components"]["schemas"]
    for item in document["paths"].values():
        for operation in item.values():
            if "requestBody" not in operation:
                continue
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            name = schema["$ref"].rsplit("/", 1)[-1]
            assert components[name].get("additionalProperties") is False, name
