"""The record form in Chromium on a desktop, an iPhone 13 and a Pixel 7: the CRM's lead form as a sales
rep fills it, live conditions, localized errors, drafts, the offline queue, every widget, XSS.

Screenshots go to test-artifacts/screenshots/<test>-<step>-<viewport>.png; axe-core checks the pages.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from record_form_fixtures import Crm, crm_fixture, make_form  # noqa: F401
from sqlalchemy import select
from sqlalchemy.orm import Session

from formflow.apps.models import App
from formflow.records.models import Attachment, Record

pytestmark = pytest.mark.browser

#: the lead the tests type, and what the record must then hold
LEAD_INPUT = {"联系人": "王小明", "公司名称": "深圳星河科技有限公司", "手机号": "13812345678",
              "邮箱": "xiaoming@example.com", "预计金额": "128000.5", "备注": "展会上认识"}
LEAD_STORED = {"name": "王小明", "company": "深圳星河科技有限公司", "phone": "+8613812345678",
               "email": "xiaoming@example.com", "stage": "contacting", "source": "expo",
               "amount": "128000.50", "region": {"province": "44", "city": "4403"}, "notes": "展会上认识"}


def log_in(page: Page, email: str = "ada@example.com") -> None:
    page.goto("/login")
    page.get_by_label("邮箱地址").fill(email)
    page.get_by_label("密码").fill("secret-pass")
    page.get_by_role("button", name="登录", exact=True).click()
    expect(page.get_by_role("button", name="登录", exact=True)).to_have_count(0)


def labelled(scope: Any, text: str) -> Any:
    """The input labelled ``text`` exactly (a required field's label ends in its "*" mark)."""
    return scope.get_by_label(re.compile("^" + re.escape(text) + r"\*?$"))


def ends_with(path: str) -> re.Pattern[str]:
    """A URL pattern: any address whose path is ``path``."""
    return re.compile(re.escape(path) + "$")


def records_of(session: Session, form_id: int) -> list[dict[str, Any]]:
    session.rollback()
    return [record.data for record in session.scalars(select(Record).where(Record.form_id == form_id))]


def fill_lead(page: Page, values: dict[str, str] | None = None) -> None:
    """Type a lead as a user would: text fields, two lists, the region pickers."""
    for name, value in (values or LEAD_INPUT).items():
        labelled(page, name).fill(value)
    labelled(page, "阶段").select_option("contacting")
    labelled(page, "来源").select_option("expo")
    labelled(page, "省份").select_option(label="广东省")
    labelled(page, "城市").select_option(label="深圳市")


def save(page: Page) -> None:
    page.get_by_role("button", name="保存", exact=True).click()


@pytest.fixture
def screenshot(screenshot: Any) -> Any:
    """The shared screenshot fixture, taken from the top of the page (the top bar sticks where it is)."""

    def take(page: Page, step: str = "") -> Any:
        page.evaluate("() => window.scrollTo(0, 0)")
        # the save bar sticks to the bottom of a phone's screen: in a full-page picture it would sit
        # across the middle of the form, so it is pictured in its place at the end
        page.evaluate("() => document.querySelectorAll('.form-actions').forEach((bar) => "
                      "bar.style.setProperty('position', 'static'))")
        try:
            return screenshot(page, step)
        finally:
            page.evaluate("() => document.querySelectorAll('.form-actions').forEach((bar) => "
                          "bar.style.removeProperty('position'))")

    return take


def test_the_hidden_field_appears_when_the_stage_is_invalid(browser_page: Page, crm: Crm, screenshot: Any,
                                                            assert_accessible: Any) -> None:
    page = browser_page
    log_in(page)
    page.goto(crm.url(crm.leads))
    reason = labelled(page, "无效原因")
    expect(reason).to_be_hidden()
    assert_accessible(page)
    screenshot(page, "new")
    labelled(page, "阶段").select_option("invalid")
    expect(reason).to_be_visible()
    expect(reason).to_have_attribute("required", "")
    screenshot(page, "invalid")
    assert_accessible(page)
    labelled(page, "阶段").select_option("new")
    expect(reason).to_be_hidden()
    expect(reason).to_be_disabled()


def test_a_bad_phone_number_shows_the_localized_error(browser_page: Page, crm: Crm, session: Session,
                                                      screenshot: Any, assert_accessible: Any) -> None:
    page = browser_page
    log_in(page)
    page.goto(crm.url(crm.leads))
    fill_lead(page, {**LEAD_INPUT, "手机号": "12345"})
    save(page)
    field = page.locator("#ff-phone-field")
    expect(field.get_by_text("手机号格式不正确")).to_be_visible()
    expect(labelled(page, "手机号")).to_have_attribute("aria-invalid", "true")
    expect(page.locator("[data-error-summary]")).to_contain_text("手机号格式不正确")
    expect(labelled(page, "联系人")).to_have_value("王小明")
    screenshot(page, "error")
    assert_accessible(page)
    assert records_of(session, crm.leads.id) == []


def test_a_valid_submission_stores_exactly_the_typed_values(browser_page: Page, crm: Crm, session: Session,
                                                            screenshot: Any) -> None:
    page = browser_page
    log_in(page)
    page.goto(crm.url(crm.leads))
    fill_lead(page)
    screenshot(page, "filled")
    save(page)
    expect(page).to_have_url(ends_with(crm.url(crm.leads, "")))
    [data] = records_of(session, crm.leads.id)
    assert {key: value for key, value in data.items() if key != "code"} == LEAD_STORED
    expect(page.get_by_text("王小明")).to_be_visible()


@pytest.mark.parametrize("viewport", ["desktop", "iphone-13"], indirect=True)
def test_without_javascript_a_refused_post_keeps_every_value(new_browser_page: Any, crm: Crm,
                                                             session: Session, screenshot: Any) -> None:
    page = new_browser_page(java_script_enabled=False)
    log_in(page)
    page.goto(crm.url(crm.leads))
    expect(labelled(page, "无效原因")).to_be_hidden()
    labelled(page, "联系人").fill("王小明")
    labelled(page, "手机号").fill("12345")
    labelled(page, "所在地区").fill("广东省 深圳市")
    labelled(page, "阶段").select_option("invalid")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.locator("#ff-phone-field")).to_contain_text("手机号格式不正确")
    expect(page.locator("#ff-invalid-reason-field")).to_contain_text("无效原因")
    expect(labelled(page, "无效原因")).to_be_visible()
    expect(labelled(page, "联系人")).to_have_value("王小明")
    expect(labelled(page, "手机号")).to_have_value("12345")
    expect(labelled(page, "所在地区")).to_have_value("广东省 深圳市")
    expect(labelled(page, "阶段")).to_have_value("invalid")
    screenshot(page, "nojs")
    labelled(page, "手机号").fill("13812345678")
    labelled(page, "无效原因").fill("重复线索")
    page.get_by_role("button", name="保存", exact=True).click()
    expect(page.get_by_text("已保存")).to_be_visible()
    [data] = records_of(session, crm.leads.id)
    assert (data["stage"], data["invalid_reason"], data["region"]) == (
        "invalid", "重复线索", {"province": "44", "city": "4403"})


