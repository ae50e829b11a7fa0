"""Field keys from labels: readable, stable, unique (docs/internals.md, "Form definition").

A key is generated once, when a field is added, and never again: renaming the label keeps the key.
"""

from __future__ import annotations

import re
import unicodedata

from pypinyin import Style, lazy_pinyin

from formflow.fields.sql import KEY_PATTERN

#: longest key (KEY_PATTERN allows 63 characters)
MAX_LENGTH = 63
#: names conditions and queries use for system columns: a field may not shadow them
RESERVED = frozenset(
    {
        "id",
        "owner",
        "state",
        "created_at",
        "updated_at",
        "created_by",
        "updated_by",
        "version",
        "form",
        "deleted_at",
    }
)
_NOT_KEY = re.compile(r"[^a-z0-9]+")


def _words(label: str) -> list[str]:
    """Pinyin syllables for Chinese characters, ASCII words for the rest."""
    words: list[str] = []
    for part in lazy_pinyin(label, style=Style.NORMAL, errors="default"):
        ascii_part = unicodedata.normalize("NFKD", part).encode("ascii", "ignore").decode().lower()
        words.extend(word for word in _NOT_KEY.split(ascii_part) if word)
    return words


def key_from_label(label: str, taken: set[str]) -> str:
    """A key for ``label`` not in ``taken``: "客户名称" -> "ke_hu_ming_cheng", "Phone" -> "phone".

    Keys start with a letter ("2nd phone" -> "f_2nd_phone"); labels with nothing usable give "field";
    a key already taken (or reserved for system columns) gets "_2", "_3"... appended.
    """
    base = "_".join(_words(label)) or "field"
    if not base[0].isalpha():
        base = f"f_{base}"
    base = base[:MAX_LENGTH].rstrip("_")
    unavailable = set(taken) | RESERVED
    candidate, number = base, 1
    while candidate in unavailable:
        number += 1
        suffix = f"_{number}"
        candidate = base[: MAX_LENGTH - len(suffix)].rstrip("_") + suffix
    assert KEY_PATTERN.match(candidate), candidate
    return candidate
