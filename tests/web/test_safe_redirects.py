"""``safe_next``: only paths on this site pass."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from formflow.web.redirects import MAX_NEXT_LENGTH, safe_next


@pytest.mark.parametrize("target", ["/", "/w/acme/", "/w/acme/apps/crm/?page=2&sort=-amount", "/login#top",
                                    "/w/%E4%B8%AD/"])
def test_same_site_paths_pass(target: str) -> None:
    assert safe_next(target) == target


@pytest.mark.parametrize("target", [
    None, "", "https://evil.example/", "http:/evil.example", "//evil.example", "///evil.example",
    "/\\evil.example", "\\\\evil.example", "/\t/evil.example", "/\n/evil.example", " /w/acme/",
    "javascript:alert(1)", "w/acme/", "/" + "a" * MAX_NEXT_LENGTH, "/w/a b/",
])
def test_everything_else_is_refused(target: str | None) -> None:
    assert safe_next(target) is None


@given(st.text(max_size=60))
def test_whatever_passes_stays_on_this_site(target: str) -> None:
    result = safe_next(target)
    if result is not None:
        # what a browser would do with it: drop tabs/newlines, read backslashes as slashes
        seen = result.replace("\\", "/")
        parts = urlsplit("http://formflow.test" + seen)
        assert parts.netloc == "formflow.test"
        assert seen.startswith("/") and not seen.startswith("//")