def test_a_draft_is_restored_after_a_reload(browser_page: Page, crm: Crm, session: Session,
                                           screenshot: Any) -> None:
    page = browser_page
    log_in(page)
    page.goto(crm.url(crm.leads))
    fill_lead(page)
    labelled(page, "阶段").select_option("invalid")
    labelled(page, "无效原因").fill("号码打不通")
    page.wait_for_function("() => Object.keys(localStorage).some((key) => key.startsWith('formflow:draft'))")
    page.wait_for_timeout(400)
    page.reload()
    expect(labelled(page, "联系人")).to_have_value("王小明")
    expect(labelled(page, "手机号")).to_have_value("13812345678")
    expect(labelled(page, "无效原因")).to_have_value("号码打不通")
    expect(labelled(page, "城市")).to_have_value("4403")
    expect(page.locator("[data-form-status]")).to_contain_text("已恢复")
    screenshot(page, "restored")
    save(page)
    expect(page).to_have_url(ends_with(crm.url(crm.leads, "")))
    assert len(records_of(session, crm.leads.id)) == 1
    page.goto(crm.url(crm.leads))
    expect(labelled(page, "联系人")).to_have_value("")


def test_a_submission_made_offline_is_sent_once_when_back_online(browser_page: Page, crm: Crm,
                                                                session: Session, screenshot: Any) -> None:
    page = browser_page
    log_in(page)
    page.goto(crm.url(crm.leads))
    fill_lead(page)
    page.context.set_offline(True)
    save(page)
    expect(page.locator("[data-form-status]")).to_contain_text("离线")
    queued = page.evaluate("() => localStorage.getItem('formflow:queue')")
    assert len(json.loads(queued)) == 1
    screenshot(page, "queued")
    assert records_of(session, crm.leads.id) == []
    page.context.set_offline(False)
    expect(page).to_have_url(ends_with(crm.url(crm.leads, "")))
    assert len(records_of(session, crm.leads.id)) == 1
    # the same submission sent again (another tab, a retry after a lost answer) finds its record
    page.goto(crm.url(crm.customers))
    page.goto(crm.url(crm.leads))
    page.evaluate("(queue) => localStorage.setItem('formflow:queue', queue)", queued)
    page.evaluate("() => window.dispatchEvent(new Event('online'))")
    page.wait_for_function("() => JSON.parse(localStorage.getItem('formflow:queue') || '[]').length === 0")
    assert len(records_of(session, crm.leads.id)) == 1


