"""Attachments: a list of ids of uploaded files (records.models.Attachment).

The upload endpoint asks ``AttachmentField.check_upload`` before storing a file; the record then holds
the ids, whose existence ``FieldContext.lookup("attachment", ids)`` confirms on save.
"""

from __future__ import annotations

import mimetypes
from pathlib import PurePosixPath
from typing import Any, ClassVar

from sqlalchemy import ColumnElement

from formflow.errors import FieldError
from formflow.fields import registry
from formflow.fields.base import (
    CoercionError,
    Examples,
    Field,
    FieldContext,
    FieldType,
    ListValues,
    is_blank,
)
from formflow.fields.reference import MAX_ID, check_exist, ids_input
from formflow.fields.sql import dialect
from formflow.i18n import gettext


def _size_text(size: int) -> str:
    """Bytes for people: 512 B, 1.5 KB, 20 MB."""
    if size < 1024:
        return f"{size} B"
    scaled, unit = (size / 1024, "KB") if size < 1024**2 else (size / 1024**2, "MB")
    return f"{scaled:.1f}".removesuffix(".0") + f" {unit}"


@registry.register
class AttachmentField(ListValues, FieldType):
    """Uploaded files; ``max_files``, ``max_size`` (bytes) and ``accept`` (MIME types like "image/*"
    or extensions like ".pdf") limit what may be attached."""

    name = "attachment"
    widget = "attachment"
    value_kind = "list"
    #: most files when the definition sets no ``max_files``
    default_max_files: ClassVar[int] = 10
    #: the lookup and title kind of the ids
    kind = "attachment"
    examples = Examples(
        config={"max_files": 3, "accept": ["image/*", ".pdf"]},
        valid=([1, 2], "3", [7], "4, 5,6"),
        invalid=([1, 2, 3, 4], "report.pdf", [0], [True], {"id": 1}),
    )

    def config_schema(self) -> dict[str, Any]:
        return {
            "max_files": {"type": "integer", "minimum": 1, "maximum": 100},
            "max_size": {"type": "integer", "minimum": 1},
            "accept": {
                "type": "array",
                "uniqueItems": True,
                "items": {"type": "string", "pattern": r"^(\.[A-Za-z0-9]{1,16}|[a-z]+/([a-z0-9.+-]+|\*))$"},
            },
        }

    def max_files(self, field: Field) -> int:
        """Most files the field holds."""
        return int(field.get("max_files") or self.default_max_files)

    def check_definition(self, field: Field, fields: dict[str, Field]) -> list[FieldError]:
        return []

    def value_schema(self, field: Field) -> dict[str, Any]:
        return {
            "type": "array",
            "items": {"type": "integer", "minimum": 1, "maximum": MAX_ID},
            "uniqueItems": True,
            "minItems": 1,
            "maxItems": self.max_files(field),
        }

    def coerce(self, field: Field, raw: Any, context: FieldContext) -> list[int] | None:
        if is_blank(raw):
            return None
        ids = ids_input(raw, context)
        if not ids:
            return None
        if len(ids) > self.max_files(field):
            raise CoercionError(
                "too_many_files",
                context.translate("Attach at most %(count)s files", count=self.max_files(field)),
            )
        check_exist(self.kind, ids, context)
        return ids

    def is_accepted(self, field: Field, filename: str, content_type: str) -> bool:
        """The file matches one of ``accept`` by extension or MIME type (no ``accept``: any file)."""
        accept = field.get("accept") or []
        if not accept:
            return True
        suffix = PurePosixPath(filename.replace("\\", "/")).suffix.lower()
        mime = (content_type or mimetypes.guess_type(filename)[0] or "").split(";")[0].strip().lower()
        for entry in accept:
            entry = entry.lower()
            if entry.startswith("."):
                if suffix == entry:
                    return True
            elif entry.endswith("/*"):
                if mime.startswith(entry[:-1]):
                    return True
            elif mime == entry:
                return True
        return False

    def check_upload(
        self, field: Field, filename: str, content_type: str, size: int, max_size: int | None = None
    ) -> list[FieldError]:
        """Why this upload may not be attached to ``field`` (every reason), in the current locale.

        ``max_size`` is the instance's MAX_UPLOAD_BYTES; the field's own ``max_size`` may only lower it.
        """
        errors = []
        limits = [limit for limit in (field.get("max_size"), max_size) if limit]
        limit = min(limits) if limits else None
        name = PurePosixPath(filename.replace("\\", "/")).name
        if not name or name in (".", ".."):
            errors.append(FieldError(field.key, "bad_filename", gettext("The file has no name")))
        if limit is not None and size > limit:
            errors.append(
                FieldError(
                    field.key,
                    "file_too_large",
                    gettext("The file is larger than %(limit)s", limit=_size_text(limit)),
                )
            )
        if size <= 0:
            errors.append(FieldError(field.key, "empty_file", gettext("The file is empty")))
        if not self.is_accepted(field, name, content_type):
            errors.append(
                FieldError(
                    field.key,
                    "file_type",
                    gettext("Files of this type are not accepted here: %(name)s", name=name),
                )
            )
        return errors

    def sql_expression(self, field: Field, data_column: Any, dialect_name: str) -> ColumnElement[Any]:
        return dialect(dialect_name).json(data_column, (field.key,))

    def display(self, field: Field, value: Any, context: FieldContext) -> str:
        if not value:
            return ""
        separator = "、" if context.locale == "zh_CN" else ", "
        return separator.join(context.title(self.kind, item) for item in value)

    def client_hints(self, field: Field) -> dict[str, Any]:
        hints: dict[str, Any] = {
            "input_type": "file",
            "multiple": self.max_files(field) > 1,
            "max_files": self.max_files(field),
        }
        if field.get("accept"):
            hints["accept"] = ",".join(field.get("accept"))
        if field.get("max_size"):
            hints["max_size"] = field.get("max_size")
        return hints
