"""Forms, their editable draft, and their immutable published versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, object_session

from formflow.db import Base, utcnow


class Form(Base):
    """A form of an app. ``draft`` is the definition being edited; versions are what records use."""

    __tablename__ = "forms"
    __table_args__ = (UniqueConstraint("app_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"), index=True)
    key: Mapped[str] = mapped_column(String(64))
    name: Mapped[dict[str, Any]]
    #: the form definition being edited (fields + layout), see forms/definition.py
    draft: Mapped[dict[str, Any]]
    draft_updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("form_versions.id", use_alter=True, ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class FormVersion(Base):
    """A published, immutable definition of a form; records point at the version they were saved with."""

    __tablename__ = "form_versions"
    __table_args__ = (UniqueConstraint("form_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"), index=True)
    number: Mapped[int]
    #: the definition as published (fields + layout)
    definition: Mapped[dict[str, Any]]
    #: the JSON Schema (Draft 2020-12) compiled from the definition
    json_schema: Mapped[dict[str, Any]]
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


@event.listens_for(FormVersion, "before_update")
def _refuse_version_change(_mapper: Any, _connection: Any, target: FormVersion) -> None:
    """A published version is immutable: records and compiled caches rely on it never changing."""
    session = object_session(target)
    if session is not None and session.is_modified(target, include_collections=False):
        raise ValueError(f"form version {target.id} is published and cannot change")
