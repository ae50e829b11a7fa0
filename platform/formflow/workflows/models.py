"""A form's workflow, its editable draft, and its immutable published versions."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, object_session

from formflow.db import Base, utcnow


class Workflow(Base):
    """The state machine attached to one form: the draft being edited and the version in force."""

    __tablename__ = "workflows"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"), unique=True)
    #: the definition being edited (workflows/definition.py); None until one is saved
    draft: Mapped[dict[str, Any] | None]
    draft_updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    #: the version new records start on; None until the first publish
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("workflow_versions.id", use_alter=True, ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class WorkflowVersion(Base):
    """A published, immutable workflow definition; records keep the version they started on."""

    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("workflow_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workflow_id: Mapped[int] = mapped_column(ForeignKey("workflows.id", ondelete="CASCADE"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    number: Mapped[int]
    #: the definition as published
    definition: Mapped[dict[str, Any]]
    #: the form version whose fields the definition was checked against (guards are parsed with them)
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


@event.listens_for(WorkflowVersion, "before_update")
def _refuse_version_change(_mapper: Any, _connection: Any, target: WorkflowVersion) -> None:
    """A published version is immutable: running records and compiled machines rely on it."""
    session = object_session(target)
    if session is not None and session.is_modified(target, include_collections=False):
        raise ValueError(f"workflow version {target.id} is published and cannot change")
