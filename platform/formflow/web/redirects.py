"""Where a page may send the browser next: only to paths on this site."""

from __future__ import annotations

from urllib.parse import urlsplit

#: longest "next" accepted; longer values are not links anyone clicked
MAX_NEXT_LENGTH = 2048


def safe_next(target: str | None) -> str | None:
    """``target`` when it is a path on this site ('/w/acme/?x=1'), else None.

    Refuses absolute and scheme-relative URLs ('//evil.example'), backslashes (browsers read
    '/\\evil.example' as '//evil.example') and control characters (browsers drop tabs and newlines,
    so '/\\t/evil.example' would become '//evil.example').
    """
    if not target or len(target) > MAX_NEXT_LENGTH:
        return None
    if any(ord(character) < 0x21 or ord(character) == 0x7F for character in target):
        return None
    if "\\" in target or not target.startswith("/") or target.startswith("//"):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target
