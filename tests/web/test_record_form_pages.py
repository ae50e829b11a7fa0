"""The record form pages with the test client: rendering, saving, errors kept inline, no JavaScript."""

from __future__ import annotations

import io
import re
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from record_form_fixtures import Crm, crm_fixture, make_form  # noqa: F401
from sqlalchemy import select
from sqlalchemy.orm import Session
from web_helpers import log_in

from formflow.apps.models import App
from formflow.records import service as records
from formflow.records.models import Attachment, Record

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')
_IDEMPOTENCY = re.compile(r'name="_idempotency_key" value="([^"]+)"')


@pytest.fixture
def user_client(client: FlaskClient, crm: Crm) -> FlaskClient:
    """The test client logged in as the CRM's admin."""
    assert log_in(client, crm.user).status_code == 302
    return client


def page_tokens(client: FlaskClient, path: str) -> dict[str, str]:
    """The hidden inputs a form page hands out: CSRF token and idempotency key."""
    html = client.get(path).get_data(as_text=True)
    tokens = {"csrf_token": _TOKEN.search(html).group(1)}
    key = _IDEMPOTENCY.search(html)
    if key:
        tokens["_idempotency_key"] = key.group(1)
    return tokens


def post_form(client: FlaskClient, path: str, fields: dict[str, Any], **extra: Any) -> Any:
    """Post a record form as a browser without JavaScript would: every field's marker and value."""
    markers = list(dict.fromkeys(key.split(".")[0] for key in fields))
    data: dict[str, Any] = {**page_tokens(client, path), "_fields": markers, **extra}
    data.update(fields)
    return client.post(path, data=data)


def stored(session: Session, form_id: int) -> list[dict[str, Any]]:
    """The data of the form's records, read afresh."""
    session.rollback()
    return [record.data for record in session.scalars(select(Record).where(Record.form_id == form_id))]


def test_new_lead_page_renders_every_field(user_client: FlaskClient, crm: Crm) -> None:
    html = user_client.get(crm.url(crm.leads)).get_data(as_text=True)
    for label in ("联系人", "手机号", "阶段", "无效原因", "所在地区"):
        assert label in html


def field_html(html: str, name: str) -> str:
    """The markup of one field's wrapper (up to the next field)."""
    start = html.index(f'data-field="{name}"')
    end = html.find('class="ff-field ', start + 1)
    return html[start:end if end != -1 else len(html)]


VALID_LEAD = {"name": "王小明", "company": "深圳星河科技有限公司", "phone": "138 1234 5678",
              "email": "Xiaoming@Example.com", "stage": "contacting", "source": "expo",
              "amount": "128,000.5", "region": "广东省 深圳市", "notes": "展会上认识\n下周回访"}


@pytest.mark.parametrize(("name", "attributes"), [
    ("phone", ['type="tel"', 'inputmode="tel"', 'autocomplete="tel"']),
    ("email", ['type="email"', 'inputmode="email"']),
    ("amount", ['type="text"', 'inputmode="decimal"']),
    ("name", ['type="text"', 'maxlength="100"', "required"]),
])
def test_inputs_follow_the_field_types_client_hints(user_client: FlaskClient, crm: Crm, name: str,
                                                     attributes: list[str]) -> None:
    markup = field_html(user_client.get(crm.url(crm.leads)).get_data(as_text=True), name)
    for attribute in attributes:
        assert attribute in markup


def test_deal_inputs_use_numeric_and_date_keyboards(user_client: FlaskClient, crm: Crm) -> None:
    html = user_client.get(crm.url(crm.deals)).get_data(as_text=True)
    assert 'inputmode="numeric"' in field_html(html, "quantity")
    assert 'type="date"' in field_html(html, "close_on")
    assert 'type="datetime-local"' in field_html(html, "meeting")
    assert 'type="file"' in field_html(html, "files")


def test_valid_post_stores_exactly_the_typed_values(user_client: FlaskClient, crm: Crm,
                                                     session: Session) -> None:
    response = post_form(user_client, crm.url(crm.leads), VALID_LEAD)
    assert response.status_code == 302
    [data] = stored(session, crm.leads.id)
    assert {key: value for key, value in data.items() if key != "code"} == {
        "name": "王小明", "company": "深圳星河科技有限公司", "phone": "+8613812345678",
        "email": "xiaoming@example.com", "stage": "contacting", "source": "expo", "amount": "128000.50",
        "region": {"province": "44", "city": "4403"}, "notes": "展会上认识\n下周回访"}
    assert data["code"].startswith("LEAD-")


