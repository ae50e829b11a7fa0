"""Apps: the forms, workflows, rules and reports a workspace installs together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from formflow.db import Base, utcnow


class App(Base):
    """An installed app in a workspace."""

    __tablename__ = "apps"
    __table_args__ = (UniqueConstraint("workspace_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    #: stable readable id, unique in the workspace
    key: Mapped[str] = mapped_column(String(64))
    #: {"zh-CN": "...", "en": "..."}
    name: Mapped[dict[str, Any]]
    description: Mapped[dict[str, Any] | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
