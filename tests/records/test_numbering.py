"""Auto-numbers: consecutive, rendered by the field type, per period, gap-free under concurrency."""

from __future__ import annotations

import threading
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select
from tests.records.conftest import field

from formflow.db import make_sessionmaker
from formflow.errors import Conflict
from formflow.records import numbering
from formflow.records.models import AutoNumberCounter, Record
from formflow.records.service import create_record, update_record

NUMBERED = [field("name"), field("email", "email", unique=True),
            field("code", "auto_number", format="LEAD-{YYYY}-{seq:4}")]


@pytest.fixture
def numbered(make_form):
    return make_form(NUMBERED)


def test_numbers_are_consecutive_and_rendered_by_the_field_format(session, member, numbered):
    codes = [create_record(session, member, numbered, {"name": name}).data["code"] for name in "abc"]

    local_year = datetime.now(ZoneInfo(member.timezone)).year
    assert codes == [f"LEAD-{local_year}-000{n}" for n in (1, 2, 3)]


def test_each_period_counts_from_one(session, numbered):
    with session.begin():
        first = [numbering.bump(session, numbered.id, "code", "2026") for _ in range(3)]
        other = numbering.bump(session, numbered.id, "code", "2027")
        block = numbering.bump(session, numbered.id, "code", "2026", count=10)

    assert (first, other, block) == ([1, 2, 3], 1, 13)


def test_a_create_refused_after_numbering_gives_its_number_back(session, member, numbered):
    create_record(session, member, numbered, {"name": "Ada", "email": "ada@example.com"})

    with pytest.raises(Conflict):
        create_record(session, member, numbered, {"name": "Copy", "email": "ada@example.com"})
    second = create_record(session, member, numbered, {"name": "Grace"})

    assert second.data["code"].endswith("-0002")


def test_a_number_field_added_later_numbers_a_record_on_its_next_update(session, member, make_form,
                                                                        republish):
    form = make_form([field("name")])
    old = create_record(session, member, form, {"name": "Ada"})
    republish(form, [field("name"), field("code", "auto_number", format="C{seq:2}")])

    updated = update_record(session, member, form, old.id, {"name": "Ada L."}, 1)

    assert updated.data["code"] == "C01"


def test_concurrent_creates_get_exactly_one_to_n(app, session, member, numbered):
    writers = 8
    sessions = make_sessionmaker(app.extensions["formflow.engine"])
    start = threading.Barrier(writers)
    failures: list[BaseException] = []

    def write(index: int) -> None:
        with sessions() as own:
            start.wait()
            try:
                create_record(own, member, numbered, {"name": f"writer {index}"})
            except BaseException as error:  # noqa: BLE001 - reported below
                failures.append(error)

    threads = [threading.Thread(target=write, args=(index,)) for index in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert failures == []
    session.rollback()
    codes = session.scalars(select(Record.data["code"].as_string()).where(Record.form_id == numbered.id))
    assert sorted(int(code[-4:]) for code in codes) == list(range(1, writers + 1))
    counter = session.scalar(select(AutoNumberCounter.value).where(AutoNumberCounter.form_id == numbered.id))
    assert counter == writers
