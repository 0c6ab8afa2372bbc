"""The docs portal in a real browser: headless Chromium driven by Playwright, from ``file://``.

Checks the channel tree, a message's schema table, search (finds a property, filters by
kind, opens the result), deep links (the target is revealed and scrolled to), print CSS,
that spec text cannot run script, and that no page logs a console error. A full-page
screenshot per bundled spec goes to ``test-artifacts/screenshots/`` (gitignored).

Needs Debian's ``chromium`` (``/usr/bin/chromium``, or ``ASYNCGEN_CHROMIUM``) and the
``playwright`` package - never ``playwright install``. Skips without them, fails under
``CI=true``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from asyncgen.docs import build_docs

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
SPECS = sorted((ROOT / "specs").glob("*.yaml"))
SCREENSHOTS = ROOT / "test-artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser tests must run in CI: {reason}")
    pytest.skip(reason)


def chromium_path() -> str | None:
    wanted = os.environ.get("ASYNCGEN_CHROMIUM")
    if wanted:
        return wanted if Path(wanted).is_file() else None
    for candidate in ("/usr/bin/chromium", shutil.which("chromium"), shutil.which("chromium-browser")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("playwright is not installed (pip install playwright)")
    executable = chromium_path()
    if executable is None:
        _unavailable("chromium is not installed (apt-get install -y --no-install-recommends chromium)")
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser") / "site"
    build_docs(SPECS, out)
    return out


class Page:
    """A page plus everything it logged; ``errors`` must stay empty."""

    def __init__(self, browser: Any) -> None:
        self.context = browser.new_context(viewport={"width": 1280, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.dialogs: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))

        def dialog(d: Any) -> None:
            self.dialogs.append(d.message)
            d.dismiss()

        self.page.on("dialog", dialog)

    def open(self, site: Path, name: str) -> Any:
        self.page.goto(url(site, name))
        self.page.wait_for_load_state("load")
        return self.page


def url(site: Path, name: str) -> str:
    """``file://`` URL of ``name`` (which may end in ``#fragment``) inside ``site``."""
    path, sep, fragment = name.partition("#")
    return (site / path).as_uri() + sep + fragment


@pytest.fixture
def tab(browser: Any) -> Iterator[Page]:
    page = Page(browser)
    yield page
    page.context.close()
    assert page.errors == [], f"console errors: {page.errors}"
    assert page.dialogs == []
    assert all(url.startswith("file://") for url in page.requests), page.requests


def in_viewport(page: Any, selector: str) -> bool:
    return bool(
        page.eval_on_selector(
            selector,
            "e => { const r = e.getBoundingClientRect(); return r.bottom > 0 && r.top < window.innerHeight"
            " && r.height > 0; }",
        )
    )


def test_channel_tree_shows(site: Path, tab: Page) -> None:
    page = tab.open(site, "streetlights_controller.html")
    tree = page.locator("#channel-tree")
    assert tree.is_visible()
    segments = tree.locator(".seg").all_inner_texts()
    for segment in ("smartylighting", "streetlights", "{streetlightId}", "lighting", "measured", "turn"):
        assert segment in segments
    leaves = tree.locator("a.leaf")
    assert leaves.count() == 4
    leaves.first.click()
    target = page.evaluate("location.hash")
    assert target.startswith("#channel-")
    assert in_viewport(page, target)


def test_message_schema_table_has_the_right_rows(site: Path, tab: Page) -> None:
    page = tab.open(site, "streetlights_controller.html")
    rows = page.locator("#message-lightMeasured-payload > tbody > tr.prop")
    assert rows.locator("td.name").all_inner_texts() == ["lumens", "sentAt"]
    lumens = rows.nth(0).locator("td").all_inner_texts()
    assert lumens[1:3] == ["integer", "required"]
    assert "≥ 0" in lumens[5]
    assert "Light intensity measured in lumens." in lumens[6]
    sent = rows.nth(1).locator("td").all_inner_texts()
    assert sent[1] == "string (SentAt)" and sent[3] == "date-time"


