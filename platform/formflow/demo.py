"""Demo data for `make run`: a workspace, an admin, the CRM's lead form and a few dozen leads.

Leads come from Faker (zh_CN, fixed seed) so every demo database looks the same. Everything is
written through the same services the web and the API use.
"""

from __future__ import annotations

import json
import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from formflow.accounts import service as accounts
from formflow.accounts.models import Workspace
from formflow.apps.service import install_app
from formflow.forms.service import create_form, publish
from formflow.permissions.actor import load_actor
from formflow.records.service import bulk_create
from formflow.resources import resource_dir

ADMIN_EMAIL = "admin@example.com"
ADMIN_PASSWORD = "formflow-demo"
REP_EMAIL = "rep@example.com"
LEADS = 60
#: allocated mainland mobile prefixes (China Mobile, Unicom, Telecom), so every demo phone validates
MOBILE_PREFIXES = ("135", "136", "138", "139", "150", "158", "186", "187", "133", "153", "180", "189")


def has_workspaces(session: Session) -> bool:
    """Whether the database holds any workspace already."""
    return session.scalar(select(Workspace.id).limit(1)) is not None


def load(session: Session, leads: int = LEADS) -> str:
    """Create the demo workspace and data; returns a summary for people."""
    workspace = accounts.create_workspace(session, slug="demo", name="演示公司 Demo Co.")
    admin = accounts.create_user(session, email=ADMIN_EMAIL, name="管理员 Admin", password=ADMIN_PASSWORD)
    rep = accounts.create_user(session, email=REP_EMAIL, name="销售 Rep", password=ADMIN_PASSWORD)
    accounts.add_member(session, workspace, admin, "admin")
    accounts.add_member(session, workspace, rep, "member")
    actor = load_actor(session, admin, workspace)
    assert actor is not None

    package = json.loads((resource_dir("builtin_apps") / "crm" / "app.json").read_text())
    app = install_app(session, actor, package["key"], package["name"], package.get("description"))
    for form_key in package["forms"]:
        spec = json.loads((resource_dir("builtin_apps") / "crm" / "forms" / f"{form_key}.json").read_text())
        form = create_form(session, actor, app, spec["key"], spec["name"], spec["definition"])
        publish(session, actor, form)
        if form_key == "leads":
            result = bulk_create(session, actor, form, sample_leads(leads))
    return (f"demo workspace '{workspace.slug}': {len(result.ids)} leads; "
            f"log in as {ADMIN_EMAIL} / {ADMIN_PASSWORD} (or {REP_EMAIL})")


def sample_leads(count: int, seed: int = 2026) -> list[dict[str, Any]]:
    """``count`` plausible leads, the same ones for the same seed."""
    from faker import Faker

    fake = Faker("zh_CN")
    fake.seed_instance(seed)
    chooser = random.Random(seed)
    stages = ["new", "new", "contacting", "contacting", "qualified", "converted", "invalid"]
    sources = ["website", "expo", "referral", "ads"]
    cities = [("44", "4403"), ("44", "4401"), ("31", "3101"), ("11", "1101"), ("33", "3301"), ("51", "5101")]
    leads = []
    for _ in range(count):
        stage = chooser.choice(stages)
        province, city = chooser.choice(cities)
        lead: dict[str, Any] = {
            "name": fake.name(),
            "company": fake.company(),
            "phone": f"{chooser.choice(MOBILE_PREFIXES)}{chooser.randrange(10**8):08d}",
            "email": fake.email(),
            "stage": stage,
            "source": chooser.choice(sources),
            "amount": f"{chooser.randrange(1_000, 500_000)}.00",
            "region": {"province": province, "city": city},
        }
        if stage == "invalid":
            lead["invalid_reason"] = "电话无法接通"
        leads.append(lead)
    return leads
