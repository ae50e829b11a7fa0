"""The forms service: create, save drafts, publish immutable versions, impact on existing records."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session
from tests.forms.conftest import definition, field

from formflow.apps.models import App
from formflow.errors import Conflict, Forbidden, NotFound, ValidationFailed
from formflow.forms import service as forms
from formflow.forms.models import Form, FormVersion
from formflow.forms.schema import compile_schema
from formflow.i18n import use_locale
from formflow.permissions.actor import Actor
from formflow.records.models import Record

MakeForm = Callable[..., Form]
Insert = Callable[..., list[Record]]
Republish = Callable[..., Any]

OPTIONS = [{"value": "new", "label": {"en": "New"}}, {"value": "won", "label": {"en": "Won"}}]
NAME = field("name", required=True)
PHONE = field("phone", "phone", label={"en": "Phone", "zh-CN": "电话"})


def impact_of(raised: pytest.ExceptionInfo[Conflict]) -> list[tuple[str, str, int, bool]]:
    return [(item["kind"], item["field"], item["count"], item["blocking"])
            for item in raised.value.extra["impacts"]]


# --- creating and editing -------------------------------------------------------------------------------


def test_create_form_stores_the_draft_and_publishes_nothing(session: Session, admin: Actor, crm: App) -> None:
    form = forms.create_form(session, admin, crm, "leads", "Leads", definition(NAME))
    assert form.draft == definition(NAME)
    assert form.current_version_id is None
    assert forms.list_versions(session, form) == []


def test_create_form_without_definition_starts_empty(session: Session, admin: Actor, crm: App) -> None:
    assert forms.create_form(session, admin, crm, "leads", "Leads").draft == {"fields": []}


def test_create_form_is_for_admins(session: Session, member: Actor, crm: App) -> None:
    with pytest.raises(Forbidden):
        forms.create_form(session, member, crm, "leads", "Leads")


def test_create_form_refuses_a_taken_key(session: Session, admin: Actor, crm: App) -> None:
    forms.create_form(session, admin, crm, "leads", "Leads")
    with pytest.raises(Conflict) as raised:
        forms.create_form(session, admin, crm, "leads", "Leads again")
    assert raised.value.code == "duplicate_key"


def test_create_form_refuses_an_invalid_key(session: Session, admin: Actor, crm: App) -> None:
    with pytest.raises(ValidationFailed) as raised:
        forms.create_form(session, admin, crm, "Leads!", "Leads")
    assert [error.field for error in raised.value.errors] == ["key"]


def test_create_form_refuses_an_invalid_definition(session: Session, admin: Actor, crm: App) -> None:
    with pytest.raises(ValidationFailed):
        forms.create_form(session, admin, crm, "leads", "Leads", definition(field("a", "hologram")))
    assert session.scalar(select(Form.id)) is None


def test_save_draft_replaces_the_draft(session: Session, admin: Actor, make_form: MakeForm) -> None:
    form = make_form(NAME, publish=False)
    forms.save_draft(session, admin, form, definition(NAME, PHONE))
    session.expire_all()
    assert session.get(Form, form.id).draft == definition(NAME, PHONE)


def test_save_draft_is_for_admins(session: Session, member: Actor, make_form: MakeForm) -> None:
    form = make_form(NAME, publish=False)
    with pytest.raises(Forbidden):
        forms.save_draft(session, member, form, definition(NAME, PHONE))


def test_save_draft_refuses_an_invalid_definition_and_keeps_the_old_one(
        session: Session, admin: Actor, make_form: MakeForm) -> None:
    form = make_form(NAME, publish=False)
    with pytest.raises(ValidationFailed):
        forms.save_draft(session, admin, form, definition(NAME, NAME))
    session.expire_all()
    assert session.get(Form, form.id).draft == definition(NAME)


def test_published_key_cannot_change_type(session: Session, admin: Actor, make_form: MakeForm) -> None:
    form = make_form(NAME, field("amount", "number"))
    with pytest.raises(ValidationFailed) as raised:
        forms.save_draft(session, admin, form, definition(NAME, field("amount", "text")))
    assert [(error.field, error.code) for error in raised.value.errors] == [("amount", "type_change")]


def test_removed_key_cannot_come_back_with_another_type(
        session: Session, admin: Actor, make_form: MakeForm, republish: Republish) -> None:
    form = make_form(NAME, field("amount", "number"))
    republish(form, NAME)
    with pytest.raises(ValidationFailed) as raised:
        forms.save_draft(session, admin, form, definition(NAME, field("amount", "date")))
    assert [(error.field, error.code) for error in raised.value.errors] == [("amount", "type_change")]


def test_removed_key_may_come_back_with_its_type(
        make_form: MakeForm, republish: Republish) -> None:
    form = make_form(NAME, field("amount", "number"))
    republish(form, NAME)
    assert republish(form, NAME, field("amount", "number", label={"en": "Amount again"})).number == 3


# --- publishing ------------------------------------------------------------------------------------------


def test_publish_creates_version_one_with_its_schema(session: Session, make_form: MakeForm) -> None:
    form = make_form(NAME, PHONE)
    version = forms.get_version(session, form)
    assert (version.number, version.definition) == (1, definition(NAME, PHONE))
    assert version.json_schema == compile_schema(definition(NAME, PHONE))
    assert form.current_version_id == version.id


def test_publish_records_who_published(session: Session, admin: Actor, make_form: MakeForm) -> None:
    assert forms.get_version(session, make_form(NAME)).published_by_id == admin.user_id


def test_publish_is_for_admins(session: Session, member: Actor, make_form: MakeForm) -> None:
    form = make_form(NAME, publish=False)
    with pytest.raises(Forbidden):
        forms.publish(session, member, form)


def test_publish_refuses_a_draft_that_became_invalid(
        session: Session, admin: Actor, make_form: MakeForm) -> None:
    form = make_form(NAME, publish=False)
    form.draft = definition(NAME, NAME)
    session.commit()
    with pytest.raises(ValidationFailed):
        forms.publish(session, admin, form)


def test_republishing_makes_the_next_version_and_keeps_the_old_one(
        session: Session, make_form: MakeForm, republish: Republish) -> None:
    form = make_form(NAME)
    second = republish(form, NAME, PHONE)
    session.expire_all()
    numbers = [(version.number, len(version.definition["fields"]))
               for version in forms.list_versions(session, form)]
    assert numbers == [(2, 2), (1, 1)]
    assert session.get(Form, form.id).current_version_id == second.id


def test_publishing_an_unchanged_draft_returns_the_current_version(
        session: Session, admin: Actor, make_form: MakeForm) -> None:
    form = make_form(NAME)
    first = forms.get_version(session, form)
    assert forms.publish(session, admin, form).id == first.id
    assert len(forms.list_versions(session, form)) == 1


def test_published_versions_are_immutable(session: Session, make_form: MakeForm) -> None:
    version = forms.get_version(session, make_form(NAME))
    version.definition = definition(NAME, PHONE)
    with pytest.raises(ValueError, match="cannot change"):
        session.flush()
    session.rollback()


def test_get_version_by_number(session: Session, make_form: MakeForm,
                               republish: Republish) -> None:
    form = make_form(NAME)
    republish(form, NAME, PHONE)
    assert forms.get_version(session, form, 1).definition == definition(NAME)


def test_get_version_of_an_unknown_number_is_not_found(session: Session, make_form: MakeForm) -> None:
    with pytest.raises(NotFound):
        forms.get_version(session, make_form(NAME), 7)


def test_get_version_of_an_unpublished_form_is_not_found(session: Session,
                                                         make_form: MakeForm) -> None:
    with pytest.raises(NotFound):
        forms.get_version(session, make_form(NAME, publish=False))


def test_renaming_a_label_keeps_the_key_and_the_data(
        session: Session, make_form: MakeForm, republish: Republish,
        insert_records: Insert) -> None:
    form = make_form(NAME, PHONE)
    insert_records(form, {"name": "Ada", "phone": "+8613812345678"})
    renamed = {**PHONE, "label": {"en": "Mobile", "zh-CN": "手机"}}
    version = republish(form, NAME, renamed)
    assert [item["key"] for item in version.definition["fields"]] == ["name", "phone"]
    compiled = forms.compiled(session, version.id)
    assert compiled.fields["phone"].label == {"en": "Mobile", "zh-CN": "手机"}
    assert session.scalar(select(Record.data)) == {"name": "Ada", "phone": "+8613812345678"}


# --- impact ----------------------------------------------------------------------------------------------


def test_new_required_field_needs_confirmation_and_counts_the_records(
        session: Session, admin: Actor, make_form: MakeForm, republish: Republish,
        insert_records: Insert) -> None:
    form = make_form(NAME)
    insert_records(form, {"name": "a"}, {"name": "b"}, {"name": "c"})
    with use_locale("en"), pytest.raises(Conflict) as raised:
        republish(form, NAME, {**PHONE, "required": True})
    assert (raised.value.status, raised.value.code) == (409, "publish_impact")
    assert impact_of(raised) == [("new_required", "phone", 3, False)]
    assert raised.value.extra["confirmable"] is True
    assert raised.value.extra["impacts"][0]["message"] == (
        "3 records have no value for the newly required field 'Phone'")
    assert len(forms.list_versions(session, form)) == 1


def test_impact_message_in_chinese(session: Session, make_form: MakeForm,
                                   insert_records: Insert, zh_catalog: None) -> None:
    form = make_form(NAME)
    insert_records(form, {"name": "a"}, {"name": "b"})
    with use_locale("zh_CN"):
        [item] = forms.impact(session, form, definition(NAME, {**PHONE, "required": True}))
    assert item.message == "2 条记录没有填写新设为必填的字段 '电话'"


def test_confirmed_publish_goes_ahead(session: Session, admin: Actor, make_form: MakeForm,
                                      insert_records: Insert) -> None:
    form = make_form(NAME)
    insert_records(form, {"name": "a"})
    forms.save_draft(session, admin, form, definition(NAME, {**PHONE, "required": True}))
    assert forms.publish(session, admin, form, confirm=True).number == 2


def test_records_with_the_value_and_deleted_records_are_not_counted(
        session: Session, make_form: MakeForm, insert_records: Insert) -> None:
    form = make_form(NAME, PHONE)
    insert_records(form, {"name": "a", "phone": "+8613812345678"}, {"name": "b"})
    insert_records(form, {"name": "c"}, deleted=True)
    impacts = forms.impact(session, form, definition(NAME, {**PHONE, "required": True}))
    assert [(item.kind, item.count) for item in impacts] == [("new_required", 1)]


def test_required_field_without_records_publishes_without_confirmation(
        make_form: MakeForm, republish: Republish) -> None:
    form = make_form(NAME)
    assert republish(form, NAME, {**PHONE, "required": True}).number == 2


def test_removed_field_needs_confirmation_and_keeps_its_data(
        session: Session, admin: Actor, make_form: MakeForm, republish: Republish,
        insert_records: Insert) -> None:
    form = make_form(NAME, PHONE)
    insert_records(form, {"name": "a", "phone": "+8613812345678"}, {"name": "b"})
    with pytest.raises(Conflict) as raised:
        republish(form, NAME)
    assert impact_of(raised) == [("removed_field", "phone", 1, False)]
    forms.publish(session, admin, form, confirm=True)
    session.expire_all()
    assert sorted(session.scalars(select(Record.data)), key=str) == [
        {"name": "a", "phone": "+8613812345678"}, {"name": "b"}]


def test_new_unique_field_with_duplicates_is_refused_even_when_confirmed(
        session: Session, admin: Actor, make_form: MakeForm,
        insert_records: Insert) -> None:
    form = make_form(NAME, field("email", "email"))
    insert_records(form, {"name": "a", "email": "x@example.com"}, {"name": "b", "email": "x@example.com"},
                   {"name": "c", "email": "y@example.com"})
    forms.save_draft(session, admin, form, definition(NAME, field("email", "email", unique=True)))
    with pytest.raises(Conflict) as raised:
        forms.publish(session, admin, form, confirm=True)
    assert impact_of(raised) == [("duplicate_values", "email", 2, True)]
    assert raised.value.extra["confirmable"] is False
    assert len(forms.list_versions(session, form)) == 1


def test_duplicates_among_deleted_records_do_not_block_uniqueness(
        make_form: MakeForm, republish: Republish,
        insert_records: Insert) -> None:
    form = make_form(NAME, field("email", "email"))
    insert_records(form, {"name": "a", "email": "x@example.com"})
    insert_records(form, {"name": "b", "email": "x@example.com"}, deleted=True)
    assert republish(form, NAME, field("email", "email", unique=True)).number == 2


def test_values_a_changed_field_refuses_need_confirmation(
        make_form: MakeForm, republish: Republish,
        insert_records: Insert) -> None:
    form = make_form(NAME, field("stage", "select", options=OPTIONS))
    insert_records(form, {"name": "a", "stage": "won"}, {"name": "b", "stage": "new"}, {"name": "c"})
    with pytest.raises(Conflict) as raised:
        republish(form, NAME, field("stage", "select", options=OPTIONS[:1]))
    assert impact_of(raised) == [("invalid_values", "stage", 1, False)]


def test_impact_lists_every_consequence_at_once(
        session: Session, make_form: MakeForm, insert_records: Insert) -> None:
    form = make_form(NAME, PHONE, field("email", "email"))
    insert_records(form, {"name": "a", "phone": "+8613812345678", "email": "x@example.com"},
                   {"name": "b", "email": "x@example.com"})
    new = definition(NAME, field("email", "email", unique=True), field("city", required=True))
    assert sorted((item.kind, item.field, item.count) for item in forms.impact(session, form, new)) == [
        ("duplicate_values", "email", 2), ("new_required", "city", 2), ("removed_field", "phone", 1)]


def test_impact_of_the_draft_by_default(session: Session, admin: Actor, make_form: MakeForm,
                                        insert_records: Insert) -> None:
    form = make_form(NAME)
    insert_records(form, {"name": "a"})
    forms.save_draft(session, admin, form, definition(NAME, {**PHONE, "required": True}))
    assert [item.kind for item in forms.impact(session, form)] == ["new_required"]


# --- compiled versions -----------------------------------------------------------------------------------


def test_compiled_version_is_built_once_and_cached(session: Session, make_form: MakeForm) -> None:
    version = forms.get_version(session, make_form(NAME, PHONE))
    first = forms.compiled(session, version.id)
    assert forms.compiled(session, version.id) is first
    assert list(first.fields) == ["name", "phone"]


def test_compiled_unknown_version_is_not_found(session: Session) -> None:
    with pytest.raises(NotFound):
        forms.compiled(session, 999_999)


def test_version_table_has_what_compiled_reads(session: Session, make_form: MakeForm) -> None:
    version_id = forms.get_version(session, make_form(NAME)).id
    stored = session.scalar(select(FormVersion.definition).where(FormVersion.id == version_id))
    assert stored == definition(NAME)
