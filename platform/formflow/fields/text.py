"""Free text: one line (text) and several lines (textarea)."""

from __future__ import annotations

import re
from typing import Any, ClassVar

from sqlalchemy import ColumnElement

from formflow.errors import FieldError
from formflow.fields import registry
from formflow.fields.base import (
    LABELS_SCHEMA,
    CoercionError,
    Examples,
    Field,
    FieldContext,
    FieldType,
    definition_error,
    is_blank,
)
from formflow.fields.patterns import DEFAULT_TIMEOUT, PatternTimeout, pattern_matches, pattern_problem
from formflow.fields.sql import dialect

_LINE_BREAKS = re.compile(r"\s*(?:\r\n|\r|\n)\s*")


def text_input(raw: Any, context: FieldContext) -> str | None:
    """Input as a stripped string: strings as they are, numbers as their digits; None when blank."""
    if is_blank(raw):
        return None
    if isinstance(raw, bool) or not isinstance(raw, str | int | float):
        raise CoercionError("not_text", context.translate("Enter text"))
    return str(raw).strip()


@registry.register
class TextField(FieldType):
    """One line of text; line breaks in input become spaces."""

    name = "text"
    widget = "text"
    searchable = True
    #: ``max_length`` when the definition sets none
    default_max_length: ClassVar[int] = 200
    #: largest ``max_length`` a definition may set
    limit_length: ClassVar[int] = 2000
    examples = Examples(
        config={"max_length": 20},
        valid=("Acme", "  Beta Corp ", "客户甲", 123, "a\nb"),
        invalid=(["a"], {"a": 1}, True, "x" * 21),
    )

    def config_schema(self) -> dict[str, Any]:
        return {
            "min_length": {"type": "integer", "minimum": 0, "maximum": self.limit_length},
            "max_length": {"type": "integer", "minimum": 1, "maximum": self.limit_length},
            "pattern": {"type": "string", "minLength": 1},
            "pattern_message": LABELS_SCHEMA,
        }

    def max_length(self, field: Field) -> int:
        """Longest value in characters."""
        return int(field.get("max_length") or self.default_max_length)

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        errors = []
        if int(field.get("min_length") or 0) > self.max_length(field):
            errors.append(
                definition_error(field, "min_above_max", "The minimum length is above the maximum length")
            )
        pattern = field.get("pattern")
        if pattern:
            problem = pattern_problem(pattern)
            if problem:
                errors.append(definition_error(field, "bad_pattern", problem))
        return errors

    def value_schema(self, field: Field) -> dict[str, Any]:
        return {
            "type": "string",
            "minLength": max(1, int(field.get("min_length") or 0)),
            "maxLength": self.max_length(field),
        }

    def normalize(self, text: str) -> str:
        """Line breaks become spaces: a one-line value."""
        return _LINE_BREAKS.sub(" ", text)

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> str | None:
        text = text_input(raw, context)
        if text is None:
            return None
        text = self.normalize(text)
        if len(text) > self.max_length(field):
            raise CoercionError(
                "too_long",
                context.translate("Enter at most %(count)s characters", count=self.max_length(field)),
            )
        if len(text) < int(field.get("min_length") or 0):
            raise CoercionError(
                "too_short",
                context.translate("Enter at least %(count)s characters", count=field.get("min_length")),
            )
        pattern = field.get("pattern")
        if pattern:
            timeout = float(context.extra.get("REGEX_TIMEOUT", DEFAULT_TIMEOUT))
            try:
                matched = pattern_matches(pattern, text, timeout)
            except PatternTimeout:
                raise CoercionError(
                    "pattern_timeout", context.translate("The pattern took too long")
                ) from None
            if not matched:
                custom = field.get("pattern_message")
                message = (
                    context.translate("The value does not have the expected format")
                    if not custom
                    else (
                        custom.get("zh-CN" if context.locale == "zh_CN" else "en")
                        or next(iter(custom.values()))
                    )
                )
                raise CoercionError("pattern_mismatch", message)
        return text

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        return dialect(dialect_name).text(data_column, (field.key,))

    def client_hints(self, field: Field) -> dict[str, Any]:
        hints: dict[str, Any] = {"input_type": "text", "maxlength": self.max_length(field)}
        if field.get("min_length"):
            hints["minlength"] = field.get("min_length")
        return hints


@registry.register
class TextareaField(TextField):
    """Several lines of text; line breaks are kept (as ``\\n``)."""

    name = "textarea"
    widget = "textarea"
    default_max_length = 10_000
    limit_length = 100_000
    examples = Examples(
        config={},
        valid=("first line\nsecond", "Alpha", "备注", "b\r\nc"),
        invalid=([1], {"text": "x"}, False, "y" * 10_001),
    )

    def normalize(self, text: str) -> str:
        """Windows and old Mac line breaks become ``\\n``."""
        return text.replace("\r\n", "\n").replace("\r", "\n")

    def client_hints(self, field: Field) -> dict[str, Any]:
        return {**super().client_hints(field), "input_type": "textarea", "rows": field.get("rows", 4)}

    def config_schema(self) -> dict[str, Any]:
        return {**super().config_schema(), "rows": {"type": "integer", "minimum": 1, "maximum": 40}}
