"""Fixtures for field-type tests: sample fields, contexts, a table with a JSON column, a compiled catalog."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from sqlalchemy import Column, Integer, MetaData, Table
from sqlalchemy.orm import Session

from formflow import i18n
from formflow.db import JSONData
from formflow.fields.base import Field, FieldContext


@pytest.fixture
def make_field() -> Callable[..., Field]:
    """A Field of ``type_name`` with key "value" and the given type-specific attributes."""

    def make(type_name: str, key: str = "value", **config: Any) -> Field:
        return Field({"key": key, "type": type_name, "label": {"en": key.title()}, **config})

    return make


@pytest.fixture
def context() -> FieldContext:
    """An English context in the default workspace timezone."""
    return FieldContext(locale="en")


@pytest.fixture
def samples_table(session: Session) -> Table:
    """A table ``field_samples(id, data JSON)`` in the test database, like records.data."""
    table = Table(
        "field_samples",
        MetaData(),
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("data", JSONData, nullable=False),
    )
    table.create(session.connection())
    session.commit()
    return table


@pytest.fixture
def zh_catalog(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The zh_CN catalog compiled from messages.po into a temporary folder, used by formflow.i18n."""
    source = i18n.TRANSLATIONS_DIR / "zh_CN" / "LC_MESSAGES" / "messages.po"
    target = tmp_path / "zh_CN" / "LC_MESSAGES"
    target.mkdir(parents=True)
    with source.open("rb") as po_file:
        catalog = read_po(po_file, locale="zh_CN")
    with (target / "messages.mo").open("wb") as mo_file:
        write_mo(mo_file, catalog)
    monkeypatch.setattr(i18n, "TRANSLATIONS_DIR", tmp_path)
    i18n._translations.cache_clear()
    yield
    i18n._translations.cache_clear()
