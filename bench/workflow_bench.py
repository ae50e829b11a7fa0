"""Workflow benchmark: what a transition costs next to a plain record update, and the memory of
compiling 1,000 distinct workflow versions.

    python -m bench.workflow_bench --records 100000 [--iterations 400] [--versions 1000]
                                   [--database-url postgresql+psycopg://...]

Both writes go through the record service on the same records of one form (a random record each
time, interleaved, after warm-up): ``update`` changes one field; ``transition`` takes the
open <-> working transition (guarded on a field) with no changes, ``transition+change`` with the same
one-field change as the update. Memory: ``tracemalloc`` around compiling N versions of a lead-style
workflow (6 states, 7 transitions, guards) into a dict, which is what the compiled-version cache
holds. Prints JSON (issue 3's targets: transition <= 1.5x update; 1,000 versions < 200 MB).
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import random
import statistics
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from formflow.accounts.models import Membership, User, Workspace
from formflow.apps.service import install_app
from formflow.db import make_engine, make_sessionmaker
from formflow.fields.base import Field
from formflow.forms import service as forms
from formflow.models import Base
from formflow.permissions.actor import Actor, load_actor
from formflow.records.service import bulk_create, update_record
from formflow.records.transitions import transition_record
from formflow.workflows import runtime
from formflow.workflows import service as workflows
from formflow.workflows.compiler import compile_workflow

FIELDS: list[dict[str, Any]] = [
    {"key": "name", "type": "text", "label": {"en": "Name"}, "required": True},
    {"key": "amount", "type": "number", "label": {"en": "Amount"}, "indexed": True},
    {"key": "phone", "type": "text", "label": {"en": "Phone"}},
    {"key": "notes", "type": "textarea", "label": {"en": "Notes"}},
]
#: the benchmark's workflow: records go back and forth, so every record can take a transition each time
LOOP: dict[str, Any] = {
    "initial": "open",
    "states": [
        {"key": "open", "label": {"en": "Open"}},
        {"key": "working", "label": {"en": "Working"}},
        {"key": "closed", "label": {"en": "Closed"}, "terminal": True},
    ],
    "transitions": [
        {
            "key": "start",
            "label": {"en": "Start"},
            "from": ["open"],
            "to": "working",
            "roles": ["member"],
            "guard": {"field": "amount", "op": "gt", "value": 0},
            "editable_fields": ["notes"],
        },
        {
            "key": "pause",
            "label": {"en": "Pause"},
            "from": ["working"],
            "to": "open",
            "editable_fields": ["notes"],
        },
        {"key": "close", "label": {"en": "Close"}, "from": "*", "to": "closed"},
    ],
}
NEXT = {"open": "start", "working": "pause"}


def lead_workflow(variant: int) -> dict[str, Any]:
    """A lead-style workflow (6 states, 7 transitions, guards) that differs per ``variant``."""

    def state(key: str, **extra: Any) -> dict[str, Any]:
        return {"key": key, "label": {"en": f"{key.title()} {variant}", "zh-CN": f"{key}{variant}"}, **extra}

    def move(key: str, sources: Any, target: str, **extra: Any) -> dict[str, Any]:
        return {
            "key": key,
            "label": {"en": f"{key.title()} {variant}"},
            "from": sources,
            "to": target,
            **extra,
        }

    return {
        "initial": "new",
        "states": [
            state("new"),
            state("contacting"),
            state("qualified", field_access={"member": {"amount": "read"}}),
            state("proposal"),
            state("converted", terminal=True),
            state("invalid", terminal=True),
        ],
        "transitions": [
            move(
                "contact",
                ["new"],
                "contacting",
                roles=["member"],
                guard={"field": "phone", "op": "is_not_empty"},
            ),
            move(
                "qualify",
                ["contacting"],
                "qualified",
                guard={"field": "amount", "op": "gt", "value": variant},
            ),
            move("propose", ["qualified"], "proposal", editable_fields=["notes"]),
            move("back", ["proposal"], "qualified"),
            move("convert", ["proposal"], "converted", roles=["admin"], comment_required=True),
            move("reopen", ["contacting", "qualified"], "new"),
            move("disqualify", "*", "invalid", required_fields=["notes"]),
        ],
    }


def setup(url: str, records: int) -> tuple[Any, Actor, Any, list[int]]:
    """A database with one form of ``records`` records on the LOOP workflow; the member actor."""
    engine = make_engine(url)
    Base.metadata.create_all(engine)
    runtime.install()
    session = make_sessionmaker(engine)()
    workspace = Workspace(name="Bench", slug="bench", timezone="Asia/Shanghai")
    admin_user, member_user = User(email="a@bench", name="A"), User(email="m@bench", name="M")
    session.add_all([workspace, admin_user, member_user])
    session.flush()
    session.add_all(
        [
            Membership(workspace_id=workspace.id, user_id=admin_user.id, role="admin"),
            Membership(workspace_id=workspace.id, user_id=member_user.id, role="member"),
        ]
    )
    session.commit()
    admin = load_actor(session, admin_user, workspace)
    member = load_actor(session, member_user, workspace)
    app = install_app(session, admin, "crm", "CRM")
    form = forms.create_form(session, admin, app, "leads", {"en": "Leads"}, {"fields": FIELDS})
    forms.publish(session, admin, form, confirm=True)
    workflows.save_draft(session, admin, form, LOOP)
    workflows.publish(session, admin, form)
    rng = random.Random(7)
    ids: list[int] = []
    for start in range(0, records, 5000):
        rows = [
            {"name": f"Lead {index}", "amount": rng.randint(1, 10_000)}
            for index in range(start, min(records, start + 5000))
        ]
        ids.extend(bulk_create(session, member, form, rows).ids)
    session.close()
    return engine, member, form.id, ids


def time_writes(
    engine: Any, actor: Actor, form_id: int, ids: list[int], iterations: int, warmup: int
) -> dict[str, dict[str, float]]:
    """Median and p90 milliseconds of each write, interleaved on random records."""
    from formflow.forms.models import Form
    from formflow.records.models import Record

    session: Session = make_sessionmaker(engine)()
    form = session.get(Form, form_id)
    rng = random.Random(11)

    def record_state(record_id: int) -> tuple[int, str]:
        record = session.get(Record, record_id)
        return record.version, record.state

    def update(record_id: int, index: int) -> None:
        version, _state = record_state(record_id)
        update_record(session, actor, form, record_id, {"notes": f"update {index}"}, version)

    def transition(record_id: int, index: int) -> None:
        version, state = record_state(record_id)
        transition_record(session, actor, form, record_id, NEXT[state], expected_version=version)

    def transition_change(record_id: int, index: int) -> None:
        version, state = record_state(record_id)
        transition_record(
            session,
            actor,
            form,
            record_id,
            NEXT[state],
            expected_version=version,
            changes={"notes": f"transition {index}"},
        )

    calls: dict[str, Callable[[int, int], None]] = {
        "update": update,
        "transition": transition,
        "transition+change": transition_change,
    }
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for index in range(warmup + iterations):
        order = list(calls.items())
        rng.shuffle(order)
        for name, call in order:
            record_id = rng.choice(ids)
            session.expire_all()
            started = time.perf_counter()
            call(record_id, index)
            elapsed = (time.perf_counter() - started) * 1000
            if index >= warmup:
                samples[name].append(elapsed)
    session.close()
    return {
        name: {
            "median_ms": round(statistics.median(values), 3),
            "p90_ms": round(statistics.quantiles(values, n=10)[-1], 3),
            "count": len(values),
        }
        for name, values in samples.items()
    }


def compile_memory(versions: int) -> dict[str, float]:
    """Bytes ``tracemalloc`` sees while compiling ``versions`` distinct workflow versions into a dict."""
    fields = {item["key"]: Field(item) for item in FIELDS}
    definitions = [lead_workflow(variant) for variant in range(versions)]
    gc.collect()
    tracemalloc.start()
    started = time.perf_counter()
    cache = {
        variant: compile_workflow(copy.deepcopy(definition), fields, variant)
        for variant, definition in enumerate(definitions)
    }
    seconds = time.perf_counter() - started
    gc.collect()
    current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(cache) == versions
    return {
        "versions": versions,
        "retained_mb": round(current / 2**20, 2),
        "peak_mb": round(peak / 2**20, 2),
        "per_version_kb": round(current / versions / 1024, 1),
        "compile_ms_each": round(seconds * 1000 / versions, 3),
    }


def main(arguments: list[str] | None = None) -> dict[str, Any]:
    """Run the benchmark and print (and return) its JSON."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--iterations", type=int, default=400)
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--versions", type=int, default=1000)
    parser.add_argument("--database-url", help="default: a new SQLite file in a temporary directory")
    options = parser.parse_args(arguments)
    with tempfile.TemporaryDirectory() as folder:
        url = options.database_url or f"sqlite:///{Path(folder) / 'bench.db'}"
        started = time.perf_counter()
        engine, actor, form_id, ids = setup(url, options.records)
        load_seconds = time.perf_counter() - started
        writes = time_writes(engine, actor, form_id, ids, options.iterations, options.warmup)
        engine.dispose()
    update = writes["update"]["median_ms"]
    result = {
        "records": options.records,
        "engine": url.split(":", 1)[0],
        "load_s": round(load_seconds, 1),
        "writes": writes,
        "ratio": {name: round(values["median_ms"] / update, 3) for name, values in writes.items()},
        "compile": compile_memory(options.versions),
    }
    print(json.dumps(result, indent=2))
    return result


if __name__ == "__main__":
    main()
