"""The zh_CN message catalog: extract, merge, compile and check (a developer tool, run from a checkout).

Helpers append entries to ``translations/zh_CN/LC_MESSAGES/messages.po``; ``update`` rewrites it in
one canonical form: every message the sources use (``babel.cfg`` at the repository root says where
to look), in source order, each once, keeping every translation; entries no source mentions (msgids
built at run time, such as ``gettext(action)``) are kept at the end with a note. ``compile`` writes
``messages.mo``; ``check`` lists what is missing. Usage::

    python -m formflow.web.catalog update     # extract + merge + compile
    python -m formflow.web.catalog check      # exit 1 when something is untranslated or stale
"""

from __future__ import annotations

import io
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog, Message
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import PoFileParser, write_po

from formflow.i18n import TRANSLATIONS_DIR

REPOSITORY = Path(__file__).resolve().parents[3]
MAPPING_FILE = REPOSITORY / "babel.cfg"
LOCALE = "zh_CN"
PO_FILE = TRANSLATIONS_DIR / LOCALE / "LC_MESSAGES" / "messages.po"
MO_FILE = PO_FILE.with_suffix(".mo")
#: msgids no source mentions are kept, marked with this comment, so someone can prune them
UNUSED_NOTE = "not found in the sources: built at run time, or no longer used"
#: gettext, _, N_... plus lazy_gettext and FieldContext.translate (field types translate through it)
KEYWORDS = {**DEFAULT_KEYWORDS, "lazy_gettext": None, "translate": None}


class _MergingCatalog(Catalog):
    """A catalog that keeps a translation when an appended duplicate entry has none (or vice versa)."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        #: msgids that appeared twice with two different translations (the later one wins)
        self.conflicts: list[str] = []

    def __setitem__(self, id: str | tuple[str, ...], message: Message) -> None:  # noqa: A002
        current = self.get(id, message.context)
        previous = current.string if current is not None else None
        super().__setitem__(id, message)
        if current is None:
            return
        if message.string and previous and message.string != previous:
            self.conflicts.append(str(message.id))
        # Catalog keeps the first entry's string; prefer the latest non-empty one.
        current.string = message.string or previous


def read_catalog(path: Path = PO_FILE) -> _MergingCatalog:
    """The .po file as a catalog, duplicates merged."""
    catalog = _MergingCatalog(locale=LOCALE, domain="messages")
    if path.exists():
        with path.open("rb") as handle:
            PoFileParser(catalog, ignore_obsolete=True, abort_invalid=False).parse(handle)
    return catalog


def extract() -> Catalog:
    """Every message the sources mark for translation, in source order."""
    with MAPPING_FILE.open() as handle:
        method_map, options_map = parse_mapping_cfg(handle, str(MAPPING_FILE))
    template = Catalog(locale=LOCALE, domain="messages")
    for filename, lineno, message, comments, context in extract_from_dir(
            REPOSITORY, method_map, options_map, keywords=KEYWORDS):
        template.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return template


def merged(existing: Catalog, template: Catalog) -> Catalog:
    """``template``'s messages with ``existing``'s translations, then ``existing``'s unused entries."""
    catalog = Catalog(locale=LOCALE, domain="messages", project="Formflow",
                      fuzzy=False, header_comment="# Chinese (Simplified) translations of Formflow.")
    for message in template:
        if not message.id:
            continue
        known = existing.get(message.id, message.context)
        string = known.string if known is not None else ""
        catalog.add(message.id, string, message.locations, auto_comments=message.auto_comments,
                    context=message.context)
    for message in existing:
        if message.id and template.get(message.id, message.context) is None:
            catalog.add(message.id, message.string, auto_comments=[UNUSED_NOTE], context=message.context)
    return catalog


def write_catalog(catalog: Catalog, path: Path = PO_FILE) -> None:
    """Write ``catalog`` as the canonical .po (no line numbers: edits elsewhere do not churn it)."""
    buffer = io.BytesIO()
    write_po(buffer, catalog, width=110, include_lineno=False, ignore_obsolete=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def compiled_bytes(catalog: Catalog) -> bytes:
    """The .mo bytes of ``catalog`` (untranslated and fuzzy entries left out)."""
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue()


def compile_catalog(path: Path = PO_FILE) -> None:
    """Write messages.mo next to the .po."""
    path.with_suffix(".mo").write_bytes(compiled_bytes(read_catalog(path)))


def translations(catalog: Catalog) -> dict[str, str]:
    """msgid -> msgstr of the catalog's translated, non-fuzzy singular messages."""
    return {str(message.id): str(message.string) for message in catalog
            if message.id and message.string and not message.fuzzy}


def untranslated(catalog: Catalog) -> list[str]:
    """msgids with an empty (or fuzzy) translation."""
    return [str(message.id) for message in catalog if message.id and (not message.string or message.fuzzy)]


def missing_from(catalog: Catalog, template: Catalog) -> list[str]:
    """msgids the sources use that the catalog lacks."""
    return [str(message.id) for message in template
            if message.id and catalog.get(message.id, message.context) is None]


def stale_mo(path: Path = PO_FILE) -> bool:
    """Whether messages.mo differs from what the .po compiles to."""
    mo_path = path.with_suffix(".mo")
    if not mo_path.exists():
        return True
    with mo_path.open("rb") as handle:
        compiled = read_mo(handle)
    return translations(compiled) != translations(read_catalog(path))


def update() -> list[str]:
    """Extract, merge into the .po, compile; the conflicting duplicate msgids found on the way."""
    existing = read_catalog()
    write_catalog(merged(existing, extract()))
    compile_catalog()
    return existing.conflicts


def problems() -> list[str]:
    """Everything wrong with the catalog, as lines to print."""
    catalog = read_catalog()
    lines = [f"untranslated: {msgid}" for msgid in untranslated(catalog)]
    lines += [f"missing from messages.po: {msgid}" for msgid in missing_from(catalog, extract())]
    lines += [f"duplicate msgid with two translations: {msgid}" for msgid in catalog.conflicts]
    if stale_mo():
        lines.append("messages.mo is older than messages.po: run `python -m formflow.web.catalog update`")
    return lines


def main(arguments: Iterable[str] | None = None) -> int:
    """Command line: ``update`` or ``check``."""
    command = list(arguments if arguments is not None else sys.argv[1:]) or ["check"]
    if command == ["update"]:
        for msgid in update():
            print(f"duplicate msgid had two translations, kept the later one: {msgid}")
        print(f"wrote {PO_FILE} and {MO_FILE.name}")
        return 0
    if command == ["check"]:
        found = problems()
        for line in found:
            print(line)
        return 1 if found else 0
    print("usage: python -m formflow.web.catalog [update|check]", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
