"""Errors every layer raises; one handler turns any of them into problem+json or an error page."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class FieldError:
    """One problem with one field: its key (dotted path for subtables), a code and a message.

    ``message`` is already localized for the request's locale; ``code`` is stable for clients.
    """

    field: str
    code: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"field": self.field, "code": self.code, "message": self.message}


@dataclass
class FormflowError(Exception):
    """Base error: an HTTP status, a stable code, a localized title and optional details."""

    title: str
    status: int = 400
    code: str = "bad_request"
    detail: str | None = None
    errors: list[FieldError] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.detail or self.title


class ValidationFailed(FormflowError):
    """Input broke one or more rules; ``errors`` lists every one of them."""

    def __init__(self, errors: list[FieldError], title: str = "Validation failed", **kwargs: Any) -> None:
        super().__init__(title=title, status=422, code="validation_failed", errors=errors, **kwargs)


class NotFound(FormflowError):
    """The thing does not exist, or the actor may not know it exists."""

    def __init__(self, title: str = "Not found", **kwargs: Any) -> None:
        super().__init__(title=title, status=404, code="not_found", **kwargs)


class Forbidden(FormflowError):
    """The actor may not do this."""

    def __init__(self, title: str = "Forbidden", **kwargs: Any) -> None:
        super().__init__(title=title, status=403, code="forbidden", **kwargs)


class Conflict(FormflowError):
    """The write lost a race: stale version, duplicate unique value."""

    def __init__(self, title: str = "Conflict", **kwargs: Any) -> None:
        super().__init__(title=title, status=409, code=kwargs.pop("code", "conflict"), **kwargs)


class BadRequest(FormflowError):
    """The request itself is malformed (JSON, parameters, unknown operator...)."""

    def __init__(self, title: str = "Bad request", **kwargs: Any) -> None:
        super().__init__(title=title, status=400, code=kwargs.pop("code", "bad_request"), **kwargs)
