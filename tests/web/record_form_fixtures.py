"""Fixtures of the record form tests: a workspace with the CRM's lead form and a form using every widget.

Test modules import the fixture function: ``from record_form_fixtures import crm_fixture  # noqa: F401``
(the fixture is called ``crm``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session

from formflow.accounts.models import User, Workspace
from formflow.apps import service as apps
from formflow.forms import service as forms
from formflow.forms.models import Form
from formflow.permissions.actor import Actor, load_actor
from formflow.records import service as records

REPOSITORY = Path(__file__).resolve().parents[2]
LEADS_FILE = REPOSITORY / "builtin_apps" / "crm" / "forms" / "leads.json"

#: customers the deal form links to
CUSTOMERS = {"fields": [
    {"key": "name", "type": "text", "label": {"zh-CN": "客户名称", "en": "Customer"},
     "required": True},
    {"key": "city", "type": "text", "label": {"zh-CN": "城市", "en": "City"}},
]}

#: a form with every kind of widget (and a formula over a subtable)
DEALS = {"fields": [
    {"key": "title", "type": "text", "label": {"zh-CN": "商机名称", "en": "Deal"}, "required": True},
    {"key": "customer", "type": "relation", "label": {"zh-CN": "客户", "en": "Customer"},
     "target_form": "customers", "display_field": "name"},
    {"key": "owner_user", "type": "user", "label": {"zh-CN": "负责人", "en": "Owner"}},
    {"key": "amount", "type": "currency", "label": {"zh-CN": "金额", "en": "Amount"}},
    {"key": "discount", "type": "percent", "label": {"zh-CN": "折扣", "en": "Discount"}},
    {"key": "quantity", "type": "integer", "label": {"zh-CN": "数量", "en": "Quantity"}},
    {"key": "probability", "type": "number", "label": {"zh-CN": "概率", "en": "Probability"}},
    {"key": "close_on", "type": "date", "label": {"zh-CN": "预计成交日", "en": "Close date"}},
    {"key": "meeting", "type": "datetime", "label": {"zh-CN": "会议时间", "en": "Meeting"}},
    {"key": "priority", "type": "rating", "label": {"zh-CN": "优先级", "en": "Priority"}},
    {"key": "hot", "type": "boolean", "label": {"zh-CN": "重点商机", "en": "Hot deal"}},
    {"key": "tags", "type": "multiselect", "label": {"zh-CN": "标签", "en": "Tags"},
     "options": [{"value": "vip", "label": {"zh-CN": "大客户", "en": "VIP"}, "color": "#cf1322"},
                 {"value": "renewal", "label": {"zh-CN": "续约", "en": "Renewal"}}]},
    {"key": "website", "type": "url", "label": {"zh-CN": "网址", "en": "Website"}},
    {"key": "contact_email", "type": "email", "label": {"zh-CN": "邮箱", "en": "Email"}},
    {"key": "contact_phone", "type": "phone", "label": {"zh-CN": "电话", "en": "Phone"}},
    {"key": "place", "type": "region", "label": {"zh-CN": "地区", "en": "Region"}},
    {"key": "items", "type": "subtable", "label": {"zh-CN": "产品明细", "en": "Items"},
     "columns": [{"key": "sku", "type": "text", "label": {"zh-CN": "产品", "en": "Product"},
                  "required": True},
                 {"key": "qty", "type": "integer", "label": {"zh-CN": "数量", "en": "Qty"}},
                 {"key": "price", "type": "currency", "label": {"zh-CN": "单价", "en": "Price"}},
                 {"key": "line", "type": "formula", "label": {"zh-CN": "小计", "en": "Line total"},
                  "expression": "qty * price", "result_type": "number"}]},
    {"key": "total", "type": "formula", "label": {"zh-CN": "合计", "en": "Total"},
     "expression": "SUM(items.line)", "result_type": "number", "decimals": 2},
    {"key": "files", "type": "attachment", "label": {"zh-CN": "附件", "en": "Files"},
     "accept": ["image/*", ".pdf", ".txt"], "max_size": 100000, "max_files": 3},
    {"key": "code", "type": "auto_number", "label": {"zh-CN": "编号", "en": "No."}, "format": "D-{seq:4}"},
    {"key": "notes", "type": "textarea", "label": {"zh-CN": "备注", "en": "Notes"},
     "help": {"zh-CN": "写下背景", "en": "Background"}},
]}


@dataclass
class Crm:
    """The test workspace: an admin who logs in, the CRM app, its forms and their URLs."""

    workspace: Workspace
    user: User
    actor: Actor
    leads: Form
    deals: Form
    customers: Form

    def url(self, form: Form, page: str = "new") -> str:
        """A form page's path: ``new``, ``records/<id>/edit``, ``fields/<key>/choices``..."""
        return f"/w/{self.workspace.slug}/apps/crm/forms/{form.key}/{page}"


def leads_definition() -> dict[str, Any]:
    """The CRM's lead form as shipped."""
    return json.loads(LEADS_FILE.read_text(encoding="utf-8"))


def make_form(session: Session, actor: Actor, app: Any, key: str, name: dict[str, str],
              definition: dict[str, Any]) -> Form:
    """Create and publish a form through the forms service."""
    form = forms.create_form(session, actor, app, key, name, definition)
    forms.publish(session, actor, form)
    return form


@pytest.fixture(name="crm")
def crm_fixture(session: Session, make_workspace, make_user) -> Crm:
    """Workspace "acme" with the CRM app: leads (as shipped), customers (two) and deals."""
    workspace = make_workspace(name="Acme 销售部", slug="acme")
    user = make_user(workspace, role="admin", name="Ada Lovelace", email="ada@example.com")
    actor = load_actor(session, user, workspace)
    app = apps.install_app(session, actor, "crm", {"zh-CN": "销售管理", "en": "Sales CRM"})
    shipped = leads_definition()
    leads = make_form(session, actor, app, shipped["key"], shipped["name"], shipped["definition"])
    customers = make_form(session, actor, app, "customers", {"zh-CN": "客户", "en": "Customers"}, CUSTOMERS)
    for name, city in (("深圳星河科技", "深圳"), ("Northwind Traders", "Seattle")):
        records.create_record(session, actor, customers, {"name": name, "city": city})
    deals = make_form(session, actor, app, "deals", {"zh-CN": "商机", "en": "Deals"}, DEALS)
    return Crm(workspace, user, actor, leads, deals, customers)