def test_every_widget_works_on_the_deal_form(browser_page: Page, crm: Crm, session: Session, screenshot: Any,
                                             assert_accessible: Any, tmp_path: Any) -> None:
    page = browser_page
    log_in(page)
    page.goto(crm.url(crm.deals))
    labelled(page, "商机名称").fill("年度采购")
    customer = page.get_by_role("combobox", name="客户")
    customer.fill("星河")
    page.get_by_role("option", name="深圳星河科技").click()
    expect(page.locator("#ff-customer-field .ff-chip")).to_have_text("深圳星河科技×")
    page.get_by_role("combobox", name="负责人").click()
    page.get_by_role("option", name="Ada Lovelace").click()
    labelled(page, "省份").select_option(label="广东省")
    labelled(page, "城市").select_option(label="深圳市")
    labelled(page, "区县").select_option(label="南山区")
    labelled(page, "产品").fill("A-1")
    labelled(page, "数量").nth(1).fill("2")
    labelled(page, "单价").fill("9.90")
    page.get_by_role("button", name="添加一行").click()
    rows = page.locator("[data-subtable] [data-row]")
    expect(rows).to_have_count(2)
    labelled(rows.nth(1), "产品").fill("B-2")
    labelled(rows.nth(1), "数量").fill("1")
    labelled(rows.nth(1), "单价").fill("0.10")
    expect(page.locator("[data-computed='total']")).to_have_text("19.90")
    expect(page.locator("[data-computed='items.1.line']")).to_have_text("0.1")
    page.get_by_role("button", name="添加一行").click()
    rows.nth(2).get_by_role("button", name="删除第 3 行").click()
    expect(rows).to_have_count(2)
    upload = tmp_path / "报价单.txt"
    upload.write_text("quote", encoding="utf-8")
    page.locator("#ff-files").set_input_files(str(upload))
    expect(page.locator("[data-attachment-list]")).to_contain_text("报价单.txt")
    refused = tmp_path / "setup.exe"
    refused.write_bytes(b"MZ")
    page.locator("#ff-files").set_input_files(str(refused))
    expect(page.locator("#ff-files-field .field__error")).to_contain_text("setup.exe")
    page.locator("label").filter(has_text="重点商机").click()
    page.get_by_text("大客户").click()
    screenshot(page, "filled")
    assert_accessible(page)
    save(page)
    expect(page).to_have_url(ends_with(crm.url(crm.deals, "")))
    [deal] = records_of(session, crm.deals.id)
    assert deal["customer"] == session.scalars(select(Record.id).where(
        Record.form_id == crm.customers.id, Record.data["name"].as_string() == "深圳星河科技")).one()
    assert (deal["owner_user"], deal["hot"], deal["tags"]) == (crm.user.id, True, ["vip"])
    assert deal["place"] == {"province": "44", "city": "4403", "district": "440305"}
    assert [(row["sku"], row["qty"], row["price"]) for row in deal["items"]] == [
        ("A-1", 2, "9.90"), ("B-2", 1, "0.10")]
    assert deal["total"] == 19.9
    assert session.get(Attachment, deal["files"][0]).filename == "报价单.txt"


#: markup that would set window.__xss if it ever ran
PAYLOADS = ['<img src=x onerror="window.__xss=1">', '<script>window.__xss=1</script>',
            '"><svg onload="window.__xss=1">', "</textarea><script>window.__xss=1</script>",
            "';window.__xss=1;'"]


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_html_in_labels_options_help_and_values_never_runs(browser_page: Page, crm: Crm, session: Session,
                                                           screenshot: Any) -> None:
    definition = {"fields": [
        {"key": f"f{index}", "type": "select", "label": {"zh-CN": payload}, "help": {"zh-CN": payload},
         "options": [{"value": "a", "label": {"zh-CN": payload}}]} for index, payload in enumerate(PAYLOADS)
    ] + [{"key": "note", "type": "textarea", "label": {"zh-CN": "备注"}, "required": True},
         {"key": "title", "type": "text", "label": {"zh-CN": "标题"}, "placeholder": {"zh-CN": PAYLOADS[2]}},
         {"key": "customer", "type": "relation", "label": {"zh-CN": "客户"}, "target_form": "customers"}]}
    app = session.get(App, crm.leads.app_id)
    make_form(session, crm.actor, app, "payloads", {"zh-CN": PAYLOADS[0]}, definition)
    for payload in PAYLOADS:
        from formflow.records import service as records

        records.create_record(session, crm.actor, crm.customers, {"name": payload})
    page = browser_page
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    log_in(page)
    path = crm.url(crm.leads).replace("/leads/", "/payloads/")
    page.goto(path)
    labelled(page, "标题").fill(PAYLOADS[1])
    page.get_by_role("combobox", name="客户").fill("window")
    options = page.get_by_role("listbox").get_by_role("option")
    expect(options).to_have_count(len(PAYLOADS))
    options.first.click()
    save(page)  # "备注" is required: the answer shows errors, the values stay
    expect(page.locator("#ff-note-field")).to_contain_text("备注")
    labelled(page, "备注").fill(PAYLOADS[3])
    page.reload()  # the draft brings the payloads back through the DOM
    expect(labelled(page, "标题")).to_have_value(PAYLOADS[1])
    screenshot(page, "payloads")
    assert page.evaluate("() => window.__xss") is None
    assert dialogs == []
    expect(page.get_by_text(PAYLOADS[0], exact=True).first).to_be_visible()
