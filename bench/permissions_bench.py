"""Permissions benchmark: a list as a rep (own-records scope, 5 hidden fields) against the same list as
an admin, on one form of N records (issue 4's target: the rep's list costs <= 1.15x the admin's).

    python -m bench.permissions_bench [--records 1000000] [--reps 100] [--iterations 30]
                                      [--database-url postgresql+psycopg://.../empty_database]

Records are loaded as the record service stores them (one row made by ``bulk_create``, copied with
multi-row INSERTs, owners spread over the reps), so the form's expression indexes and the full-text
machinery are those of real data. Each measured call is ``records.queries.query_records`` with the
app's defaults (first page of 50 with its capped count, and the page sorted by an indexed field),
interleaved rep/admin after a warm-up. Prints JSON: medians in ms per list and their ratio.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from formflow.accounts.models import Membership, User, Workspace
from formflow.apps.service import install_app
from formflow.db import make_engine, make_sessionmaker
from formflow.forms import service as forms
from formflow.models import Base
from formflow.permissions import policy
from formflow.permissions import service as permissions
from formflow.permissions.actor import Actor, load_actor
from formflow.records.models import Record, Revision
from formflow.records.queries import RecordQuery, query_records
from formflow.records.service import create_record

FIELDS: list[dict[str, Any]] = [
    {"key": "name", "type": "text", "label": {"en": "Name"}, "required": True, "searchable": True,
     "indexed": True},
    {"key": "company", "type": "text", "label": {"en": "Company"}, "searchable": True},
    {"key": "phone", "type": "phone", "label": {"en": "Phone"}},
    {"key": "email", "type": "email", "label": {"en": "Email"}},
    {"key": "amount", "type": "number", "label": {"en": "Amount"}, "indexed": True},
    {"key": "cost", "type": "number", "label": {"en": "Cost"}},
    {"key": "margin", "type": "number", "label": {"en": "Margin"}},
    {"key": "notes", "type": "textarea", "label": {"en": "Notes"}},
    {"key": "stage", "type": "select", "label": {"en": "Stage"},
     "options": [{"value": "new", "label": {"en": "New"}}, {"value": "won", "label": {"en": "Won"}}]},
    {"key": "city", "type": "text", "label": {"en": "City"}},
]
#: the fields a rep may not see
HIDDEN = ("phone", "email", "cost", "margin", "notes")
CHUNK = 5_000
#: the lists measured: name -> query
LISTS = {"first page": {}, "sorted by -amount": {"sort": ["-amount"]}}


def setup(session: Session, reps: int) -> tuple[Any, Actor, list[Actor]]:
    """A workspace, an admin, ``reps`` reps (role ``rep``: own records, 5 hidden fields), the form."""
    workspace = Workspace(slug="bench", name="Bench")
    session.add(workspace)
    session.flush()
    users = [User(email=f"user{index}@bench.example", name=f"User {index}") for index in range(reps + 1)]
    session.add_all(users)
    session.flush()
    session.add_all(Membership(workspace_id=workspace.id, user_id=user.id,
                               role="admin" if index == 0 else "member") for index, user in enumerate(users))
    session.commit()
    admin = load_actor(session, users[0], workspace)
    app = install_app(session, admin, "crm", "CRM")
    form = forms.create_form(session, admin, app, "leads", {"en": "Leads"}, {"fields": FIELDS})
    forms.publish(session, admin, form, confirm=True)
    permissions.create_role(session, admin, app, "rep", {"en": "Sales rep"})
    for user in users[1:]:
        permissions.assign_role(session, admin, app, user.id, "rep")
    permissions.set_permissions(session, admin, form, "rep",
                                {"create": "all", "read": "own", "update": "own"})
    permissions.set_field_access(session, admin, form, "rep", dict.fromkeys(HIDDEN, "hidden"))
    rep_actors = [load_actor(session, user, workspace) for user in users[1:]]
    return form, admin, rep_actors


def load(session: Session, form: Any, admin: Actor, reps: list[Actor], count: int) -> float:
    """Insert ``count`` records copied from one the service made, owners round-robin; seconds taken."""
    template = create_record(session, admin, form, {
        "name": "Ada Lovelace", "company": "Analytical Engines", "phone": "13812345678",
        "email": "ada@example.com", "amount": 1000, "cost": 400, "margin": 600, "notes": "Met at the fair",
        "stage": "new", "city": "Shenzhen"})
    row = {column: getattr(template, column) for column in (
        "workspace_id", "app_id", "form_id", "form_version_id", "search_text", "search_fields", "created_at",
        "updated_at", "created_by_id", "updated_by_id")}
    started = time.perf_counter()
    engine = session.get_bind()
    owners = [rep.user_id for rep in reps]
    for start in range(1, count, CHUNK):
        rows = [{**row, "data": {**template.data, "name": f"Lead {index}", "amount": index % 100_000},
                 "owner_id": owners[index % len(owners)], "version": 1}
                for index in range(start, min(start + CHUNK, count))]
        with engine.begin() as connection:
            connection.execute(insert(Record), rows)
    # what autovacuum would have done to a table loaded long ago: statistics, and on PostgreSQL the
    # visibility map that lets counts and pages come from the indexes alone
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        connection.exec_driver_sql("VACUUM ANALYZE records" if engine.dialect.name == "postgresql"
                                   else "ANALYZE")
    return time.perf_counter() - started


def measure(session: Session, form: Any, admin: Actor, rep: Actor, iterations: int) -> dict[str, Any]:
    """Median ms of each list as the admin and as the rep, interleaved, and the ratio."""
    results: dict[str, Any] = {}
    for name, query in LISTS.items():
        times: dict[str, list[float]] = {"admin": [], "rep": []}
        for iteration in range(iterations + 3):
            for who, actor in (("rep", rep), ("admin", admin)):
                started = time.perf_counter()
                page = query_records(session, actor, form, RecordQuery(**query))
                elapsed = (time.perf_counter() - started) * 1000
                session.rollback()
                if iteration >= 3:  # warm-up
                    times[who].append(elapsed)
                if who == "rep":
                    assert all(item["owner"] == rep.user_id for item in page.items)
                    assert not any(key in item["data"] for item in page.items for key in HIDDEN)
        admin_ms, rep_ms = statistics.median(times["admin"]), statistics.median(times["rep"])
        results[name] = {"admin_ms": round(admin_ms, 2), "rep_ms": round(rep_ms, 2),
                         "ratio": round(rep_ms / admin_ms, 3), "target": 1.15,
                         "pass": rep_ms / admin_ms <= 1.15}
    return results


def main(argv: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--reps", type=int, default=100)
    parser.add_argument("--iterations", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    arguments = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="formflow-permissions-bench-") as folder:
        url = arguments.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        engine = make_engine(url)
        Base.metadata.create_all(engine)
        with make_sessionmaker(engine)() as session:
            form, admin, reps = setup(session, arguments.reps)
            seconds = load(session, form, admin, reps, arguments.records)
            stored = session.scalar(select(Record.id).order_by(Record.id.desc()).limit(1))
            revisions = session.scalar(select(Revision.id).limit(1))
            report = {"records": arguments.records, "reps": arguments.reps, "engine": engine.dialect.name,
                      "hidden_fields": list(HIDDEN), "scope": "own", "load_seconds": round(seconds, 1),
                      "last_record_id": stored, "revisions": revisions is not None,
                      "rules_ttl_seconds": policy.RULES_TTL_SECONDS,
                      "lists": measure(session, form, admin, reps[0], arguments.iterations)}
        engine.dispose()
    print(json.dumps(report, indent=2))
    return report


if __name__ == "__main__":
    main()