def test_errors_are_shown_beside_their_fields_with_every_value_kept(user_client: FlaskClient, crm: Crm,
                                                                    session: Session) -> None:
    response = post_form(user_client, crm.url(crm.leads), {**VALID_LEAD, "name": "", "phone": "12345",
                                                       "email": "not an email"})
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "手机号格式不正确" in field_html(html, "phone")
    assert "联系人" in field_html(html, "name") and 'aria-invalid="true"' in field_html(html, "name")
    assert 'aria-invalid="true"' in field_html(html, "email")
    for name in ("phone", "email", "company"):
        assert f'value="{VALID_LEAD[name] if name != "phone" else "12345"}"' in field_html(html, name) \
            or name == "email" and 'value="not an email"' in field_html(html, name)
    assert "展会上认识\n下周回访" in field_html(html, "notes")
    assert "selected" in field_html(html, "stage").split('value="contacting"')[1].split(">")[0]
    assert stored(session, crm.leads.id) == []


def test_the_error_summary_links_to_each_field(user_client: FlaskClient, crm: Crm) -> None:
    html = post_form(user_client, crm.url(crm.leads), {**VALID_LEAD, "phone": "12345"}).get_data(as_text=True)
    summary = html[html.index("data-error-summary"):html.index("</ul>", html.index("data-error-summary"))]
    assert 'href="#ff-phone-field"' in summary and "手机号格式不正确" in summary


def test_a_field_hidden_by_its_condition_is_rendered_hidden_and_disabled(user_client: FlaskClient, crm: Crm
                                                                         ) -> None:
    markup = field_html(user_client.get(crm.url(crm.leads)).get_data(as_text=True), "invalid_reason")
    assert markup.split(">")[0].rstrip().endswith("hidden")
    assert markup.count("disabled") == 2  # its marker and its textarea: neither is posted


def test_a_value_posted_for_a_hidden_field_is_refused(user_client: FlaskClient, crm: Crm, session: Session
                                                      ) -> None:
    response = post_form(user_client, crm.url(crm.leads), {**VALID_LEAD, "invalid_reason": "重复线索"})
    assert response.status_code == 422
    assert "无效原因" in field_html(response.get_data(as_text=True), "invalid_reason")
    assert stored(session, crm.leads.id) == []


def test_a_condition_that_holds_after_posting_shows_its_field_as_required(user_client: FlaskClient, crm: Crm
                                                                          ) -> None:
    response = post_form(user_client, crm.url(crm.leads), {**VALID_LEAD, "stage": "invalid"})
    markup = field_html(response.get_data(as_text=True), "invalid_reason")
    assert response.status_code == 422
    assert "hidden" not in markup.split(">")[0] and "required" in markup
    assert "无效原因" in markup.split('class="field__error"')[1]


def test_posting_twice_with_one_idempotency_key_creates_one_record(user_client: FlaskClient, crm: Crm,
                                                                   session: Session) -> None:
    tokens = page_tokens(user_client, crm.url(crm.leads))
    data = {**tokens, "_fields": list(VALID_LEAD), **VALID_LEAD}
    assert user_client.post(crm.url(crm.leads), data=data).status_code == 302
    assert user_client.post(crm.url(crm.leads), data=data).status_code == 302
    assert len(stored(session, crm.leads.id)) == 1


def test_script_submissions_get_json_answers(user_client: FlaskClient, crm: Crm) -> None:
    tokens = page_tokens(user_client, crm.url(crm.leads))
    headers = {"Accept": "application/json"}
    refused = user_client.post(crm.url(crm.leads), headers=headers,
                           data={**tokens, "_fields": list(VALID_LEAD), **VALID_LEAD, "phone": "1"})
    assert refused.status_code == 422
    assert [error["field"] for error in refused.get_json()["errors"]] == ["phone"]
    saved = user_client.post(crm.url(crm.leads), headers=headers,
                         data={**tokens, "_fields": list(VALID_LEAD), **VALID_LEAD})
    assert saved.status_code == 201
    assert saved.get_json()["redirect"] == crm.url(crm.leads, "")


