"""Public pools: who sees pooled records, claims within limits and cool-down, release and move with a
reason, history that travels, and concurrent claims (exactly one wins) on both engines."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from formflow.db import make_sessionmaker
from formflow.errors import Conflict, Forbidden, ValidationFailed
from formflow.permissions import pools
from formflow.permissions import service as permissions
from formflow.permissions.models import PoolClaim, PoolEntry
from formflow.records.models import Record
from formflow.records.queries import RecordQuery, list_revisions, query_records


@pytest.fixture
def reps(make_person, leads, rules):
    """Two reps (own records only) who belong to the pool ``east``."""
    rules(leads, "rep", {"create": "all", "read": "own", "update": "own"})
    return make_person("rep"), make_person("rep")


@pytest.fixture
def make_pool(session, admin, leads) -> Callable[..., object]:
    def make(key: str = "east", **settings: object) -> object:
        return permissions.create_pool(session, admin, leads, key, {"en": key.title()}, **settings)

    return make


@pytest.fixture
def pooled(session, admin, leads, make_lead, make_pool) -> Callable[..., Record]:
    """A lead moved (by the admin) into a pool, with no owner."""

    def make(pool: str = "east", **data: object) -> Record:
        lead = make_lead(**data)
        return pools.move_to_pool(session, admin, leads, lead.id, pool, "new lead")

    return make


def age(session, model: type, column: str, delta: timedelta) -> None:
    """Move a timestamp of every row of ``model`` back by ``delta``."""
    for row in session.scalars(select(model)):
        setattr(row, column, getattr(row, column) - delta)
    session.commit()


def visible(session, actor, form) -> list[str]:
    return sorted(item["data"]["name"] for item in query_records(session, actor, form, RecordQuery()).items)


def test_pool_members_see_unowned_pooled_records(session, leads, reps, make_pool, pooled, make_person):
    make_pool("east", member_roles=["rep"])
    pooled(name="waiting")
    outsider = make_person("support")

    assert visible(session, reps[0], leads) == ["waiting"]
    assert visible(session, outsider, leads) == ["waiting"]  # support has no rules: every record
    assert pools.pool_of(session, session.scalar(select(Record.id))).key == "east"


def test_non_members_do_not_see_a_pool(session, leads, reps, rules, make_person, make_pool, pooled):
    rules(leads, "support", {"read": "own"})
    make_pool("east", member_roles=["rep"])
    pooled(name="waiting")

    assert visible(session, make_person("support"), leads) == []


def test_a_claim_gives_the_record_to_the_claimant_and_its_history_travels(session, admin, leads, reps,
                                                                          make_pool, pooled):
    make_pool("east")
    lead = pooled(name="waiting", amount=10)
    rep, other = reps

    claimed = pools.claim_record(session, rep, leads, lead.id)

    assert claimed.owner_id == rep.user_id
    assert visible(session, rep, leads) == ["waiting"] and visible(session, other, leads) == []
    history = list_revisions(session, rep, leads, lead.id)
    assert [revision["action"] for revision in history] == ["claim", "move", "create"]
    assert history[0]["diff"] == {"owner": [None, rep.user_id], "pool": ["east", None]}
    assert history[2]["diff"]["amount"] == [None, 10]


def test_a_claimed_record_cannot_be_claimed_again(session, leads, reps, make_pool, pooled):
    make_pool("east")
    lead = pooled(name="waiting")
    pools.claim_record(session, reps[0], leads, lead.id)

    with pytest.raises(Exception) as refused:
        pools.claim_record(session, reps[1], leads, lead.id)

    assert refused.value.status in (404, 409)


def test_the_held_limit_stops_further_claims(session, leads, reps, make_pool, pooled):
    make_pool("east", max_held=1)
    first, second = pooled(name="a"), pooled(name="b")
    pools.claim_record(session, reps[0], leads, first.id)

    with pytest.raises(Conflict) as refused:
        pools.claim_record(session, reps[0], leads, second.id)

    assert refused.value.code == "pool_limit" and refused.value.extra["limit"] == "max_held"


def test_the_daily_limit_counts_released_claims_too(session, leads, reps, make_pool, pooled):
    make_pool("east", max_daily_claims=1)
    first, second = pooled(name="a"), pooled(name="b")
    pools.claim_record(session, reps[0], leads, first.id)
    pools.release_record(session, reps[0], leads, first.id, "east", "not interested")

    with pytest.raises(Conflict) as refused:
        pools.claim_record(session, reps[0], leads, second.id)

    assert refused.value.extra["limit"] == "max_daily_claims"


def test_yesterdays_claims_do_not_count_today(session, leads, reps, make_pool, pooled):
    make_pool("east", max_daily_claims=1)
    first, second = pooled(name="a"), pooled(name="b")
    pools.claim_record(session, reps[0], leads, first.id)
    age(session, PoolClaim, "claimed_at", timedelta(days=1))

    assert pools.claim_record(session, reps[0], leads, second.id).owner_id == reps[0].user_id


def test_a_former_owner_waits_out_the_cooldown(session, leads, reps, make_pool, pooled):
    make_pool("east", cooldown_minutes=60)
    lead = pooled(name="a")
    pools.claim_record(session, reps[0], leads, lead.id)
    pools.release_record(session, reps[0], leads, lead.id, "east", "no answer")

    with pytest.raises(Conflict) as refused:
        pools.claim_record(session, reps[0], leads, lead.id)
    assert refused.value.code == "pool_cooldown"
    assert pools.claim_record(session, reps[1], leads, lead.id).owner_id == reps[1].user_id


def test_the_cooldown_ends(session, leads, reps, make_pool, pooled):
    make_pool("east", cooldown_minutes=60)
    lead = pooled(name="a")
    pools.claim_record(session, reps[0], leads, lead.id)
    pools.release_record(session, reps[0], leads, lead.id, "east", "no answer")
    age(session, PoolEntry, "entered_at", timedelta(minutes=61))

    assert pools.claim_record(session, reps[0], leads, lead.id).owner_id == reps[0].user_id


def test_only_the_owner_releases(session, leads, reps, make_pool, pooled, rules):
    rules(leads, "rep", {"create": "all", "read": "all", "update": "all"})
    make_pool("east")
    lead = pooled(name="a")
    pools.claim_record(session, reps[0], leads, lead.id)

    with pytest.raises(Forbidden):
        pools.release_record(session, reps[1], leads, lead.id, "east", "mine now")


def test_release_and_move_need_a_reason(session, admin, leads, reps, make_pool, make_lead):
    make_pool("east")
    lead = make_lead(reps[0], name="a")

    with pytest.raises(ValidationFailed):
        pools.release_record(session, reps[0], leads, lead.id, "east", "  ")
    with pytest.raises(ValidationFailed):
        pools.move_to_pool(session, admin, leads, lead.id, "east", "")


def test_move_to_a_chosen_pool_records_the_reason_and_the_previous_owner(session, admin, leads, reps,
                                                                          make_pool, make_lead):
    make_pool("east")
    make_pool("west")
    lead = make_lead(reps[0], name="a")
    pools.move_to_pool(session, admin, leads, lead.id, "east", "rep left")

    moved = pools.move_to_pool(session, admin, leads, lead.id, "west", "wrong region")

    entry = session.get(PoolEntry, moved.id)
    assert (moved.owner_id, entry.reason, entry.previous_owner_id) == (None, "wrong region", reps[0].user_id)
    assert list_revisions(session, admin, leads, lead.id)[0]["diff"] == {"owner": [None, None],
                                                                         "pool": ["east", "west"]}


def test_move_needs_the_assign_scope(session, leads, reps, make_pool, make_lead):
    make_pool("east")
    lead = make_lead(reps[0], name="a")

    with pytest.raises(Forbidden):
        pools.move_to_pool(session, reps[0], leads, lead.id, "east", "because")


def _claim_concurrently(app, actors, form, record_ids) -> tuple[list, list]:
    """Each actor claims its record id at the same moment, in its own session and thread."""
    sessions = make_sessionmaker(app.extensions["formflow.engine"])
    start = threading.Barrier(len(actors))
    won, lost = [], []
    lock = threading.Lock()

    def claim(actor, record_id) -> None:
        with sessions() as own:
            start.wait()
            try:
                pools.claim_record(own, actor, form, record_id)
                outcome = won
            except Exception as error:  # noqa: BLE001 - every outcome is asserted
                outcome = lost
                actor = (actor, getattr(error, "code", repr(error)))
            with lock:
                outcome.append(actor)

    threads = [threading.Thread(target=claim, args=pair) for pair in zip(actors, record_ids, strict=True)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return won, lost


def test_concurrent_claims_of_one_record_have_exactly_one_winner(app, session, leads, make_person, rules,
                                                                 make_pool, pooled):
    rules(leads, "rep", {"read": "own"})
    claimants = [make_person("rep") for _ in range(6)]
    make_pool("east")
    lead = pooled(name="contested")

    won, lost = _claim_concurrently(app, claimants, leads, [lead.id] * len(claimants))

    assert len(won) == 1 and len(lost) == len(claimants) - 1
    assert {code for _actor, code in lost} == {"already_claimed"}
    session.expire_all()
    assert session.get(Record, lead.id).owner_id == won[0].user_id
    assert session.scalar(select(PoolClaim.user_id)) == won[0].user_id


def test_concurrent_claims_of_one_user_respect_the_held_limit(app, session, leads, reps, make_pool, pooled):
    make_pool("east", max_held=2)
    ids = [pooled(name=f"lead {index}").id for index in range(5)]

    won, lost = _claim_concurrently(app, [reps[0]] * len(ids), leads, ids)

    assert len(won) == 2
    assert {code for _actor, code in lost} == {"pool_limit"}
    session.expire_all()
    assert session.scalar(select(Record.id).where(Record.owner_id == reps[0].user_id).limit(1)) is not None
    assert len(session.scalars(select(Record.id).where(Record.owner_id == reps[0].user_id)).all()) == 2
