"""The zh_CN catalog is complete, consistent and compiled; the merge keeps everyone's translations."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog

from formflow.web import catalog

PLACEHOLDER = re.compile(r"%\((\w+)\)s")


@pytest.fixture(scope="module")
def messages() -> catalog.Catalog:
    return catalog.read_catalog()


@pytest.fixture(scope="module")
def sources() -> Catalog:
    return catalog.extract()


def test_compiled_mo_matches_the_po() -> None:
    assert not catalog.stale_mo(), "run: .venv/bin/python -m formflow.web.catalog update"


def test_every_msgid_has_a_chinese_translation(messages: Catalog) -> None:
    assert catalog.untranslated(messages) == []


def test_every_message_the_sources_use_is_in_the_catalog(messages: Catalog, sources: Catalog) -> None:
    assert catalog.missing_from(messages, sources) == []


def test_no_msgid_has_two_different_translations(messages: catalog.Catalog) -> None:
    assert messages.conflicts == []


def test_translations_keep_the_placeholders(messages: Catalog) -> None:
    broken = [message.id for message in messages if message.id and message.string
              and sorted(PLACEHOLDER.findall(message.id)) != sorted(PLACEHOLDER.findall(message.string))]
    assert broken == []


def _po(path: Path, entries: str) -> Path:
    path.write_text('msgid ""\nmsgstr ""\n"Content-Type: text/plain; charset=utf-8\\n"\n\n' + entries,
                    encoding="utf-8")
    return path


def test_appended_duplicate_without_translation_keeps_the_translation(tmp_path: Path) -> None:
    po = _po(tmp_path / "messages.po", 'msgid "Save"\nmsgstr "保存"\n\nmsgid "Save"\nmsgstr ""\n')
    assert catalog.translations(catalog.read_catalog(po)) == {"Save": "保存"}


def test_appended_duplicate_with_another_translation_is_reported(tmp_path: Path) -> None:
    po = _po(tmp_path / "messages.po", 'msgid "Save"\nmsgstr "保存"\n\nmsgid "Save"\nmsgstr "存储"\n')
    read = catalog.read_catalog(po)
    assert read.conflicts == ["Save"]
    assert catalog.translations(read) == {"Save": "存储"}


def test_merge_keeps_translations_and_entries_no_source_mentions(tmp_path: Path) -> None:
    existing = catalog.read_catalog(_po(tmp_path / "messages.po",
                                        'msgid "create"\nmsgstr "新建"\n\nmsgid "Save"\nmsgstr "保存"\n'))
    template = Catalog(locale="zh_CN")
    template.add("Save", locations=[("a.py", 1)])
    template.add("Cancel", locations=[("a.py", 2)])
    result = catalog.merged(existing, template)
    assert [(message.id, message.string) for message in result if message.id] == [
        ("Save", "保存"), ("Cancel", ""), ("create", "新建")]
    assert result.get("create").auto_comments == [catalog.UNUSED_NOTE]


def test_written_catalog_reads_back_the_same(tmp_path: Path) -> None:
    template = Catalog(locale="zh_CN")
    template.add("Hello %(name)s", "你好 %(name)s", locations=[("a.py", 1)])
    path = tmp_path / "messages.po"
    catalog.write_catalog(template, path)
    catalog.compile_catalog(path)
    assert catalog.translations(catalog.read_catalog(path)) == {"Hello %(name)s": "你好 %(name)s"}
    assert not catalog.stale_mo(path)
