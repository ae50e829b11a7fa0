"""Two users take different transitions on the same record at the same moment: exactly one wins."""

from __future__ import annotations

import threading
from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from formflow.db import make_sessionmaker
from formflow.errors import FormflowError
from formflow.forms.models import Form
from formflow.permissions.actor import Actor
from formflow.records.models import Record, Revision
from formflow.records.transitions import transition_record
from formflow.workflows.models import WorkflowVersion

ROUNDS = 5


def race(app, form: Form, record_id: int, attempts: list[tuple[Actor, str, dict]]) -> list[object]:
    """Run each (actor, transition, changes) in its own thread and session, released together."""
    sessions = make_sessionmaker(app.extensions["formflow.engine"])
    barrier = threading.Barrier(len(attempts))
    results: list[object] = [None] * len(attempts)

    def attempt(index: int, actor: Actor, key: str, changes: dict) -> None:
        session = sessions()
        try:
            barrier.wait()
            record = transition_record(
                session,
                actor,
                session.get(Form, form.id),
                record_id,
                key,
                expected_version=1,
                changes=changes,
            )
            results[index] = record.state
        except FormflowError as error:
            results[index] = error
        finally:
            session.close()

    threads = [threading.Thread(target=attempt, args=(index, *item)) for index, item in enumerate(attempts)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_concurrent_transitions_one_wins_the_other_is_stale(
    app,
    session: Session,
    member: Actor,
    other_member: Actor,
    leads: Form,
    lead_workflow: WorkflowVersion,
    make_lead: Callable[..., Record],
) -> None:
    for _round in range(ROUNDS):
        record = make_lead(phone="13812345678")
        results = race(
            app,
            leads,
            record.id,
            [(member, "contact", {"notes": "calling"}), (other_member, "disqualify", {"reason": "spam"})],
        )
        winners = [result for result in results if isinstance(result, str)]
        losers = [result for result in results if isinstance(result, FormflowError)]
        assert len(winners) == 1 and len(losers) == 1, results
        assert (losers[0].status, losers[0].code) == (409, "stale_version")
        session.expire_all()
        stored = session.get(Record, record.id)
        history = session.scalars(
            select(Revision).where(Revision.record_id == record.id).order_by(Revision.id)
        ).all()
        assert (stored.state, stored.version) == (winners[0], 2)
        assert [(item.action, item.record_version) for item in history] == [("create", 1), ("transition", 2)]
        assert history[-1].diff["state"] == ["new", winners[0]]
        changed = "notes" if winners[0] == "contacting" else "reason"
        untouched = "reason" if changed == "notes" else "notes"
        assert stored.data.get(changed) and stored.data.get(untouched) is None
