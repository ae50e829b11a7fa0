"""Reusable browser-test fixtures: Debian's Chromium through pytest-playwright, a live server, viewports.

A test folder uses them with one line in its conftest.py::

    from browser_conftest import *  # noqa: F403

Then a test asks for ``browser_page`` (a Page on the live server, run once per viewport: desktop,
iPhone 13, Pixel 7), ``screenshot(page)`` and ``assert_accessible(page)``. Mark browser tests with
``pytestmark = pytest.mark.browser``. Without /usr/bin/chromium the tests skip, except under CI=true,
where they fail (see /work/shared/recipes.md, section 1).
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from werkzeug.serving import make_server

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--no-first-run"]
REPOSITORY = Path(__file__).resolve().parent.parent
SCREENSHOTS = REPOSITORY / "test-artifacts" / "screenshots"
AXE = REPOSITORY / "static" / "vendor" / "axe.min.js"
#: viewport id -> Playwright device descriptor name, or explicit context options
VIEWPORTS: dict[str, str | dict[str, Any]] = {
    "desktop": {"viewport": {"width": 1280, "height": 800}},
    "iphone-13": "iPhone 13",
    "pixel-7": "Pixel 7",
}
#: axe-core impacts a page must not have
BLOCKING_IMPACTS = ("serious", "critical")


def _missing(what: str) -> None:
    """Fail under CI (a missing browser must not pass silently), skip on a developer machine."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"{what} (CI=true: browser tests must run)")
    pytest.skip(what)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict[str, Any]) -> dict[str, Any]:
    """pytest-playwright's launch arguments, pointed at the system Chromium (no `playwright install`)."""
    if not shutil.which(CHROMIUM):
        _missing(f"{CHROMIUM} is missing: apt-get install -y chromium fonts-noto-cjk")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


@dataclass(frozen=True)
class LiveServer:
    """The test app served over HTTP on a free loopback port."""

    url: str

    def __call__(self, path: str = "/") -> str:
        """The absolute URL of ``path``."""
        return self.url + path


@pytest.fixture
def live_server(app: Any) -> Iterator[LiveServer]:
    """Serve the test's ``app`` (its own database) from a thread on 127.0.0.1 for one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    # Closing the server waits for requests still being served, so none outlives the test's database
    # (the browser contexts, set up after this server, are closed before it).
    server.daemon_threads = False
    server.block_on_close = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield LiveServer(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()


@pytest.fixture(params=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    """The viewport id a browser test runs in: every browser test runs once per viewport."""
    return request.param


@pytest.fixture
def context_options(playwright: Any, viewport: str, live_server: LiveServer) -> dict[str, Any]:
    """``new_context`` options for the viewport: device descriptor, base URL, Chinese by default."""
    descriptor = VIEWPORTS[viewport]
    options = dict(playwright.devices[descriptor]) if isinstance(descriptor, str) else dict(descriptor)
    options.pop("default_browser_type", None)
    return {**options, "base_url": live_server.url, "locale": "zh-CN", "timezone_id": "Asia/Shanghai"}


@pytest.fixture
def new_browser_page(browser: Any, context_options: dict[str, Any]) -> Iterator[Callable[..., Any]]:
    """Open pages in fresh contexts (own cookies); keyword arguments override the context options."""
    contexts: list[Any] = []

    def open_page(**overrides: Any) -> Any:
        context = browser.new_context(**{**context_options, **overrides})
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def browser_page(new_browser_page: Callable[..., Any]) -> Any:
    """A page in a fresh browser context on the live server, in the test's viewport."""
    return new_browser_page()


@pytest.fixture
def screenshot(request: pytest.FixtureRequest, viewport: str) -> Callable[..., Path]:
    """Save a full-page screenshot to test-artifacts/screenshots/<test>[-<step>]-<viewport>.png."""

    def take(page: Any, step: str = "") -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        name = request.node.originalname.removeprefix("test_") + (f"-{step}" if step else "")
        path = SCREENSHOTS / f"{name}-{viewport}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def assert_accessible() -> Callable[[Any], None]:
    """Run axe-core (WCAG 2.1 A/AA and best practices) in a page; fail on serious or critical issues."""
    if not AXE.exists():
        _missing(f"{AXE} is missing: run `make vendor`")

    def check(page: Any) -> None:
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.add_script_tag(path=str(AXE))
        results = page.evaluate(
            "() => axe.run(document, {runOnly: {type: 'tag', values: "
            "['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']}})")
        blocking = [violation for violation in results["violations"]
                    if violation["impact"] in BLOCKING_IMPACTS]
        report = "\n".join(
            f"{violation['impact']}: {violation['id']}: {violation['help']} -> "
            + ", ".join(str(node["target"]) for node in violation["nodes"][:5])
            for violation in blocking)
        assert not blocking, f"axe-core found serious problems on {page.url}:\n{report}"

    return check
