"""The /api/v1 definition: its blueprint, its error handling and the path parameters its routes share."""

from __future__ import annotations

from formflow.api import problems
from formflow.api.operations import ApiDefinition, Parameter

PREFIX = "/api/v1"
#: ids are positive and fit the database's integer columns; anything else is simply not found
INT32_MAX = 2**31 - 1
INT64_MAX = 2**63 - 1
KEY_SCHEMA = {"type": "string", "pattern": "^[a-z][a-z0-9_]{0,62}$"}

PATH_PARAMETERS = {
    "app_key": Parameter("app_key", "path", KEY_SCHEMA, "The app's key, unique in the workspace."),
    "form_id": Parameter("form_id", "path", {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
                         "The form's id."),
    "number": Parameter("number", "path", {"type": "integer", "minimum": 1, "maximum": INT32_MAX},
                        "The version number (1, 2, ...)."),
    "record_id": Parameter("record_id", "path", {"type": "integer", "minimum": 1, "maximum": INT64_MAX},
                           "The record's id."),
}

api = ApiDefinition("api_v1", PREFIX, PATH_PARAMETERS)
problems.install(api.blueprint)