def test_edit_page_shows_the_stored_values_and_saves_changes(user_client: FlaskClient, crm: Crm,
                                                             session: Session) -> None:
    post_form(user_client, crm.url(crm.leads), VALID_LEAD)
    record = session.scalars(select(Record).where(Record.form_id == crm.leads.id)).one()
    path = crm.url(crm.leads, f"records/{record.id}/edit")
    html = user_client.get(path).get_data(as_text=True)
    assert 'value="+8613812345678"' in field_html(html, "phone")
    assert 'value="广东省 深圳市"' in field_html(html, "region")
    response = post_form(user_client, path,
                         {"name": "王小明", "phone": "+8613812345678", "stage": "qualified"},
                         _version="1")
    assert response.status_code == 302
    session.rollback()
    assert (record.data["stage"], record.data["company"], record.version) == (
        "qualified", "深圳星河科技有限公司", 2)


def test_editing_a_record_changed_meanwhile_keeps_the_typed_values(user_client: FlaskClient, crm: Crm,
                                                                   session: Session) -> None:
    post_form(user_client, crm.url(crm.leads), VALID_LEAD)
    record = session.scalars(select(Record).where(Record.form_id == crm.leads.id)).one()
    path = crm.url(crm.leads, f"records/{record.id}/edit")
    post_form(user_client, path, {"stage": "qualified"}, _version="1")
    response = post_form(user_client, path, {"company": "新公司"}, _version="1")
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert 'value="新公司"' in field_html(html, "company")
    assert 'name="_version" value="2"' in html


def test_subtable_rows_are_added_and_removed_without_javascript(user_client: FlaskClient, crm: Crm,
                                                                session: Session) -> None:
    path = crm.url(crm.deals)
    fields = {"title": "年度采购", "items.0.sku": "A-1", "items.0.qty": "2"}
    added = post_form(user_client, path, fields, _action="add_row:items").get_data(as_text=True)
    assert 'name="items.0.sku"' in added and 'value="A-1"' in added and 'name="items.1.sku"' in added
    removed = post_form(user_client, path, {**fields, "items.1.sku": "B-2"}, _action="remove_row:items.0")
    html = removed.get_data(as_text=True)
    assert 'value="B-2"' in field_html(html, "items.0.sku") and "A-1" not in html
    assert stored(session, crm.deals.id) == []


def test_a_subtable_cell_error_is_shown_on_its_cell(user_client: FlaskClient, crm: Crm) -> None:
    response = post_form(user_client, crm.url(crm.deals), {"title": "年度采购", "items.0.sku": "A-1",
                                                       "items.0.qty": "两个"})
    assert response.status_code == 422
    assert "ff-items-0-qty-error" in field_html(response.get_data(as_text=True), "items.0.qty")


def test_a_deal_with_rows_files_and_links_is_stored(user_client: FlaskClient, crm: Crm,
                                                    session: Session) -> None:
    customer = session.scalars(select(Record).where(Record.form_id == crm.customers.id)).first()
    fields = {"title": "年度采购", "customer": str(customer.id), "owner_user": str(crm.user.id),
              "amount": "¥1,000", "discount": "12.5", "quantity": "3", "close_on": "2026-12-01",
              "meeting": "2026-11-23T16:00", "priority": "4", "hot": ["false", "true"],
              "tags": ["vip", "renewal"], "place": "440305", "items.0.sku": "A-1", "items.0.qty": "2",
              "items.0.price": "9.90", "items.1.sku": "", "items.1.qty": ""}
    assert post_form(user_client, crm.url(crm.deals), fields).status_code == 302
    [deal] = stored(session, crm.deals.id)
    assert deal["customer"] == customer.id and deal["owner_user"] == crm.user.id
    assert (deal["amount"], deal["discount"], deal["quantity"], deal["priority"], deal["hot"]) == (
        "1000.00", 12.5, 3, 4, True)
    assert (deal["meeting"], deal["tags"]) == ("2026-11-23T08:00:00Z", ["vip", "renewal"])
    assert deal["place"] == {"province": "44", "city": "4403", "district": "440305"}
    assert deal["items"] == [{"sku": "A-1", "qty": 2, "price": "9.90", "line": 19.8}]
    assert deal["total"] == 19.8


