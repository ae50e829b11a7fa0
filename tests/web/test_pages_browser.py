"""The web shell in Chromium, on a desktop and two phones: log in, navigate, switch language, log out, 404.

Screenshots go to test-artifacts/screenshots/<test>-<step>-<viewport>.png; axe-core checks each page.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import expect

from formflow.forms import service as forms
from formflow.permissions.actor import load_actor
from formflow.records import service as records

pytestmark = pytest.mark.browser


LEADS = {"fields": [
    {"key": "company", "type": "text", "label": {"en": "Company", "zh-CN": "公司"}},
    {"key": "contact", "type": "text", "label": {"en": "Contact", "zh-CN": "联系人"}},
    {"key": "amount", "type": "currency", "label": {"en": "Amount", "zh-CN": "金额"}},
    {"key": "stage", "type": "select", "label": {"en": "Stage", "zh-CN": "阶段"},
     "options": [{"value": "new", "label": {"en": "New", "zh-CN": "新建"}},
                 {"value": "won", "label": {"en": "Won", "zh-CN": "赢单"}}]},
]}


@pytest.fixture
def acme(session, make_workspace, make_user, make_app, make_form) -> dict[str, Any]:
    """A workspace with two apps, a few leads and a member who can log in."""
    workspace = make_workspace(name="Acme 销售部", slug="acme")
    user = make_user(workspace, name="Ada Lovelace", email="ada@example.com")
    admin = load_actor(session, make_user(workspace, role="admin", name="Admin"), workspace)
    crm = make_app(workspace, key="crm", name={"en": "Sales CRM", "zh-CN": "销售管理"},
                   description={"en": "Leads, accounts and deals.", "zh-CN": "线索、客户与商机。"})
    leads = forms.create_form(session, admin, crm, "leads", {"en": "Leads", "zh-CN": "线索"}, LEADS)
    forms.publish(session, admin, leads)
    for company, contact, amount, stage in [("深圳星河科技有限公司", "王小明", "128000.00", "new"),
                                            ("Northwind Traders", "Nancy Davolio", "5400.50", "won"),
                                            ("杭州云帆网络", "李娜", "86000.00", "won")]:
        records.create_record(session, admin, leads, {"company": company, "contact": contact,
                                                      "amount": amount, "stage": stage})
    make_form(crm, key="accounts", name={"en": "Accounts", "zh-CN": "客户"})
    make_form(crm, key="deals", name={"en": "Deals", "zh-CN": "商机"})
    service = make_app(workspace, key="service", name={"en": "Service desk", "zh-CN": "客户服务"})
    make_form(service, key="tickets", name={"en": "Tickets", "zh-CN": "工单"})
    return {"workspace": workspace, "user": user}


def log_in(page: Any, email: str, password: str = "secret-pass") -> None:
    """Fill in the Chinese login form and submit it."""
    page.goto("/login")
    page.get_by_label("邮箱地址").fill(email)
    page.get_by_label("密码").fill(password)
    with page.expect_navigation():  # the next page (or the login page again) has loaded
        page.get_by_role("button", name="登录", exact=True).click()


def open_menu(page: Any) -> None:
    """On phones, open the menu drawer (on desktops the menu is always in the top bar)."""
    button = page.locator("[data-menu-toggle]")
    if button.is_visible():
        button.click()
        expect(button).to_have_attribute("aria-expanded", "true")
        expect(page.locator("#site-menu")).to_be_visible()


def assert_no_sideways_scroll(page: Any) -> None:
    """Nothing on the page is wider than the screen."""
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_login_shows_the_workspace_and_its_apps(browser_page, acme, screenshot, assert_accessible) -> None:
    page = browser_page
    page.goto("/login")
    expect(page.get_by_role("heading", name="登录 Formflow")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "login")

    log_in(page, "ada@example.com")
    expect(page).to_have_url(re.compile(r"/w/acme/$"))
    expect(page.get_by_role("heading", name="Acme 销售部")).to_be_visible()
    expect(page.get_by_role("link", name="销售管理").first).to_be_visible()
    expect(page.get_by_text("工单")).to_be_visible()
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    screenshot(page, "workspace")

    page.locator("main").get_by_role("link", name="销售管理").click()
    expect(page).to_have_url(re.compile(r"/w/acme/apps/crm/$"))
    expect(page.get_by_role("heading", name="销售管理")).to_be_visible()
    expect(page.get_by_role("rowheader", name="商机")).to_be_visible()
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    screenshot(page, "app")

    page.get_by_role("link", name="线索").click()
    expect(page).to_have_url(re.compile(r"/w/acme/apps/crm/forms/leads/$"))
    expect(page.get_by_role("heading", name="线索")).to_be_visible()
    expect(page.get_by_text("深圳星河科技有限公司")).to_be_visible()
    expect(page.get_by_text("3 条记录")).to_be_visible()
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    screenshot(page, "records")


def test_failed_login_keeps_the_email_and_explains(browser_page, acme, screenshot, assert_accessible) -> None:
    page = browser_page
    log_in(page, "ada@example.com", password="wrong-password")
    expect(page.get_by_role("alert")).to_have_text("邮箱地址或密码不正确。")
    expect(page.get_by_label("邮箱地址")).to_have_value("ada@example.com")
    assert_accessible(page)
    screenshot(page)


def test_menu_lists_apps_and_marks_the_current_one(browser_page, acme, screenshot, assert_accessible,
                                                   viewport: str) -> None:
    page = browser_page
    log_in(page, "ada@example.com")
    page.goto("/w/acme/apps/service/")
    open_menu(page)
    navigation = page.get_by_role("navigation", name="主导航")
    expect(navigation.get_by_role("link", name="客户服务")).to_have_attribute("aria-current", "page")
    expect(navigation.get_by_role("link", name="销售管理")).to_be_visible()
    expect(page.get_by_text("Ada Lovelace")).to_be_visible()
    assert_accessible(page)
    screenshot(page, "open")
    if viewport != "desktop":
        page.keyboard.press("Escape")
        expect(page.locator("#site-menu")).to_be_hidden()
        expect(page.locator("[data-menu-toggle]")).to_be_focused()


def test_language_switch_persists_across_pages(browser_page, acme, screenshot, assert_accessible) -> None:
    page = browser_page
    log_in(page, "ada@example.com")
    open_menu(page)
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Acme 销售部")).to_be_visible()
    expect(page.get_by_text("Your apps and their forms.")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.goto("/w/acme/apps/crm/")
    expect(page.get_by_role("heading", name="Sales CRM")).to_be_visible()
    expect(page.get_by_role("columnheader", name="Status")).to_be_attached()
    assert_accessible(page)
    screenshot(page, "english")

    open_menu(page)
    page.get_by_role("button", name="中文").click()
    expect(page.get_by_role("heading", name="销售管理")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_logout_ends_the_session(browser_page, acme, screenshot, assert_accessible) -> None:
    page = browser_page
    log_in(page, "ada@example.com")
    open_menu(page)
    page.get_by_role("button", name="退出登录").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("status")).to_have_text("您已退出登录。")
    assert_accessible(page)
    screenshot(page)
    page.goto("/w/acme/")
    expect(page).to_have_url(re.compile(r"/login\?next=/w/acme/$"))


@pytest.mark.parametrize(("language", "title"), [("zh-CN", "页面不存在"), ("en", "Page not found")])
def test_not_found_page_speaks_the_browser_language(new_browser_page, screenshot, assert_accessible,
                                                    language: str, title: str) -> None:
    page = new_browser_page(locale=language)
    response = page.goto("/no/such/page")
    assert response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(title)
    expect(page.locator("html")).to_have_attribute("lang", language)
    assert_no_sideways_scroll(page)
    assert_accessible(page)
    screenshot(page, language)


def test_menu_works_without_javascript(new_browser_page, acme, screenshot) -> None:
    page = new_browser_page(java_script_enabled=False)
    log_in(page, "ada@example.com")
    expect(page.locator("[data-menu-toggle]")).to_be_hidden()
    navigation = page.get_by_role("navigation", name="主导航")
    expect(navigation.get_by_role("link", name="客户服务")).to_be_visible()
    page.get_by_role("button", name="English").click()
    expect(page.get_by_role("heading", name="Acme 销售部")).to_be_visible()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert_no_sideways_scroll(page)
    screenshot(page)
