"""Browser tests: Debian's Chromium driven by Playwright against a real server in a thread.

Skipped, with the reason, when Chromium or Playwright is missing (these machines cannot
download browsers; `.ci/run` installs Debian's `chromium`) — unless KETENFLOW_REQUIRE_BROWSER=1
(set by `.ci/run`): then every browser test fails with that reason, so CI never passes without
having driven a browser.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from werkzeug.serving import make_server

from engine.context import EngineContext
from webui import create_app

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM = os.environ.get("KETENFLOW_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
AXE = ROOT / "webui" / "static" / "vendor" / "axe.min.js"
AXE_FALLBACK = ROOT / "node_modules" / "axe-core" / "axe.min.js"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run",
        "--disable-dev-shm-usage"]


REQUIRED = os.environ.get("KETENFLOW_REQUIRE_BROWSER") == "1"


def missing() -> str | None:
    """Why the browser tests cannot run here, or None."""
    if not Path(CHROMIUM).exists():
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the Python playwright package is not installed"
    return None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    reason = missing()
    for item in items:
        if "tests/browser" in str(item.fspath):
            item.add_marker(pytest.mark.browser)
            if reason and not REQUIRED:
                item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session", autouse=True)
def browser_required() -> None:
    """Where a browser is required, its absence fails every browser test (set up before the
    browser itself, so the failure names the reason)."""
    reason = missing()
    if reason and REQUIRED:
        pytest.fail(f"KETENFLOW_REQUIRE_BROWSER=1: {reason}", pytrace=False)


@pytest.fixture
def live_server(ctx: EngineContext) -> Iterator[str]:
    app = create_app({"TESTING": False, "SECRET_KEY": "browser-test"}, ctx=ctx)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=5)
    server.server_close()


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def new_page(browser: Any) -> Iterator[Any]:
    contexts = []

    def make() -> Any:
        context = browser.new_context(locale="nl-NL", viewport={"width": 1280, "height": 900})
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations on the current page.

    axe comes from the app's own /static when it is there: the Content-Security-Policy
    refuses inline scripts, and a script tag with the file's text is one. It waits for the
    page to have loaded: a tag added while a navigation is still under way has no document
    to go into."""
    page.wait_for_load_state("load")
    if AXE.exists():
        parts = urlsplit(page.url)
        page.add_script_tag(url=f"{parts.scheme}://{parts.netloc}/static/vendor/{AXE.name}")
    else:
        page.add_script_tag(path=str(AXE_FALLBACK))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "help": v["help"],
             "nodes": [n["target"] for n in v["nodes"]][:3]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def screenshot(page: Any, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    page.screenshot(path=str(path), full_page=True)
    return path
