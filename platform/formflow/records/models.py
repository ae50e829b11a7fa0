"""Records, their revisions, comments, attachments and auto-number counters."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import DDL, BigInteger, Connection, ForeignKey, Index, Integer, String, Text, event, text
from sqlalchemy.orm import Mapped, mapped_column

from formflow.db import Base, utcnow


class Record(Base):
    """One filled form. ``data`` holds field values by key; system columns hold the rest."""

    __tablename__ = "records"
    __table_args__ = (
        Index("ix_records_form_live", "form_id", "deleted_at", "id"),
        Index("ix_records_form_updated", "form_id", "updated_at"),
        # the policy's owner scopes (own, team, subordinates) page and count from this index alone
        Index("ix_records_form_owner", "form_id", "owner_id", "deleted_at", "id"),
        Index("ux_records_idempotency", "workspace_id", "form_id", "idempotency_key", unique=True,
              sqlite_where=text("idempotency_key IS NOT NULL"),
              postgresql_where=text("idempotency_key IS NOT NULL")),
    )

    # BIGINT on PostgreSQL; INTEGER on SQLite, where only INTEGER PRIMARY KEY is the rowid
    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    app_id: Mapped[int] = mapped_column(ForeignKey("apps.id", ondelete="CASCADE"))
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    form_version_id: Mapped[int] = mapped_column(ForeignKey("form_versions.id"))
    data: Mapped[dict[str, Any]]
    #: workflow state; only workflow transitions change it (issue: workflows)
    state: Mapped[str | None] = mapped_column(String(64))
    #: the workflow version the record runs on (None: the form had no workflow when it was created)
    workflow_version_id: Mapped[int | None] = mapped_column(ForeignKey("workflow_versions.id"))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), index=True)
    #: optimistic-locking counter, +1 on every change
    version: Mapped[int] = mapped_column(default=1)
    #: text of the searchable fields, normalized for the full-text index (records/search.py)
    search_text: Mapped[str] = mapped_column(Text, default="")
    #: the same text per searchable field ``{key: text}``: lets a search ignore fields hidden from the actor
    search_fields: Mapped[dict[str, Any]] = mapped_column(default=dict)
    #: the client's key of the create request that made this record; a repeat returns this record
    idempotency_key: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    deleted_at: Mapped[datetime | None]

    # Every ORM update runs as ``UPDATE … WHERE id = :id AND version = :version`` and bumps the
    # counter; a lost race raises StaleDataError, which the service turns into 409 stale_version.
    __mapper_args__ = {"version_id_col": version}


class Revision(Base):
    """One change to a record: who, when, what (field diff ``{key: [old, new]}``)."""

    __tablename__ = "revisions"
    __table_args__ = (Index("ix_revisions_record", "record_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    #: create, update, delete, restore, transition
    action: Mapped[str] = mapped_column(String(32))
    #: the record's version after this change
    record_version: Mapped[int]
    diff: Mapped[dict[str, Any]]
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Comment(Base):
    """A comment on a record's timeline."""

    __tablename__ = "comments"
    __table_args__ = (Index("ix_comments_record", "record_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"))
    record_id: Mapped[int] = mapped_column(ForeignKey("records.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]


class Attachment(Base):
    """An uploaded file; a record's attachment field holds attachment ids."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    workspace_id: Mapped[int] = mapped_column(ForeignKey("workspaces.id", ondelete="CASCADE"), index=True)
    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"))
    field_key: Mapped[str] = mapped_column(String(64))
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(255))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    #: path below the upload folder
    storage_key: Mapped[str] = mapped_column(String(255))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class AutoNumberCounter(Base):
    """The last number handed out per form, field and period; bumped inside the record's transaction,
    so a rolled-back save gives its number back and the sequence stays gap-free."""

    __tablename__ = "auto_number_counters"

    form_id: Mapped[int] = mapped_column(ForeignKey("forms.id", ondelete="CASCADE"), primary_key=True)
    field_key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: "" for a sequence that never resets, else e.g. "2026" or "202611"
    period: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[int] = mapped_column(default=0)


#: Full-text machinery outside the models' metadata (migrate.is_generated skips these names).
#: SQLite: an external-content FTS5 table over ``records.search_text`` (rowid = record id), trigram
#: tokenizer (substrings of 3+ characters, any script), kept in step by triggers in the writing
#: transaction, so bulk inserts and cascading deletes cannot leave it stale. ``columnsize=0``: no
#: per-row token counts (only bm25 ranking reads them; search orders by record, not rank), one write
#: less per insert. ``detail`` stays full: a term longer than 3 characters is a phrase of trigrams.
#: PostgreSQL: a GIN index on ``to_tsvector('simple', search_text)``. See records/search.py.
_FTS_DELETE = ("INSERT INTO records_fts(records_fts, rowid, search_text) "
               "VALUES ('delete', old.id, old.search_text);")
SEARCH_DDL: dict[str, tuple[str, ...]] = {
    "sqlite": (
        "CREATE VIRTUAL TABLE IF NOT EXISTS records_fts USING fts5("
        "search_text, content='records', content_rowid='id', tokenize='trigram', columnsize=0)",
        "CREATE TRIGGER IF NOT EXISTS records_fts_insert AFTER INSERT ON records BEGIN "
        "INSERT INTO records_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
        f"CREATE TRIGGER IF NOT EXISTS records_fts_delete AFTER DELETE ON records BEGIN {_FTS_DELETE} END",
        "CREATE TRIGGER IF NOT EXISTS records_fts_update AFTER UPDATE OF search_text ON records BEGIN "
        f"{_FTS_DELETE} INSERT INTO records_fts(rowid, search_text) VALUES (new.id, new.search_text); END",
    ),
    "postgresql": (
        # "ix_ff__": the per-form prefix followed by "_", which no form key can start with
        "CREATE INDEX IF NOT EXISTS ix_ff__search_text ON records "
        "USING gin (to_tsvector('simple'::regconfig, search_text))",
    ),
}


def install_search_ddl(connection: Connection) -> None:
    """Create the full-text table, triggers or index for the connection's dialect (idempotent).

    ``create_all`` runs the same statements after creating ``records``; a migration that creates or
    rebuilds the ``records`` table (SQLite batch mode drops its triggers) calls this.
    """
    for statement in SEARCH_DDL.get(connection.dialect.name, ()):
        connection.execute(DDL(statement))


for _dialect, _statements in SEARCH_DDL.items():
    for _statement in _statements:
        event.listen(Record.__table__, "after_create", DDL(_statement).execute_if(dialect=_dialect))
event.listen(Record.__table__, "before_drop",
             DDL("DROP TABLE IF EXISTS records_fts").execute_if(dialect="sqlite"))
