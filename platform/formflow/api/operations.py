"""API operations as data: each route declares its parameters, body and responses once, next to its view.

``ApiDefinition.operation(...)`` registers the Flask route *and* its description; the same declaration
parses and checks the request (so the OpenAPI document cannot drift from what the view accepts) and
feeds ``api/openapi.py``. A view receives its path values as arguments, plus ``params`` (query and
header values by name, already typed and checked) and ``body`` (decoded and schema-checked JSON) when
the operation declares them.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from flask import Blueprint, request
from jsonschema import Draft202012Validator

from formflow.api import input as api_input
from formflow.api.auth import authenticate_request
from formflow.errors import NotFound
from formflow.i18n import gettext

#: query parameters every operation accepts
COMMON_QUERY = frozenset({"lang"})
_RULE_VARIABLE = re.compile(r"<(?:(?P<converter>[a-z]+):)?(?P<name>[a-z_]+)>")


@dataclass(frozen=True)
class Parameter:
    """A query, header or path parameter."""

    name: str
    #: "query", "header" or "path"
    location: str
    schema: Mapping[str, Any]
    description: str
    required: bool = False
    #: the value is JSON text (a condition tree in a query string); documented as ``content``
    is_json: bool = False

    @functools.cached_property
    def validator(self) -> Draft202012Validator:
        return Draft202012Validator(dict(self.schema))


@dataclass(frozen=True)
class Response:
    """One documented answer of an operation."""

    description: str
    schema: Mapping[str, Any] | None = None
    #: header name -> (description, schema)
    headers: Mapping[str, tuple[str, Mapping[str, Any]]] = field(default_factory=dict)


@dataclass
class Operation:
    """One method on one path: what it accepts and answers, and its view."""

    method: str
    rule: str
    endpoint: str
    summary: str
    tags: tuple[str, ...]
    parameters: tuple[Parameter, ...]
    body: Mapping[str, Any] | None
    body_required: bool
    responses: Mapping[int, Response]
    #: no authentication (the OpenAPI document itself)
    public: bool
    description: str = ""
    validator: Draft202012Validator | None = None

    @property
    def path(self) -> str:
        """The OpenAPI path template (``/forms/{form_id}``) relative to the prefix."""
        return _RULE_VARIABLE.sub(lambda match: "{" + match["name"] + "}", self.rule)

    @property
    def path_names(self) -> list[str]:
        return [match["name"] for match in _RULE_VARIABLE.finditer(self.rule)]


class ApiDefinition:
    """A blueprint plus the operations and component schemas it documents."""

    def __init__(self, name: str, prefix: str, path_parameters: Mapping[str, Parameter]) -> None:
        self.blueprint = Blueprint(name, __name__, url_prefix=prefix)
        self.prefix = prefix
        self.operations: list[Operation] = []
        self.components: dict[str, dict[str, Any]] = {}
        self.checked_as: dict[str, dict[str, Any]] = {}
        self.path_parameters = dict(path_parameters)

    def component(self, name: str, schema: dict[str, Any], checked_as: dict[str, Any] | None = None
                  ) -> dict[str, str]:
        """Register a named schema; returns the ``$ref`` to use in other schemas.

        ``checked_as`` is what request checks use instead, for a part a service checks itself with
        better messages (form definitions, condition trees): the API then only checks its shape.
        """
        if name in self.components and self.components[name] != schema:
            raise ValueError(f"component {name!r} is defined twice")
        self.components[name] = schema
        if checked_as is not None:
            self.checked_as[name] = checked_as
        return {"$ref": f"#/components/schemas/{name}"}

    def operation(self, method: str, rule: str, *, summary: str, tags: tuple[str, ...],
                  responses: Mapping[int, Response], params: tuple[Parameter, ...] = (),
                  body: Mapping[str, Any] | None = None, body_required: bool = True,
                  public: bool = False, description: str = "") -> Callable[[Callable[..., Any]], Any]:
        """Declare and route one operation; the decorated view gets checked input."""

        def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
            operation = Operation(method=method.upper(), rule=rule, endpoint=view.__name__, summary=summary,
                                  tags=tags, parameters=params, body=body, body_required=body_required,
                                  responses=responses, public=public, description=description)
            missing = [name for name in operation.path_names if name not in self.path_parameters]
            if missing:
                raise ValueError(f"{rule}: undeclared path parameters {missing}")
            self.operations.append(operation)

            @functools.wraps(view)
            def handle(**path_values: Any) -> Any:
                return view(**self._arguments(operation, path_values))

            self.blueprint.add_url_rule(rule, view.__name__, handle, methods=[operation.method])
            return view

        return decorate

    def _arguments(self, operation: Operation, path_values: dict[str, Any]) -> dict[str, Any]:
        """Authenticate, then check path, query, headers and body, in that order."""
        if not operation.public:
            authenticate_request()
        arguments = dict(path_values)
        for name, value in path_values.items():
            if any(self.path_parameters[name].validator.iter_errors(value)):
                raise NotFound(gettext("Not found"), detail=gettext("Nothing is at this address."))
        declared = [parameter for parameter in operation.parameters if parameter.location != "path"]
        if declared:
            arguments["params"] = _parameters(declared)
        else:
            _refuse_unknown_query(set())
        if operation.body is not None:
            body = api_input.read_json_body(request.mimetype, request.get_data(cache=True),
                                            operation.body_required)
            if body is not None or operation.body_required:
                api_input.validate_body(self.body_validator(operation), body)
            arguments["body"] = body
        return arguments

    def body_validator(self, operation: Operation) -> Draft202012Validator:
        """The validator of ``operation``'s body; ``$ref`` to components resolve in this definition."""
        if operation.validator is None:
            schema = {**operation.body, "components": {"schemas": {**self.components, **self.checked_as}}}
            operation.validator = Draft202012Validator(schema)
        return operation.validator


def _refuse_unknown_query(known: set[str]) -> None:
    unknown = sorted(set(request.args) - known - COMMON_QUERY)
    if unknown:
        raise api_input.parameter_error(unknown[0], "unknown_parameter", gettext("Unknown parameter."))


def _parameters(declared: list[Parameter]) -> dict[str, Any]:
    """Query and header values by name, typed and checked; absent optional ones are left out."""
    _refuse_unknown_query({parameter.name for parameter in declared if parameter.location == "query"})
    values: dict[str, Any] = {}
    for parameter in declared:
        if parameter.location == "query":
            given = request.args.getlist(parameter.name)
            if len(given) > 1:
                raise api_input.parameter_error(parameter.name, "repeated", gettext("Give it only once."))
            raw = given[0] if given else None
        else:
            raw = request.headers.get(parameter.name)
        if raw is None:
            if parameter.required:
                raise api_input.parameter_error(parameter.name, "required",
                                                gettext("This parameter is required."))
            continue
        value = api_input.coerce_parameter(parameter.name, raw, parameter.schema, parameter.is_json)
        if not parameter.is_json:
            api_input.check_parameter(parameter.name, value, parameter.validator)
        values[parameter.name] = value
    return values