def test_search_finds_a_property_and_filters(site: Path, tab: Page) -> None:
    page = tab.open(site, "index.html")
    box = page.locator("#search-input")
    box.fill("lumens")
    results = page.locator("#search-results li")
    results.first.wait_for()
    assert results.count() >= 1
    first = results.first.inner_text()
    assert "lumens" in first and "payload of Light measured" in first

    box.fill("order")
    page.wait_for_function("document.querySelectorAll('#search-results li').length > 1")
    kinds = set(page.eval_on_selector_all("#search-results li", "els => els.map(e => e.className)"))
    assert len(kinds) > 1  # channels, messages, properties ... all match "order"
    total = int(page.locator("#search-status").inner_text().split()[0])
    page.locator('#search-kinds button[data-kind="property"]').click()
    only = set(page.eval_on_selector_all("#search-results li", "els => els.map(e => e.className)"))
    assert only == {"result kind-property"}
    assert int(page.locator("#search-status").inner_text().split()[0]) < total

    # a nested property: the result opens the <details> around its row and scrolls to it
    page.locator('#search-kinds button[data-kind="all"]').click()
    box.fill("shippingAddresses line1")
    page.locator("#search-results li a").first.click()
    page.wait_for_url("**/erp_api.html#*")
    hash_ = page.evaluate("location.hash")
    assert page.eval_on_selector(hash_, "e => e.closest('details').open")
    assert in_viewport(page, hash_)
    measured = page.evaluate("window.asyncgenSearch('lumens')")
    assert measured["count"] >= 1 and measured["ms"] < 100


def test_deep_links_target_channel_message_and_nested_row(site: Path, tab: Page) -> None:
    page = tab.open(site, "erp_events.html#message-OrderCreated")
    assert in_viewport(page, "#message-OrderCreated")
    assert page.eval_on_selector("#message-OrderCreated", "e => e.classList.contains('targeted')")
    nested = page.eval_on_selector("#message-CustomerChanged-payload tr.nest tr.prop", "e => e.id")
    page.goto(url(site, f"erp_events.html#{nested}"))
    page.wait_for_load_state("load")
    assert page.eval_on_selector(f"#{nested}", "e => e.closest('details').open")
    assert in_viewport(page, f"#{nested}")
    page.goto(url(site, "erp_events.html#channel-orderCreated"))
    assert in_viewport(page, "#channel-orderCreated")


def test_print_layout_hides_the_chrome(site: Path, tab: Page) -> None:
    page = tab.open(site, "streetlights_controller.html")
    page.emulate_media(media="print")
    assert page.eval_on_selector(".side", "e => getComputedStyle(e).display") == "none"
    assert page.eval_on_selector(".search", "e => getComputedStyle(e).display") == "none"


def test_spec_text_cannot_run_script(tmp_path: Path, tab: Page) -> None:
    from test_docs import EVIL, evil_spec

    out = tmp_path / "site"
    build_docs([evil_spec(tmp_path)], out)
    page = tab.open(out, "evil_script_alert_x_script.html")
    assert page.locator("script").count() == 2  # ours: the search index and portal.js
    assert page.locator("img").count() == 0
    assert EVIL in page.locator("#overview").inner_text()
    page.locator("#search-input").fill("script")
    page.locator("#search-results li").first.wait_for()
    assert tab.dialogs == []


@pytest.mark.parametrize("spec", SPECS, ids=[s.name for s in SPECS])
def test_screenshot_per_bundled_spec(site: Path, tab: Page, spec: Path) -> None:
    from asyncgen.docs import load_api
    from asyncgen.document import LoadOptions

    api, _, _ = load_api(spec, LoadOptions())
    page_name = next(
        p.name
        for p in site.glob("*.html")
        if p.name != "index.html" and f"<h1>{api.title} " in p.read_text(encoding="utf-8")
    )
    page = tab.open(site, page_name)
    assert page.locator("h1").first.inner_text().startswith(api.title)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{spec.stem}.png"), full_page=True)
    assert (SCREENSHOTS / f"{spec.stem}.png").stat().st_size > 10_000