def test_an_unticked_box_is_stored_as_no(user_client: FlaskClient, crm: Crm, session: Session) -> None:
    post_form(user_client, crm.url(crm.deals), {"title": "年度采购", "hot": "false"})
    assert stored(session, crm.deals.id)[0]["hot"] is False


def test_preview_computes_formulas_from_the_typed_rows(user_client: FlaskClient, crm: Crm) -> None:
    tokens = page_tokens(user_client, crm.url(crm.deals))
    response = user_client.post(crm.url(crm.deals, "preview"), headers={"Accept": "application/json"}, data={
        **tokens, "_fields": ["items"], "items.0.sku": "A", "items.0.qty": "2", "items.0.price": "9.90",
        "items.1.sku": "B", "items.1.qty": "1", "items.1.price": "0.10"})
    values = response.get_json()["values"]
    assert (values["total"], values["items.0.line"], values["items.1.line"]) == ("19.90", "19.8", "0.1")


def test_relation_choices_come_in_pages(user_client: FlaskClient, crm: Crm, session: Session) -> None:
    for number in range(25):
        records.create_record(session, crm.actor, crm.customers, {"name": f"客户 {number:02d}"})
    first = user_client.get(crm.url(crm.deals, "fields/customer/choices?limit=10")).get_json()
    second = user_client.get(crm.url(crm.deals, f"fields/customer/choices?limit=10&cursor={first['next']}")
                             ).get_json()
    assert [item["title"] for item in first["items"]][:2] == ["客户 24", "客户 23"]
    assert len(first["items"]) == len(second["items"]) == 10
    assert not {item["id"] for item in first["items"]} & {item["id"] for item in second["items"]}


def test_relation_choices_search_the_title_field(user_client: FlaskClient, crm: Crm) -> None:
    found = user_client.get(crm.url(crm.deals, "fields/customer/choices?q=星河")).get_json()
    assert [item["title"] for item in found["items"]] == ["深圳星河科技"] and found["next"] is None


def test_user_choices_are_the_workspace_members(user_client: FlaskClient, crm: Crm, make_user) -> None:
    make_user(crm.workspace, name="Grace Hopper", email="grace@example.com")
    make_user(None, name="Outsider", email="out@example.com")
    found = user_client.get(crm.url(crm.deals, "fields/owner_user/choices?q=grace")).get_json()
    everyone = user_client.get(crm.url(crm.deals, "fields/owner_user/choices")).get_json()
    assert [item["title"] for item in found["items"]] == ["Grace Hopper"]
    assert "Outsider" not in [item["title"] for item in everyone["items"]]


def test_fields_without_choices_answer_404(user_client: FlaskClient, crm: Crm) -> None:
    assert user_client.get(crm.url(crm.deals, "fields/title/choices")).status_code == 404


def upload(client: FlaskClient, crm: Crm, name: str, content: bytes, content_type: str) -> Any:
    token = page_tokens(client, crm.url(crm.deals))["csrf_token"]
    return client.post(crm.url(crm.deals, "fields/files/uploads"), headers={"X-CSRFToken": token},
                       data={"file": (io.BytesIO(content), name, content_type)},
                       content_type="multipart/form-data")


def test_an_upload_is_stored_and_attached_by_id(user_client: FlaskClient, crm: Crm, session: Session,
                                                app: Any) -> None:
    response = upload(user_client, crm, "报价单.pdf", b"%PDF-1.4 quote", "application/pdf")
    assert response.status_code == 201
    body = response.get_json()
    attachment = session.get(Attachment, body["id"])
    assert (body["filename"], body["size"]) == ("报价单.pdf", 14)
    assert (Path(app.config["UPLOAD_DIR"]) / attachment.storage_key).read_bytes() == b"%PDF-1.4 quote"
    post_form(user_client, crm.url(crm.deals), {"title": "年度采购", "files": str(body["id"])})
    assert stored(session, crm.deals.id)[0]["files"] == [body["id"]]


@pytest.mark.parametrize(("name", "content", "content_type", "code"), [
    ("setup.exe", b"MZ", "application/octet-stream", "file_type"),
    ("big.pdf", b"x" * 100_001, "application/pdf", "file_too_large"),
    ("empty.txt", b"", "text/plain", "empty_file"),
])
def test_uploads_the_field_refuses_leave_nothing_behind(user_client: FlaskClient, crm: Crm, app: Any,
                                                        name: str, content: bytes, content_type: str,
                                                        code: str) -> None:
    response = upload(user_client, crm, name, content, content_type)
    assert response.status_code == 422
    assert code in [error["code"] for error in response.get_json()["errors"]]
    folder = Path(app.config["UPLOAD_DIR"])
    assert not folder.exists() or not [path for path in folder.rglob("*") if path.is_file()]


