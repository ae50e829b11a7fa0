"""Masked display of sensitive fields (``138****5678``): computed on the server, so a role that may see
only the mask never receives the value.

One masker per field type that needs its own shape (phone, email); every other type gets the default,
which keeps the first and last characters of a text and nothing of any other value. Maskers register
like field types do; nothing else looks at a type's name.
"""

from __future__ import annotations

from typing import Any

from formflow.fields.base import Field
from formflow.registry import Registry

#: what a masked value shows in place of the hidden characters
STARS = "****"
#: mainland China's country code: its mobile numbers show as 138****5678, without it
CHINA_PREFIX = "+86"


class Masker:
    """Turns a stored value into the text a role that may see only a mask gets."""

    #: the field type it masks ("" for the default)
    name = ""

    def mask(self, field: Field, value: Any) -> str:
        """The masked text of ``value`` (never ``None``: a missing value is not masked at all)."""
        if not isinstance(value, str):
            return STARS
        return keep_ends(value, 1, 1)


def keep_ends(text: str, head: int, tail: int) -> str:
    """``text`` with all but its first ``head`` and last ``tail`` characters starred; short texts fully."""
    if len(text) <= head + tail + 1:
        return STARS
    return text[:head] + STARS + (text[-tail:] if tail else "")


maskers: Registry[Masker] = Registry("masker")


@maskers.register
class PhoneMasker(Masker):
    """``+8613812345678`` -> ``138****5678``; other numbers keep their first 3 and last 4 digits."""

    name = "phone"

    def mask(self, field: Field, value: Any) -> str:
        if not isinstance(value, str):
            return STARS
        number = value.removeprefix(CHINA_PREFIX)
        return keep_ends(number, 3, 4)


@maskers.register
class EmailMasker(Masker):
    """``ada.lovelace@example.com`` -> ``a****@example.com``: the domain stays readable."""

    name = "email"

    def mask(self, field: Field, value: Any) -> str:
        if not isinstance(value, str) or "@" not in value:
            return STARS
        local, _, domain = value.rpartition("@")
        return f"{local[:1]}{STARS}@{domain}"


DEFAULT = Masker()


def masked_value(field: Field, value: Any) -> str:
    """The masked text of a field's stored value."""
    masker = maskers.get(field.type.name) if field.type.name in maskers else DEFAULT
    return masker.mask(field, value)
