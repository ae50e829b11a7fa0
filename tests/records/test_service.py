"""The record service: create, update, delete, restore, revisions, locking, uniqueness, idempotency,
comments and hooks."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from tests.records.conftest import LEAD_FIELDS, field

from formflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from formflow.forms import service as forms
from formflow.permissions.actor import Actor
from formflow.records import queries
from formflow.records.models import Comment, Record, Revision
from formflow.records.service import (
    add_comment,
    create_record,
    delete_record,
    restore_record,
    update_record,
)


def revisions(session: Session, record: Record) -> list[Revision]:
    session.rollback()
    statement = select(Revision).where(Revision.record_id == record.id).order_by(Revision.id)
    return list(session.scalars(statement))


def count(session: Session, model: Any) -> int:
    session.rollback()
    return session.scalar(select(func.count()).select_from(model))


def codes(error: ValidationFailed) -> dict[str, str]:
    return {problem.field: problem.code for problem in error.errors}


# --- create -------------------------------------------------------------------------------------


def test_create_stores_validated_data_owned_by_the_actor(session, member, leads):
    record = create_record(session, member, leads, {"name": "  Ada ", "amount": "12.5"})

    assert record.data == {"name": "Ada", "amount": 12.5}
    assert (record.owner_id, record.created_by_id, record.version) == (member.user_id, member.user_id, 1)
    assert record.form_version_id == leads.current_version_id


def test_create_writes_a_create_revision_with_every_value(session, member, leads):
    record = create_record(session, member, leads, {"name": "Ada", "amount": 3})

    [revision] = revisions(session, record)
    assert (revision.action, revision.record_version, revision.actor_id) == ("create", 1, member.user_id)
    assert revision.diff == {"name": [None, "Ada"], "amount": [None, 3]}


def test_create_reports_every_invalid_field_at_once(session, member, leads):
    with pytest.raises(ValidationFailed) as failure:
        create_record(session, member, leads, {"email": "not-an-email", "amount": "many"})

    assert set(codes(failure.value)) == {"name", "email", "amount"}
    assert count(session, Record) == 0


@pytest.mark.parametrize("key", ["state", "owner", "version", "nonexistent"])
def test_create_refuses_keys_that_are_not_fields(session, member, leads, key):
    with pytest.raises(ValidationFailed) as failure:
        create_record(session, member, leads, {"name": "Ada", key: "won"})

    assert codes(failure.value) == {key: "unknown_field"}


def test_create_in_an_unpublished_form_is_a_conflict(session, admin, member, crm):
    draft = forms.create_form(session, admin, crm, "drafts", "Drafts", {"fields": LEAD_FIELDS})

    with pytest.raises(Conflict) as conflict:
        create_record(session, member, draft, {"name": "Ada"})

    assert conflict.value.code == "form_not_published"


def test_create_is_forbidden_in_another_workspace(session, make_workspace, make_user, leads):
    from formflow.permissions.actor import load_actor

    elsewhere = make_workspace(name="Other")
    stranger = load_actor(session, make_user(elsewhere), elsewhere)

    with pytest.raises(Forbidden):
        create_record(session, stranger, leads, {"name": "Ada"})


def test_create_refuses_a_computed_field(session, member, make_form):
    form = make_form([field("name"), field("code", "auto_number", format="L{seq:3}")])

    with pytest.raises(ValidationFailed) as failure:
        create_record(session, member, form, {"name": "Ada", "code": "L999"})

    assert codes(failure.value) == {"code": "computed_field"}


# --- update -------------------------------------------------------------------------------------


def test_update_merges_the_changes_and_bumps_the_version(session, member, leads, make_record):
    record = make_record(leads, name="Ada", amount=1, notes="first")

    updated = update_record(session, member, leads, record.id, {"amount": 2}, expected_version=1)

    assert updated.data == {"name": "Ada", "amount": 2, "notes": "first"}
    assert (updated.version, updated.updated_by_id) == (2, member.user_id)


def test_update_revision_lists_only_the_changed_fields(session, member, leads, make_record):
    record = make_record(leads, name="Ada", amount=1, notes="first")

    update_record(session, member, leads, record.id, {"amount": 2, "name": "Ada", "notes": None}, 1)

    last = revisions(session, record)[-1]
    assert (last.action, last.record_version) == ("update", 2)
    assert last.diff == {"amount": [1, 2], "notes": ["first", None]}


def test_update_that_changes_nothing_writes_nothing(session, member, leads, make_record):
    record = make_record(leads, name="Ada", amount=1)

    same = update_record(session, member, leads, record.id, {"amount": "1", "name": " Ada "}, 1)

    assert same.version == 1
    assert len(revisions(session, record)) == 1


def test_update_moves_the_record_to_the_current_form_version(session, member, leads, make_record, republish):
    record = make_record(leads, name="Ada", notes="kept")
    republish(leads, [item for item in LEAD_FIELDS if item["key"] != "notes"] + [field("city")])

    updated = update_record(session, member, leads, record.id, {"city": "Shenzhen"}, 1)

    assert updated.form_version_id == leads.current_version_id
    assert updated.data == {"name": "Ada", "notes": "kept", "city": "Shenzhen"}


def test_update_revalidates_the_whole_record_against_the_current_version(
        session, member, leads, make_record, republish):
    record = make_record(leads, name="Ada")
    republish(leads, [*LEAD_FIELDS, field("city", required=True)])

    with pytest.raises(ValidationFailed) as failure:
        update_record(session, member, leads, record.id, {"amount": 5}, 1)

    assert codes(failure.value) == {"city": "required"}


def test_update_refuses_the_state_column_through_data(session, member, leads, make_record):
    record = make_record(leads, name="Ada")

    with pytest.raises(ValidationFailed) as failure:
        update_record(session, member, leads, record.id, {"state": "won"}, 1)

    assert codes(failure.value) == {"state": "unknown_field"}
    session.rollback()
    assert session.get(Record, record.id).state is None


def test_update_of_a_record_of_another_form_is_not_found(session, member, leads, make_form, make_record):
    other = make_form([field("title")], key="tickets")
    ticket = make_record(other, title="Printer")

    with pytest.raises(NotFound):
        update_record(session, member, leads, ticket.id, {"name": "x"}, 1)


# --- optimistic locking -------------------------------------------------------------------------


def test_stale_version_is_a_409_carrying_the_current_record(session, member, other_member, leads,
                                                            make_record):
    record = make_record(leads, name="Ada", amount=1)
    update_record(session, other_member, leads, record.id, {"amount": 2}, 1)

    with pytest.raises(Conflict) as conflict:
        update_record(session, member, leads, record.id, {"amount": 3}, expected_version=1)

    assert (conflict.value.status, conflict.value.code) == (409, "stale_version")
    current = conflict.value.extra["current"]
    assert (current["version"], current["data"]["amount"]) == (2, 2)


def test_stale_version_hides_fields_the_actor_cannot_read(session, member, leads, make_record, hide_fields):
    record = make_record(leads, name="Ada", notes="secret")
    update_record(session, member, leads, record.id, {"amount": 2}, 1)
    hide_fields(member, hidden=("notes",))

    with pytest.raises(Conflict) as conflict:
        update_record(session, member, leads, record.id, {"amount": 3}, expected_version=1)

    assert "notes" not in conflict.value.extra["current"]["data"]


def test_a_race_lost_at_write_time_is_a_stale_version(session, member, leads, make_record, no_hooks):
    record = make_record(leads, name="Ada", amount=1)
    before_write, _after = no_hooks
    # another writer commits between our read and our UPDATE ... WHERE version = :expected
    table = Record.__table__
    before_write.append(lambda session, actor, event: session.execute(
        update(table).where(table.c.id == event.record.id).values(version=table.c.version + 1)))

    with pytest.raises(Conflict) as conflict:
        update_record(session, member, leads, record.id, {"amount": 2}, expected_version=1)

    assert conflict.value.code == "stale_version"
    assert count(session, Revision) == 1


# --- uniqueness ---------------------------------------------------------------------------------


def test_a_duplicate_unique_value_is_a_409_naming_the_field(session, member, leads, make_record):
    make_record(leads, name="Ada", email="ada@example.com")

    with pytest.raises(Conflict) as conflict:
        create_record(session, member, leads, {"name": "Grace", "email": "ada@example.com"})

    assert conflict.value.code == "duplicate_value"
    assert [problem.field for problem in conflict.value.errors] == ["email"]
    assert count(session, Record) == 1


def test_an_update_to_a_taken_unique_value_is_a_409(session, member, leads, make_record):
    make_record(leads, name="Ada", email="ada@example.com")
    grace = make_record(leads, name="Grace", email="grace@example.com")

    with pytest.raises(Conflict) as conflict:
        update_record(session, member, leads, grace.id, {"email": "ada@example.com"}, 1)

    assert conflict.value.code == "duplicate_value"


def test_a_deleted_record_frees_its_unique_value_until_restored(session, member, leads, make_record):
    first = make_record(leads, name="Ada", email="ada@example.com")
    delete_record(session, member, leads, first.id)
    make_record(leads, name="Ada again", email="ada@example.com")

    with pytest.raises(Conflict) as conflict:
        restore_record(session, member, leads, first.id)

    assert conflict.value.code == "duplicate_value"


# --- no partial writes --------------------------------------------------------------------------


def test_a_failure_after_numbering_leaves_no_record_revision_or_gap(session, member, make_form, no_hooks):
    form = make_form([field("name"), field("code", "auto_number", format="N{seq:3}")])
    before_write, _after = no_hooks

    def refuse(session: Session, actor: Actor, event: Any) -> None:
        assert event.record.data["code"] == "N001"  # numbered already
        raise ValidationFailed([])

    before_write.append(refuse)
    with pytest.raises(ValidationFailed):
        create_record(session, member, form, {"name": "Ada"})
    before_write.clear()

    assert (count(session, Record), count(session, Revision)) == (0, 0)
    assert create_record(session, member, form, {"name": "Grace"}).data["code"] == "N001"


# --- delete and restore -------------------------------------------------------------------------


def test_delete_moves_the_record_to_the_trash_with_a_revision(session, member, leads, make_record):
    record = make_record(leads, name="Ada")

    deleted = delete_record(session, member, leads, record.id)

    assert deleted.deleted_at is not None and deleted.version == 2
    assert [revision.action for revision in revisions(session, record)] == ["create", "delete"]
    with pytest.raises(NotFound):
        queries.get_record(session, member, leads, record.id)


def test_restore_brings_the_record_back_with_a_revision(session, member, leads, make_record):
    record = make_record(leads, name="Ada")
    delete_record(session, member, leads, record.id)

    restored = restore_record(session, member, leads, record.id)

    assert restored.deleted_at is None and restored.version == 3
    assert [revision.action for revision in revisions(session, record)] == ["create", "delete", "restore"]
    assert queries.get_record(session, member, leads, record.id)["data"] == {"name": "Ada"}


def test_delete_with_a_stale_version_is_a_409(session, member, leads, make_record):
    record = make_record(leads, name="Ada")
    update_record(session, member, leads, record.id, {"amount": 1}, 1)

    with pytest.raises(Conflict) as conflict:
        delete_record(session, member, leads, record.id, expected_version=1)

    assert conflict.value.code == "stale_version"


@pytest.mark.parametrize("operation", ["delete_twice", "restore_live"])
def test_delete_and_restore_need_the_matching_state(session, member, leads, make_record, operation):
    record = make_record(leads, name="Ada")
    if operation == "delete_twice":
        delete_record(session, member, leads, record.id)

    with pytest.raises(NotFound):
        (delete_record if operation == "delete_twice" else restore_record)(session, member, leads, record.id)


# --- idempotency --------------------------------------------------------------------------------


def test_a_repeated_idempotency_key_returns_the_first_record(session, member, leads):
    first = create_record(session, member, leads, {"name": "Ada"}, idempotency_key="req-1")

    again = create_record(session, member, leads, {"name": "Ada (retry)"}, idempotency_key="req-1")

    assert again.id == first.id and again.data == {"name": "Ada"}
    assert (count(session, Record), count(session, Revision)) == (1, 1)


def test_idempotency_keys_are_per_form(session, member, leads, make_form):
    tickets = make_form([field("name")], key="tickets")
    first = create_record(session, member, leads, {"name": "Ada"}, idempotency_key="req-1")

    other = create_record(session, member, tickets, {"name": "Ada"}, idempotency_key="req-1")

    assert other.id != first.id


@pytest.mark.parametrize("key", ["", "x" * 201])
def test_an_idempotency_key_must_be_1_to_200_characters(session, member, leads, key):
    with pytest.raises(ValidationFailed) as failure:
        create_record(session, member, leads, {"name": "Ada"}, idempotency_key=key)

    assert list(codes(failure.value)) == ["idempotency_key"]


# --- field access -------------------------------------------------------------------------------


def test_a_hidden_field_cannot_be_written_and_looks_unknown(session, member, leads, make_record, hide_fields):
    record = make_record(leads, name="Ada")
    hide_fields(member, hidden=("notes",))

    with pytest.raises(ValidationFailed) as failure:
        update_record(session, member, leads, record.id, {"notes": "x"}, 1)

    assert codes(failure.value) == {"notes": "unknown_field"}


def test_a_read_only_field_cannot_be_written(session, member, leads, make_record, hide_fields):
    record = make_record(leads, name="Ada")
    hide_fields(member, read_only=("amount",))

    with pytest.raises(ValidationFailed) as failure:
        update_record(session, member, leads, record.id, {"amount": 3}, 1)

    assert codes(failure.value) == {"amount": "read_only"}


def test_an_update_keeps_the_values_of_hidden_fields(session, member, other_member, leads, make_record,
                                                     hide_fields):
    record = make_record(leads, name="Ada", notes="secret")
    hide_fields(member, hidden=("notes",))

    updated = update_record(session, member, leads, record.id, {"amount": 3}, 1)

    assert updated.data["notes"] == "secret"


def test_errors_about_hidden_fields_do_not_name_them(session, member, leads, make_record, republish,
                                                     hide_fields):
    record = make_record(leads, name="Ada")
    republish(leads, [*LEAD_FIELDS, field("secret", required=True)])
    hide_fields(member, hidden=("secret",))

    with pytest.raises(ValidationFailed) as failure:
        update_record(session, member, leads, record.id, {"amount": 3}, 1)

    assert codes(failure.value) == {"": "hidden_field_invalid"}


# --- comments -----------------------------------------------------------------------------------


def test_comments_are_listed_oldest_first(session, member, other_member, leads, make_record):
    record = make_record(leads, name="Ada")
    add_comment(session, member, leads, record.id, " Called, no answer. ")
    add_comment(session, other_member, leads, record.id, "Emailed.")

    listed = queries.list_comments(session, member, leads, record.id)

    assert [(item["author"], item["body"]) for item in listed] == [
        (member.user_id, "Called, no answer."), (other_member.user_id, "Emailed.")]


@pytest.mark.parametrize("body", ["", "   ", "x" * 10_001])
def test_a_comment_needs_text_within_the_limit(session, member, leads, make_record, body):
    record = make_record(leads, name="Ada")

    with pytest.raises(ValidationFailed):
        add_comment(session, member, leads, record.id, body)

    assert count(session, Comment) == 0


def test_a_comment_on_a_record_out_of_scope_is_not_found(session, member, other_member, leads, make_record,
                                                         own_records_only):
    record = make_record(leads, actor=other_member, name="Theirs")
    own_records_only(member)

    with pytest.raises(NotFound):
        add_comment(session, member, leads, record.id, "Hello")


# --- hooks --------------------------------------------------------------------------------------


def test_before_write_hooks_may_set_the_state(session, member, leads, no_hooks):
    before_write, _after = no_hooks
    before_write.append(lambda session, actor, event: setattr(event.record, "state", "new"))

    record = create_record(session, member, leads, {"name": "Ada"})

    session.rollback()
    assert session.get(Record, record.id).state == "new"


def test_after_write_hooks_see_the_saved_record_and_its_diff(session, member, leads, make_record, no_hooks):
    record = make_record(leads, name="Ada", amount=1)
    _before, after_write = no_hooks
    seen = []
    after_write.append(lambda session, actor, event: seen.append((event.kind, event.record.id, event.diff)))

    update_record(session, member, leads, record.id, {"amount": 2}, 1)
    delete_record(session, member, leads, record.id)

    assert seen == [("update", record.id, {"amount": [1, 2]}), ("delete", record.id, {})]


def test_a_failing_after_write_hook_rolls_the_write_back(session, member, leads, make_record, no_hooks):
    record = make_record(leads, name="Ada", amount=1)
    _before, after_write = no_hooks

    def fail(session: Session, actor: Actor, event: Any) -> None:
        raise Conflict("refused", code="refused")

    after_write.append(fail)
    with pytest.raises(Conflict):
        update_record(session, member, leads, record.id, {"amount": 2}, 1)

    session.rollback()
    assert session.get(Record, record.id).data["amount"] == 1
    assert count(session, Revision) == 1


def test_concurrent_repeats_of_an_idempotency_key_make_one_record(app, session, member, leads):
    import threading

    from formflow.db import make_sessionmaker

    sessions = make_sessionmaker(app.extensions["formflow.engine"])
    start = threading.Barrier(6)
    made: list[int] = []

    def repeat() -> None:
        with sessions() as own:
            start.wait()
            made.append(create_record(own, member, leads, {"name": "Ada"}, idempotency_key="same").id)

    threads = [threading.Thread(target=repeat) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert len(made) == 6 and len(set(made)) == 1
    assert count(session, Record) == 1


# --- references ---------------------------------------------------------------------------------


@pytest.fixture
def deals(make_form):
    make_form([field("name")], key="customers")
    return make_form([field("title"), field("customer", "relation", target_form="customers"),
                      field("rep", "user")], key="deals")


def test_a_relation_must_point_at_a_record_the_actor_can_see(session, member, other_member, deals, crm,
                                                             own_records_only):
    from formflow.forms.service import get_form

    customers = get_form(session, member, crm, "customers")
    mine = create_record(session, member, customers, {"name": "Mine"})
    theirs = create_record(session, other_member, customers, {"name": "Theirs"})
    own_records_only(member)

    create_record(session, member, deals, {"title": "ok", "customer": mine.id})
    with pytest.raises(ValidationFailed) as failure:
        create_record(session, member, deals, {"title": "no", "customer": theirs.id})

    assert codes(failure.value) == {"customer": "not_found"}


def test_a_user_field_must_name_a_member_of_the_workspace(session, member, deals, make_user):
    outsider = make_user(None, name="Outsider")

    create_record(session, member, deals, {"title": "ok", "rep": member.user_id})
    with pytest.raises(ValidationFailed) as failure:
        create_record(session, member, deals, {"title": "no", "rep": outsider.id})

    assert codes(failure.value) == {"rep": "not_found"}