def test_files_posted_with_the_form_are_attached_without_javascript(user_client: FlaskClient, crm: Crm,
                                                                    session: Session) -> None:
    data = {**page_tokens(user_client, crm.url(crm.deals)), "_fields": ["title", "files"],
            "title": "年度采购", "files._upload": [(io.BytesIO(b"hello"), "notes.txt", "text/plain")]}
    response = user_client.post(crm.url(crm.deals), data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    [deal] = stored(session, crm.deals.id)
    assert session.get(Attachment, deal["files"][0]).filename == "notes.txt"


def test_a_refused_file_posted_with_the_form_is_reported_with_the_other_errors(user_client: FlaskClient,
                                                                               crm: Crm) -> None:
    data = {**page_tokens(user_client, crm.url(crm.deals)), "_fields": ["title", "files"], "title": "",
            "files._upload": [(io.BytesIO(b"MZ"), "setup.exe", "application/octet-stream")]}
    response = user_client.post(crm.url(crm.deals), data=data, content_type="multipart/form-data")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "setup.exe" in field_html(html, "files") and 'aria-invalid="true"' in field_html(html, "title")


def test_attached_files_download_as_attachments(user_client: FlaskClient, crm: Crm) -> None:
    body = upload(user_client, crm, "page.txt", b"<script>alert(1)</script>", "text/plain").get_json()
    with user_client.get(body["url"]) as response:
        assert (response.status_code, response.get_data()) == (200, b"<script>alert(1)</script>")
        assert response.headers["Content-Disposition"].startswith("attachment")
        assert response.mimetype == "application/octet-stream"


def test_regions_list_the_places_below_a_parent(user_client: FlaskClient) -> None:
    provinces = user_client.get("/regions").get_json()
    cities = user_client.get("/regions?parent=44").get_json()
    assert {"code": "44", "name": "广东省"} in provinces and len(provinces) == 34 - 3
    assert {"code": "4403", "name": "深圳市"} in cities
    assert user_client.get("/regions?parent=99").status_code == 404


def test_the_form_needs_a_login(client: FlaskClient, crm: Crm) -> None:
    response = client.get(crm.url(crm.leads))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_forms_of_other_workspaces_are_not_found(client: FlaskClient, crm: Crm, make_workspace, make_user
                                                 ) -> None:
    stranger = make_user(make_workspace(slug="other"), email="stranger@example.com")
    log_in(client, stranger)
    assert client.get(crm.url(crm.leads)).status_code == 404
    assert client.get(crm.url(crm.deals, "fields/customer/choices")).status_code == 404


XSS = ['<script>alert("x")</script>', '"><img src=x onerror=alert(1)>', "<b onmouseover=alert(1)>hi</b>",
       "javascript:alert(1)", "{{ 7*7 }}"]


def test_html_in_labels_options_help_and_values_is_shown_as_text(user_client: FlaskClient, crm: Crm,
                                                                  session: Session) -> None:
    definition = {"fields": [
        {"key": f"f{index}", "type": "select", "label": {"zh-CN": payload, "en": payload},
         "help": {"zh-CN": payload}, "placeholder": {"zh-CN": payload},
         "options": [{"value": "a", "label": {"zh-CN": payload}}]} for index, payload in enumerate(XSS)
    ] + [{"key": "note", "type": "text", "label": {"zh-CN": XSS[0]}, "max_length": 200}],
        "layout": {"sections": [{"key": "s", "label": {"zh-CN": XSS[1]}, "rows": [["note"]]}]}}
    app = session.get(App, crm.leads.app_id)
    make_form(session, crm.actor, app, "payloads", {"zh-CN": XSS[2]}, definition)
    path = crm.url(crm.leads).replace("/leads/", "/payloads/")
    html = post_form(user_client, path, {"note": XSS[1], "f0": "zzz"}).get_data(as_text=True)
    for payload in XSS[:3]:
        assert payload not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in html
    assert "{{ 7*7 }}" in html  # text, never a template
