"""Deterministic lead data, and loaders for the baseline's table and for Formflow's record service.

Faker is slow (~25 µs a name), so it fills fixed pools once from a fixed seed; each lead then picks
from the pools with its own seeded ``random.Random``. A million leads take seconds, the same every run.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import cache
from typing import Any

from faker import Faker
from sqlalchemy import Engine, insert

from bench.baseline.models import STAGES, Lead

SEED = 20261123
#: how often each stage occurs: a funnel, most leads early
STAGE_WEIGHTS = (30, 25, 15, 12, 8, 10)
#: mainland China mobile prefixes (all valid for libphonenumber's CN metadata)
MOBILE_PREFIXES = tuple(
    str(prefix)
    for prefix in (
        *range(130, 140),
        145,
        147,
        *range(150, 154),
        *range(155, 160),
        166,
        171,
        173,
        *range(175, 179),
        *range(180, 190),
        191,
        198,
        199,
    )
)
#: share of leads generated with the zh_CN locale (the rest: en_US)
CHINESE_SHARE = 0.7
EMAIL_DOMAINS = ("example.com", "example.cn", "example.net", "mail.example.org")


@dataclass(frozen=True)
class Pools:
    """Values Faker made once; leads are composed from them."""

    zh_names: tuple[str, ...]
    en_names: tuple[str, ...]
    zh_companies: tuple[str, ...]
    en_companies: tuple[str, ...]
    zh_cities: tuple[str, ...]
    en_cities: tuple[str, ...]
    user_names: tuple[str, ...]


@cache
def pools(seed: int = SEED) -> Pools:
    """The Faker pools for ``seed`` (zh_CN and en_US locales)."""
    faker = Faker(["zh_CN", "en_US"])
    faker.seed_instance(seed)
    zh, en = faker["zh_CN"], faker["en_US"]

    def distinct(make: Any, count: int) -> tuple[str, ...]:
        values: dict[str, None] = {}
        for _ in range(count * 4):
            values[make()] = None
            if len(values) == count:
                break
        return tuple(values)

    return Pools(
        zh_names=distinct(zh.name, 4000),
        en_names=distinct(en.name, 2000),
        zh_companies=distinct(zh.company, 2000),
        en_companies=distinct(en.company, 1000),
        zh_cities=distinct(zh.city, 300),
        en_cities=distinct(en.city, 200),
        user_names=distinct(en.user_name, 3000),
    )


def generate_leads(count: int, seed: int = SEED) -> list[dict[str, Any]]:
    """``count`` lead payloads as a client would send them (phone as typed, amount as a decimal string)."""
    return list(iter_leads(count, seed))


def iter_leads(count: int, seed: int = SEED) -> Iterator[dict[str, Any]]:
    """The leads of ``generate_leads``, one at a time."""
    values = pools()
    rng = random.Random(seed)
    stages = rng.choices(STAGES, weights=STAGE_WEIGHTS, k=count)
    for index in range(count):
        chinese = rng.random() < CHINESE_SHARE
        cents = int(rng.lognormvariate(13.0, 1.3)) % 1_000_000_000
        yield {
            "name": rng.choice(values.zh_names if chinese else values.en_names),
            "company": rng.choice(values.zh_companies if chinese else values.en_companies),
            "phone": rng.choice(MOBILE_PREFIXES) + f"{rng.randrange(100_000_000):08d}",
            "email": f"{rng.choice(values.user_names)}{index}@{rng.choice(EMAIL_DOMAINS)}",
            "stage": stages[index],
            "amount": f"{cents // 100}.{cents % 100:02d}",
            "city": rng.choice(values.zh_cities if chinese else values.en_cities),
        }


def chunks(rows: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """``rows`` in slices of ``size``."""
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


def search_terms(leads: Sequence[dict[str, Any]], count: int, seed: int = 7) -> list[str]:
    """Terms that occur in the data, 3+ characters (trigram indexes on both sides): Chinese full names,
    company name beginnings and English surnames, in turn."""
    rng = random.Random(seed)
    kinds = (_chinese_full_name, _chinese_company_start, _english_surname)
    picks: dict[str, None] = {}
    for _attempt in range(100_000):
        if len(picks) == count:
            break
        term = kinds[len(picks) % len(kinds)](rng.choice(leads))
        if term:
            picks[term] = None
    return list(picks)


def _chinese_full_name(lead: dict[str, Any]) -> str | None:
    name = lead["name"]
    return name if len(name) == 3 and not name.isascii() else None


def _chinese_company_start(lead: dict[str, Any]) -> str | None:
    company = lead["company"]
    return company[:4] if not company.isascii() else None


def _english_surname(lead: dict[str, Any]) -> str | None:
    surname = lead["name"].split()[-1]
    return surname if lead["name"].isascii() and len(surname) >= 4 else None


@dataclass(frozen=True)
class LoadResult:
    """How many rows a loader wrote and how long it took."""

    rows: int
    seconds: float

    @property
    def rate(self) -> float:
        """Rows per second."""
        return self.rows / self.seconds if self.seconds else 0.0


def baseline_rows(leads: Sequence[dict[str, Any]], owner_id: int = 1) -> list[dict[str, Any]]:
    """Leads as the baseline's POST handler would store them (E.164 phone, owner, creation time)."""
    now = datetime.now(UTC).replace(tzinfo=None)
    return [
        {**lead, "phone": "+86" + lead["phone"], "owner_id": owner_id, "created_at": now} for lead in leads
    ]


def load_baseline(engine: Engine, leads: Sequence[dict[str, Any]], chunk_size: int = 10_000) -> LoadResult:
    """Insert ``leads`` into the baseline's table with executemany, one transaction per chunk.

    The FTS triggers fire for every row, as they do for rows the app inserts.
    """
    started = time.perf_counter()
    for chunk in chunks(leads, chunk_size):
        rows = baseline_rows(chunk)
        with engine.begin() as connection:
            connection.execute(insert(Lead), rows)
    return LoadResult(len(leads), time.perf_counter() - started)


def _label(zh: str, en: str) -> dict[str, str]:
    return {"zh-CN": zh, "en": en}


STAGE_LABELS = {
    "new": ("新建", "New"),
    "contacted": ("已联系", "Contacted"),
    "qualified": ("已确认", "Qualified"),
    "proposal": ("方案", "Proposal"),
    "won": ("赢单", "Won"),
    "lost": ("输单", "Lost"),
}

#: the Formflow form matching the baseline's table: stage and amount indexed, name and company searchable
LEAD_FORM: dict[str, Any] = {
    "fields": [
        {
            "key": "name",
            "type": "text",
            "label": _label("姓名", "Name"),
            "required": True,
            "searchable": True,
            "max_length": 200,
        },
        {
            "key": "company",
            "type": "text",
            "label": _label("公司", "Company"),
            "searchable": True,
            "max_length": 200,
        },
        {"key": "phone", "type": "phone", "label": _label("手机", "Mobile"), "searchable": False},
        {"key": "email", "type": "email", "label": _label("邮箱", "Email"), "searchable": False},
        {
            "key": "stage",
            "type": "select",
            "label": _label("阶段", "Stage"),
            "required": True,
            "indexed": True,
            "options": [{"value": stage, "label": _label(*STAGE_LABELS[stage])} for stage in STAGES],
        },
        {"key": "amount", "type": "currency", "label": _label("金额", "Amount"), "indexed": True},
        {
            "key": "city",
            "type": "text",
            "label": _label("城市", "City"),
            "searchable": False,
            "max_length": 100,
        },
    ],
    "title_field": "name",
}
