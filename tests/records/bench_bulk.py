"""bulk_create throughput (records/s) on a fresh SQLite file.

`python tests/records/bench_bulk.py [N] [--lead-form]`: N rows of a form with text, number, currency,
select, date and auto-number fields, or (``--lead-form``) the benchmark's lead form and leads.

Not collected by pytest (no test_ prefix); the number is quoted in docs/internals.md, "Records".
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from formflow.accounts.models import Membership, User, Workspace
from formflow.apps.service import install_app
from formflow.db import make_engine, make_sessionmaker
from formflow.forms import service as forms
from formflow.models import Base
from formflow.permissions.actor import load_actor
from formflow.records.service import bulk_create

FIELDS = [
    {"key": "name", "type": "text", "label": {"en": "Name"}, "required": True},
    {"key": "company", "type": "text", "label": {"en": "Company"}},
    {"key": "ref", "type": "text", "label": {"en": "Reference"}, "unique": True},
    {"key": "score", "type": "number", "label": {"en": "Score"}},
    {"key": "amount", "type": "currency", "label": {"en": "Amount"}, "indexed": True},
    {"key": "stage", "type": "select", "label": {"en": "Stage"},
     "options": [{"value": value, "label": {"en": value}} for value in ("new", "contacted", "won", "lost")]},
    {"key": "created", "type": "date", "label": {"en": "Created"}},
    {"key": "code", "type": "auto_number", "label": {"en": "Code"}, "format": "L-{YYYY}-{seq:6}"},
]


def rows(count: int) -> list[dict]:
    stages = ("new", "contacted", "won", "lost")
    return [{"name": f"Lead {index}", "company": f"公司{index % 977}", "ref": f"R{index}",
             "score": index % 100, "amount": f"{index % 100000}.50", "stage": stages[index % 4],
             "created": f"2026-{index % 12 + 1:02d}-{index % 28 + 1:02d}"} for index in range(count)]


def bench_rows(count: int) -> tuple[dict, list[dict]]:
    """The benchmark's lead form (bench/data.py: phone and e-mail validation included) and its leads."""
    from bench.data import LEAD_FORM, generate_leads

    return LEAD_FORM, generate_leads(count)


def main(count: int, lead_form: bool = False) -> None:
    with tempfile.TemporaryDirectory() as folder:
        engine = make_engine(f"sqlite:///{Path(folder) / 'bench.db'}")
        Base.metadata.create_all(engine)
        session = make_sessionmaker(engine)()
        workspace = Workspace(name="Bench", slug="bench")
        user = User(email="bench@example.com", name="Bench")
        session.add_all([workspace, user])
        session.flush()
        session.add(Membership(workspace_id=workspace.id, user_id=user.id, role="admin"))
        session.commit()
        actor = load_actor(session, user, workspace)
        app = install_app(session, actor, "bench", "Bench")
        definition, data = bench_rows(count) if lead_form else ({"fields": FIELDS}, rows(count))
        form = forms.create_form(session, actor, app, "leads", "Leads", definition)
        forms.publish(session, actor, form)
        started, cpu = time.perf_counter(), time.process_time()
        result = bulk_create(session, actor, form, data)
        elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
        assert len(result.ids) == count and not result.errors
        # CPU time as well: on a shared machine the wall clock measures the neighbours too
        print(f"{engine.dialect.name} {engine.dialect.server_version_info}: {count} records "
              f"in {elapsed:.2f} s = {count / elapsed:,.0f} records/s "
              f"(CPU {cpu:.2f} s = {count / cpu:,.0f} records/s)")
        session.close()
        engine.dispose()


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20_000, lead_form="--lead-form" in sys.argv)
