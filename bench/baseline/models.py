"""The baseline's typed `leads` table, its B-tree indexes and its FTS5 index on name and company."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import DateTime, Engine, Index, Integer, Numeric, String, create_engine, event, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def _utcnow_naive() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


STAGES = ("new", "contacted", "qualified", "proposal", "won", "lost")


class Base(DeclarativeBase):
    """Declarative base of the baseline's tables."""


class Lead(Base):
    """A sales lead: one typed column per attribute."""

    __tablename__ = "leads"
    __table_args__ = (
        Index("ix_leads_stage", "stage"),
        Index("ix_leads_amount", "amount"),
        Index("ix_leads_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    company: Mapped[str | None] = mapped_column(String(200))
    phone: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    stage: Mapped[str] = mapped_column(String(32))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    city: Mapped[str | None] = mapped_column(String(100))
    #: naive UTC
    created_at: Mapped[datetime] = mapped_column(DateTime, default=_utcnow_naive)
    owner_id: Mapped[int | None] = mapped_column(Integer)

    def to_dict(self) -> dict[str, Any]:
        """The lead as JSON: amount as an exact decimal string, created_at in ISO 8601 UTC."""
        return {
            "id": self.id,
            "name": self.name,
            "company": self.company,
            "phone": self.phone,
            "email": self.email,
            "stage": self.stage,
            "amount": None if self.amount is None else f"{Decimal(self.amount):.2f}",
            "city": self.city,
            "created_at": self.created_at.isoformat() + "Z",
            "owner_id": self.owner_id,
        }


#: external-content FTS5 index kept in sync by triggers; trigram matches substrings, which Chinese
#: names and company names (no spaces between words) need
FTS_DDL = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS leads_fts USING fts5("
    "name, company, content='leads', content_rowid='id', tokenize='trigram')",
    "CREATE TRIGGER IF NOT EXISTS leads_fts_insert AFTER INSERT ON leads BEGIN "
    "INSERT INTO leads_fts(rowid, name, company) VALUES (new.id, new.name, new.company); END",
    "CREATE TRIGGER IF NOT EXISTS leads_fts_delete AFTER DELETE ON leads BEGIN "
    "INSERT INTO leads_fts(leads_fts, rowid, name, company) "
    "VALUES ('delete', old.id, old.name, old.company); "
    "END",
    "CREATE TRIGGER IF NOT EXISTS leads_fts_update AFTER UPDATE OF name, company ON leads BEGIN "
    "INSERT INTO leads_fts(leads_fts, rowid, name, company) "
    "VALUES ('delete', old.id, old.name, old.company); "
    "INSERT INTO leads_fts(rowid, name, company) VALUES (new.id, new.name, new.company); END",
)


def make_engine(database_url: str) -> Engine:
    """A SQLite engine with the same SQLite build and pragmas Formflow uses (WAL, synchronous=NORMAL).

    Same library, same durability: the comparison then measures the application code, not SQLite.
    """
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False, "timeout": 30}}
    try:
        from pysqlite3 import dbapi2
    except ImportError:
        dbapi2 = None
    if dbapi2 is not None:
        kwargs["module"] = dbapi2
    engine = create_engine(database_url, **kwargs)

    @event.listens_for(engine, "connect")
    def _pragmas(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    return engine


def create_schema(engine: Engine) -> None:
    """Create the leads table, its indexes and the FTS index (idempotent)."""
    Base.metadata.create_all(engine)
    with engine.begin() as connection:
        for statement in FTS_DDL:
            connection.execute(text(statement))
