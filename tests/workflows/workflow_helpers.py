"""The CRM's lead lifecycle as test data, and an API client with a bearer token."""

from __future__ import annotations

from typing import Any

LEAD_FIELDS: list[dict[str, Any]] = [
    {"key": "name", "type": "text", "label": {"en": "Name", "zh-CN": "名称"}, "required": True},
    {"key": "phone", "type": "phone", "label": {"en": "Phone", "zh-CN": "手机号"}},
    {"key": "amount", "type": "number", "label": {"en": "Expected amount", "zh-CN": "预计成交金额"}},
    {
        "key": "source",
        "type": "select",
        "label": {"en": "Source", "zh-CN": "来源"},
        "options": [
            {"value": "web", "label": {"en": "Website", "zh-CN": "官网"}},
            {"value": "fair", "label": {"en": "Trade fair", "zh-CN": "展会"}},
        ],
    },
    {"key": "reason", "type": "textarea", "label": {"en": "Reason", "zh-CN": "无效原因"}},
    {"key": "notes", "type": "textarea", "label": {"en": "Notes", "zh-CN": "备注"}},
    {"key": "converted_on", "type": "date", "label": {"en": "Converted on", "zh-CN": "转化日期"}},
]


def state(key: str, en: str, zh: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "label": {"en": en, "zh-CN": zh}, **extra}


def transition(key: str, en: str, sources: list[str] | str, target: str, **extra: Any) -> dict[str, Any]:
    return {"key": key, "label": {"en": en}, "from": sources, "to": target, **extra}


#: new -> contacting -> qualified -> converted | invalid (from any open state)
LEAD_WORKFLOW: dict[str, Any] = {
    "initial": "new",
    "states": [
        state("new", "New", "新线索", color="#1677ff"),
        state("contacting", "Contacting", "跟进中", color="#faad14"),
        state(
            "qualified",
            "Qualified",
            "已确认",
            color="#52c41a",
            field_access={"member": {"amount": "read"}, "admin": {"amount": "write"}},
        ),
        state("converted", "Converted", "已转化", terminal=True, required_fields=["amount"]),
        state("invalid", "Invalid", "无效", terminal=True),
    ],
    "transitions": [
        transition(
            "contact",
            "Start contacting",
            ["new"],
            "contacting",
            roles=["member"],
            guard={"field": "phone", "op": "is_not_empty"},
            editable_fields=["phone", "notes"],
        ),
        transition(
            "qualify",
            "Qualify",
            ["contacting"],
            "qualified",
            guard={"field": "amount", "op": "gt", "value": 0},
            editable_fields=["amount", "notes"],
        ),
        transition(
            "convert",
            "Convert",
            ["qualified"],
            "converted",
            roles=["admin"],
            comment_required=True,
            actions=[{"type": "set_field", "field": "converted_on", "value": {"var": "today"}}],
        ),
        transition("disqualify", "Disqualify", "*", "invalid", required_fields=["reason"]),
    ],
}

