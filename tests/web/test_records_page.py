"""A form's page: the records the user may read, searchable, newest first, in pages."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from formflow.forms import service as forms
from formflow.records import service as records

EN = {"Accept-Language": "en"}
DEFINITION = {"fields": [
    {"key": "name", "type": "text", "label": {"en": "Name", "zh-CN": "姓名"}, "searchable": True},
    {"key": "amount", "type": "currency", "label": {"en": "Amount", "zh-CN": "金额"}},
    {"key": "stage", "type": "select", "label": {"en": "Stage", "zh-CN": "阶段"},
     "options": [{"value": "new", "label": {"en": "New", "zh-CN": "新建"}}]},
]}


def rows(page: str) -> str:
    """The table body of a list page ('' when the list is empty)."""
    return page.split("<tbody>")[1].split("</tbody>")[0] if "<tbody>" in page else ""


@pytest.fixture
def leads(session, admin, workspace, make_app) -> Any:
    """A published form "leads" in app "crm" with three records."""
    app = make_app(workspace, key="crm")
    form = forms.create_form(session, admin, app, "leads", {"en": "Leads", "zh-CN": "线索"}, DEFINITION)
    forms.publish(session, admin, form)
    for name in ("Ada", "Grace", "Linus"):
        records.create_record(session, admin, form, {"name": name, "amount": "1200.50", "stage": "new"})
    return form


@pytest.fixture
def url(workspace) -> str:
    return f"/w/{workspace.slug}/apps/crm/forms/leads/"


def test_form_page_lists_records_newest_first(logged_in, make_user, workspace, leads, url) -> None:
    page = logged_in(make_user(workspace)).get(url, headers=EN).get_data(as_text=True)
    assert rows(page).index("Linus") < rows(page).index("Grace") < rows(page).index("Ada")
    assert "3 records" in page


def test_form_page_shows_values_as_people_read_them(logged_in, make_user, workspace, leads, url) -> None:
    client = logged_in(make_user(workspace))
    page = client.get(url, headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert '<th scope="col">阶段</th>' in page
    assert "新建" in page


def test_form_page_search_narrows_the_list(logged_in, make_user, workspace, leads, url) -> None:
    page = logged_in(make_user(workspace)).get(url + "?q=grace", headers=EN).get_data(as_text=True)
    assert "Grace" in rows(page)
    assert "Linus" not in rows(page)


def test_form_page_search_without_match_says_so(logged_in, make_user, workspace, leads, url) -> None:
    page = logged_in(make_user(workspace)).get(url + "?q=nobody", headers=EN).get_data(as_text=True)
    assert "No records match “nobody”." in page


def test_form_page_goes_page_by_page(app: Flask, logged_in, make_user, workspace, leads, url) -> None:
    app.config["PAGE_SIZE"] = 2
    client = logged_in(make_user(workspace))
    first = client.get(url, headers=EN).get_data(as_text=True)
    assert "Ada" not in rows(first)
    next_link = first.split('rel="next" href="')[1].split('"')[0].replace("&amp;", "&")
    second = client.get(next_link, headers=EN).get_data(as_text=True)
    assert "Ada" in rows(second)
    assert "Linus" not in rows(second)
    assert 'rel="next"' not in second


def test_app_home_links_published_forms_to_their_page(logged_in, make_user, workspace, leads) -> None:
    page = logged_in(make_user(workspace)).get(f"/w/{workspace.slug}/apps/crm/").get_data(as_text=True)
    assert f'href="/w/{workspace.slug}/apps/crm/forms/leads/"' in page


def test_form_page_of_another_workspace_is_not_found(logged_in, make_user, make_workspace, leads,
                                                     url) -> None:
    stranger = make_user(make_workspace())
    assert logged_in(stranger).get(url).status_code == 404


def test_unknown_form_is_not_found(logged_in, make_user, workspace, leads) -> None:
    response = logged_in(make_user(workspace)).get(f"/w/{workspace.slug}/apps/crm/forms/nope/")
    assert response.status_code == 404


def test_bad_cursor_is_a_bad_request_page(logged_in, make_user, workspace, leads, url) -> None:
    response = logged_in(make_user(workspace)).get(url + "?cursor=garbage", headers=EN)
    assert response.status_code == 400
    assert response.mimetype == "text/html"
